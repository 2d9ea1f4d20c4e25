package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func keyMatches(msg tea.KeyPressMsg, b key.Binding) bool { return key.Matches(msg, b) }

// updateKeys enables the bindings that make sense in the current state and sets the
// help that depends on it. It is the only place that does, so what help shows and
// what the keys do cannot drift apart.
func (m *Model) updateKeys() {
	k := &m.keys
	for _, b := range k.all() {
		b.SetEnabled(false)
	}
	typing := m.typing()
	k.ForceQuit.SetEnabled(true)
	k.Quit.SetEnabled(!typing)
	k.Help.SetEnabled(!typing)
	faults := m.opts.Faults != nil && m.choice.Provider.Bundled && !typing
	k.Back.SetHelp("esc", "back")
	k.Faults.SetHelp("f", "faults")
	m.resetLifecycleHelp()
	defer func() {
		// The full help lists the keys of the screen under it; while it is open only
		// these act (handleKey swallows the rest).
		if m.help.ShowAll {
			k.Back.SetEnabled(true)
			k.Back.SetHelp("esc", "close help")
		}
	}()
	switch m.screen {
	case screenProviders:
		if typing {
			k.Confirm.SetEnabled(true)
			k.Cancel.SetEnabled(true)
			k.NextPane.SetEnabled(true)
			k.PrevPane.SetEnabled(true)
			k.NextPane.SetHelp("tab", "next field")
			m.providers.enableKeys(k)
			return
		}
		k.Up.SetEnabled(true)
		k.Down.SetEnabled(true)
		k.Select.SetEnabled(true)
		m.providers.enableKeys(k)
	case screenFlows:
		k.Up.SetEnabled(true)
		k.Down.SetEnabled(true)
		k.Select.SetEnabled(true)
		k.Back.SetEnabled(true)
		k.Back.SetHelp("esc", "providers")
		k.Faults.SetEnabled(faults)
	case screenFaults:
		k.Up.SetEnabled(true)
		k.Down.SetEnabled(true)
		k.Top.SetEnabled(true)
		k.Bottom.SetEnabled(true)
		k.Toggle.SetEnabled(true)
		k.Advance.SetEnabled(true)
		k.Back.SetEnabled(true)
		k.Faults.SetEnabled(true)
		k.Faults.SetHelp("f", "close")
	case screenWalk:
		w := &m.walk
		if m.export.open {
			k.Confirm.SetEnabled(true)
			k.Confirm.SetHelp("enter", "write")
			k.Cancel.SetEnabled(true)
			k.NextPane.SetEnabled(true)
			k.PrevPane.SetEnabled(true)
			k.NextPane.SetHelp("tab/↓", "format")
			return
		}
		k.Confirm.SetHelp("enter", "confirm")
		if typing {
			k.Confirm.SetEnabled(true)
			k.Cancel.SetEnabled(true)
			return
		}
		idle := !w.running
		auth := idle && w.atLogin()
		k.Next.SetEnabled(idle && !w.snap.done)
		approve := idle && w.atApprove()
		switch {
		case w.canApproveWhilePolling():
			k.Next.SetEnabled(true)
			k.Next.SetHelp("n", "approve here as "+w.caps.users[w.user])
		case auth && w.canLoginHere():
			k.Next.SetHelp("n", "log in as "+w.caps.users[w.user])
		case approve && w.canLoginHere():
			k.Next.SetHelp("n", "approve as "+w.caps.users[w.user])
		case w.snap.hasPending && len(w.edits()) > 0:
			k.Next.SetHelp("n", "send edited")
		case w.snap.hasPending:
			k.Next.SetHelp("n", "send")
		default:
			k.Next.SetHelp("n", "next step")
		}
		k.Edit.SetEnabled(idle && w.snap.hasPending && len(w.edited.Params) > 0)
		k.Reset.SetEnabled(idle && w.field < len(w.edited.Params) && w.isEdited(w.edited.Params[w.field].Name))
		k.Drop.SetEnabled(idle && w.snap.hasPending && w.focus == paneRequest && w.field < len(w.edited.Params))
		k.Restore.SetEnabled(idle && w.snap.hasPending && len(w.edits()) > 0)
		k.Browser.SetEnabled(auth && w.caps.browser != nil)
		k.Paste.SetEnabled(auth && w.caps.pasted != nil)
		k.User.SetEnabled((auth || approve) && w.canLoginHere() && len(w.caps.users) > 1)
		k.Copy.SetEnabled(true)
		k.Reveal.SetEnabled(true)
		if w.reveal {
			k.Reveal.SetHelp("r", "mask")
		} else {
			k.Reveal.SetHelp("r", "reveal")
		}
		k.NextPane.SetEnabled(true)
		k.PrevPane.SetEnabled(true)
		k.NextPane.SetHelp("tab", "pane")
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom} {
			b.SetEnabled(true)
		}
		k.Left.SetEnabled(w.focus == paneTokens && len(tokensOf(w.shownRecords())) > 1)
		k.Right.SetEnabled(k.Left.Enabled())
		k.Restart.SetEnabled(idle)
		k.Back.SetEnabled(true)
		if w.running {
			k.Back.SetHelp("esc", "cancel")
		} else {
			k.Back.SetHelp("esc", "flows")
		}
		k.Faults.SetEnabled(faults && idle)
		m.lifecycleWalkKeys()
		m.walkModeKeys()
	case screenLessons:
		m.lessonKeys()
	case screenFollowUps:
		m.followUpKeys(typing)
	case screenTimeline:
		m.timelineKeys()
	}
}
