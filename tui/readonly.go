package tui

import (
	"path/filepath"

	"charm.land/bubbles/v2/key"
	"github.com/oauthx/oauthx/flows/record"
)

// walkMode is how a walkthrough was opened: a live flow, a recorded one
// (read-only), on a projector (presenter), or a lesson.
type walkMode struct {
	// readOnly walks recorded steps: nothing is edited, restarted or switched.
	readOnly bool
	// present lays the walkthrough out for a projector (tui/present.go).
	present bool
	// lesson is the lesson being run (tui/lessons.go); nil for a flow.
	lesson *LessonInfo
}

// stepping reports whether the person steps back and forth through the records
// (b/← and n/→): in a replay, on a projector and in a lesson, where the point is to
// show each step in turn, and to go back to one.
func (w walk) stepping() bool {
	return w.mode.readOnly || w.mode.present || w.mode.lesson != nil
}

// guided reports whether the walkthrough runs as given, its requests not editable: a
// replay shows what was recorded; a lesson applies its own edits, and takes the
// person's on top only in its attack (lessonEditable).
func (w walk) guided() bool {
	return w.mode.readOnly || w.mode.lesson != nil && !w.lessonEditable()
}

// lastRun is the index in the plan of the last step that ran (-1 before the first).
func (w walk) lastRun() int { return w.nextIndex() - 1 }

// viewingEarlier reports whether the selected step is one before the last that ran:
// n then moves forward to the next recorded step instead of running one.
func (w walk) viewingEarlier() bool { return w.sel < w.lastRun() }

// stepBack selects the step before the selected one.
func (w walk) stepBack() walk {
	if w.sel > 0 {
		w.sel--
	}
	w.show(paneStep)
	w.status, w.statusErr = w.position(), false
	return w
}

// stepForward selects the step after the selected one, among those that ran.
func (w walk) stepForward() walk {
	if w.sel < w.lastRun() {
		w.sel++
	}
	w.show(paneStep)
	w.status, w.statusErr = w.position(), false
	return w
}

// position says where the person is among the steps that ran.
func (w walk) position() string {
	n := len(w.snap.plan)
	s := "step " + itoa(w.sel+1) + " of " + itoa(n)
	if w.sel >= 0 && w.sel < n {
		s += ": " + w.snap.plan[w.sel].Title
	}
	if w.viewingEarlier() {
		s += " · n forward, b back"
	}
	return s
}

// walkModeKeys adjusts the walkthrough's bindings for its mode, after the live
// flow's have been set: stepping keys, and the keys a guided walkthrough has not.
func (m *Model) walkModeKeys() {
	k, w := &m.keys, &m.walk
	k.Next.SetKeys("n", "enter")
	k.Left.SetHelp("←/h", "previous")
	k.Right.SetHelp("→/l", "next")
	idle := !w.running
	k.Export.SetEnabled(m.opts.Export != nil && idle && w.snap.done && len(w.snap.records) > 0)
	if w.stepping() {
		// n, enter, → and space go forward; b and ← go back; tokens switch with h/l.
		k.Next.SetKeys("n", "enter", "right", "space")
		k.Next.SetEnabled(idle && (!w.snap.done || w.viewingEarlier()))
		if w.viewingEarlier() {
			k.Next.SetHelp("n/→", "forward")
		} else if w.snap.done {
			k.Next.SetHelp("n", "next step")
		} else if !w.snap.hasPending || w.guided() {
			k.Next.SetHelp("n/→", "next step")
		}
		k.Prev.SetEnabled(idle && w.sel > 0)
		k.Left.SetHelp("h/[", "previous token")
		k.Right.SetHelp("l/]", "next token")
	}
	if w.mode.readOnly || w.mode.lesson != nil {
		// A replay sends nothing; a lesson logs in, sets its faults and holds
		// tokens of its own IdP: no login choices, faults or follow-ups.
		for _, b := range []*key.Binding{&k.Browser, &k.Paste, &k.User, &k.Faults, &k.FollowUps} {
			b.SetEnabled(false)
		}
	}
	if w.guided() {
		for _, b := range []*key.Binding{&k.Edit, &k.Reset, &k.Drop, &k.Restore} {
			b.SetEnabled(false)
		}
	}
	switch {
	case w.mode.readOnly:
		k.Restart.SetEnabled(false)
		if !w.running {
			k.Back.SetHelp("esc", "quit")
		}
	case w.mode.lesson != nil:
		k.Restart.SetHelp("s", "restart lesson")
		if !w.running {
			k.Back.SetHelp("esc", "lessons")
		}
	default:
		k.Restart.SetHelp("s", "restart")
	}
}

// replayHeader is the header of a replay: that it is one, read-only, from which
// file, recorded when, and of which flow.
func (m Model) replayHeader(st Styles) []string {
	r := m.opts.Recording
	out := []string{st.Fail.Render("REPLAY") + st.Bold.Render(" (read-only)")}
	if r.File != "" {
		out = append(out, st.Bold.Render(sanitize(filepath.Base(r.File))))
	}
	if !r.Recorded.IsZero() {
		out = append(out, st.HeaderDim.Render("recorded "+r.Recorded.UTC().Format("2006-01-02 15:04 UTC")))
	}
	if m.hasWalk {
		out = append(out, st.Bold.Render(m.walk.kind.Title))
	}
	if r.Provider != "" {
		out = append(out, st.HeaderDim.Render("against "+sanitize(r.Provider)))
	}
	return out
}

// shownRecords are the records as of the selected step when the person stepped back
// to it (a replay, the presenter, a lesson): the Tokens pane then shows the tokens
// the flow held at that step, not those it got later.
func (w walk) shownRecords() []record.Step {
	if w.stepping() && w.viewingEarlier() && w.sel >= 0 && w.sel < len(w.snap.records) {
		return w.snap.records[:w.sel+1]
	}
	return w.snap.records
}
