package tui

import (
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// advanceStep is how far `+` moves the bundled IdP's clock.
const advanceStep = time.Hour

// faultsView switches the bundled IdP's faults on and off and moves its clock, so a
// workshop can show what each client check catches.
type faultsView struct {
	catalog  []FaultInfo
	active   []string
	cursor   int
	advanced time.Duration
	err      string
}

// faultsMsg reports the faults switched on after a change.
type faultsMsg struct {
	active []string
	err    error
	// advanced is how far the clock moved, for an Advance.
	advanced time.Duration
}

func loadFaults(fc FaultController) tea.Cmd {
	return func() tea.Msg { return faultsMsg{active: fc.Active()} }
}

func setFault(fc FaultController, name string, on bool) tea.Cmd {
	return func() tea.Msg {
		err := fc.Set(name, on)
		return faultsMsg{active: fc.Active(), err: err}
	}
}

func advanceClock(fc FaultController, d time.Duration) tea.Cmd {
	return func() tea.Msg {
		fc.Advance(d)
		return faultsMsg{active: fc.Active(), advanced: d}
	}
}

func (f faultsView) isOn(name string) bool { return slices.Contains(f.active, name) }

// Update handles keys on the faults screen; commands do the switching.
func (f faultsView) Update(msg tea.Msg, km keyMap, fc FaultController) (faultsView, tea.Cmd) {
	switch msg := msg.(type) {
	case faultsMsg:
		f.active = msg.active
		f.advanced += msg.advanced
		f.err = ""
		if msg.err != nil {
			f.err = msg.err.Error()
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, km.Up):
			f.cursor = max(f.cursor-1, 0)
		case key.Matches(msg, km.Down):
			f.cursor = min(f.cursor+1, max(len(f.catalog)-1, 0))
		case key.Matches(msg, km.Top):
			f.cursor = 0
		case key.Matches(msg, km.Bottom):
			f.cursor = max(len(f.catalog)-1, 0)
		case key.Matches(msg, km.Toggle):
			if f.cursor < len(f.catalog) && fc != nil {
				name := f.catalog[f.cursor].Name
				return f, setFault(fc, name, !f.isOn(name))
			}
		case key.Matches(msg, km.Advance):
			if fc != nil {
				return f, advanceClock(fc, advanceStep)
			}
		}
	}
	return f, nil
}

func (f faultsView) View(st Styles, w, h int) string {
	top := newDoc(w)
	top.text(st.Title, "", "Faults of the bundled IdP")
	clock := "provider clock: real time"
	if f.advanced > 0 {
		clock = "provider clock: +" + f.advanced.String() + " ahead"
	}
	top.text(st.Muted, "", itoa(len(f.active))+" on · "+clock+" · each fault shows which client check should catch it")
	if f.err != "" {
		top.text(st.Fail, "", "✗ "+f.err)
	}
	detail := newDoc(w)
	if f.cursor < len(f.catalog) {
		c := f.catalog[f.cursor]
		detail.text(st.Bold, "", c.Title)
		detail.text(st.Plain, "", c.Description)
		detail.text(st.OK, "", "caught by: "+c.Catches)
		detail.text(st.Accent, "", c.Spec)
	}
	listH := max(h-len(top.lines)-len(detail.lines)-2, 3)
	list := newDoc(w)
	start := min(max(f.cursor-listH/2, 0), max(len(f.catalog)-listH, 0))
	for i := start; i < min(start+listH, len(f.catalog)); i++ {
		c := f.catalog[i]
		box := st.Muted.Render("[ ]")
		if f.isOn(c.Name) {
			box = st.Fail.Render("[x]")
		}
		mark, title := "  ", c.Title
		if i == f.cursor {
			mark, title = st.Selected.Render("▸ "), st.Selected.Render(c.Title)
		}
		list.line(mark + box + " " + title + st.Muted.Render("  "+c.Name))
	}
	out := append(top.lines, "")
	out = append(out, list.lines...)
	out = append(out, "")
	out = append(out, detail.lines...)
	d := newDoc(w)
	for _, l := range out {
		d.line(l)
	}
	return d.String()
}
