package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// LessonInfo describes an attack lesson for the menu and the walkthrough (from
// flows/lesson, wired in cmd/oauthx).
type LessonInfo struct {
	// Name is the name on the command line (`oauthx lesson NAME`).
	Name string
	// Title is a short heading; Summary one line for the menu; Topic groups lessons.
	Title, Summary, Topic string
	// Attack explains the attack: who the attacker is, what they do and gain.
	Attack string
	// Kind is the flow the lesson runs.
	Kind flows.Kind
	// Setup lists what the lesson changes, one line each (faults, edits, a victim).
	Setup []string
	// Expect says where the flow must fail and why.
	Expect string
	// DefenceBy names the defence ("the client's state check"); Defence explains it.
	DefenceBy, Defence string
	// Quotes are the spec passages behind the defence, most direct first.
	Quotes []LessonQuote
	// Contrast names the run against a provider that skips its own check, if any.
	Contrast string
}

// LessonQuote is a spec passage, word for word.
type LessonQuote struct {
	Ref   string // "RFC 6749 §10.12"
	Title string // the section's title
	Text  string
	URL   string
}

// LessonFlow is a lesson run as a flow: the parts of the lesson (a victim's session,
// the attack, what it left behind, the contrast) one after the other, with the
// lesson's faults and edits applied by the run itself. Its StepInput is ignored.
type LessonFlow interface {
	flows.Flow
	// Lesson returns the run's progress. Like Plan, it is safe to call between steps.
	Lesson() LessonStatus
}

// LessonStatus is a lesson run's progress.
type LessonStatus struct {
	// Info is the lesson.
	Info LessonInfo
	// Issuer is the bundled IdP the lesson runs against (one of its own).
	Issuer string
	// Parts say where each part of the run starts in the plan.
	Parts []LessonPart
	// Edits are the lesson's changes to the pending request (the attack), already
	// applied to it.
	Edits []record.Edit
	// Verdict is set once the attacked flow ended; Contrast once the contrast did.
	Verdict, Contrast *LessonVerdict
}

// LessonPart is one part of a lesson run.
type LessonPart struct {
	// Title is a heading ("bob's session (the victim)", "the attack").
	Title string
	// First is the index in the plan of the part's first step.
	First int
	// Attack marks the part the defence must stop.
	Attack bool
	// Editable marks a part whose requests the person may change on top of the
	// lesson's edits (the attack and its contrast), to try a variant.
	Editable bool
	// Faults are the bundled IdP faults switched on for the part.
	Faults []string
}

// LessonVerdict says how an attacked flow ended against the lesson's expectation.
type LessonVerdict struct {
	// Caught: the expected check failed for the expected reason (for a contrast:
	// the attack got through, as the lesson says it should).
	OK bool
	// Step is the plan id of the step the flow ended at.
	Step string
	// By is the failed check (or the provider's error code); Reason its reason; Spec
	// its spec reference.
	By, Reason, Spec string
	// Summary is one line for a person.
	Summary string
	// Aftermath says what the attack left behind, when the lesson looks.
	Aftermath string
	// Own are the person's changes to the attacked requests, on top of the
	// lesson's: the verdict is on the run as they sent it.
	Own []record.Edit
}

func lessonStatusOf(f flows.Flow) *LessonStatus {
	if lf, ok := f.(LessonFlow); ok {
		s := lf.Lesson()
		return &s
	}
	return nil
}

// lessonMenu lists the lessons, then explains the chosen one before it starts.
type lessonMenu struct {
	lessons []LessonInfo
	cursor  int
	intro   bool // the chosen lesson's explanation is on screen
	err     string
}

// Update returns the lesson to start, or back when the person left the menu.
func (m lessonMenu) Update(msg tea.Msg, km keyMap) (menu lessonMenu, start string, back bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || len(m.lessons) == 0 {
		if ok && key.Matches(k, km.Back) {
			return m, "", true
		}
		return m, "", false
	}
	switch {
	case key.Matches(k, km.Back) && m.intro:
		m.intro = false
	case key.Matches(k, km.Back):
		return m, "", true
	case m.intro && key.Matches(k, km.Select):
		m.err = ""
		return m, m.lessons[m.cursor].Name, false
	case m.intro:
	case key.Matches(k, km.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, km.Down):
		m.cursor = min(m.cursor+1, len(m.lessons)-1)
	case key.Matches(k, km.Top):
		m.cursor = 0
	case key.Matches(k, km.Bottom):
		m.cursor = len(m.lessons) - 1
	case key.Matches(k, km.Select):
		m.intro = true
	}
	return m, "", false
}

// open shows the intro of the named lesson.
func (m lessonMenu) open(name string) (lessonMenu, bool) {
	i := slices.IndexFunc(m.lessons, func(l LessonInfo) bool { return l.Name == name })
	if i < 0 {
		return m, false
	}
	m.cursor, m.intro = i, true
	return m, true
}

func (m lessonMenu) View(st Styles, w, h int) string {
	if m.intro && m.cursor < len(m.lessons) {
		return m.introView(st, w)
	}
	top := newDoc(w)
	top.text(st.Title, "", "Lessons: attacks and the checks that stop them")
	top.text(st.Muted, "", "each runs a real flow against a bundled IdP of its own, with the lesson's faults and tampered requests")
	if m.err != "" {
		top.text(st.Fail, "", "✗ "+m.err)
	}
	list := newDoc(w)
	for i, l := range m.lessons {
		mark, title := "  ", st.Bold.Render(l.Title)
		if i == m.cursor {
			mark, title = st.Selected.Render("▸ "), st.Selected.Render(l.Title)
		}
		list.line(mark + title + st.Muted.Render("  "+l.Name))
	}
	detail := newDoc(w)
	if m.cursor < len(m.lessons) {
		l := m.lessons[m.cursor]
		detail.text(st.Plain, "", l.Summary)
		detail.text(st.OK, "", "caught by "+l.DefenceBy)
	}
	// the list scrolls around the cursor when it does not fit
	room := max(h-len(top.lines)-len(detail.lines)-2, 3)
	start := min(max(m.cursor-room/2, 0), max(len(list.lines)-room, 0))
	lines := append(slices.Clone(top.lines), "")
	lines = append(lines, list.lines[start:min(start+room, len(list.lines))]...)
	lines = append(lines, "")
	lines = append(lines, detail.lines...)
	return strings.Join(lines, "\n")
}

func (m lessonMenu) introView(st Styles, w int) string {
	l := m.lessons[m.cursor]
	d := newDoc(w)
	d.text(st.Title, "", "Lesson: "+l.Title)
	d.text(st.Muted, "", "oauthx lesson "+l.Name+" · "+string(l.Kind)+" flow")
	d.blank()
	d.text(st.Bold, "", "The attack")
	d.text(st.Plain, "", l.Attack)
	d.blank()
	d.text(st.Bold, "", "What the lesson does")
	for _, s := range l.Setup {
		bullet(d, st.Plain, s)
	}
	bullet(d, st.Plain, "expected: "+l.Expect)
	if l.Contrast != "" {
		bullet(d, st.Plain, "then the contrast: "+l.Contrast)
	}
	d.blank()
	d.text(st.Key, "", "enter starts the lesson · esc back to the list")
	return d.String()
}

// lessonKeys enables the lesson menu's keys.
func (m *Model) lessonKeys() {
	k := &m.keys
	k.Back.SetEnabled(true)
	if m.lessons.intro {
		k.Select.SetEnabled(true)
		k.Select.SetHelp("enter", "start the lesson")
		k.Back.SetHelp("esc", "lessons")
		return
	}
	k.Select.SetHelp("enter", "choose")
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.Select} {
		b.SetEnabled(true)
	}
	k.Back.SetHelp("esc", "flows")
}

// lessonStartedMsg carries a lesson run, tagged with the run it was started for.
type lessonStartedMsg struct {
	run  int
	name string
	flow LessonFlow
	snap snapshot
	err  error
}

// startLesson starts a lesson in a command: it starts a bundled IdP of its own.
func startLesson(fn func(string) (LessonFlow, error), run int, name string) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = lessonStartedMsg{run: run, name: name, err: fmt.Errorf("starting the lesson panicked: %v", r)}
			}
		}()
		if fn == nil {
			return lessonStartedMsg{run: run, name: name, err: fmt.Errorf("lessons are not available here")}
		}
		f, err := fn(name)
		if err != nil {
			return lessonStartedMsg{run: run, name: name, err: err}
		}
		return lessonStartedMsg{run: run, name: name, flow: f, snap: snapshotOf(f)}
	}
}

// beginLesson leaves the walkthrough on screen (if any) and starts a lesson.
func (m *Model) beginLesson(name string) tea.Cmd {
	if m.hasWalk {
		m.walk.stop()
	}
	m.run++
	m.status, m.statusErr = "starting the lesson "+name+"…", false
	return startLesson(m.opts.StartLesson, m.run, name)
}

// lessonStarted opens the walkthrough of a lesson that started.
func (m *Model) lessonStarted(msg lessonStartedMsg) {
	if msg.err != nil {
		m.screen = screenLessons
		m.lessons.err = msg.err.Error()
		m.status, m.statusErr = "✗ could not start the lesson: "+msg.err.Error(), true
		return
	}
	m.status, m.lessons.err = "", ""
	info := msg.snap.lesson.Info
	kind, ok := flows.LookupKind(string(msg.flow.Kind()))
	if !ok {
		kind = flows.KindInfo{Kind: msg.flow.Kind(), Title: string(msg.flow.Kind())}
	}
	kind.Title = "Lesson: " + info.Title
	choice := ProviderChoice{Provider: Provider{Name: "Bundled IdP (lesson)", Issuer: msg.snap.lesson.Issuer, Bundled: true}}
	// No login choices: each part of the lesson logs in as its own user.
	m.walk = newWalk(msg.run, kind, choice, msg.flow, msg.snap, caps{}, "", m.styles)
	m.walk.mode = walkMode{present: m.opts.Present, lesson: &info}
	m.walk.status = "lesson " + info.Name + ": n runs each step; b goes back"
	m.hasWalk = true
	m.screen = screenWalk
	m.layout()
}

// partOf names the part of the lesson step i belongs to ("" outside a lesson).
func (w walk) partOf(i int) string {
	if w.snap.lesson == nil {
		return ""
	}
	title := ""
	for _, p := range w.snap.lesson.Parts {
		if p.First <= i {
			title = p.Title
		}
	}
	return title
}

// partHeading is the heading shown in the steps list before step i, when a part of
// the lesson starts there.
func (w walk) partHeading(i int) (string, bool) {
	if w.snap.lesson == nil {
		return "", false
	}
	for _, p := range w.snap.lesson.Parts {
		if p.First == i {
			if len(p.Faults) > 0 {
				return p.Title + " · IdP fault " + strings.Join(p.Faults, ", ") + " on", true
			}
			return p.Title, true
		}
	}
	return "", false
}

// stepsLine is the line of step i in the steps list (part headings take lines).
func (w walk) stepsLine(i int) int {
	n := i
	for j := 0; j <= i; j++ {
		if _, ok := w.partHeading(j); ok {
			n++
		}
	}
	return n
}

// lessonEditable reports whether the person may edit the pending request of a
// lesson: it belongs to a part that takes their changes.
func (w walk) lessonEditable() bool {
	ls := w.snap.lesson
	if ls == nil || !w.snap.hasPending {
		return false
	}
	i, editable := w.nextIndex(), false
	for _, p := range ls.Parts {
		if p.First <= i {
			editable = p.Editable
		}
	}
	return editable
}

// lessonEdits shows, above a pending request, what the lesson (the attacker) changed.
func (w walk) lessonEdits(d *doc, st Styles) {
	if w.snap.lesson == nil || len(w.snap.lesson.Edits) == 0 || !w.snap.hasPending {
		return
	}
	if w.lessonEditable() {
		d.text(st.Edited, "", "The attack changes this request before it is sent (e changes it further, to try a variant):")
	} else {
		d.text(st.Edited, "", "The attack changes this request before it is sent:")
	}
	for _, e := range w.snap.lesson.Edits {
		to := e.To
		if to == "" && !w.snap.pending.Has(e.Name) {
			to = "(not sent)"
		}
		d.text(st.Edited, "  ", "✎ "+e.Name+": "+orNone(w.maskParam(e.Name, e.From))+" → "+orNone(w.maskParam(e.Name, to)))
	}
	d.blank()
}

// lessonVerdictAt shows the lesson's verdict under the step where the attacked flow
// ended: the check that caught it, highlighted, then the defence and its spec text.
func (w walk) lessonVerdictAt(d *doc, st Styles, i int) {
	ls := w.snap.lesson
	if ls == nil || i < 0 || i >= len(w.snap.plan) {
		return
	}
	id := w.snap.plan[i].ID
	switch {
	case ls.Verdict != nil && ls.Verdict.Step == id:
		d.blank()
		w.verdictBlock(d, st, *ls.Verdict, false)
		w.defenceBlock(d, st)
	case ls.Contrast != nil && ls.Contrast.Step == id:
		d.blank()
		w.verdictBlock(d, st, *ls.Contrast, true)
	}
}

func (w walk) verdictBlock(d *doc, st Styles, v LessonVerdict, contrast bool) {
	mark, sty := "✓ ", st.OK.Bold(true)
	switch {
	case contrast && v.OK:
		mark, sty = "! ", st.Warn.Bold(true)
	case !v.OK:
		mark, sty = "✗ ", st.Fail
	}
	head := "THE DEFENCE CAUGHT THE ATTACK"
	switch {
	case contrast && v.OK:
		head = "CONTRAST: WITHOUT THE DEFENCE, THE ATTACK GETS THROUGH"
	case contrast:
		head = "CONTRAST: NOT AS THE LESSON EXPECTS"
	case !v.OK:
		head = "NOT CAUGHT AS THE LESSON EXPECTS"
	}
	d.text(sty.Reverse(true), "", " "+head+" ")
	d.text(sty, "", mark+v.Summary)
	for _, e := range v.Own {
		d.text(st.Edited, "  ", "✎ yours: "+e.Name+": "+orNone(w.maskParam(e.Name, e.From))+" → "+orNone(w.maskParam(e.Name, e.To)))
	}
	if v.By != "" && !contrast {
		d.text(st.Selected, "  ", "check: "+v.By)
	}
	if v.Reason != "" && !contrast {
		d.text(st.Plain, "  ", v.Reason)
	}
	if v.Spec != "" {
		d.text(st.Accent, "  ", v.Spec)
	}
	if v.Aftermath != "" {
		d.text(st.Plain, "  ", "Afterwards: "+v.Aftermath+".")
	}
}

func (w walk) defenceBlock(d *doc, st Styles) {
	l := w.mode.lesson
	if l == nil {
		return
	}
	d.blank()
	d.text(st.Bold, "", "The defence: "+l.DefenceBy)
	d.text(st.Plain, "", l.Defence)
	for _, q := range l.Quotes {
		d.blank()
		d.text(st.Accent, "", q.Ref+", "+q.Title+":")
		d.text(st.Plain, "  │ ", q.Text)
		d.text(st.Muted, "  ", q.URL)
	}
}

// lessonEnd is the Request pane once the lesson ran: the verdicts and the defence.
func (w walk) lessonEnd(d *doc, st Styles) {
	ls := w.snap.lesson
	d.text(st.Title, "", "The lesson is over")
	if ls.Verdict != nil {
		d.blank()
		w.verdictBlock(d, st, *ls.Verdict, false)
	}
	if ls.Contrast != nil {
		d.blank()
		w.verdictBlock(d, st, *ls.Contrast, true)
	}
	w.defenceBlock(d, st)
	d.blank()
	d.text(st.Muted, "", "b/← goes back through the steps · s runs the lesson again · esc chooses another")
}

// lessonStep says, after a step of a lesson, what the verdict is when the attacked
// flow (or the contrast) has just ended there.
func (w walk) lessonStep() walk {
	ls := w.snap.lesson
	if ls == nil || len(w.snap.records) == 0 {
		return w
	}
	last := w.snap.records[len(w.snap.records)-1].ID
	switch {
	case ls.Verdict != nil && ls.Verdict.Step == last && ls.Contrast == nil:
		w.status, w.statusErr = "lesson: "+ls.Verdict.Summary, !ls.Verdict.OK
	case ls.Contrast != nil && ls.Contrast.Step == last:
		w.status, w.statusErr = "contrast: "+ls.Contrast.Summary, !ls.Contrast.OK
	}
	if w.snap.done {
		if ls.Verdict != nil {
			w.status, w.statusErr = "lesson complete: "+ls.Verdict.Summary, !ls.Verdict.OK
		}
		w.focusPane(paneRequest) // the verdicts and the defence
	}
	return w
}

// bullet adds a list item: "  · " before its first line, its other lines indented
// under the text.
func bullet(d *doc, sty lipgloss.Style, s string) {
	for i, l := range wrapLines(sanitize(s), d.w-4) {
		mark := "    "
		if i == 0 {
			mark = "  · "
		}
		d.line(mark + sty.Render(l))
	}
}
