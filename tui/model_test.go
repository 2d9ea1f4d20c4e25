package tui

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// harness drives a Model like the Bubble Tea runtime does: messages in, commands run,
// their messages fed back.
type harness struct {
	t     testing.TB
	m     Model
	flows []*fakeFlow
	fault *fakeFaults
	// script makes the flows NewFlow returns.
	script func() *fakeFlow
	mu     sync.Mutex
}

func newHarness(t testing.TB, dark bool, mutate func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, fault: &fakeFaults{}, script: func() *fakeFlow { return pkceScript(-1, 600) }}
	opts := Options{
		Providers: []Provider{{Name: "Bundled IdP", Issuer: "http://127.0.0.1:9999", Bundled: true,
			Description: "in-process, offline"}},
		NewFlow: func(_ ProviderChoice, k flows.Kind) (flows.Flow, error) {
			f := h.script()
			f.kind = k
			h.mu.Lock()
			h.flows = append(h.flows, f)
			h.mu.Unlock()
			return f, nil
		},
		LoginAs: func(u string) flows.Authorizer { return fakeAuth{"login:" + u} },
		Browser: func() flows.Authorizer { return fakeAuth{"browser"} },
		Pasted:  func(raw string) flows.Authorizer { return fakeAuth{"pasted:" + raw} },
		Users:   []string{"alice", "bob"},
		Faults:  h.fault,
		Dark:    &dark,
		Now:     func() time.Time { return testNow },
	}
	if mutate != nil {
		mutate(&opts)
	}
	h.m = New(opts)
	h.run(h.m.Init())
	return h
}

func (h *harness) flow() *fakeFlow {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.flows[len(h.flows)-1]
}

// send feeds one message and returns the command it produced, without running it.
func (h *harness) send(msg tea.Msg) tea.Cmd {
	h.t.Helper()
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	return cmd
}

// run runs a command and feeds its messages back until nothing is left. Spinner
// ticks are dropped: they would tick forever.
func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	for _, msg := range collect(cmd) {
		switch msg.(type) {
		case spinner.TickMsg, tea.QuitMsg, nil:
			continue
		}
		h.run(h.send(msg))
	}
}

// collect runs a command (and the commands of a batch, concurrently) and returns
// their messages in order.
func collect(cmd tea.Cmd) []tea.Msg { return collectWithin(cmd, collectWait) }

// collectWithin is collect with its own wait: a command that has not answered
// within wait is taken for a timer and dropped.
func collectWithin(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(wait):
		return nil // a timer (the timeline's tick, a poll interval): nothing the tests wait for
	}
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	out := make([][]tea.Msg, len(batch))
	var wg sync.WaitGroup
	for i, c := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = collectWithin(c, wait)
		}()
	}
	wg.Wait()
	var all []tea.Msg
	for _, o := range out {
		all = append(all, o...)
	}
	return all
}

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// press sends keys one by one, running what each one starts.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.run(h.send(keyPress(k)))
	}
}

// typeText types into the focused text input. A printable key there only moves the
// text and restarts the cursor's blink timer, so the commands are not run: waiting
// for each blink to be taken for a timer made every typed character cost collectWait.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(keyPress(string(r)))
	}
}

func (h *harness) screen() string { return ansi.Strip(h.m.View().Content) }

func (h *harness) size(w, ht int) { h.run(h.send(tea.WindowSizeMsg{Width: w, Height: ht})) }

func TestInitialFlowSkipsMenusAndAdvances(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(120, 40)
	if h.m.screen != screenWalk {
		t.Fatalf("screen = %v, want the walkthrough", h.m.screen)
	}
	if got := len(h.m.walk.snap.records); got != 0 {
		t.Fatalf("records before any key = %d", got)
	}
	h.press("n")
	if got := len(h.m.walk.snap.records); got != 1 {
		t.Fatalf("records after n = %d, want 1", got)
	}
	if !strings.Contains(h.screen(), "✓ Discover the provider") {
		t.Errorf("status line does not report the step:\n%s", h.screen())
	}
	h.press("n", "n", "n", "n", "n", "n")
	if !h.m.walk.snap.done {
		t.Fatal("flow not done after seven steps")
	}
	if !strings.Contains(h.screen(), "alice@example.com") {
		t.Errorf("decoded ID token claims not on screen:\n%s", h.screen())
	}
	if h.m.keys.Next.Enabled() {
		t.Error("n still enabled after the flow is done")
	}
}

func TestMenusChooseProviderAndFlow(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = append(o.Providers, Provider{Name: "Work SSO", Issuer: "https://sso.example", ClientID: "cli"})
	})
	h.size(80, 24)
	if h.m.screen != screenProviders {
		t.Fatalf("screen = %v, want providers", h.m.screen)
	}
	h.press("enter")
	if h.m.screen != screenFlows || !h.m.choice.Provider.Bundled {
		t.Fatalf("after enter: screen %v choice %+v", h.m.screen, h.m.choice)
	}
	if !strings.Contains(h.screen(), "deprecated") {
		t.Errorf("implicit is not marked deprecated:\n%s", h.screen())
	}
	h.press("down", "enter") // PKCE
	if h.m.screen != screenWalk || h.m.walk.kind.Kind != flows.KindPKCE {
		t.Fatalf("walk not started for PKCE: screen %v kind %v", h.m.screen, h.m.walk.kind.Kind)
	}
}

func TestCustomProviderForm(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = append(o.Providers, Provider{Name: "Work SSO", Issuer: "https://sso.example"})
	})
	h.size(80, 24)
	h.press("down", "down", "enter")
	if !h.m.providers.form {
		t.Fatal("form not open")
	}
	h.typeText("https://idp.example")
	h.press("q") // typed, not quit
	h.press("tab")
	h.typeText("my-client")
	h.press("tab")
	h.typeText("s3cret")
	h.press("enter")
	c := h.m.choice
	if c.Provider.Issuer != "https://idp.example"+"q" || c.ClientID != "my-client" || c.ClientSecret != "s3cret" {
		t.Fatalf("choice = %+v", c)
	}
	if strings.Contains(h.screen(), "s3cret") {
		t.Error("the client secret is on screen")
	}
}

// walkToTokenStep runs the flow up to the token request (pending, not sent).
func walkTo(h *harness, steps int) {
	h.t.Helper()
	for range steps {
		h.press("n")
	}
}

func TestEditedFieldIsSent(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	walkTo(h, 2) // discovery, prepare: the authorization request is pending
	if !h.m.walk.snap.hasPending {
		t.Fatal("no pending request at the authorize step")
	}
	h.press("tab", "down", "down", "down", "down") // the Request pane; state
	if got := h.m.walk.edited.Params[h.m.walk.field].Name; got != "state" {
		t.Fatalf("field under the cursor = %q", got)
	}
	h.press("e")
	if !h.m.walk.editing || h.m.walk.focus != paneRequest {
		t.Fatal("e did not open the editor on the Request pane")
	}
	h.press("ctrl+u")
	h.typeText("tampered-q") // q types, it does not quit
	h.press("enter")
	if !strings.Contains(h.screen(), "✎ edited") {
		t.Errorf("edited field not marked:\n%s", h.screen())
	}
	h.press("n")
	in := h.flow().lastInput()
	if in.Request == nil || in.Request.Get("state") != "tampered-q" {
		t.Fatalf("StepInput.Request = %+v, want state=tampered-q", in.Request)
	}
	if in.Request.Get("nonce") != "n-0S6_WzA2Mj" {
		t.Errorf("other fields changed: %+v", in.Request.Params)
	}
	// the next send carries no edits
	h.press("u", "n") // log in as bob
	in = h.flow().lastInput()
	if in.Request != nil {
		t.Errorf("login step got a request: %+v", in.Request)
	}
	if !reflect.DeepEqual(in.Authorizer, fakeAuth{"login:bob"}) {
		t.Errorf("authorizer = %#v, want login as bob", in.Authorizer)
	}
}

func TestDroppedFieldIsNotSent(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	walkTo(h, 2)
	h.press("tab", "down", "down", "down", "down", "d") // drop state
	if !strings.Contains(h.screen(), "state will not be sent") || !strings.Contains(h.m.walk.vps[paneRequest].GetContent(), "not sent: state") {
		t.Errorf("dropped field not listed:\n%s", h.screen())
	}
	h.press("n")
	in := h.flow().lastInput()
	if in.Request == nil || in.Request.Has("state") || !in.Request.Has("nonce") {
		t.Fatalf("StepInput.Request = %+v, want every field but state", in.Request)
	}
}

func TestWrongCodeVerifierShowsProviderError(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.script = func() *fakeFlow { return pkceScript(5, 600) }
	h.press("s") // start over with the failing script
	h.size(120, 40)
	walkTo(h, 5)
	h.m.walk.focusPane(paneRequest)
	h.press("down", "down", "down", "down", "e", "ctrl+u")
	h.typeText("wrong")
	h.press("enter", "n")
	if got := h.flow().lastInput().Request.Get("code_verifier"); got != "wrong" {
		t.Fatalf("code_verifier sent = %q", got)
	}
	scr := h.screen()
	for _, want := range []string{"invalid_grant", "PKCE verification failed", "RFC 6749 §5.2", "meaning:"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	if !h.m.walk.snap.done || h.m.keys.Next.Enabled() {
		t.Error("flow should be over after a failed step")
	}
}

func TestStaleStepResultIsDropped(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	stale := h.send(keyPress("n")) // the step starts; its command is held back
	if !h.m.walk.running {
		t.Fatal("not running after n")
	}
	h.press("esc", "esc") // cancel, then leave the flow
	if h.m.screen != screenFlows {
		t.Fatalf("screen = %v after esc esc", h.m.screen)
	}
	h.press("down", "enter") // a new PKCE flow: a new run
	if h.m.walk.run == 0 || len(h.flows) != 2 {
		t.Fatalf("no new run: run %d, flows %d", h.m.walk.run, len(h.flows))
	}
	h.run(stale) // the old step finishes now
	if got := len(h.m.walk.snap.records); got != 0 {
		t.Fatalf("stale result landed in the new flow: %d records", got)
	}
	if h.m.walk.running {
		t.Error("new flow marked running")
	}
}

func TestQuit(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	isQuit := func(cmd tea.Cmd) bool {
		if cmd == nil {
			return false
		}
		_, ok := cmd().(tea.QuitMsg)
		return ok
	}
	if !isQuit(h.send(keyPress("q"))) {
		t.Error("q does not quit")
	}
	walkTo(h, 2)
	h.press("e")
	if isQuit(h.send(keyPress("q"))) {
		t.Error("q quits while typing")
	}
	if !isQuit(h.send(keyPress("ctrl+c"))) {
		t.Error("ctrl+c does not quit while typing")
	}
}

func TestFaultsScreen(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	h.press("f")
	if h.m.screen != screenFaults {
		t.Fatalf("screen = %v", h.m.screen)
	}
	h.press("down", "space", "+")
	if got := h.fault.Active(); !reflect.DeepEqual(got, []string{"expired"}) {
		t.Fatalf("active faults = %v", got)
	}
	if h.fault.advanced != time.Hour {
		t.Errorf("clock advanced %v", h.fault.advanced)
	}
	scr := h.screen()
	if !strings.Contains(scr, "[x] Expired ID token") || !strings.Contains(scr, "1 fault on") {
		t.Errorf("faults screen:\n%s", scr)
	}
	h.press("esc")
	if h.m.screen != screenWalk {
		t.Errorf("esc went to %v", h.m.screen)
	}
}

func TestNoFaultsKeyForRealProviders(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = []Provider{{Name: "Work SSO", Issuer: "https://sso.example", ClientID: "c"}}
		o.InitialFlow = flows.KindPKCE
	})
	if h.m.keys.Faults.Enabled() {
		t.Error("faults enabled for a real provider")
	}
	walkTo(h, 3)
	if !h.m.walk.atLogin() {
		t.Fatal("not at the login step")
	}
	if h.m.keys.User.Enabled() {
		t.Error("user switch enabled for a real provider")
	}
	h.press("p")
	h.typeText("http://127.0.0.1:51234/callback?code=abc&state=xyz")
	h.press("enter")
	if got := h.flow().lastInput().Authorizer; !reflect.DeepEqual(got, fakeAuth{"pasted:http://127.0.0.1:51234/callback?code=abc&state=xyz"}) {
		t.Errorf("authorizer = %#v", got)
	}
}

func TestCopyAndReveal(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(120, 40)
	walkTo(h, 3)
	cmd := h.send(keyPress("c"))
	if cmd == nil || !strings.Contains(h.m.walk.status, "authorization URL") {
		t.Errorf("c at the login step: cmd %v, status %q", cmd, h.m.walk.status)
	}
	walkTo(h, 4)
	h.m.walk.focusPane(paneTokens)
	h.send(keyPress("c"))
	if !strings.Contains(h.m.walk.status, "copied id_token") {
		t.Errorf("status = %q", h.m.walk.status)
	}
	// refresh tokens are masked until revealed
	h.press("right") // access_token → refresh_token order: id_token first selected
	for h.m.walk.token != 1 {
		h.press("right")
	}
	if strings.Contains(h.screen(), "rt-tGzv3JOkF0XG5Qx2TlKWIA") {
		t.Error("refresh token shown before reveal")
	}
	h.press("r")
	if !strings.Contains(h.screen(), "rt-tGzv3JOkF0XG5Qx2TlKWIA") {
		t.Errorf("refresh token not shown after reveal:\n%s", h.screen())
	}
}

func TestPanesAndMouse(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	walkTo(h, 7)
	start := h.m.walk.focus
	seen := map[pane]bool{}
	for range numPanes {
		h.press("tab")
		seen[h.m.walk.focus] = true
		if !h.m.walk.visible(h.m.walk.focus) {
			t.Errorf("focused pane %v is not visible", h.m.walk.focus)
		}
	}
	if len(seen) != int(numPanes) || h.m.walk.focus != start {
		t.Errorf("tab visited %v and ended on %v (started on %v)", seen, h.m.walk.focus, start)
	}
	h.m.walk.focusPane(paneTokens)
	before := h.m.walk.vps[paneTokens].YOffset()
	h.send(tea.MouseWheelMsg{X: 10, Y: 15, Button: tea.MouseWheelDown})
	if after := h.m.walk.vps[paneTokens].YOffset(); after <= before {
		t.Errorf("wheel did not scroll the tokens pane: %d → %d", before, after)
	}
}

func TestHelpFollowsState(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(200, 50)
	walkTo(h, 3)
	if !strings.Contains(h.screen(), "log in as alice") {
		t.Errorf("help line lacks the login key:\n%s", h.screen())
	}
	h.press("?")
	if !strings.Contains(h.screen(), "paste URL") {
		t.Errorf("full help lacks paste:\n%s", h.screen())
	}
	h.press("?")
	h.press("n")
	if strings.Contains(h.screen(), "log in as") {
		t.Error("login help still shown after login")
	}
}

// TestUntrustedTextCannotDriveTheTerminal: a provider's error_description (or a claim,
// a header, a replayed title) with escape sequences is drawn inert.
func TestUntrustedTextCannotDriveTheTerminal(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	evil := "bad\x1b]0;pwned\x07\x1b[2J\x9b31m\r\ttab"
	h.script = func() *fakeFlow {
		f := pkceScript(5, 600)
		f.plan[0].Title += evil
		f.script[5].Error.Protocol.Description = evil
		f.script[5].Error.Message = evil
		f.script[5].Exchanges[0].Response.Header["X-Evil"] = []string{evil}
		return f
	}
	h.press("s")
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		h.size(sz[0], sz[1])
		walkTo(h, 6)
		for range numPanes {
			raw := h.m.View().Content
			for _, bad := range []string{"\x1b]0;", "\x07", "\x1b[2J", "\x9b", "\r", "\t"} {
				if strings.Contains(raw, bad) {
					t.Fatalf("%q reached the screen: %q", bad, ansi.Strip(raw))
				}
			}
			h.press("tab")
		}
	}
	if !strings.Contains(ansi.Strip(h.m.View().Content), "bad") {
		t.Error("the rest of the text is gone")
	}
}

func TestDeviceApproveLogsInHere(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindDevice })
	h.script = func() *fakeFlow {
		plan := []record.StepPlan{
			{ID: "device-authorization", Title: "Request a device code", Sends: true},
			{ID: "approve", Title: "User approves on another device", Arrows: []record.Arrow{{From: record.ActorUser, To: record.ActorBrowser, Label: "open verification_uri"}}},
			{ID: "poll", Title: "Poll the token endpoint", Sends: true},
		}
		step := func(i int, arts ...record.Artifact) record.Step {
			return record.Step{Index: i, ID: plan[i].ID, Title: plan[i].Title, Status: record.StatusDone, Artifacts: arts}
		}
		return &fakeFlow{kind: flows.KindDevice, plan: plan, script: []record.Step{
			step(0, record.Artifact{Name: "user_code", Value: "WDJB-MJHT"},
				record.Artifact{Name: "verification_uri", Value: "http://127.0.0.1:9999/device"},
				record.Artifact{Name: "verification_uri_complete", Value: "http://127.0.0.1:9999/device?user_code=WDJB-MJHT"}),
			step(1), step(2)},
			pending: map[int]record.Request{0: {Method: "POST", URL: "http://127.0.0.1:9999/device_authorization",
				Params: []record.Param{{Name: "client_id", Value: "device-app"}}}}}
	}
	h.press("s")
	h.size(120, 40)
	h.press("n")
	if !h.m.walk.atApprove() || h.m.walk.atLogin() {
		t.Fatal("not at the approve step")
	}
	if !strings.Contains(h.screen(), "approve as alice") || !strings.Contains(h.screen(), "WDJB-MJHT") {
		t.Errorf("approve step does not show the code and the key:\n%s", h.screen())
	}
	if h.m.keys.Browser.Enabled() || h.m.keys.Paste.Enabled() {
		t.Error("browser/paste offered for a device approval")
	}
	h.m.walk.focusPane(paneRequest)
	h.send(keyPress("c"))
	if !strings.Contains(h.m.walk.status, "verification URI") {
		t.Errorf("c copied %q", h.m.walk.status)
	}
	h.press("u", "n")
	if got := h.flow().lastInput().Authorizer; !reflect.DeepEqual(got, fakeAuth{"login:bob"}) {
		t.Errorf("approver = %#v, want the in-terminal agent as bob", got)
	}
}

// With --insecure, every screen of a real provider's flow says that TLS is not
// verified; the bundled IdP (plain loopback HTTP) does not.
func TestInsecureIsShownForRealProviders(t *testing.T) {
	const warning = "TLS NOT VERIFIED"
	real := newHarness(t, true, func(o *Options) {
		o.Providers = []Provider{{Name: "Dev Keycloak", Issuer: "https://kc.test:8443/realms/dev", ClientID: "c"}}
		o.InitialFlow = flows.KindPKCE
		o.Insecure = true
	})
	real.size(120, 40)
	if !strings.Contains(real.screen(), warning) {
		t.Errorf("no %q on the walkthrough of a real provider:\n%s", warning, real.screen())
	}
	walkTo(real, 3)
	if !strings.Contains(real.screen(), warning) {
		t.Errorf("the warning went away after a few steps:\n%s", real.screen())
	}
	bundled := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE; o.Insecure = true })
	bundled.size(120, 40)
	if strings.Contains(bundled.screen(), warning) {
		t.Errorf("the bundled IdP is not reached over TLS, yet the header warns:\n%s", bundled.screen())
	}
}
