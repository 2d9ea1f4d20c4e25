package tui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/oauthx/oauthx/flows"
)

// fakeExport is an Options.Export that remembers what it was asked to write and
// answers as told: the file exists (unless Overwrite), or any other error.
type fakeExport struct {
	mu     sync.Mutex
	reqs   []ExportRequest
	exists bool
	err    error
}

func (f *fakeExport) write(req ExportRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	switch {
	case f.err != nil:
		return "", f.err
	case f.exists && !req.Overwrite:
		return "", fmt.Errorf("/work/%s: %w", req.Path, ErrExportExists)
	}
	return "/work/" + req.Path, nil
}

func (f *fakeExport) last(t *testing.T) ExportRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("Export was not called")
	}
	return f.reqs[len(f.reqs)-1]
}

func exportHarness(t *testing.T, fe *fakeExport, failAt int) *harness {
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.Export = fe.write
	})
	h.script = func() *fakeFlow { return pkceScript(failAt, 600) }
	h.size(100, 30)
	h.press("s") // start over with the script
	return h
}

func TestExportKeyWritesTheFinishedFlow(t *testing.T) {
	fe := &fakeExport{}
	h := exportHarness(t, fe, -1)
	h.press("n")
	if h.m.keys.Export.Enabled() {
		t.Fatal("w is enabled before the flow ended")
	}
	walkTo(h, 7)
	if !h.m.keys.Export.Enabled() || !strings.Contains(h.screen(), "w export") {
		t.Fatalf("w not offered after the flow ended:\n%s", h.screen())
	}
	h.press("w")
	scr := h.screen()
	for _, want := range []string{"Export the transcript", "secrets are masked", "--reveal-secrets",
		"markdown", "json", "curl", "har", "oauthx-pkce-20261123-1000.md"} {
		if !strings.Contains(scr, want) {
			t.Errorf("export dialog does not show %q:\n%s", want, scr)
		}
	}
	h.press("q") // typed into the file name, not a quit
	if !h.m.export.open {
		t.Fatal("q closed the dialog")
	}
	h.press("ctrl+u")          // clear the name
	h.typeText("handout.json") // a name of the person's own
	h.press("down")            // json
	h.press("enter")
	req := fe.last(t)
	if req.Format != "json" || req.Path != "handout.json" || req.Kind != flows.KindPKCE || len(req.Steps) != 7 {
		t.Fatalf("export request = %+v (%d steps)", req, len(req.Steps))
	}
	if req.Provider != "Bundled IdP (http://127.0.0.1:9999)" {
		t.Errorf("provider = %q", req.Provider)
	}
	if h.m.export.open {
		t.Error("dialog still open after a successful write")
	}
	if scr := h.screen(); !strings.Contains(scr, "wrote /work/handout.json (json, 7 steps, secrets masked") {
		t.Errorf("status does not say where it went:\n%s", scr)
	}
}

func TestExportFormatSwitchRenamesTheDefault(t *testing.T) {
	fe := &fakeExport{}
	h := exportHarness(t, fe, -1)
	walkTo(h, 7)
	h.press("w", "down", "down") // markdown → json → curl
	if got := h.m.export.input.Value(); got != "oauthx-pkce-20261123-1000.sh" {
		t.Fatalf("name after choosing curl = %q", got)
	}
	h.press("up", "enter")
	if req := fe.last(t); req.Format != "json" || req.Path != "oauthx-pkce-20261123-1000.json" {
		t.Fatalf("request = %+v", req)
	}
}

func TestExportOfAFailedFlowAndItsErrors(t *testing.T) {
	fe := &fakeExport{exists: true}
	h := exportHarness(t, fe, 5)
	walkTo(h, 6)
	if !h.m.walk.snap.done || !lastFailed(h.m.walk.snap.records) {
		t.Fatal("the flow did not fail")
	}
	h.press("w", "enter")
	if !h.m.export.open || !strings.Contains(h.screen(), "exists: enter again replaces it") {
		t.Fatalf("an existing file is not asked about:\n%s", h.screen())
	}
	if fe.last(t).Overwrite {
		t.Fatal("the first write asked to overwrite")
	}
	h.press("enter")
	if !fe.last(t).Overwrite || h.m.export.open {
		t.Fatalf("enter again did not replace the file: %+v", fe.last(t))
	}

	// An unwritable directory: the reason is on screen and the flow is kept.
	fe.err = errors.New("cannot write /nope/x.md: the directory /nope does not exist")
	h.press("w", "enter")
	if scr := h.screen(); !h.m.export.open || !strings.Contains(scr, "the directory /nope does not exist") {
		t.Fatalf("the error is not shown:\n%s", scr)
	}
	h.press("esc")
	if h.m.export.open || h.m.screen != screenWalk || len(h.m.walk.snap.records) != 6 {
		t.Fatalf("the flow was lost: screen %v, %d records", h.m.screen, len(h.m.walk.snap.records))
	}
}

func TestNoExportKeyWithoutExport(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.size(100, 30)
	walkTo(h, 7)
	h.press("w")
	if h.m.export.open || strings.Contains(h.screen(), "w export") {
		t.Fatal("w works without Options.Export")
	}
}

func TestExportDialogFitsEverySize(t *testing.T) {
	fe := &fakeExport{}
	h := exportHarness(t, fe, -1)
	walkTo(h, 7)
	h.press("w")
	for _, sz := range [][2]int{{60, 16}, {80, 24}, {120, 40}, {200, 50}} {
		h.size(sz[0], sz[1])
		scr := h.screen()
		checkFits(t, scr, sz[0], sz[1])
		if !strings.Contains(scr, "file: oauthx-pkce-") {
			t.Errorf("%dx%d: the file name is not on screen:\n%s", sz[0], sz[1], scr)
		}
	}
}
