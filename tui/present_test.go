package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
)

func presentHarness(t *testing.T, dark bool) *harness {
	h := newHarness(t, dark, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.Present = true
	})
	return h
}

// TestPresentGolden compares the presenter's layout with testdata/golden/present_*
// at a projector's usual 80×24 and at 120×40, dark and light.
func TestPresentGolden(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(h *harness)
	}{
		{"next", func(h *harness) { h.press("n", "n") }},
		{"back", func(h *harness) {
			walkTo(h, 7)
			h.press("b", "b", "b")
		}},
	}
	for _, sc := range scenarios {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			for _, dark := range []bool{true, false} {
				theme := map[bool]string{true: "dark", false: "light"}[dark]
				name := fmt.Sprintf("present_%s_%dx%d_%s", sc.name, sz[0], sz[1], theme)
				t.Run(name, func(t *testing.T) {
					h := presentHarness(t, dark)
					h.size(sz[0], sz[1])
					sc.setup(h)
					got := h.screen()
					checkFits(t, got, sz[0], sz[1])
					checkGolden(t, name, got)
				})
			}
		}
	}
}

func TestPresentLayout(t *testing.T) {
	h := presentHarness(t, true)
	h.size(80, 24)
	walkTo(h, 7)
	h.press("b", "b", "b", "b")
	scr := h.screen()
	lines := strings.Split(scr, "\n")
	if !strings.Contains(lines[2], "STEP 3 / 7") || !strings.Contains(lines[2], "Build the authorization request") || !strings.Contains(lines[2], "DONE") {
		t.Errorf("the banner does not show step 3:\n%s", scr)
	}
	// One pane at a time below 120 columns: a single box.
	if n := strings.Count(scr, "┏"); n != 1 {
		t.Errorf("%d panes on a 80×24 projector, want 1:\n%s", n, scr)
	}
	h.size(120, 40)
	if n := strings.Count(h.screen(), "┏"); n != 2 {
		t.Errorf("%d panes at 120×40, want 2 (steps and one pane):\n%s", n, h.screen())
	}
	// Every pane fits every size.
	for _, sz := range [][2]int{{60, 16}, {80, 24}, {100, 30}, {160, 45}, {260, 70}} {
		h.size(sz[0], sz[1])
		for range numPanes {
			checkFits(t, h.screen(), sz[0], sz[1])
			h.press("tab")
		}
	}
	// The presenter's palette differs from the normal one.
	if presentStyles(true, false).Plain.GetForeground() == NewStyles(true, false).Plain.GetForeground() {
		t.Error("the presenter's text colour is the normal one")
	}
}

func TestPresentMouseBelowTheBanner(t *testing.T) {
	h := presentHarness(t, true)
	h.size(120, 40)
	walkTo(h, 7)
	// Row 1 of the body is the banner; row bannerLines+2 is inside the steps list.
	if p, ok := h.m.walk.paneAt(2, bannerLines+2); !ok || p != paneSteps {
		t.Errorf("paneAt under the banner = %v, %v; want the steps list", p, ok)
	}
	if _, ok := h.m.walk.paneAt(2, 1); ok {
		t.Error("the banner is taken for a pane")
	}
}

// BenchmarkPresentStepBackAndForth is b then n on a finished flow in presenter mode
// at 80×24 (a 10 KB ID token among the records): each key rebuilds the panes as of
// the step shown, then the frame is drawn.
func BenchmarkPresentStepBackAndForth(b *testing.B) {
	h := newHarness(b, true, func(o *Options) { o.InitialFlow = flows.KindPKCE; o.Present = true })
	h.script = func() *fakeFlow { return pkceScript(-1, 10<<10) }
	h.press("s")
	h.size(80, 24)
	walkTo(h, 7)
	m := h.m
	keys := []string{"b", "n"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		mm, _ := m.Update(keyPress(keys[i%2]))
		m = mm.(Model)
		_ = m.View()
	}
}
