package tui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/oauthx/oauthx/flows/record"
)

// bannerLines is the height of the presenter's title banner.
const bannerLines = 3

// presentWideWidth is the width from which the presenter shows the steps list beside
// the one pane; below it, one pane fills the screen and the steps are a tab.
const presentWideWidth = 120

// presentPalette is the presenter's palette: the text at full contrast with the
// background, saturated colours that survive a washed-out projector, and no faint
// greys (the muted text is still readable from the back of a room).
func presentPalette(isDark, noColor bool) Palette {
	if noColor {
		return newPalette(isDark, true)
	}
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return Palette{
		Text:    ld(c("#000000"), c("#FFFFFF")),
		Muted:   ld(c("#32383F"), c("#D0D7DE")),
		Accent:  ld(c("#003A8C"), c("#6CC4FF")),
		Success: ld(c("#0A5A1C"), c("#5EEA7A")),
		Failure: ld(c("#A0001C"), c("#FF6B6B")),
		Warning: ld(c("#6B4400"), c("#FFD33D")),
		Border:  ld(c("#24292F"), c("#C9D1D9")),
		Focus:   ld(c("#5A1DB0"), c("#FFD33D")),
		Secret:  ld(c("#7A2B00"), c("#FFA657")),
	}
}

// presentStyles are the presenter's styles: its palette, bold titles and thick
// borders.
func presentStyles(isDark, noColor bool) Styles {
	s := stylesFrom(presentPalette(isDark, noColor), isDark, noColor)
	s.Title = s.Title.Underline(true)
	s.Pane = s.Pane.Border(lipgloss.ThickBorder())
	s.FocusedPane = s.FocusedPane.Border(lipgloss.ThickBorder())
	s.TabActive = s.TabActive.Reverse(true).Underline(false).Padding(0, 1)
	return s
}

// presentLayout splits the body under the banner for a projector: one pane at a time
// (the step, or its request, exchanges, tokens or diagram as tabs), with the steps
// list beside it when the screen is wide enough.
func presentLayout(w, h int) []column {
	h = max(h-bannerLines, 4)
	all := []pane{paneStep, paneRequest, paneHTTP, paneTokens, paneDiagram}
	if w >= presentWideWidth {
		left := min(max(w/3, 32), 48)
		return []column{
			{left, []slot{{[]pane{paneSteps}, left, h}}},
			{w - left, []slot{{all, w - left, h}}},
		}
	}
	return []column{{w, []slot{{append(all, paneSteps), w, h}}}}
}

// banner is the presenter's title: the selected step's number and title, large
// enough to read from the back of a room (bold, on a bar of its own, padded), with
// its status on the right.
func (w walk) banner(st Styles, width int) string {
	bar := st.Selected.Reverse(true).Bold(true)
	left, right := " oauthx", ""
	if w.sel >= 0 && w.sel < len(w.snap.plan) {
		left = " STEP " + itoa(w.sel+1) + " / " + itoa(len(w.snap.plan)) + "   " + sanitize(w.snap.plan[w.sel].Title)
		if part := w.partOf(w.sel); part != "" {
			left = " " + strings.ToUpper(part) + " ·" + left
		}
		right = bannerStatus(w.stepStatus(w.sel)) + " "
	}
	if lipgloss.Width(left)+lipgloss.Width(right)+1 > width {
		right = ""
	}
	left = ansi.Truncate(left, width-lipgloss.Width(right), "…")
	mid := left + strings.Repeat(" ", max(width-lipgloss.Width(left)-lipgloss.Width(right), 0)) + right
	pad := strings.Repeat(" ", width)
	return bar.Render(pad) + "\n" + bar.Render(mid) + "\n" + bar.Render(pad)
}

func bannerStatus(s record.Status) string {
	switch s {
	case record.StatusDone:
		return "✓ DONE"
	case record.StatusFailed:
		return "✗ FAILED"
	case record.StatusRunning:
		return "… RUNNING"
	case record.StatusWaiting:
		return "⧗ WAITING"
	case record.StatusSkipped:
		return "– SKIPPED"
	}
	return "NOT RUN YET"
}
