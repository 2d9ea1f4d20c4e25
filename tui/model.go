package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/oauthx/oauthx/flows"
)

type screen int

const (
	screenProviders screen = iota
	screenFlows
	screenWalk
	screenFaults
	screenLessons // tui/lessons.go
)

// Fallback size before the terminal reports its own.
const (
	defaultWidth  = 80
	defaultHeight = 24
	chromeLines   = 3 // header, status line, help line
)

// Model is the root model: it owns the layout, the key map, the styles and the screen
// being shown, and routes messages to the child on screen.
type Model struct {
	opts   Options
	keys   keyMap
	help   help.Model
	styles Styles
	isDark bool
	width  int
	height int

	screen    screen
	prev      screen // the screen under the faults screen
	providers providerMenu
	flowsMenu flowMenu
	walk      walk
	hasWalk   bool
	faults    faultsView
	export    exportDialog // the `w` key (tui/export.go)
	lessons   lessonMenu   // tui/lessons.go

	// the token lifecycle (tui/followup.go, tui/timeline.go): the session's tokens,
	// the follow-up menu, the timeline, the flow the session began with and the
	// follow-up the walkthrough runs (nil for that flow itself)
	ledger    ledger
	follow    followMenu
	timeline  timelineView
	rootKind  flows.Kind
	followReq *FollowUpRequest

	choice    ProviderChoice
	run       int // tags flow starts and step results; older ones are dropped
	status    string
	statusErr bool
}

// New returns the root model.
func New(opts Options) Model {
	isDark := true
	if opts.Dark != nil {
		isDark = *opts.Dark
	}
	st := NewStyles(isDark, opts.NoColor)
	if opts.Present {
		st = presentStyles(isDark, opts.NoColor)
	}
	m := Model{
		opts:      opts,
		keys:      newKeyMap(),
		help:      help.New(),
		styles:    st,
		isDark:    isDark,
		providers: newProviderMenu(opts.Providers, st),
		flowsMenu: newFlowMenu(),
		export:    newExportDialog(st),
		follow:    newFollowMenu(st),
		lessons:   lessonMenu{lessons: opts.Lessons},
	}
	if opts.StartLesson != nil && !opts.ReadOnly {
		m.flowsMenu.lessons = len(opts.Lessons)
	}
	m.help.Styles = st.Help
	if opts.Faults != nil {
		m.faults.catalog = opts.Faults.Catalog()
	}
	if len(opts.Providers) > 0 && opts.Providers[0].Bundled {
		p := opts.Providers[0]
		m.choice = ProviderChoice{Provider: p}
	}
	if opts.InitialFlow != "" && len(opts.Providers) > 0 {
		p := opts.Providers[0]
		m.choice = ProviderChoice{Provider: p, ClientID: p.ClientID, ClientSecret: p.ClientSecret}
		m.screen = screenFlows
	}
	if len(opts.Providers) == 1 && opts.Providers[0].Bundled {
		m.screen = screenFlows
	}
	if opts.InitialLesson != "" {
		if lm, ok := m.lessons.open(opts.InitialLesson); ok {
			m.lessons, m.screen = lm, screenLessons
		}
	}
	m.providers = m.providers.withProfiles(opts.Profiles, st)
	if opts.InitialProvider != "" {
		m.chooseInitialProvider(opts.InitialProvider)
	}
	if opts.InitialLesson != "" {
		if lm, ok := m.lessons.open(opts.InitialLesson); ok {
			m.lessons, m.screen = lm, screenLessons
		}
	}
	m.updateKeys()
	return m
}

func (m Model) now() time.Time {
	if m.opts.Now != nil {
		return m.opts.Now()
	}
	return time.Now()
}

// flowStartedMsg carries a new flow, tagged with the run it was started for.
type flowStartedMsg struct {
	run    int
	kind   flows.KindInfo
	choice ProviderChoice
	flow   flows.Flow
	snap   snapshot
	err    error
	// follow is set when the flow is a follow-up on the session's tokens.
	follow *FollowUpRequest
}

// startFlow creates the flow in a command: NewFlow may bind a loopback port.
func startFlow(newFlow func(ProviderChoice, flows.Kind) (flows.Flow, error), run int, choice ProviderChoice, kind flows.KindInfo) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = flowStartedMsg{run: run, kind: kind, choice: choice, err: fmt.Errorf("starting the flow panicked: %v", r)}
			}
		}()
		if newFlow == nil {
			return flowStartedMsg{run: run, kind: kind, choice: choice, err: fmt.Errorf("no flow engine configured")}
		}
		f, err := newFlow(choice, kind.Kind)
		if err != nil {
			return flowStartedMsg{run: run, kind: kind, choice: choice, err: err}
		}
		return flowStartedMsg{run: run, kind: kind, choice: choice, flow: f, snap: snapshotOf(f)}
	}
}

// Init asks the terminal for its background (unless forced) and starts the flow
// given on the command line.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	if m.opts.Dark == nil && !m.opts.NoColor {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	if m.opts.InitialFlow != "" {
		if k, ok := flows.LookupKind(string(m.opts.InitialFlow)); ok {
			cmds = append(cmds, startFlow(m.opts.NewFlow, m.run, m.choice, k))
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) begin(choice ProviderChoice, kind flows.KindInfo) tea.Cmd {
	if m.hasWalk {
		m.walk.stop()
	}
	m.run++
	m.choice = choice
	m.status, m.statusErr = "starting "+kind.Title+"…", false
	return startFlow(m.opts.NewFlow, m.run, choice, kind)
}

func (m Model) bodySize() (int, int) {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	return min(w, maxWidth), max(h-chromeLines, 1)
}

func (m *Model) layout() {
	w, h := m.bodySize()
	m.help.SetWidth(w)
	m.providers.setWidth(w)
	if m.hasWalk {
		m.walk.setSize(w, h, m.styles)
	}
}

func (m *Model) restyle() {
	m.styles = NewStyles(m.isDark, m.opts.NoColor)
	if m.opts.Present {
		m.styles = presentStyles(m.isDark, m.opts.NoColor)
	}
	m.export.input.SetStyles(m.styles.Input)
	m.help.Styles = m.styles.Help
	m.providers.setStyles(m.styles)
	if m.hasWalk {
		m.walk.setStyles(m.styles)
	}
}

// typing reports whether a text input has the keys.
func (m Model) typing() bool {
	switch m.screen {
	case screenProviders:
		return m.providers.typing()
	case screenWalk:
		return m.walk.editing || m.walk.pasting || m.export.open
	case screenFollowUps:
		return m.follow.typing
	}
	return false
}

// Update routes a message. Global keys first, then the child on screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd, changed := m.update(msg)
	cmd = m.watchPolls(cmd)
	m.updateKeys()
	if changed && m.hasWalk {
		m.walk.refresh(m.styles, m.providerNow())
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return nil, true
	case tea.BackgroundColorMsg:
		if m.opts.Dark == nil {
			m.isDark = msg.IsDark()
			m.restyle()
		}
		return nil, true
	case flowStartedMsg:
		if msg.run != m.run {
			return nil, false // a flow started for a choice since replaced
		}
		if msg.err != nil && msg.follow != nil {
			m.screen = screenFollowUps
			m.status, m.statusErr = "✗ could not start "+msg.kind.Title+": "+msg.err.Error(), true
			return nil, false
		}
		if msg.err != nil {
			m.screen = screenFlows
			m.flowsMenu.err = msg.err.Error()
			m.status, m.statusErr = "✗ could not start the flow: "+msg.err.Error(), true
			return nil, false
		}
		m.status = ""
		m.flowsMenu.err = ""
		c := caps{users: m.opts.Users, login: m.opts.LoginAs, browser: m.opts.Browser, pasted: m.opts.Pasted, open: m.opts.OpenURL}
		user := m.opts.InitialUser
		if m.hasWalk && len(m.walk.caps.users) > 0 {
			user = m.walk.caps.users[m.walk.user]
		}
		m.walk = newWalk(msg.run, msg.kind, msg.choice, msg.flow, msg.snap, c, user, m.styles)
		m.walk.mode = walkMode{readOnly: m.opts.ReadOnly, present: m.opts.Present}
		m.hasWalk = true
		m.screen = screenWalk
		m.followReq = msg.follow
		if msg.follow == nil {
			m.rootKind = msg.kind.Kind
			m.ledger.reset(msg.kind.Title)
		}
		m.layout()
		return nil, true
	case stepMsg:
		if !m.hasWalk || msg.run != m.walk.run {
			return nil, false // a result from a flow that is no longer on screen
		}
		m.walk = m.walk.applyStep(msg)
		m.walk = m.walk.lessonStep()
		m.ledger.observe(msg.step, msg.snap.tokens, m.walk.kind.Title, m.followReq, m.providerNow(), m.clockOffset())
		var cmd tea.Cmd
		m.walk, cmd = m.walk.continuePolling(msg.step)
		return cmd, true
	case urlOpenedMsg:
		if !m.hasWalk || msg.run != m.walk.run {
			return nil, false
		}
		m.walk = m.walk.opened(msg)
		return nil, true
	case deviceApprovedMsg:
		if !m.hasWalk || msg.run != m.walk.run {
			return nil, false
		}
		m.walk = m.walk.approvedHere(msg)
		return nil, true
	case timelineTickMsg:
		return m.updateTimeline(msg)
	case deviceWaitMsg:
		return m.devicePolled(msg)
	case lessonStartedMsg:
		if msg.run != m.run {
			return nil, false // a lesson started for a choice since replaced
		}
		m.lessonStarted(msg)
		return nil, true
	case exportDoneMsg:
		m.export = m.export.done(msg)
		if msg.err == nil && m.hasWalk {
			m.walk.status, m.walk.statusErr = exportedStatus(msg), false
		}
		return nil, false
	case spinner.TickMsg:
		if !m.hasWalk {
			return nil, false
		}
		var cmd tea.Cmd
		m.walk, cmd, _ = m.walk.Update(msg, m.keys)
		return cmd, true
	case faultsMsg:
		var cmd tea.Cmd
		m.faults, cmd = m.faults.Update(msg, m.keys, m.opts.Faults)
		if m.screen == screenTimeline {
			m.timeline.now, m.timeline.offset = m.providerNow(), m.clockOffset()
		}
		if msg.advanced > 0 && len(m.ledger.tokens) > 0 {
			m.ledger.event(m.providerNow(), false, "the bundled IdP's clock moved %s forward", msg.advanced)
		}
		return cmd, msg.advanced > 0 // token times move with the provider's clock
	case tea.MouseWheelMsg:
		if m.screen == screenWalk {
			msg.Y -= 1 // the header line
			m.walk, _, _ = m.walk.Update(msg, m.keys)
		}
		return nil, false
	case tea.PasteMsg:
		return m.routeToScreen(msg)
	case profileMsg:
		var cmd tea.Cmd
		m.providers, cmd, _ = m.providers.Update(msg, m.keys)
		return cmd, false
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return nil, false
}

func (m *Model) handleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys
	switch {
	case keyMatches(msg, k.ForceQuit), keyMatches(msg, k.Quit):
		if m.hasWalk {
			m.walk.stop()
		}
		return tea.Quit, false
	case keyMatches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil, false
	case m.help.ShowAll:
		if keyMatches(msg, k.Back) {
			m.help.ShowAll = false
		}
		return nil, false
	case keyMatches(msg, k.Faults):
		if m.screen == screenFaults {
			m.screen = m.prev
			return nil, true
		}
		m.prev, m.screen = m.screen, screenFaults
		return loadFaults(m.opts.Faults), false
	}
	return m.routeToScreen(msg)
}

func (m *Model) routeToScreen(msg tea.Msg) (tea.Cmd, bool) {
	k := m.keys
	switch m.screen {
	case screenProviders:
		var cmd tea.Cmd
		var choice *ProviderChoice
		m.providers, cmd, choice = m.providers.Update(msg, k)
		if choice != nil {
			m.choice = *choice
			m.screen = screenFlows
			m.status = ""
		}
		return cmd, false
	case screenFlows:
		if km, ok := msg.(tea.KeyPressMsg); ok && keyMatches(km, k.Back) {
			m.screen = screenProviders
			return nil, false
		}
		var kind *flows.KindInfo
		m.flowsMenu, kind = m.flowsMenu.Update(msg, k)
		if m.flowsMenu.wantLessons {
			m.flowsMenu.wantLessons = false
			m.screen, m.lessons.intro = screenLessons, false
			return nil, false
		}
		if kind != nil {
			return m.begin(m.choice, *kind), false
		}
		return nil, false
	case screenFaults:
		if km, ok := msg.(tea.KeyPressMsg); ok && keyMatches(km, k.Back) {
			m.screen = m.prev
			return nil, true
		}
		var cmd tea.Cmd
		m.faults, cmd = m.faults.Update(msg, k, m.opts.Faults)
		return cmd, false
	case screenLessons:
		var name string
		var back bool
		m.lessons, name, back = m.lessons.Update(msg, k)
		switch {
		case name != "":
			return m.beginLesson(name), false
		case back:
			m.screen = screenFlows
		}
		return nil, false
	case screenFollowUps:
		return m.updateFollowUps(msg)
	case screenTimeline:
		return m.updateTimeline(msg)
	case screenWalk:
		if m.export.open {
			var cmd tea.Cmd
			var req *ExportRequest
			m.export, cmd, req = m.export.update(msg, k)
			if req != nil && m.opts.Export != nil {
				req.Kind, req.Provider, req.Steps = m.walk.kind.Kind, exportProvider(m.walk.choice.Provider), m.walk.snap.records
				return writeExport(m.opts.Export, *req), false
			}
			return cmd, false
		}
		if km, ok := msg.(tea.KeyPressMsg); ok {
			switch {
			case keyMatches(km, k.FollowUps):
				return m.openFollowUps(), false
			case keyMatches(km, k.Timeline):
				return m.openTimeline(), false
			}
		}
		if km, ok := msg.(tea.KeyPressMsg); ok && keyMatches(km, k.Export) {
			w, _ := m.bodySize()
			var cmd tea.Cmd
			m.export, cmd = m.export.show(m.walk.kind.Kind, m.now(), w)
			return cmd, false
		}
		var cmd tea.Cmd
		var ev walkEvent
		scrollOnly := m.walk.scrollOnly(msg, k)
		m.walk, cmd, ev = m.walk.Update(msg, k)
		switch {
		case ev == walkBack && m.opts.ReadOnly:
			return tea.Quit, false // a replay has nothing behind it
		case ev == walkBack && m.walk.mode.lesson != nil:
			m.walk.stop()
			m.screen, m.lessons.intro = screenLessons, false
		case ev == walkBack && m.followReq != nil:
			m.walk.stop()
			m.screen = screenFollowUps // back to the follow-ups, to run another
		case ev == walkBack:
			m.walk.stop()
			m.screen = screenFlows
		case ev == walkRestart && m.walk.mode.lesson != nil:
			return m.beginLesson(m.walk.mode.lesson.Name), true
		case ev == walkRestart && m.followReq != nil:
			return m.beginFollowUp(*m.followReq), true // again, on the tokens held now
		case ev == walkRestart:
			return m.begin(m.walk.choice, m.walk.kind), true
		}
		return cmd, !scrollOnly
	}
	return nil, false
}

// View draws the header, the screen, the status line and the help line.
func (m Model) View() tea.View {
	w, h := m.bodySize()
	st := m.styles
	var body string
	switch {
	case m.help.ShowAll:
		body = st.Title.Render("Keys") + st.Muted.Render("  (? or esc closes)") + "\n\n" + m.help.FullHelpView(m.keys.FullHelp())
	case m.screen == screenProviders:
		body = m.providers.View(st, w, h)
	case m.screen == screenFlows:
		body = m.flowsMenu.View(st, m.choice.Provider.Name, w, h)
	case m.screen == screenFaults:
		body = m.faults.View(st, w, h)
	case m.screen == screenLessons:
		body = m.lessons.View(st, w, h)
	case m.screen == screenFollowUps:
		body = m.followUpsView(st, w, h)
	case m.screen == screenTimeline:
		body = m.timeline.View(m.ledger, st, m.choice.Provider.Bundled, m.canAdvance(), w, h)
	case m.screen == screenLessons:
		body = m.lessons.View(st, w, h)
	case m.screen == screenWalk && m.hasWalk:
		body = m.walk.render(st)
		if m.export.open {
			body = overlay(body, m.export.view(st, w), h)
		}
	}
	body = clampLines(body, w, h)
	content := strings.Join([]string{m.header(w), body, m.statusLine(w), m.helpLine(w)}, "\n")
	v := tea.NewView(content)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "oauthx"
	return v
}

// clampLines makes s exactly h lines of at most w cells.
func clampLines(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m Model) header(w int) string {
	st := m.styles
	parts := []string{st.Header.Render("oauthx")}
	lesson := m.screen == screenWalk && m.hasWalk && m.walk.mode.lesson != nil
	if m.opts.ReadOnly {
		parts = append(parts, m.replayHeader(st)...)
	} else if lesson {
		// a lesson runs on a bundled IdP of its own
		parts = append(parts, st.HeaderDim.Render("lesson IdP "+sanitize(m.walk.choice.Provider.Issuer)))
	} else if m.screen != screenProviders && m.choice.Provider.Name != "" {
		name := m.choice.Provider.Name
		if m.choice.Provider.Issuer != "" && m.choice.Provider.Issuer != name {
			name += " " + m.choice.Provider.Issuer
		}
		parts = append(parts, st.HeaderDim.Render(sanitize(name)))
	}
	if m.screen == screenWalk && m.hasWalk {
		t := m.walk.kind.Title
		if m.walk.kind.Deprecated != "" {
			t += " (deprecated)"
		}
		if !m.opts.ReadOnly {
			parts = append(parts, st.Bold.Render(t))
		}
	}
	if m.opts.Insecure && !m.choice.Provider.Bundled && !m.opts.ReadOnly && !lesson {
		// on every screen of a real provider's flow: nothing about it can be trusted
		parts = append(parts, st.Fail.Render("⚠ TLS NOT VERIFIED (--insecure)"))
	}
	left := strings.Join(parts, st.Muted.Render(" · "))
	right := ""
	if m.opts.Faults != nil && m.choice.Provider.Bundled && !lesson {
		if n := len(m.faults.active); n > 0 {
			right = st.Fail.Render(itoa(n) + " fault" + plural(n) + " on")
		}
		if m.faults.advanced > 0 {
			if right != "" {
				right += st.Muted.Render(" · ")
			}
			right += st.Warn.Render("IdP clock +" + m.faults.advanced.String())
		}
	}
	if right != "" && lipgloss.Width(left)+lipgloss.Width(right)+1 <= w {
		return left + strings.Repeat(" ", w-lipgloss.Width(left)-lipgloss.Width(right)) + right
	}
	return ansi.Truncate(left, w, "…")
}

// helpLine is the short help, cut to the width: bubbles' help can overflow when even
// its ellipsis does not fit.
func (m Model) helpLine(w int) string {
	l := m.help.ShortHelpView(m.keys.ShortHelp())
	if lipgloss.Width(l) > w {
		l = ansi.Truncate(l, w, "…")
	}
	return l
}

func (m Model) statusLine(w int) string {
	s, isErr := m.status, m.statusErr
	if m.screen == screenWalk && m.hasWalk && m.walk.status != "" {
		s, isErr = m.walk.status, m.walk.statusErr
	}
	sty := m.styles.Status
	if isErr {
		sty = m.styles.StatusErr
	}
	return sty.Render(ansi.Truncate(sanitize(strings.ReplaceAll(s, "\n", " ")), w, "…"))
}
