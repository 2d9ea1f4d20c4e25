// Package replay plays a saved transcript back as a read-only [flows.Flow].
//
// A replay walks the steps of an [export.Transcript] exactly as they were recorded:
// [Flow.Next] returns the next recorded [record.Step] verbatim, with no network and no
// clock, so every front end that drives a live flow (the TUI, headless printing,
// tests) shows a saved one the same way. Nothing can be edited: [Flow.Pending] never
// hands out a request, and a request given in [flows.StepInput] is ignored, as is the
// Authorizer.
package replay

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/record"
)

// Flow is a transcript played back one step at a time. It implements [flows.Flow];
// like a live flow it is driven by one caller at a time, and its other methods are
// safe to call concurrently with Next.
type Flow struct {
	kind  flows.Kind
	steps []record.Step
	plan  []record.StepPlan

	mu     sync.Mutex
	next   int
	tokens flows.Tokens
}

var _ flows.Flow = (*Flow)(nil)

// New returns a replay of t, positioned before its first step. The flow's kind is the
// transcript's, with an alias resolved to its name ("code" → authorization-code); a
// kind this oauthx does not know is kept as written, so a transcript of a newer flow
// still replays.
func New(t export.Transcript) *Flow {
	kind := flows.Kind(t.Flow)
	if info, ok := flows.LookupKind(t.Flow); ok {
		kind = info.Kind
	}
	f := &Flow{kind: kind, steps: make([]record.Step, len(t.Steps))}
	copy(f.steps, t.Steps)
	f.plan = make([]record.StepPlan, len(f.steps))
	for i, s := range f.steps {
		f.plan[i] = record.StepPlan{
			ID:     s.ID,
			Title:  s.Title,
			Arrows: append([]record.Arrow(nil), s.Arrows...),
			// Nothing is sent, so nothing can be read and edited first.
			Sends:    false,
			Optional: s.Status == record.StatusSkipped,
		}
	}
	return f
}

// Kind returns the recorded flow's kind.
func (f *Flow) Kind() flows.Kind { return f.kind }

// Plan returns the recorded steps, in order. A transcript holds only the steps that
// ran, so the plan of a flow that failed ends at the step that failed.
func (f *Flow) Plan() []record.StepPlan {
	out := make([]record.StepPlan, len(f.plan))
	for i, p := range f.plan {
		out[i] = p
		out[i].Arrows = append([]record.Arrow(nil), p.Arrows...)
	}
	return out
}

// Records returns the recorded steps replayed so far.
func (f *Flow) Records() []record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]record.Step, f.next)
	copy(out, f.steps[:f.next])
	return out
}

// Pending returns false: a replay sends nothing, so there is no request to edit.
func (f *Flow) Pending() (record.Request, bool) { return record.Request{}, false }

// Next returns the next recorded step, exactly as recorded. It makes no network call
// and ignores in: the recorded request was already sent. Like a live flow, a ctx
// already cancelled gives a record with an Error of kind canceled and does not move
// on, and Next after the last step returns a failed record with Index -1.
func (f *Flow) Next(ctx context.Context, _ flows.StepInput) record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next >= len(f.steps) {
		at := f.lastTime()
		msg := "the replay is at its end: every recorded step has been shown"
		return record.Step{
			Flow: string(f.kind), Index: -1, ID: "refused", Title: "Nothing to run",
			Status: record.StatusFailed, Explanation: msg,
			Error:   &record.Error{Kind: record.ErrConfig, Message: msg},
			Started: at, Finished: at,
		}
	}
	s := f.steps[f.next]
	if err := ctx.Err(); err != nil {
		msg := "cancelled before the step was replayed: " + err.Error()
		return record.Step{
			Flow: s.Flow, Index: s.Index, ID: s.ID, Title: s.Title,
			Status: record.StatusFailed, Explanation: msg,
			Error: &record.Error{Kind: record.ErrCanceled, Message: msg},
		}
	}
	f.next++
	f.tokens = tokensAfter(f.tokens, f.steps[:f.next])
	return s
}

// Done reports whether every recorded step has been replayed.
func (f *Flow) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next >= len(f.steps)
}

// Tokens returns the tokens the replayed steps obtained, read from their artifacts.
// Secrets masked in the transcript (the refresh token) are left empty rather than
// returned as the mask. Expiry is the recorded expires_in counted from the end of the
// step that received it.
func (f *Flow) Tokens() flows.Tokens {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

// lastTime is when the last replayed step finished, or the zero time: a replay has no
// clock of its own.
func (f *Flow) lastTime() time.Time {
	if f.next == 0 {
		return time.Time{}
	}
	return f.steps[f.next-1].Finished
}

// tokensAfter returns the tokens held after the last of steps, given those held
// before it. As in the engine, a step that received a token response replaces the
// tokens as a whole.
func tokensAfter(prev flows.Tokens, steps []record.Step) flows.Tokens {
	s := steps[len(steps)-1]
	at, okAT := s.Artifact("access_token")
	_, okType := s.Artifact("token_type")
	idt, okID := s.Artifact("id_token")
	if !okAT && !okType {
		// Not a token response. The ID token step shows the ID token again, verified;
		// an implicit id_token-only response brings nothing but an ID token.
		if okID && prev.IDToken == "" {
			prev.IDToken = idt.Value
		}
		return prev
	}
	t := flows.Tokens{AccessToken: at.Value, IDToken: idt.Value}
	if a, ok := s.Artifact("token_type"); ok {
		t.TokenType = a.Value
	}
	if a, ok := s.Artifact("refresh_token"); ok && a.Value != record.Mask {
		t.RefreshToken = a.Value
	}
	if a, ok := s.Artifact("expires_in"); ok {
		if n, err := strconv.ParseInt(a.Value, 10, 64); err == nil {
			end := s.Finished
			if end.IsZero() {
				end = s.Started
			}
			if !end.IsZero() {
				t.Expiry = end.Add(time.Duration(n) * time.Second)
			}
		}
	}
	if a, ok := s.Artifact("scope"); ok {
		t.Scope = a.Value
	} else {
		t.Scope = requestedScope(steps)
	}
	return t
}

// requestedScope is the scope of the last request that asked for one: what the
// engine reports when the provider does not say which scope it granted.
func requestedScope(steps []record.Step) string {
	for i := len(steps) - 1; i >= 0; i-- {
		if r := steps[i].Request; r != nil && r.Has("scope") {
			return r.Get("scope")
		}
	}
	return ""
}
