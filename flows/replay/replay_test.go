package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/replay"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// record runs a real flow with the engine against the bundled IdP (in httptest) and
// returns the flow and its transcript, read back from the JSON it was written as.
// edit, when set, changes the request of the step it names before it is sent.
func recordFlow(t *testing.T, kind flows.Kind, client flows.Client, reveal bool, edit func(record.Request) *record.Request) (flows.Flow, export.Transcript) {
	t.Helper()
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	defer srv.Close() // the replay runs with the provider gone
	client.RedirectURI = "http://127.0.0.1/callback"
	scopes := []string{"openid", "profile", "email", "offline_access"}
	if kind == flows.KindClientCredentials {
		scopes = []string{"api:read"}
	}
	f, err := flows.New(kind, flows.Config{
		Provider:   flows.Provider{Name: "bundled IdP", Issuer: srv.URL},
		Client:     client,
		Scopes:     scopes,
		Authorizer: &useragent.Agent{Username: "alice", Password: "alice"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; !f.Done(); i++ {
		if i > 20 {
			t.Fatal("flow does not end")
		}
		var in flows.StepInput
		if p, ok := f.Pending(); ok && edit != nil {
			in.Request = edit(p)
		}
		f.Next(context.Background(), in)
	}
	var buf bytes.Buffer
	tr := export.New(string(kind), "bundled IdP ("+srv.URL+")", f.Records(), time.Now(), reveal)
	if err := export.WriteJSON(&buf, tr); err != nil {
		t.Fatal(err)
	}
	back, err := export.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return f, back
}

// failingTransport fails the test if anything tries to use the network.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("the replay made an HTTP request: %s %s", r.Method, r.URL)
	return nil, http.ErrNotSupported
}

// noNetwork makes the default transport fail the test: a replay is given no HTTP
// client at all, so this catches anything that would reach for the default one.
// Tests that call it do not run in parallel.
func noNetwork(t *testing.T) {
	old := http.DefaultTransport
	http.DefaultTransport = failingTransport{t}
	t.Cleanup(func() { http.DefaultTransport = old })
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replayAll drives f to its end as headless mode does, returning every record Next
// gave and checking the flow's state on the way.
func replayAll(t *testing.T, f flows.Flow) []record.Step {
	t.Helper()
	var got []record.Step
	for i := 0; !f.Done(); i++ {
		if i > 50 {
			t.Fatal("the replay does not end")
		}
		if _, ok := f.Pending(); ok {
			t.Fatalf("step %d: Pending returned a request; a replay is read-only", i)
		}
		got = append(got, f.Next(context.Background(), flows.StepInput{}))
		if n := len(f.Records()); n != len(got) {
			t.Fatalf("after %d Next calls Records has %d steps", len(got), n)
		}
	}
	return got
}

// TestReplayWalksARecordedFlowVerbatim: a real PKCE flow recorded against the bundled
// IdP, written as JSON and read back, replays step by step: Next returns the recorded
// records in order, exactly as the engine made them (masked), with nothing pending and
// no network.
func TestReplayWalksARecordedFlowVerbatim(t *testing.T) {
	live, tr := recordFlow(t, flows.KindPKCE, flows.Client{ID: "native-app"}, false, nil)
	noNetwork(t)

	f := replay.New(tr)
	if f.Kind() != flows.KindPKCE {
		t.Errorf("Kind = %q", f.Kind())
	}
	if f.Done() || len(f.Records()) != 0 {
		t.Fatal("a new replay has already run steps")
	}
	livePlan := map[string]record.StepPlan{}
	for _, p := range live.Plan() {
		livePlan[p.ID] = p
	}
	plan := f.Plan()
	if len(plan) != len(tr.Steps) {
		t.Fatalf("plan has %d steps, transcript %d", len(plan), len(tr.Steps))
	}
	for i, p := range plan {
		if p.ID != tr.Steps[i].ID || p.Title != tr.Steps[i].Title || p.Sends {
			t.Errorf("plan[%d] = %+v, want the recorded step %q, sending nothing", i, p, tr.Steps[i].ID)
		}
		if want := livePlan[p.ID]; !reflect.DeepEqual(p.Arrows, want.Arrows) {
			t.Errorf("plan[%d] arrows = %v, want the live flow's %v", i, p.Arrows, want.Arrows)
		}
	}

	got := replayAll(t, f)
	if !reflect.DeepEqual(got, tr.Steps) {
		t.Errorf("replayed records differ from the transcript's:\n got  %s\n want %s", jsonOf(t, got), jsonOf(t, tr.Steps))
	}
	if !reflect.DeepEqual(f.Records(), tr.Steps) {
		t.Error("Records differ from the transcript's steps")
	}
	var masked []record.Step
	for _, s := range live.Records() {
		masked = append(masked, s.Redacted())
	}
	if g, w := jsonOf(t, got), jsonOf(t, masked); g != w {
		t.Errorf("replayed records differ from the live flow's (masked):\n got  %s\n want %s", g, w)
	}

	lt, rt := live.Tokens(), f.Tokens()
	if rt.AccessToken == "" || rt.AccessToken != lt.AccessToken || rt.IDToken != lt.IDToken || rt.TokenType != lt.TokenType || rt.Scope != lt.Scope {
		t.Errorf("Tokens = %+v, want the live flow's %+v", rt, lt)
	}
	if lt.RefreshToken == "" {
		t.Error("the live flow got no refresh token: the masking check below proves nothing")
	}
	if rt.RefreshToken != "" {
		t.Errorf("RefreshToken = %q: a masked transcript has no refresh token to give", rt.RefreshToken)
	}
	if d := rt.Expiry.Sub(lt.Expiry); lt.Expiry.IsZero() || d < -time.Second || d > time.Second {
		t.Errorf("Expiry = %v, want about %v", rt.Expiry, lt.Expiry)
	}

	after := f.Next(context.Background(), flows.StepInput{})
	if after.Index != -1 || !after.Failed() || after.Error == nil {
		t.Errorf("Next after the end = %+v, want a failed record with Index -1", after)
	}
	if len(f.Records()) != len(tr.Steps) || !f.Done() {
		t.Error("Next after the end changed the replay")
	}
}

// TestReplayRevealedTokens: a transcript written with secrets revealed gives back the
// refresh token too.
func TestReplayRevealedTokens(t *testing.T) {
	live, tr := recordFlow(t, flows.KindAuthorizationCode, flows.Client{ID: "web-app", Secret: "web-app-secret"}, true, nil)
	f := replay.New(tr)
	replayAll(t, f)
	lt, rt := live.Tokens(), f.Tokens()
	if rt.RefreshToken == "" || rt.RefreshToken != lt.RefreshToken {
		t.Errorf("RefreshToken = %q, want %q", rt.RefreshToken, lt.RefreshToken)
	}
}

// TestReplayFailedFlow: a flow that failed (the provider refused a tampered PKCE
// verifier) replays up to the failed step, which ends it, as recorded.
func TestReplayFailedFlow(t *testing.T) {
	_, tr := recordFlow(t, flows.KindPKCE, flows.Client{ID: "native-app"}, false, func(r record.Request) *record.Request {
		if !r.Has("code_verifier") {
			return nil
		}
		w := r.With("code_verifier", "wrong-wrong-wrong-wrong-wrong-wrong-wrong-wrong")
		return &w
	})
	last := tr.Steps[len(tr.Steps)-1]
	if !last.Failed() {
		t.Fatalf("the tampered flow did not fail: last step %s is %s", last.ID, last.Status)
	}
	noNetwork(t)
	f := replay.New(tr)
	got := replayAll(t, f)
	if !reflect.DeepEqual(got, tr.Steps) {
		t.Error("replayed records differ from the transcript's")
	}
	if g := got[len(got)-1]; !g.Failed() || len(g.Edited) == 0 {
		t.Errorf("last replayed step = %s (edited %v), want the failed token request with its edit", g.Status, g.Edited)
	}
	if p := f.Plan(); p[len(p)-1].ID != last.ID {
		t.Errorf("the plan ends at %q, want the failed step %q", p[len(p)-1].ID, last.ID)
	}
	if tok := f.Tokens(); tok.AccessToken != "" {
		t.Errorf("Tokens = %+v after a refused token request", tok)
	}
}

// TestReplayIgnoresInputAndHonoursCancel: the replay is read-only and, like a live
// flow, a cancelled context leaves it where it was.
func TestReplayIgnoresInputAndHonoursCancel(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	steps := []record.Step{
		{Flow: "cc", Index: 0, ID: "token", Title: "Token request", Status: record.StatusDone,
			Request: &record.Request{StepID: "token", Method: "POST", URL: "https://idp.example/token",
				Params: []record.Param{{Name: "grant_type", Value: "client_credentials"}, {Name: "scope", Value: "api:read"}}},
			Artifacts: []record.Artifact{{Name: "access_token", Value: "at-1"}, {Name: "token_type", Value: "Bearer"}, {Name: "expires_in", Value: "3600"}},
			Started:   now, Finished: now.Add(time.Millisecond)},
	}
	f := replay.New(export.Transcript{Flow: "cc", Steps: steps})
	if f.Kind() != flows.KindClientCredentials {
		t.Errorf("Kind = %q, want the alias resolved", f.Kind())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := f.Next(ctx, flows.StepInput{}); r.Error == nil || r.Error.Kind != record.ErrCanceled {
		t.Errorf("Next with a cancelled context = %+v, want a canceled record", r)
	}
	if len(f.Records()) != 0 || f.Done() {
		t.Fatal("a cancelled Next moved the replay on")
	}
	edited := steps[0].Request.With("scope", "admin")
	r := f.Next(context.Background(), flows.StepInput{Request: &edited})
	if !reflect.DeepEqual(r, steps[0]) {
		t.Errorf("Next with an edited request = %+v, want the recorded step", r)
	}
	want := flows.Tokens{AccessToken: "at-1", TokenType: "Bearer", Scope: "api:read", Expiry: now.Add(time.Millisecond + time.Hour)}
	if got := f.Tokens(); got != want {
		t.Errorf("Tokens = %+v, want %+v", got, want)
	}
	if !f.Done() {
		t.Error("not done after the last step")
	}
}

// TestReplayEmpty: a transcript with no steps is done from the start.
func TestReplayEmpty(t *testing.T) {
	f := replay.New(export.Transcript{Flow: "pkce"})
	if !f.Done() || len(f.Plan()) != 0 {
		t.Error("an empty replay has steps")
	}
	if r := f.Next(context.Background(), flows.StepInput{}); r.Index != -1 {
		t.Errorf("Next = %+v", r)
	}
}
