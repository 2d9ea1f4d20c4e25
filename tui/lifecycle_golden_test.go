package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
)

// lifecycleScenarios put the model in the states of the token lifecycle the golden
// files show: the follow-up menu, the timeline after a refresh and a clock move, and
// the device flow's approve step with its QR code.
func lifecycleScenarios() []struct {
	name  string
	setup func(t testing.TB, dark bool, w, h int) *harness
} {
	held := flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT, IDToken: "id-token", Expiry: testNow.Add(time.Hour)}
	return []struct {
		name  string
		setup func(t testing.TB, dark bool, w, h int) *harness
	}{
		{"life_followups", func(t testing.TB, dark bool, w, h int) *harness {
			l := newLifecycleTheme(t, held, dark)
			l.size(w, h)
			l.patient("t", "down")
			return l.harness
		}},
		{"life_timeline", func(t testing.TB, dark bool, w, h int) *harness {
			l := newLifecycleTheme(t, held, dark)
			l.build = func(req FollowUpRequest) flows.Flow {
				return refreshScript(req.Tokens, "at-after-refresh", "rt-after-refresh", testNow.Add(time.Hour+30*time.Minute))
			}
			l.size(w, h)
			l.patient("+") // nothing: + is only on the faults screen and the timeline
			l.patient("t", "down", "enter", "n", "n", "T", "+")
			l.tick(15 * time.Second)
			return l.harness
		}},
		{"life_device", func(t testing.TB, dark bool, w, h int) *harness {
			hh := deviceAtApprove(t, dark, w, h, func(string) error { return nil })
			hh.patient("tab")
			return hh
		}},
	}
}

// newLifecycleTheme is newLifecycle with the palette chosen.
func newLifecycleTheme(t testing.TB, toks flows.Tokens, dark bool) *lifecycleHarness {
	l := newLifecycle(t, toks)
	if !dark {
		l.m.isDark = false
		l.m.restyle()
		l.run(l.send(nil))
	}
	return l
}

func TestLifecycleGoldenViews(t *testing.T) {
	for _, sc := range lifecycleScenarios() {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			for _, dark := range []bool{true, false} {
				theme := map[bool]string{true: "dark", false: "light"}[dark]
				name := fmt.Sprintf("%s_%dx%d_%s", sc.name, sz[0], sz[1], theme)
				t.Run(name, func(t *testing.T) {
					h := sc.setup(t, dark, sz[0], sz[1])
					got := h.screen()
					checkFits(t, got, sz[0], sz[1])
					checkGolden(t, name, got)
				})
			}
		}
	}
}

// TestLifecycleScreensFitEverySize re-lays the lifecycle's screens out at many sizes.
func TestLifecycleScreensFitEverySize(t *testing.T) {
	sizes := [][2]int{{60, 16}, {80, 24}, {99, 30}, {100, 30}, {120, 40}, {160, 45}, {260, 70}}
	for _, sc := range lifecycleScenarios() {
		h := sc.setup(t, true, 80, 24)
		for _, sz := range sizes {
			h.size(sz[0], sz[1])
			checkFits(t, h.screen(), sz[0], sz[1])
		}
	}
}
