package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/lesson"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/tui"
)

// lessonInfo describes a lesson for the explorer.
func lessonInfo(l lesson.Lesson) tui.LessonInfo {
	info := tui.LessonInfo{
		Name: l.Name, Title: l.Title, Summary: l.Summary, Topic: l.Topic, Attack: l.Attack,
		Kind: l.Kind, Setup: l.SetupLines(), Expect: l.ExpectLine(),
		DefenceBy: l.Defence.By, Defence: l.Defence.Explanation,
	}
	for _, q := range l.Defence.Quotes {
		info.Quotes = append(info.Quotes, tui.LessonQuote{Ref: q.Ref().String(), Title: q.Title, Text: q.Text, URL: q.URL})
	}
	if l.Contrast != nil {
		info.Contrast = l.Contrast.Title + " (fault " + strings.Join(l.Contrast.Faults, ", ") + " on)"
	}
	return info
}

// lessonInfos lists every lesson for the explorer's menu.
func lessonInfos() []tui.LessonInfo {
	var out []tui.LessonInfo
	for _, l := range lesson.All() {
		out = append(out, lessonInfo(l))
	}
	return out
}

// lessonStarter starts lessons for the explorer, each against a bundled IdP of its
// own: a lesson switches faults on and may move the clock (clock-skew), which must
// not leak into the flows explored beside it. The previous lesson's IdP is stopped
// when the next one starts, and the last one by close.
type lessonStarter struct {
	mu  sync.Mutex
	idp *wiring
}

func (s *lessonStarter) start(name string) (tui.LessonFlow, error) {
	l, ok := lesson.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no lesson %q (oauthx lesson lists them)", name)
	}
	w, err := newWiring()
	if err != nil {
		return nil, fmt.Errorf("starting a bundled IdP for the lesson: %w", err)
	}
	s.mu.Lock()
	if s.idp != nil {
		s.idp.close()
	}
	s.idp = w
	s.mu.Unlock()
	r, err := lesson.Start(l, bundledLessonEnv(w))
	if err != nil {
		return nil, err
	}
	return &lessonFlow{r: r, l: l, info: lessonInfo(l), issuer: w.issuer}, nil
}

func (s *lessonStarter) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idp != nil {
		s.idp.close()
		s.idp = nil
	}
}

// lessonFlow is a lesson run as one flow for the explorer: the parts of the lesson
// (the victim's session, the attack, what it left behind, the contrast) one after the
// other. Step ids carry their part ("victim/callback", "attack/token"), so each step
// of the run is unique, and records are numbered across the parts. The lesson applies
// its own edits: the StepInput of Next is ignored.
type lessonFlow struct {
	mu     sync.Mutex // one Next at a time; the other methods wait for it
	r      *lesson.Runner
	l      lesson.Lesson
	info   tui.LessonInfo
	issuer string
	// setup is the failed step that says why the lesson could not go on.
	setup *record.Step
}

var _ tui.LessonFlow = (*lessonFlow)(nil)

func partID(role lesson.Role, id string) string { return string(role) + "/" + id }

func (f *lessonFlow) Kind() flows.Kind { return f.info.Kind }

func (f *lessonFlow) Plan() []record.StepPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.planLocked()
}

func (f *lessonFlow) planLocked() []record.StepPlan {
	var out []record.StepPlan
	for _, p := range f.r.Plan() {
		sp := p.StepPlan
		sp.ID = partID(p.Role, sp.ID)
		out = append(out, sp)
	}
	if f.setup != nil {
		out = append(out, record.StepPlan{ID: f.setup.ID, Title: f.setup.Title})
	}
	return out
}

func (f *lessonFlow) Records() []record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recordsLocked()
}

func (f *lessonFlow) recordsLocked() []record.Step {
	var out []record.Step
	for _, p := range f.r.Result().Parts {
		for _, rec := range p.Records {
			rec.ID = partID(p.Role, rec.ID)
			rec.Index = len(out)
			out = append(out, rec)
		}
	}
	if f.setup != nil {
		s := *f.setup
		s.Index = len(out)
		out = append(out, s)
	}
	return out
}

func (f *lessonFlow) Pending() (record.Request, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, _, ok := f.r.Pending()
	return req, ok
}

// Next runs the lesson's next step with the lesson's edits, and the person's own
// on top when in carries their request (the attack's parts only).
func (f *lessonFlow) Next(ctx context.Context, in flows.StepInput) record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.r.Done() {
		return record.Step{Index: -1, ID: "refused", Title: "Nothing to run", Status: record.StatusFailed,
			Error: &record.Error{Kind: record.ErrConfig, Message: "the lesson is over"}}
	}
	role, rec, err := f.r.NextWith(ctx, in.Request)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "cancelled"
		}
		f.setup = &record.Step{Flow: string(f.info.Kind), ID: "lesson/setup", Title: "The lesson could not go on",
			Status: record.StatusFailed, Explanation: msg,
			Error: &record.Error{Kind: record.ErrConfig, Message: msg}}
		recs := f.recordsLocked()
		return recs[len(recs)-1]
	}
	if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
		rec.ID = partID(role, rec.ID)
		return rec // not recorded: the step can run again
	}
	id := partID(role, rec.ID)
	recs := f.recordsLocked()
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].ID == id {
			return recs[i]
		}
	}
	rec.ID = id
	return rec
}

func (f *lessonFlow) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r.Done()
}

func (f *lessonFlow) Tokens() flows.Tokens {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r.Tokens()
}

// Lesson reports the run's progress: its parts, the pending edits and the verdicts.
func (f *lessonFlow) Lesson() tui.LessonStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := tui.LessonStatus{Info: f.info, Issuer: f.issuer}
	var last lesson.Role
	for i, p := range f.r.Plan() {
		if i == 0 || p.Role != last {
			part := tui.LessonPart{Title: p.Title, First: i, Attack: p.Role == lesson.RoleAttack,
				Editable: p.Role == lesson.RoleAttack || p.Role == lesson.RoleContrast}
			switch p.Role {
			case lesson.RoleAttack:
				part.Faults = f.l.Setup.Faults
			case lesson.RoleContrast:
				part.Faults = slices.Concat(f.l.Setup.Faults, f.l.Contrast.Faults)
			}
			st.Parts = append(st.Parts, part)
			last = p.Role
		}
	}
	if _, edits, ok := f.r.Pending(); ok {
		st.Edits = edits
	}
	res := f.r.Result()
	if v := res.Verdict; v.Outcome != "" {
		st.Verdict = &tui.LessonVerdict{OK: v.Caught(), Step: partID(lesson.RoleAttack, v.Step),
			By: v.By, Reason: v.Reason, Spec: v.Spec, Summary: v.Summary, Aftermath: v.Aftermath, Own: v.Own}
	}
	if c := res.Contrast; c != nil {
		st.Contrast = &tui.LessonVerdict{OK: c.Outcome == lesson.Through, Step: partID(lesson.RoleContrast, c.Step),
			By: c.By, Reason: c.Reason, Spec: c.Spec, Summary: c.Summary, Aftermath: c.Aftermath, Own: c.Own}
	}
	return st
}
