package tui

import (
	"context"
	"fmt"
	"slices"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// pane is one area of the walkthrough.
type pane int

const (
	paneSteps pane = iota
	paneStep
	paneRequest
	paneHTTP
	paneTokens
	paneDiagram
	numPanes
)

func (p pane) String() string {
	return [...]string{"Steps", "Step", "Request", "HTTP", "Tokens", "Diagram"}[p]
}

// snapshot is what a flow looked like after a call, taken inside the command that made
// the call so that Update never reads the flow while a step runs.
type snapshot struct {
	plan       []record.StepPlan
	records    []record.Step
	pending    record.Request
	hasPending bool
	done       bool
	tokens     flows.Tokens // what the flow holds (the token timeline follows them)
	// lesson is the lesson run's progress, when the flow is a lesson (tui/lessons.go).
	lesson *LessonStatus
}

func snapshotOf(f flows.Flow) snapshot {
	p, ok := f.Pending()
	return snapshot{plan: f.Plan(), records: f.Records(), pending: p, hasPending: ok, done: f.Done(), lesson: lessonStatusOf(f), tokens: f.Tokens()}
}

// stepMsg carries the result of one Flow.Next call, tagged with the run it belongs to.
type stepMsg struct {
	run  int
	step record.Step
	snap snapshot
}

// runStep runs the next step in a command. It captures values only; a panic in the
// engine becomes a failed step instead of a crash.
func runStep(ctx context.Context, run int, f flows.Flow, in flows.StepInput) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = stepMsg{run: run, step: record.Step{
					Title: "internal error", Status: record.StatusFailed,
					Error: &record.Error{Kind: record.ErrConfig, Message: fmt.Sprintf("the engine panicked: %v", r)},
				}, snap: snapshot{done: true}}
			}
		}()
		st := f.Next(ctx, in)
		return stepMsg{run: run, step: st, snap: snapshotOf(f)}
	}
}

// caps are the abilities the walkthrough was given, fixed when it starts.
type caps struct {
	users   []string
	login   func(string) flows.Authorizer
	browser func() flows.Authorizer
	pasted  func(string) flows.Authorizer
	open    func(string) error // the real browser at a URL (the device flow's `o`)
}

// walkEvent tells the parent what a key in the walkthrough asked for.
type walkEvent int

const (
	walkNone walkEvent = iota
	walkBack
	walkRestart
)

// walk is the walkthrough of one flow: the steps, the pending request, the exchanges,
// the tokens and the diagram. It is a value; its Update returns a new one.
type walk struct {
	run    int
	kind   flows.KindInfo
	choice ProviderChoice
	flow   flows.Flow
	caps   caps
	snap   snapshot
	mode   walkMode // replay, presenter, lesson (tui/readonly.go)

	edited  record.Request // the pending request with the person's edits
	field   int
	editing bool
	input   textinput.Model
	pasting bool
	paste   textinput.Model

	running bool
	waiting bool // running and waiting on the real browser
	// cancelling is set once esc cancelled the running step; a second esc leaves.
	cancelling bool
	cancel     context.CancelFunc
	spin       spinner.Model

	// autoPoll runs the device flow's polling as soon as the approve step ends (the
	// person approves in the browser, `o`).
	autoPoll bool
	dev      deviceWatch // the polling followed live (tui/device.go)

	sel    int // selected step (index into the plan)
	focus  pane
	recent []pane // panes by recency: a slot shows its most recent pane
	token  int
	reveal bool
	user   int

	lay        []column
	vps        [numPanes]viewport.Model
	fieldLines []int // line of each request field in the Request pane
	status     string
	statusErr  bool
}

func newWalk(run int, kind flows.KindInfo, choice ProviderChoice, f flows.Flow, snap snapshot, c caps, user string, st Styles) walk {
	w := walk{
		run: run, kind: kind, choice: choice, flow: f, caps: c, snap: snap,
		focus:  paneStep,
		recent: []pane{paneStep, paneRequest, paneSteps, paneDiagram, paneHTTP, paneTokens},
		spin:   spinner.New(spinner.WithSpinner(spinner.Dot)),
	}
	if i := slices.Index(c.users, user); i >= 0 {
		w.user = i
	}
	w.input = textinput.New()
	w.input.Prompt = "= "
	w.paste = textinput.New()
	w.paste.Prompt = "redirect URL: "
	w.paste.Placeholder = "http://127.0.0.1:…/callback?code=…&state=…"
	for i := range w.vps {
		w.vps[i] = viewport.New()
		w.vps[i].MouseWheelEnabled = true
		w.vps[i].KeyMap = viewport.KeyMap{} // keys are ours (keyMap); the viewport only scrolls
	}
	w.setStyles(st)
	w.edited = cloneRequest(snap.pending)
	return w
}

func (w *walk) setStyles(st Styles) {
	w.input.SetStyles(st.Input)
	w.paste.SetStyles(st.Input)
	w.spin.Style = st.Accent
}

func cloneRequest(r record.Request) record.Request {
	r.Params = slices.Clone(r.Params)
	return r
}

// nextIndex is the index in the plan of the step Next would run.
func (w walk) nextIndex() int { return len(w.snap.records) }

// recordAt returns the record of the plan's i-th step, if it ran.
func (w walk) recordAt(i int) (record.Step, bool) {
	if i < 0 || i >= len(w.snap.plan) {
		return record.Step{}, false
	}
	id := w.snap.plan[i].ID
	for _, r := range w.snap.records {
		if r.ID == id {
			return r, true
		}
	}
	if i < len(w.snap.records) {
		return w.snap.records[i], true
	}
	return record.Step{}, false
}

// atLogin reports whether the next step takes the authorization request to the
// provider for the user to log in: the moment to choose how (here, the real browser,
// or a pasted redirect URL).
func (w walk) atLogin() bool {
	if w.snap.done || !w.kind.Browser {
		return false
	}
	i := w.nextIndex()
	if i >= len(w.snap.plan) {
		return false
	}
	p := w.snap.plan[i]
	if p.ID == "login" {
		return true
	}
	return slices.ContainsFunc(p.Arrows, func(a record.Arrow) bool { return a.From == record.ActorUser })
}

// atApprove reports whether the next step is the user's side of the device grant
// (RFC 8628 §3.3): approving the user code on another device.
func (w walk) atApprove() bool {
	i := w.nextIndex()
	return !w.snap.done && i < len(w.snap.plan) && w.snap.plan[i].ID == "approve"
}

// canLoginHere reports whether the in-terminal login (as a demo user) is possible.
func (w walk) canLoginHere() bool {
	return w.choice.Provider.Bundled && w.caps.login != nil && len(w.caps.users) > 0
}

// artifact returns the latest artifact called name among the records.
func (w walk) artifact(name string) (record.Artifact, bool) {
	for i := len(w.snap.records) - 1; i >= 0; i-- {
		if a, ok := w.snap.records[i].Artifact(name); ok {
			return a, true
		}
	}
	return record.Artifact{}, false
}

// edits lists the parameters changed from the pending request.
func (w walk) edits() []record.Edit {
	var out []record.Edit
	for _, p := range w.edited.Params {
		orig, had := paramValue(w.snap.pending, p.Name)
		if !had || orig != p.Value {
			out = append(out, record.Edit{Name: p.Name, From: orig, To: p.Value})
		}
	}
	for _, name := range w.dropped() {
		out = append(out, record.Edit{Name: name, From: w.snap.pending.Get(name)})
	}
	return out
}

// dropped lists the pending request's parameters the person removed.
func (w walk) dropped() []string {
	var out []string
	for _, p := range w.snap.pending.Params {
		if !w.edited.Has(p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

func (w walk) isEdited(name string) bool {
	return slices.ContainsFunc(w.edits(), func(e record.Edit) bool { return e.Name == name })
}

func paramValue(r record.Request, name string) (string, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// defaultAuthorizer is how `n` logs in: inside the terminal for the bundled IdP, the
// real browser otherwise.
func (w walk) defaultAuthorizer() (flows.Authorizer, bool) {
	if w.atApprove() {
		// The device grant: the in-terminal user agent approves the user code as the
		// demo user (it is a flows.DeviceApprover). Elsewhere the person approves on
		// their phone, and the flow polls.
		if w.canLoginHere() {
			return w.caps.login(w.caps.users[w.user]), false
		}
		return nil, false
	}
	if !w.kind.Browser {
		return nil, false
	}
	if w.canLoginHere() {
		return w.caps.login(w.caps.users[w.user]), false
	}
	if w.caps.browser != nil {
		return w.caps.browser(), true
	}
	return nil, false
}

// send starts the next step in a command with the given authorizer.
func (w walk) send(auth flows.Authorizer, waiting bool) (walk, tea.Cmd) {
	if w.running || w.snap.done {
		return w, nil
	}
	in := flows.StepInput{Authorizer: auth}
	if w.snap.hasPending && len(w.edits()) > 0 {
		req := cloneRequest(w.edited)
		in.Request = &req
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.running, w.waiting = true, waiting
	w.sel = min(w.nextIndex(), max(len(w.snap.plan)-1, 0))
	w.status, w.statusErr = "", false
	if waiting {
		w.status = "waiting for the browser: log in there (esc cancels)"
		// The receiver may say where and how long it waits (loopback.Browser).
		if ws, ok := auth.(interface{ WaitSummary() string }); ok && ws.WaitSummary() != "" {
			w.status = "waiting for the browser (esc cancels): " + ws.WaitSummary()
		}
	}
	return w, tea.Batch(runStep(ctx, w.run, w.flow, in), w.spin.Tick)
}

// stop cancels a running step; its result will still arrive and be shown.
func (w walk) stop() {
	if w.cancel != nil {
		w.cancel()
	}
}

// applyStep takes a step result into the walkthrough.
func (w walk) applyStep(msg stepMsg) walk {
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	w.running, w.waiting, w.cancelling = false, false, false
	if msg.snap.plan != nil {
		w.snap = msg.snap
	} else {
		w.snap.done = true
		w.snap.records = append(slices.Clone(w.snap.records), msg.step)
	}
	w.edited = cloneRequest(w.snap.pending)
	w.field, w.editing, w.pasting = 0, false, false
	w.sel = len(w.snap.plan) - 1
	for i, p := range w.snap.plan {
		if p.ID == msg.step.ID {
			w.sel = i
			break
		}
	}
	st := msg.step
	dur := ""
	if !st.Finished.IsZero() && !st.Started.IsZero() {
		dur = " in " + duration(st.Finished.Sub(st.Started))
	}
	switch {
	case st.Failed():
		w.statusErr = true
		w.status = "✗ " + st.Title + " failed: " + errorSummary(st.Error) + " — see Step and HTTP"
		w.show(paneHTTP)
		w.show(paneStep)
	default:
		w.statusErr = false
		w.status = "✓ " + st.Title + dur
		if w.snap.done {
			w.status += " · flow complete"
		}
		w.show(paneStep)
	}
	if toks := tokensOf(w.snap.records); len(toks) > 0 && hasToken(st) && !st.Failed() {
		w.token = preferredToken(toks)
		w.show(paneTokens)
		if w.snap.done && !st.Failed() {
			w.focusPane(paneTokens) // the flow's result: its tokens, ready to scroll
		}
	}
	return w
}

func errorSummary(e *record.Error) string {
	if e == nil {
		return "no reason given"
	}
	if e.Protocol != nil {
		return e.Protocol.Error()
	}
	return e.Message
}

// show brings a pane to the front of its slot without moving the focus.
func (w *walk) show(p pane) {
	i := slices.Index(w.recent, p)
	if i >= 0 {
		w.recent = slices.Delete(w.recent, i, i+1)
	}
	w.recent = slices.Insert(w.recent, 0, p)
	// keep the focused pane visible
	if f := w.focus; f != p {
		if sl, ok := w.slotOf(f); ok && slices.Contains(sl.panes, p) {
			w.focus = p
		}
	}
}

func (w *walk) focusPane(p pane) {
	w.focus = p
	w.show(p)
}
