package tui

import "charm.land/bubbles/v2/key"

// keyMap declares every key binding once. Help is derived from it, and which
// bindings are enabled is decided in one place, [Model.updateKeys], so help and
// behaviour never drift apart.
type keyMap struct {
	ForceQuit key.Binding
	Quit      key.Binding
	Help      key.Binding
	Back      key.Binding

	Up, Down, Left, Right key.Binding
	PageUp, PageDown      key.Binding
	Top, Bottom           key.Binding
	NextPane, PrevPane    key.Binding

	Select key.Binding // menus

	Next    key.Binding // walkthrough: run the next step
	Edit    key.Binding
	Reset   key.Binding
	Drop    key.Binding
	Restore key.Binding
	Reveal  key.Binding
	Copy    key.Binding
	Browser key.Binding
	Paste   key.Binding
	User    key.Binding
	Restart key.Binding
	Faults  key.Binding
	Export  key.Binding // write the transcript (tui/export.go)
	Prev    key.Binding // step back through the records (read-only, presenter, lessons)

	FollowUps key.Binding // the follow-ups on the tokens held (tui/followup.go)
	Timeline  key.Binding // the token timeline (tui/timeline.go)

	Confirm key.Binding // text inputs
	Cancel  key.Binding
	Save    key.Binding // forms (tui/profileform.go)

	Toggle  key.Binding // faults screen
	Advance key.Binding
}

func newKeyMap() keyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return keyMap{
		ForceQuit: b(k("ctrl+c"), h("ctrl+c", "quit")),
		Quit:      b(k("q"), h("q", "quit")),
		Help:      b(k("?"), h("?", "help")),
		Back:      b(k("esc"), h("esc", "back")),

		Up:       b(k("up", "k"), h("↑/k", "up")),
		Down:     b(k("down", "j"), h("↓/j", "down")),
		Left:     b(k("left", "h", "["), h("←/h", "previous")),
		Right:    b(k("right", "l", "]"), h("→/l", "next")),
		PageUp:   b(k("pgup", "ctrl+u"), h("pgup", "page up")),
		PageDown: b(k("pgdown", "ctrl+d"), h("pgdn", "page down")),
		Top:      b(k("home", "g"), h("g", "top")),
		Bottom:   b(k("end", "G"), h("G", "bottom")),
		NextPane: b(k("tab"), h("tab", "pane")),
		PrevPane: b(k("shift+tab"), h("shift+tab", "previous pane")),

		Select: b(k("enter"), h("enter", "choose")),

		Next:    b(k("n", "enter"), h("n", "next step")),
		Edit:    b(k("e"), h("e", "edit")),
		Reset:   b(k("x"), h("x", "undo edit")),
		Drop:    b(k("d"), h("d", "drop field")),
		Restore: b(k("X"), h("X", "undo all edits")),
		Reveal:  b(k("r"), h("r", "reveal")),
		Copy:    b(k("c"), h("c", "copy")),
		Browser: b(k("o"), h("o", "browser")),
		Paste:   b(k("p"), h("p", "paste URL")),
		User:    b(k("u"), h("u", "user")),
		Restart: b(k("s"), h("s", "restart")),
		Faults:  b(k("f"), h("f", "faults")),
		Export:  b(k("w"), h("w", "export")),
		Prev:    b(k("b", "left"), h("b/←", "previous step")),

		FollowUps: b(k("t"), h("t", "follow-ups")),
		Timeline:  b(k("T"), h("T", "timeline")),

		Confirm: b(k("enter"), h("enter", "confirm")),
		Cancel:  b(k("esc"), h("esc", "cancel")),
		Save:    b(k("ctrl+s"), h("ctrl+s", "save")),

		Toggle:  b(k("space", "enter"), h("space", "switch on/off")),
		Advance: b(k("+", "="), h("+", "clock +1h")),
	}
}

// ShortHelp is the help line that is always visible: the keys that matter now.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{
		k.Confirm, k.Save, k.Cancel, k.Select, k.Toggle, k.Advance, k.Next, k.Prev, k.Edit, k.User, k.Browser,
		k.Paste, k.Copy, k.FollowUps, k.Timeline, k.Export, k.NextPane, k.Help, k.Quit, k.Faults, k.Back,
	}
}

// FullHelp is the `?` help, in columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Edit, k.Reset, k.Drop, k.Restore, k.Restart, k.Select, k.Toggle, k.Advance, k.Confirm, k.Save, k.Cancel},
		{k.Prev, k.User, k.Browser, k.Paste, k.Copy, k.Reveal, k.Export, k.FollowUps, k.Timeline, k.Faults},
		{k.Up, k.Down, k.Left, k.Right, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.NextPane, k.PrevPane, k.Back, k.Help, k.Quit, k.ForceQuit},
	}
}

// all returns every binding, for switching them all off before enabling per state.
func (k *keyMap) all() []*key.Binding {
	return []*key.Binding{
		&k.Quit, &k.Help, &k.Back, &k.Up, &k.Down, &k.Left, &k.Right, &k.PageUp, &k.PageDown,
		&k.Top, &k.Bottom, &k.NextPane, &k.PrevPane, &k.Select, &k.Next, &k.Edit, &k.Reset, &k.Drop, &k.Restore,
		&k.Reveal, &k.Copy, &k.Browser, &k.Paste, &k.User, &k.Restart, &k.Faults, &k.Export, &k.Prev, &k.FollowUps, &k.Timeline, &k.Confirm,
		&k.Cancel, &k.Save, &k.Toggle, &k.Advance,
	}
}
