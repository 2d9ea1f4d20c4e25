package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
)

func (h *harness) arrow(code rune) {
	h.t.Helper()
	h.run(h.send(tea.KeyPressMsg{Code: code}))
}

func replayHarness(t *testing.T, mutate func(*Options)) *harness {
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.ReadOnly = true
		o.Recording = Recording{File: "/tmp/workshop/pkce.json", Recorded: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), Provider: "bundled IdP"}
		// what cmd/oauthx's replayOptions gives: no login, no faults
		o.LoginAs, o.Browser, o.Pasted, o.Faults = nil, nil, nil, nil
		if mutate != nil {
			mutate(o)
		}
	})
	h.size(100, 30)
	return h
}

func TestReadOnlyReplayOffersNoEditing(t *testing.T) {
	h := replayHarness(t, nil)
	if scr := h.screen(); !strings.Contains(strings.Split(scr, "\n")[0], "REPLAY (read-only) · pkce.json · recorded 2026-11-20 09:30 UTC") {
		t.Errorf("the header does not say it is a replay:\n%s", scr)
	}
	if scr := h.screen(); !strings.Contains(scr, "Recorded, not shown yet") {
		t.Errorf("the first step does not say it is recorded:\n%s", scr)
	}
	h.press("n", "n") // the fake flow has a pending request here: a replay must not offer it
	if !h.m.walk.snap.hasPending {
		t.Fatal("the test flow should have a pending request at step 3")
	}
	for _, k := range []string{"e", "x", "d", "X", "u", "o", "p", "f", "s"} {
		h.press(k)
	}
	if h.m.walk.editing || h.m.walk.pasting || h.m.screen != screenWalk {
		t.Fatalf("a key edited or left: editing %v pasting %v screen %v", h.m.walk.editing, h.m.walk.pasting, h.m.screen)
	}
	if len(h.flows) != 1 {
		t.Fatalf("s restarted the replay: %d flows", len(h.flows))
	}
	if len(h.m.walk.snap.records) != 2 {
		t.Fatalf("records = %d, want 2", len(h.m.walk.snap.records))
	}
	h.press("n")
	if in := h.flow().lastInput(); in.Request != nil || in.Authorizer != nil {
		t.Errorf("a replay sent an edited request or a login choice: %+v", in)
	}
	help := strings.Split(h.screen(), "\n")
	line := help[len(help)-1]
	for _, bad := range []string{"edit", "restart", "faults", "user", "browser", "paste"} {
		if strings.Contains(line, bad) {
			t.Errorf("help offers %q in a replay: %s", bad, line)
		}
	}
	h.m.help.ShowAll = true
	h.m.updateKeys()
	if full := h.m.help.FullHelpView(h.m.keys.FullHelp()); strings.Contains(full, "edit") || strings.Contains(full, "restart") {
		t.Errorf("full help offers editing in a replay:\n%s", full)
	}
}

func TestReadOnlyStepsBackAndForth(t *testing.T) {
	h := replayHarness(t, nil)
	walkTo(h, 7)
	if !h.m.walk.snap.done || h.m.walk.sel != 6 {
		t.Fatalf("done %v sel %d", h.m.walk.snap.done, h.m.walk.sel)
	}
	h.press("b", "b")
	h.arrow(tea.KeyLeft)
	if h.m.walk.sel != 3 {
		t.Fatalf("sel after three steps back = %d, want 3", h.m.walk.sel)
	}
	if scr := h.screen(); !strings.Contains(scr, "4. User logs in and consents") || !strings.Contains(scr, "step 4 of 7") {
		t.Errorf("the Step pane does not show step 4:\n%s", scr)
	}
	h.press("n")
	h.arrow(tea.KeyRight)
	if h.m.walk.sel != 5 || len(h.m.walk.snap.records) != 7 {
		t.Fatalf("forward: sel %d, records %d", h.m.walk.sel, len(h.m.walk.snap.records))
	}
	for range 10 {
		h.press("b")
	}
	if h.m.walk.sel != 0 || h.m.keys.Prev.Enabled() {
		t.Fatalf("back past the first step: sel %d, b enabled %v", h.m.walk.sel, h.m.keys.Prev.Enabled())
	}
	if len(h.flow().inputs) != 7 {
		t.Errorf("stepping ran the flow again: %d Next calls", len(h.flow().inputs))
	}
	// esc (and q) quit: a replay has no menu behind it.
	cmd := h.send(keyPress("esc"))
	if cmd == nil {
		t.Fatal("esc did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("esc does not quit a replay")
	}
}

func TestLiveFlowHasNoStepBack(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(100, 30)
	walkTo(h, 4)
	h.press("b")
	if h.m.walk.sel != 3 || h.m.keys.Prev.Enabled() {
		t.Fatalf("b stepped back in a live flow: sel %d", h.m.walk.sel)
	}
}

func TestSteppingBackShowsTheTokensHeldThen(t *testing.T) {
	h := replayHarness(t, nil)
	walkTo(h, 7)
	if got := len(tokensOf(h.m.walk.shownRecords())); got != 3 {
		t.Fatalf("tokens at the end = %d, want 3", got)
	}
	h.press("b", "b", "b") // step 4: before the token request
	if got := len(tokensOf(h.m.walk.shownRecords())); got != 0 {
		t.Errorf("tokens shown at step 4 = %d, want none yet", got)
	}
	if scr := h.screen(); strings.Contains(scr, "Tokens (3)") {
		t.Errorf("the Tokens tab counts tokens the flow got later:\n%s", scr)
	}
	h.press("n", "n") // step 6: the token response
	if got := len(tokensOf(h.m.walk.shownRecords())); got != 3 {
		t.Errorf("tokens at step 6 = %d, want 3", got)
	}
}
