package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Palette is the semantic colour set every style is built from. It is chosen once
// per background (light or dark) with lipgloss.LightDark, or left empty (no colour)
// when NO_COLOR is set.
type Palette struct {
	Text, Muted, Accent, Success, Failure, Warning, Border, Focus, Secret color.Color
}

// newPalette builds the palette for a dark or light background; noColor drops every
// colour (https://no-color.org), leaving bold, faint and reverse to mark state.
func newPalette(isDark, noColor bool) Palette {
	if noColor {
		n := lipgloss.NoColor{}
		return Palette{n, n, n, n, n, n, n, n, n}
	}
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return Palette{
		Text:    ld(c("#1F2328"), c("#E6EDF3")),
		Muted:   ld(c("#636C76"), c("#8B949E")),
		Accent:  ld(c("#0550AE"), c("#79C0FF")),
		Success: ld(c("#1A7F37"), c("#3FB950")),
		Failure: ld(c("#CF222E"), c("#FF7B72")),
		Warning: ld(c("#9A6700"), c("#D29922")),
		Border:  ld(c("#AFB8C1"), c("#484F58")),
		Focus:   ld(c("#8250DF"), c("#D2A8FF")),
		Secret:  ld(c("#953800"), c("#FFA657")),
	}
}

// Styles are every style the TUI renders with. One value lives in the root model and
// is rebuilt when the terminal reports its background colour.
type Styles struct {
	NoColor bool
	// Dark reports the background the styles were built for (the device flow's QR
	// code is drawn in the matching polarity).
	Dark bool

	Header, HeaderDim       lipgloss.Style
	Plain, Title, Muted     lipgloss.Style
	Bold                    lipgloss.Style
	Accent, Key             lipgloss.Style
	OK, Fail, Warn, Secret  lipgloss.Style
	Selected                lipgloss.Style
	Pane, FocusedPane       lipgloss.Style
	TabActive, TabInactive  lipgloss.Style
	ErrorBox                lipgloss.Style
	Edited                  lipgloss.Style
	Status, StatusErr       lipgloss.Style
	Diagram, DiagramCurrent lipgloss.Style
	DiagramPending          lipgloss.Style

	Help  help.Styles
	Input textinput.Styles
}

// NewStyles builds the styles from the palette for the given background.
func NewStyles(isDark, noColor bool) Styles {
	return stylesFrom(newPalette(isDark, noColor), isDark, noColor)
}

// stylesFrom builds the styles from a palette (the presenter's is in tui/present.go).
func stylesFrom(p Palette, isDark, noColor bool) Styles {
	base := lipgloss.NewStyle().Foreground(p.Text)
	s := Styles{NoColor: noColor, Dark: isDark}
	s.Header = base.Bold(true).Foreground(p.Accent)
	s.HeaderDim = base.Foreground(p.Muted)
	s.Plain = base
	s.Title = base.Bold(true)
	s.Muted = lipgloss.NewStyle().Foreground(p.Muted)
	s.Bold = base.Bold(true)
	s.Accent = lipgloss.NewStyle().Foreground(p.Accent)
	s.Key = lipgloss.NewStyle().Foreground(p.Focus).Bold(true)
	s.OK = lipgloss.NewStyle().Foreground(p.Success)
	s.Fail = lipgloss.NewStyle().Foreground(p.Failure).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(p.Warning)
	s.Secret = lipgloss.NewStyle().Foreground(p.Secret)
	s.Edited = lipgloss.NewStyle().Foreground(p.Warning).Bold(true)
	s.Selected = lipgloss.NewStyle().Foreground(p.Focus).Bold(true)
	if noColor {
		s.Selected = s.Selected.Reverse(true)
		s.Muted = s.Muted.Faint(true)
	}
	s.Pane = lipgloss.NewStyle().
		Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).
		Padding(0, 1)
	s.FocusedPane = s.Pane.BorderForeground(p.Focus)
	if noColor {
		s.FocusedPane = s.FocusedPane.Border(lipgloss.ThickBorder())
	}
	s.TabActive = lipgloss.NewStyle().Bold(true).Foreground(p.Focus).Underline(true)
	s.TabInactive = lipgloss.NewStyle().Foreground(p.Muted)
	s.ErrorBox = lipgloss.NewStyle().
		Border(lipgloss.NormalBorder(), false, false, false, true).
		BorderForeground(p.Failure).PaddingLeft(1)
	s.Status = lipgloss.NewStyle().Foreground(p.Success)
	s.StatusErr = lipgloss.NewStyle().Foreground(p.Failure)
	s.Diagram = base
	s.DiagramCurrent = lipgloss.NewStyle().Foreground(p.Focus).Bold(true)
	s.DiagramPending = lipgloss.NewStyle().Foreground(p.Muted)

	s.Help = help.Styles{
		Ellipsis:       s.Muted,
		ShortKey:       s.Key,
		ShortDesc:      s.Muted,
		ShortSeparator: s.Muted,
		FullKey:        s.Key,
		FullDesc:       s.Muted,
		FullSeparator:  s.Muted,
	}
	s.Input = textinput.DefaultStyles(isDark)
	s.Input.Focused.Prompt = s.Key
	s.Input.Focused.Text = base
	s.Input.Blurred.Text = s.Muted
	if noColor {
		s.Input.Focused.Placeholder = s.Muted
		s.Input.Blurred.Placeholder = s.Muted
		s.Input.Focused.Suggestion = s.Muted
		s.Input.Blurred.Suggestion = s.Muted
		s.Input.Blurred.Prompt = lipgloss.NewStyle()
		s.Input.Cursor.Color = lipgloss.NoColor{}
	}
	return s
}
