package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/oauthx/oauthx/flows"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// scenarios put the model in the states the golden files show.
func scenarios() []struct {
	name  string
	setup func(h *harness)
} {
	return []struct {
		name  string
		setup func(h *harness)
	}{
		{"flows", func(h *harness) {}},
		{"start", func(h *harness) { h.press("enter") }},
		{"authorize", func(h *harness) {
			h.press("enter", "n", "n", "tab", "down", "down", "down", "down", "e", "ctrl+u")
			h.typeText("tampered")
			h.press("enter")
		}},
		{"login", func(h *harness) { h.press("enter", "n", "n", "n") }},
		{"tokens", func(h *harness) {
			h.press("enter")
			walkTo(h, 7)
		}},
		{"failed", func(h *harness) {
			h.script = func() *fakeFlow { return pkceScript(5, 600) }
			h.press("enter")
			walkTo(h, 6)
		}},
		{"faults", func(h *harness) { h.press("enter", "f", "down", "space") }},
		{"help", func(h *harness) { h.press("enter", "n", "n", "n", "?") }},
	}
}

func TestGoldenViews(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}}
	for _, sc := range scenarios() {
		for _, sz := range sizes {
			for _, dark := range []bool{true, false} {
				theme := map[bool]string{true: "dark", false: "light"}[dark]
				name := fmt.Sprintf("%s_%dx%d_%s", sc.name, sz[0], sz[1], theme)
				t.Run(name, func(t *testing.T) {
					h := newHarness(t, dark, nil)
					h.size(sz[0], sz[1])
					h.press("down") // PKCE in the flow menu
					sc.setup(h)
					got := h.screen()
					checkFits(t, got, sz[0], sz[1])
					checkGolden(t, name, got)
				})
			}
		}
	}
}

// checkGolden compares a view with testdata/golden/NAME.txt, or rewrites the file
// under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./tui -run %s -update writes it)", err, strings.SplitN(t.Name(), "/", 2)[0])
	}
	if got != string(want) {
		t.Errorf("view differs from %s (-update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkFits fails when the view is taller than the terminal or a line is wider.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("view has %d lines, terminal %d", len(lines), h)
	}
	for i, l := range lines {
		if n := lipgloss.Width(l); n > w {
			t.Errorf("line %d is %d cells wide, terminal %d: %q", i+1, n, w, l)
		}
	}
}

// TestEveryScenarioFitsEverySize re-lays each scenario out at many sizes, as a
// terminal being resized would.
func TestEveryScenarioFitsEverySize(t *testing.T) {
	sizes := [][2]int{{60, 16}, {80, 24}, {99, 30}, {100, 30}, {120, 40}, {159, 45}, {160, 45}, {200, 50}, {260, 70}}
	for _, sc := range scenarios() {
		h := newHarness(t, true, nil)
		h.size(80, 24)
		h.press("down")
		sc.setup(h)
		for _, sz := range sizes {
			h.size(sz[0], sz[1])
			for range numPanes { // every pane in front once
				checkFits(t, h.screen(), sz[0], sz[1])
				h.press("tab")
			}
		}
	}
}

func TestNoColor(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.NoColor = true; o.InitialFlow = flows.KindPKCE })
	h.size(80, 24)
	walkTo(h, 7)
	v := h.m.View().Content
	for _, sgr := range []string{"38;2;", "38;5;", "\x1b[3", "\x1b[9"} {
		if strings.Contains(v, sgr) {
			t.Fatalf("NO_COLOR view has a colour sequence %q", sgr)
		}
	}
}
