package tui

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// tokenFlow is a fakeFlow that holds tokens once its step at has run, as an engine
// flow does after its token step.
type tokenFlow struct {
	*fakeFlow
	at   int
	toks flows.Tokens
}

func (f *tokenFlow) Tokens() flows.Tokens {
	if len(f.Records()) > f.at {
		return f.toks
	}
	return flows.Tokens{}
}

// followUpFlow is a fake follow-up: it holds the tokens it was started with until its
// step at has run, then toks.
type followUpFlow struct {
	*fakeFlow
	at       int
	given    flows.Tokens
	toks     flows.Tokens
	hasToken bool
}

func (f *followUpFlow) Tokens() flows.Tokens {
	if f.hasToken && len(f.Records()) > f.at {
		return f.toks
	}
	return f.given
}

var (
	heldAT = "at-2YotnFZFEjr1zCsicMWpAA"
	heldRT = "rt-tGzv3JOkF0XG5Qx2TlKWIA"
)

// lifecycleHarness is the PKCE script with tokens from its token step, a clock the
// test moves, the fake faults' offset as the IdP's clock offset, and follow-ups built
// by build (recorded in reqs).
type lifecycleHarness struct {
	*harness
	mu    sync.Mutex
	now   time.Time
	reqs  []FollowUpRequest
	build func(FollowUpRequest) flows.Flow
}

func (l *lifecycleHarness) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

func (l *lifecycleHarness) tick(d time.Duration) {
	l.mu.Lock()
	l.now = l.now.Add(d)
	l.mu.Unlock()
	l.run(l.send(timelineTickMsg{gen: l.m.timeline.gen}))
}

func newLifecycle(t testing.TB, toks flows.Tokens) *lifecycleHarness {
	t.Helper()
	l := &lifecycleHarness{now: testNow}
	l.harness = newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.Now = l.clock
		// The PKCE flow holds tokens from its token step (index 5) on.
		o.NewFlow = func(_ ProviderChoice, k flows.Kind) (flows.Flow, error) {
			f := pkceScript(-1, 600)
			f.kind = k
			return &tokenFlow{fakeFlow: f, at: 5, toks: toks}, nil
		}
		o.FollowUp = func(_ ProviderChoice, req FollowUpRequest) (flows.Flow, error) {
			l.mu.Lock()
			l.reqs = append(l.reqs, req)
			build := l.build
			l.mu.Unlock()
			if build == nil {
				return nil, errors.New("no follow-up scripted")
			}
			return build(req), nil
		}
	})
	// The fake faults' clock moves stand for the bundled IdP's clock offset.
	l.m.opts.ClockOffset = func() time.Duration {
		l.fault.mu.Lock()
		defer l.fault.mu.Unlock()
		return l.fault.advanced
	}
	l.size(100, 30)
	for range 7 {
		l.patient("n")
	}
	if !l.m.walk.snap.done {
		t.Fatal("the flow did not finish")
	}
	return l
}

// refreshScript is a refresh follow-up: discovery, then a refresh that rotates the
// refresh token.
func refreshScript(given flows.Tokens, newAT, newRT string, exp time.Time) *followUpFlow {
	plan := []record.StepPlan{
		{ID: "discovery", Title: "Discover the provider"},
		{ID: "refresh", Title: "Refresh the tokens", Sends: true},
	}
	refresh := record.Step{Index: 1, ID: "refresh", Title: "Refresh the tokens", Status: record.StatusDone,
		Artifacts: []record.Artifact{
			{Name: "access_token", Value: newAT, Token: &record.Token{Format: record.FormatJWT,
				Claims: []record.Claim{{Name: "exp", Time: tp(exp), Display: exp.Format(time.RFC3339)}}}},
			{Name: "refresh_token", Value: newRT, Secret: true},
			{Name: "refresh_chain", Value: tokenFingerprint(given.RefreshToken) + " (spent) → " + tokenFingerprint(newRT) + " (current)"},
		}}
	f := &fakeFlow{kind: flows.KindRefresh, plan: plan, script: []record.Step{
		{Index: 0, ID: "discovery", Title: "Discover the provider", Status: record.StatusDone}, refresh},
		pending: map[int]record.Request{1: {Method: "POST", URL: "http://127.0.0.1:9999/token", Params: []record.Param{
			{Name: "grant_type", Value: "refresh_token"}, {Name: "refresh_token", Value: given.RefreshToken}}}}}
	toks := given
	toks.AccessToken, toks.RefreshToken, toks.Expiry = newAT, newRT, exp
	return &followUpFlow{fakeFlow: f, at: 1, given: given, toks: toks, hasToken: true}
}

func TestFollowUpMenuRunsRefreshAndShowsTheChain(t *testing.T) {
	held := flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, IDToken: "id-token", Expiry: testNow.Add(time.Hour)}
	l := newLifecycle(t, held)
	if !l.m.keys.FollowUps.Enabled() {
		t.Fatal("t is not offered on a finished flow holding tokens")
	}
	if !strings.Contains(l.screen(), "t follow-ups") {
		t.Errorf("the help line does not offer the follow-ups:\n%s", l.screen())
	}
	l.patient("t")
	if l.m.screen != screenFollowUps {
		t.Fatalf("t opened screen %v", l.m.screen)
	}
	scr := l.screen()
	for _, k := range flows.FollowUps() {
		if !strings.Contains(scr, k.Title) {
			t.Errorf("the menu lacks %q:\n%s", k.Title, scr)
		}
	}
	if !strings.Contains(scr, tokenFingerprint(heldRT)) {
		t.Errorf("the menu does not name the tokens held:\n%s", scr)
	}
	newAT, newRT := "at-new-after-refresh", "rt-new-after-refresh"
	l.build = func(req FollowUpRequest) flows.Flow {
		return refreshScript(req.Tokens, newAT, newRT, testNow.Add(2*time.Hour))
	}
	// Down to Refresh (after Call an API), and run it.
	for l.m.follow.selected().Kind != flows.KindRefresh {
		l.patient("down")
	}
	l.patient("enter")
	if len(l.reqs) != 1 {
		t.Fatalf("FollowUp called %d times", len(l.reqs))
	}
	req := l.reqs[0]
	if req.Kind != flows.KindRefresh || req.From != flows.KindPKCE || req.Tokens.RefreshToken != heldRT {
		t.Errorf("FollowUp got %+v", req)
	}
	if l.m.screen != screenWalk || l.m.walk.kind.Kind != flows.KindRefresh {
		t.Fatalf("the follow-up is not walked: screen %v, kind %q", l.m.screen, l.m.walk.kind.Kind)
	}
	if !strings.Contains(l.screen(), "Refresh") || !strings.Contains(l.screen(), "Refresh the tokens") {
		t.Errorf("the walkthrough does not show the refresh:\n%s", l.screen())
	}
	walkTo(l.harness, 2)
	if got := l.m.ledger.current.RefreshToken; got != newRT {
		t.Errorf("after the refresh the session holds refresh token %q, want the new one", got)
	}
	// The timeline shows the chain: the old one spent, the new one current.
	l.patient("T")
	if l.m.screen != screenTimeline {
		t.Fatalf("T opened screen %v", l.m.screen)
	}
	scr = l.screen()
	chain := tokenFingerprint(heldRT) + " (spent) → " + tokenFingerprint(newRT) + " (current)"
	if !strings.Contains(scr, chain) {
		t.Errorf("the timeline lacks the chain %q:\n%s", chain, scr)
	}
	if !strings.Contains(scr, "spent: rotated away by Refresh") {
		t.Errorf("the timeline does not say the old refresh token is dead:\n%s", scr)
	}
	// esc back to the refresh, esc again to the follow-ups: to run another.
	l.patient("esc")
	if l.m.screen != screenWalk {
		t.Fatalf("esc from the timeline went to %v", l.m.screen)
	}
	l.patient("esc")
	if l.m.screen != screenFollowUps {
		t.Errorf("esc from a follow-up went to %v, want the follow-ups", l.m.screen)
	}
	// A second follow-up starts from the tokens the refresh left.
	l.build = func(req FollowUpRequest) flows.Flow {
		return refreshScript(req.Tokens, "at-3", "rt-3", testNow.Add(3*time.Hour))
	}
	l.patient("enter")
	if n := len(l.reqs); n != 2 || l.reqs[1].Tokens.RefreshToken != newRT {
		t.Errorf("the second follow-up got %+v, want the rotated refresh token", l.reqs[n-1].Tokens)
	}
}

func TestFollowUpsNeedTheTokensTheyUse(t *testing.T) {
	l := newLifecycle(t, flows.Tokens{AccessToken: heldAT}) // no refresh token, no ID token
	l.patient("t")
	scr := l.screen()
	if !strings.Contains(scr, "no refresh token") || !strings.Contains(scr, "no ID token") {
		t.Errorf("the menu does not say why refresh and logout cannot run:\n%s", scr)
	}
	for l.m.follow.selected().Kind != flows.KindRefresh {
		l.patient("down")
	}
	l.patient("enter")
	if len(l.reqs) != 0 || l.m.screen != screenFollowUps {
		t.Errorf("a refresh without a refresh token was started (%d requests)", len(l.reqs))
	}
	if !l.m.statusErr || !strings.Contains(l.m.status, "no refresh token") {
		t.Errorf("status = %q", l.m.status)
	}
	// Introspect and revoke work on the token chosen with ←/→.
	for l.m.follow.selected().Kind != flows.KindIntrospect {
		l.patient("down")
	}
	l.patient("right")
	if l.m.follow.token != flows.TokenRefresh {
		t.Fatalf("→ chose %q", l.m.follow.token)
	}
	if !strings.Contains(l.screen(), "no refresh token held") {
		t.Errorf("introspecting the absent refresh token is not refused:\n%s", l.screen())
	}
	l.patient("left")
	l.build = func(req FollowUpRequest) flows.Flow {
		return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindIntrospect,
			plan:   []record.StepPlan{{ID: "introspect", Title: "Introspect the access token", Sends: true}},
			script: []record.Step{{ID: "introspect", Title: "Introspect the access token", Status: record.StatusDone}}}, given: req.Tokens}
	}
	l.patient("enter")
	if len(l.reqs) != 1 || l.reqs[0].Kind != flows.KindIntrospect || l.reqs[0].Token != flows.TokenAccess {
		t.Errorf("introspect request = %+v", l.reqs)
	}
}

func TestCallAPIAsksForTheURL(t *testing.T) {
	l := newLifecycle(t, flows.Tokens{AccessToken: heldAT})
	l.patient("t")
	if l.m.follow.selected().Kind != flows.KindCallAPI {
		t.Fatalf("the menu starts on %q", l.m.follow.selected().Kind)
	}
	if !strings.Contains(l.screen(), "http://127.0.0.1:9999/api/me") {
		t.Errorf("the bundled IdP's demo API is not the default URL:\n%s", l.screen())
	}
	l.patient("enter")
	if !l.m.follow.typing || !l.m.typing() {
		t.Fatal("enter on Call an API does not edit the URL")
	}
	// q is typed into the URL, not a quit.
	l.m.follow.url.SetValue("POST http://127.0.0.1:9999/api/notes")
	l.m.follow.url.CursorEnd()
	l.typeText("?q=1")
	l.build = func(req FollowUpRequest) flows.Flow {
		return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindCallAPI,
			plan:   []record.StepPlan{{ID: "call-api", Title: "Call the API", Sends: true}},
			script: []record.Step{{ID: "call-api", Title: "Call the API", Status: record.StatusDone}}}, given: req.Tokens}
	}
	l.patient("enter")
	if len(l.reqs) != 1 {
		t.Fatalf("FollowUp called %d times; status %q, url %q", len(l.reqs), l.m.status, l.m.follow.url.Value())
	}
	if r := l.reqs[0]; r.Kind != flows.KindCallAPI || r.APIURL != "http://127.0.0.1:9999/api/notes?q=1" || r.APIMethod != "POST" {
		t.Errorf("call-api request = %+v", r)
	}
}

func TestTimelineTicksAndFollowsTheIdPClock(t *testing.T) {
	// The access token expires in an hour by the engine's count (opaque: expires_in).
	held := flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, Expiry: testNow.Add(time.Hour)}
	l := newLifecycle(t, held)
	l.patient("T")
	cmd := l.send(keyPress("T")) // closes
	if cmd != nil || l.m.screen != screenWalk {
		t.Fatalf("T again did not close the timeline")
	}
	cmd = l.send(keyPress("T"))
	if cmd == nil {
		t.Fatal("opening the timeline starts no tick")
	}
	if !strings.Contains(l.screen(), "expires in 1h 00m 00s") {
		t.Errorf("the timeline does not count down from an hour:\n%s", l.screen())
	}
	// A tick a second later shows one second less.
	l.tick(time.Second)
	if !strings.Contains(l.screen(), "expires in 59m 59s") {
		t.Errorf("the tick did not move the countdown:\n%s", l.screen())
	}
	// A tick of an earlier visit is dropped and does not tick again.
	if cmd := l.send(timelineTickMsg{gen: l.m.timeline.gen - 1}); cmd != nil {
		t.Error("a stale tick scheduled another")
	}
	// + moves the IdP's clock an hour forward: the access token is expired by it.
	if !l.m.keys.Advance.Enabled() {
		t.Fatal("+ is not offered on the timeline of the bundled IdP")
	}
	l.patient("+")
	if l.fault.advanced != time.Hour {
		t.Fatalf("the IdP clock moved %s", l.fault.advanced)
	}
	scr := l.screen()
	if !strings.Contains(scr, "expired 1s ago") || !strings.Contains(scr, "+1h0m0s ahead") {
		t.Errorf("after +1h the access token is not shown expired by the IdP's clock:\n%s", scr)
	}
	if !strings.Contains(scr, "clock moved 1h0m0s forward") {
		t.Errorf("the history does not record the clock move:\n%s", scr)
	}
	// Leaving the timeline stops the ticks.
	gen := l.m.timeline.gen
	l.patient("esc")
	if cmd := l.send(timelineTickMsg{gen: gen}); cmd != nil {
		t.Error("the timeline keeps ticking after it was left")
	}
}

func TestTimelineMarksRevokedAndUnsupported(t *testing.T) {
	held := flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT}
	l := newLifecycle(t, held)
	l.build = func(req FollowUpRequest) flows.Flow {
		switch req.Kind {
		case flows.KindRevoke:
			return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindRevoke,
				plan: []record.StepPlan{{ID: "revoke", Title: "Revoke the token"}, {ID: "introspect-again", Title: "Introspect it again"}},
				script: []record.Step{
					{ID: "revoke", Title: "Revoke the token", Status: record.StatusDone,
						Artifacts: []record.Artifact{{Name: "revoked", Value: tokenFingerprint(req.Tokens.AccessToken)}}},
					{ID: "introspect-again", Title: "Introspect it again", Status: record.StatusDone,
						Artifacts: []record.Artifact{{Name: "introspection", Value: `{"active":false}`,
							Token: &record.Token{Format: record.FormatOpaque, Claims: []record.Claim{{Name: "active", Value: false, Display: "false"}}}}}},
				}}, given: req.Tokens}
		default: // introspect: the provider has no endpoint
			return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindIntrospect,
				plan: []record.StepPlan{{ID: "introspect", Title: "Introspect the access token"}},
				script: []record.Step{{ID: "introspect", Title: "Introspect the access token", Status: record.StatusSkipped,
					Explanation: "Ask the provider.\n\nSkipped: the provider advertises no introspection_endpoint"}}}, given: req.Tokens}
		}
	}
	l.patient("t")
	for l.m.follow.selected().Kind != flows.KindIntrospect {
		l.patient("down")
	}
	l.patient("enter", "n", "esc")
	if !strings.Contains(l.screen(), "not offered by this provider: the provider advertises no introspection_endpoint") {
		t.Errorf("the menu does not say introspection is not offered:\n%s", l.screen())
	}
	for l.m.follow.selected().Kind != flows.KindRevoke {
		l.patient("down")
	}
	l.patient("enter", "n", "n", "T")
	scr := l.screen()
	if !strings.Contains(scr, "revoked (RFC 7009)") {
		t.Errorf("the revoked access token is not shown dead:\n%s", scr)
	}
	if !strings.Contains(scr, "Not offered by this provider") {
		t.Errorf("the timeline does not list what the provider lacks:\n%s", scr)
	}
	if strings.Contains(scr, "neither introspection") {
		t.Error("the provider revokes, yet the timeline says it offers neither introspection nor revocation")
	}
	i := l.m.ledger.find("access_token", heldAT)
	if i < 0 || l.m.ledger.tokens[i].state != tokenDead {
		t.Errorf("the access token is not dead in the ledger: %+v", l.m.ledger.tokens)
	}
}

func TestNeitherIntrospectionNorRevocationIsSaid(t *testing.T) {
	l := newLifecycle(t, flows.Tokens{AccessToken: heldAT})
	l.build = func(req FollowUpRequest) flows.Flow {
		return &followUpFlow{fakeFlow: &fakeFlow{kind: req.Kind,
			plan: []record.StepPlan{{ID: string(req.Kind), Title: "Try it"}},
			script: []record.Step{{ID: string(req.Kind), Title: "Try it", Status: record.StatusSkipped,
				Explanation: "Skipped: the provider advertises no " + string(req.Kind) + " endpoint"}}}, given: req.Tokens}
	}
	l.patient("t")
	for _, k := range []flows.Kind{flows.KindIntrospect, flows.KindRevoke} {
		for l.m.follow.selected().Kind != k {
			l.patient("down")
		}
		l.patient("enter", "n", "esc")
	}
	if !strings.Contains(l.screen(), "offers neither introspection nor revocation") {
		t.Errorf("the menu does not say the provider offers neither:\n%s", l.screen())
	}
	l.patient("T")
	if !strings.Contains(l.screen(), "neither introspection (RFC 7662) nor revocation (RFC 7009)") {
		t.Errorf("the timeline does not say the provider offers neither:\n%s", l.screen())
	}
}

func TestIntrospectionTellsTheRefreshTokensExpiry(t *testing.T) {
	l := newLifecycle(t, flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, Scope: "openid offline_access api:read"})
	exp := testNow.Add(30 * 24 * time.Hour)
	l.build = func(req FollowUpRequest) flows.Flow {
		return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindIntrospect,
			plan: []record.StepPlan{{ID: "introspect", Title: "Introspect the refresh token"}},
			script: []record.Step{{ID: "introspect", Title: "Introspect the refresh token", Status: record.StatusDone,
				Artifacts: []record.Artifact{{Name: "introspection", Value: `{"active":true}`,
					Token: &record.Token{Format: record.FormatOpaque, Claims: []record.Claim{
						{Name: "active", Value: true, Display: "true"},
						{Name: "exp", Time: &exp, Display: exp.Format(time.RFC3339)}}}}}}}}, given: req.Tokens}
	}
	l.patient("t")
	for l.m.follow.selected().Kind != flows.KindIntrospect {
		l.patient("down")
	}
	l.patient("right", "enter", "n", "T")
	if len(l.reqs) != 1 || l.reqs[0].Token != flows.TokenRefresh {
		t.Fatalf("requests = %+v", l.reqs)
	}
	scr := l.screen()
	for _, want := range []string{"expires in 30d 0h", "exp 2026-12-23 10:00:00 (introspection)", "introspected 10:00:00: active true", "scope openid offline_access api:read"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, scr)
		}
	}
}

func TestLogoutForgetsTheTokens(t *testing.T) {
	l := newLifecycle(t, flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, IDToken: "id-token"})
	l.build = func(req FollowUpRequest) flows.Flow {
		return &followUpFlow{fakeFlow: &fakeFlow{kind: flows.KindLogout,
			plan:   []record.StepPlan{{ID: "logged-out", Title: "Check the redirect back"}},
			script: []record.Step{{ID: "logged-out", Title: "Check the redirect back", Status: record.StatusDone}}},
			given: req.Tokens, hasToken: true} // and no tokens after its step: the engine forgot them
	}
	l.patient("t")
	for l.m.follow.selected().Kind != flows.KindLogout {
		l.patient("down")
	}
	l.patient("enter", "n")
	if l.m.ledger.holds() || l.m.keys.FollowUps.Enabled() {
		t.Error("after logout the session still holds tokens to follow up on")
	}
	if !strings.Contains(l.screen(), "esc the other follow-ups") {
		t.Errorf("a finished follow-up does not say where esc goes:\n%s", l.screen())
	}
	l.patient("T")
	scr := l.screen()
	if !strings.Contains(scr, "nothing usable") || !strings.Contains(scr, "forgotten by the client (Logout)") {
		t.Errorf("the timeline does not show the tokens forgotten at logout:\n%s", scr)
	}
}

func TestCountdown(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{59*time.Minute + 59*time.Second, "in 59m 59s"},
		{time.Hour, "in 1h 00m 00s"},
		{5 * time.Second, "in 5s"},
		{0, "in 0s"},
		{-61 * time.Second, "1m 01s ago"},
		{50 * time.Hour, "in 2d 2h"},
		{1500 * time.Millisecond, "in 1s"},
	} {
		if got := countdown(testNow.Add(c.d), testNow); got != c.want {
			t.Errorf("countdown(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

// BenchmarkTimelineTick is the timeline's once-a-second tick and the frame it causes.
func BenchmarkTimelineTick(b *testing.B) {
	l := newLifecycle(b, flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, IDToken: "id", Expiry: testNow.Add(time.Hour)})
	l.size(120, 40)
	l.patient("T")
	m := l.m
	b.ReportAllocs()
	for b.Loop() {
		mm, _ := m.Update(timelineTickMsg{gen: m.timeline.gen})
		m = mm.(Model)
		_ = m.View()
	}
}

// collectPatient is collect with time for a loaded machine: a command has up to
// five seconds to answer (the spinner's and the timeline's ticks answer within one).
func collectPatient(cmd tea.Cmd) []tea.Msg { return collectWithin(cmd, 5*time.Second) }

// patient sends keys like press, waiting for what each starts as long as it takes
// (ticks are not run again, so it ends).
func (h *harness) patient(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.runPatient(h.send(keyPress(k)))
	}
}

func (h *harness) runPatient(cmd tea.Cmd) {
	h.t.Helper()
	for _, msg := range collectPatient(cmd) {
		switch msg.(type) {
		case spinner.TickMsg, tea.QuitMsg, timelineTickMsg, nil:
			continue
		}
		h.runPatient(h.send(msg))
	}
}
