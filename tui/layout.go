package tui

import (
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Layout widths. Below narrowWidth one column holds everything; from wideWidth on three
// columns sit side by side; the layout never grows past maxWidth.
const (
	narrowWidth = 100
	wideWidth   = 160
	maxWidth    = 200
	minHeight   = 18 // below this the steps list joins the tabs
)

// slot is a box of the layout; it shows one of its panes at a time, with tabs.
type slot struct {
	panes []pane
	w, h  int
}

// column is a stack of slots.
type column struct {
	w     int
	slots []slot
}

// computeLayout splits a w×h body into columns of slots. steps is the number of
// steps in the plan, so the steps list takes the room it needs and no more.
func computeLayout(w, h, steps int, st Styles) []column {
	w = min(w, maxWidth)
	_, frameY := st.Pane.GetFrameSize()
	// The whole plan when it fits: in half the height beside the tabs, in a third when
	// one column must also hold the request and the exchanges.
	stepsH := min(steps+frameY+1, h/2)
	switch {
	case w < narrowWidth:
		if h < minHeight {
			return []column{{w, []slot{{[]pane{paneSteps, paneStep, paneRequest, paneHTTP, paneTokens, paneDiagram}, w, h}}}}
		}
		stepsH = min(stepsH, h/3)
		return []column{{w, []slot{
			{[]pane{paneSteps}, w, stepsH},
			{[]pane{paneStep, paneRequest, paneHTTP, paneTokens, paneDiagram}, w, h - stepsH},
		}}}
	case w < wideWidth:
		left := min(max(w*2/5, 34), 56)
		return []column{
			{left, []slot{{[]pane{paneSteps}, left, stepsH}, {[]pane{paneStep}, left, h - stepsH}}},
			{w - left, []slot{{[]pane{paneRequest, paneHTTP, paneTokens, paneDiagram}, w - left, h}}},
		}
	default:
		c1 := w / 4
		c2 := (w - c1) / 2
		c3 := w - c1 - c2
		reqH := h * 3 / 5
		return []column{
			{c1, []slot{{[]pane{paneSteps}, c1, stepsH}, {[]pane{paneStep}, c1, h - stepsH}}},
			{c2, []slot{{[]pane{paneRequest}, c2, reqH}, {[]pane{paneDiagram}, c2, h - reqH}}},
			{c3, []slot{{[]pane{paneHTTP, paneTokens}, c3, h}}},
		}
	}
}

// inner is the content size of a slot: its box less the border, padding and tab line.
func (s slot) inner(st Styles) (int, int) {
	fx, fy := st.Pane.GetFrameSize()
	return max(s.w-fx, 1), max(s.h-fy-1, 1)
}

func (w walk) slotOf(p pane) (slot, bool) {
	for _, c := range w.lay {
		for _, s := range c.slots {
			if slices.Contains(s.panes, p) {
				return s, true
			}
		}
	}
	return slot{}, false
}

// active is the pane a slot shows: the focused one if it lives there, else the most
// recently shown.
func (w walk) active(s slot) pane {
	if slices.Contains(s.panes, w.focus) {
		return w.focus
	}
	for _, p := range w.recent {
		if slices.Contains(s.panes, p) {
			return p
		}
	}
	return s.panes[0]
}

// visible reports whether a pane is on screen now.
func (w walk) visible(p pane) bool {
	s, ok := w.slotOf(p)
	return ok && w.active(s) == p
}

// paneAt finds the pane shown at body coordinates x, y (for the mouse wheel).
func (w walk) paneAt(x, y int) (pane, bool) {
	if w.mode.present {
		y -= bannerLines // the presenter's banner is above the panes
	}
	cx := 0
	for _, c := range w.lay {
		if x >= cx && x < cx+c.w {
			sy := 0
			for _, s := range c.slots {
				if y >= sy && y < sy+s.h {
					return w.active(s), true
				}
				sy += s.h
			}
		}
		cx += c.w
	}
	return 0, false
}

// order is the Tab order of the panes on screen.
func (w walk) order() []pane {
	var out []pane
	for p := range numPanes {
		if _, ok := w.slotOf(p); ok {
			out = append(out, p)
		}
	}
	return out
}

// renderSlot draws a slot: its border (highlighted when focused), a tab line and the
// active pane's viewport.
func (w walk) renderSlot(s slot, st Styles) string {
	act := w.active(s)
	iw, _ := s.inner(st)
	var tabs []string
	for _, p := range s.panes {
		name := p.String()
		if p == paneTokens {
			if n := len(tokensOf(w.shownRecords())); n > 0 {
				name += " (" + itoa(n) + ")"
			}
		}
		if p == act {
			tabs = append(tabs, st.TabActive.Render(name))
		} else {
			tabs = append(tabs, st.TabInactive.Render(name))
		}
	}
	head := strings.Join(tabs, st.Muted.Render(" │ "))
	vp := w.vps[act]
	if vp.TotalLineCount() > vp.Height() {
		// Where the view sits, as arrows: a bare percentage read like progress.
		more := "↕ more"
		switch {
		case vp.AtTop():
			more = "↓ more"
		case vp.AtBottom():
			more = "↑ more"
		}
		pct := st.Muted.Render(" " + more)
		if lipgloss.Width(head)+lipgloss.Width(pct) <= iw {
			head += strings.Repeat(" ", iw-lipgloss.Width(head)-lipgloss.Width(pct)) + pct
		}
	}
	head = ansi.Truncate(head, iw, "…")
	body := vp.View() // exactly iw×ih: the viewport pads to its size
	box := st.Pane
	if act == w.focus {
		box = st.FocusedPane
	}
	return box.Width(s.w).Render(head + "\n" + body)
}

// render draws the whole walkthrough body.
func (w walk) render(st Styles) string {
	cols := make([]string, 0, len(w.lay))
	for _, c := range w.lay {
		parts := make([]string, 0, len(c.slots))
		for _, s := range c.slots {
			parts = append(parts, w.renderSlot(s, st))
		}
		cols = append(cols, lipgloss.JoinVertical(lipgloss.Left, parts...))
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, cols...)
	if w.mode.present {
		width := 0
		for _, c := range w.lay {
			width += c.w
		}
		return w.banner(st, width) + "\n" + body
	}
	return body
}
