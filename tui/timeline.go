package tui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// The token timeline: every token the client got in this session (a flow and the
// follow-ups run on its tokens), which are held now and which are dead (spent by
// rotation, revoked, refused), with the time to expiry counted live by the
// provider's clock.

// The screens of the token lifecycle, numbered apart from model.go's.
const (
	screenFollowUps screen = iota + 100
	screenTimeline
)

// tokenState is where a token stands in the client's hands.
type tokenState int

const (
	tokenLive     tokenState = iota // held and, as far as the client knows, usable
	tokenReplaced                   // a newer one of its kind is held; it may still work until it expires
	tokenDead                       // spent, revoked or refused: it will not work again
)

// heldToken is one token the session obtained.
type heldToken struct {
	name   string // access_token, id_token or refresh_token
	value  string
	fp     string // how it is named on screen: sha256:first 8 hex digits
	from   string // the flow or follow-up that obtained it
	got    time.Time
	exp    time.Time // zero when unknown
	expSrc string    // "exp claim" or "expires_in"
	state  tokenState
	why    string // why it was replaced or is dead
	seen   string // the last introspection's verdict, with its time
	scope  string // what an access token grants, as the token response said
}

// ledgerEvent is one line of the session's history.
type ledgerEvent struct {
	at   time.Time
	text string
	bad  bool
}

// ledger follows the tokens of one session. It is a value kept in the root model and
// changed only in Update, from the step records the engine returned.
type ledger struct {
	root    string       // the flow the session began with
	current flows.Tokens // what the client holds now, as the engine said last
	tokens  []heldToken
	events  []ledgerEvent
	// unsupported remembers the follow-ups the provider offers no endpoint for, with
	// the engine's reason.
	unsupported map[flows.Kind]string
}

// maxEvents bounds the history kept.
const maxEvents = 200

// tokenNames are the tokens a flow holds, in the order the timeline lists them.
var tokenNames = []string{"access_token", "id_token", "refresh_token"}

func tokenOf(t flows.Tokens, name string) string {
	switch name {
	case "access_token":
		return t.AccessToken
	case "id_token":
		return t.IDToken
	case "refresh_token":
		return t.RefreshToken
	}
	return ""
}

// tokenFingerprint names a token without showing it, as the engine's step records
// do (the first 8 hex digits of its SHA-256), so the chains match.
func tokenFingerprint(tok string) string {
	if tok == "" {
		return "(none)"
	}
	sum := sha256.Sum256([]byte(tok))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// reset starts a new session: a flow was started from the menu.
func (l *ledger) reset(root string) {
	*l = ledger{root: root}
}

func (l *ledger) event(at time.Time, bad bool, format string, a ...any) {
	l.events = append(l.events, ledgerEvent{at: at, text: fmt.Sprintf(format, a...), bad: bad})
	if n := len(l.events); n > maxEvents {
		l.events = l.events[n-maxEvents:]
	}
}

// find returns the index of the token called name with value v, or -1.
func (l *ledger) find(name, v string) int {
	for i, t := range l.tokens {
		if t.name == name && t.value == v {
			return i
		}
	}
	return -1
}

// holds reports whether the session holds any token.
func (l ledger) holds() bool {
	return l.current.AccessToken != "" || l.current.IDToken != "" || l.current.RefreshToken != ""
}

// observe takes one step's result into the ledger: new tokens, the rotation of the
// refresh token, revocations and the introspection verdicts the records report.
// source names the flow the step belongs to; follow is its follow-up request (nil
// for the flow the session began with); offset is the provider clock's offset.
func (l *ledger) observe(st record.Step, toks flows.Tokens, source string, follow *FollowUpRequest, now time.Time, offset time.Duration) {
	refresh := follow != nil && (follow.Kind == flows.KindRefresh || follow.Kind == flows.KindRefreshReuse)
	var got []string
	for _, name := range tokenNames {
		v := tokenOf(toks, name)
		if v == "" || l.find(name, v) >= 0 {
			continue
		}
		t := heldToken{name: name, value: v, fp: tokenFingerprint(v), from: source, got: now}
		if name == "access_token" {
			t.scope = toks.Scope
		}
		for _, a := range st.Artifacts {
			if a.Name == name && a.Value == v && a.Token != nil {
				for _, c := range a.Token.Claims {
					if c.Name == "exp" && c.Time != nil {
						t.exp, t.expSrc = *c.Time, "exp claim"
					}
				}
			}
		}
		if t.exp.IsZero() && name == "access_token" && !toks.Expiry.IsZero() {
			// expires_in was counted from the client's clock; the provider's runs ahead.
			t.exp, t.expSrc = toks.Expiry.Add(offset), "expires_in"
		}
		for i := range l.tokens {
			old := &l.tokens[i]
			if old.name != name || old.state != tokenLive {
				continue
			}
			switch {
			case name == "refresh_token" && refresh:
				old.state, old.why = tokenDead, "spent: rotated away by "+source+"; presenting it again is reuse (RFC 9700 §4.14.2)"
			case name == "refresh_token":
				old.state, old.why = tokenReplaced, "replaced by "+t.fp
			case name == "access_token":
				old.state, old.why = tokenReplaced, "replaced by "+t.fp+"; a refresh does not revoke it, so it works until it expires"
			default:
				old.state, old.why = tokenReplaced, "replaced by "+t.fp
			}
		}
		l.tokens = append(l.tokens, t)
		exp := ""
		if !t.exp.IsZero() {
			exp = " (expires " + countdown(t.exp, now) + ")"
		}
		got = append(got, name+" "+t.fp+exp)
	}
	if len(got) > 0 {
		l.event(now, false, "%s: new %s", source, strings.Join(got, ", "))
	}
	if follow != nil && l.holds() && toks == (flows.Tokens{}) && !st.Failed() {
		// The engine dropped every token: the client forgot them (logout).
		for i := range l.tokens {
			if l.tokens[i].state == tokenLive {
				l.tokens[i].state = tokenReplaced
				l.tokens[i].why = "forgotten by the client (" + source + "); the provider may still honour it until it expires"
			}
		}
		l.event(now, false, "%s: the client forgot its tokens; run a flow again (esc, esc) for new ones", source)
	}
	if follow != nil || toks != (flows.Tokens{}) {
		l.current = toks
	}
	if follow == nil {
		return
	}
	which := follow.Token
	if which == "" {
		which = flows.TokenAccess
	}
	target := tokenOf(follow.Tokens, which)
	kill := func(name, v, why string) {
		if i := l.find(name, v); i >= 0 && l.tokens[i].state != tokenDead {
			l.tokens[i].state, l.tokens[i].why = tokenDead, why
		}
	}
	if st.Status == record.StatusSkipped {
		if why := skipReason(st.Explanation); why != "" {
			if l.unsupported == nil {
				l.unsupported = map[flows.Kind]string{}
			}
			l.unsupported[follow.Kind] = why
			l.event(now, true, "%s: %s skipped: %s", source, st.Title, why)
		}
		return
	}
	switch {
	case st.ID == "revoke" && st.Status == record.StatusDone:
		if _, ok := st.Artifact("revoked"); ok {
			kill(which, target, "revoked (RFC 7009)")
			also := ""
			if which == flows.TokenRefresh {
				also = " (RFC 7009 §2.1: the provider may revoke the access tokens of the same grant too; introspect to see)"
			}
			l.event(now, true, "%s: %s %s revoked%s", source, which, tokenFingerprint(target), also)
		}
	case st.ID == "introspect" || st.ID == "introspect-again":
		a, ok := st.Artifact("introspection")
		if !ok || a.Token == nil {
			break
		}
		active := ""
		var exp *time.Time
		for _, c := range a.Token.Claims {
			switch c.Name {
			case "active":
				active = c.Display
			case "exp":
				exp = c.Time
			}
		}
		if i := l.find(which, target); i >= 0 && active != "" {
			l.tokens[i].seen = "introspected " + now.UTC().Format("15:04:05") + ": active " + active
			if exp != nil && l.tokens[i].exp.IsZero() {
				// a refresh token's lifetime is often known only to the provider
				l.tokens[i].exp, l.tokens[i].expSrc = *exp, "introspection"
			}
			if active == "false" {
				kill(which, target, "the provider says active: false (expired, revoked or unknown)")
			}
		}
		if active != "" {
			l.event(now, active != "true", "%s: %s %s is active: %s", source, which, tokenFingerprint(target), active)
		}
	case st.ID == "chain-revoked" && st.Status == record.StatusDone:
		for _, c := range st.Checks {
			if c.Name == "chain revoked" && c.Outcome == record.OutcomePass {
				for i := range l.tokens {
					if l.tokens[i].name == "refresh_token" && l.tokens[i].state != tokenDead {
						l.tokens[i].state, l.tokens[i].why = tokenDead, "revoked with the whole chain: reuse of a spent refresh token was detected (RFC 9700 §4.14.2)"
					}
				}
				l.event(now, true, "%s: reuse detected, the refresh token chain is revoked (the provider may have revoked its access tokens too: introspect to see)", source)
			}
		}
	case st.Failed() && refresh && st.Error != nil && st.Error.Protocol != nil && st.Error.Protocol.Code == "invalid_grant":
		kill("refresh_token", follow.Tokens.RefreshToken, "refused by the provider (invalid_grant): expired, revoked or already used")
		l.event(now, true, "%s: the refresh token was refused (invalid_grant)", source)
	case st.Failed():
		l.event(now, true, "%s: %s failed: %s", source, st.Title, errorSummary(st.Error))
	case st.ID == "logged-out" || st.ID == "logout":
		if st.Status == record.StatusDone && st.ID == "logged-out" {
			l.event(now, false, "%s: the session at the provider ended; logout does not revoke tokens by itself: introspect or call the API to see what still works", source)
		}
	case follow.Kind == flows.KindCallAPI:
		if a, ok := st.Artifact("status"); ok {
			l.event(now, !strings.HasPrefix(a.Value, "2"), "%s: %s", source, a.Value)
		}
	}
}

// skipReason takes the engine's "Skipped: …" note out of a step's explanation.
func skipReason(explanation string) string {
	for _, l := range strings.Split(explanation, "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(l), "Skipped: "); ok {
			return r
		}
	}
	return ""
}

// countdown says how far an expiry is, to the second: "in 59m 12s", "5s ago".
func countdown(exp, now time.Time) string {
	d := exp.Sub(now).Truncate(time.Second)
	ago := d < 0
	if ago {
		d = -d
	}
	var s string
	switch {
	case d >= 48*time.Hour:
		s = fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		s = fmt.Sprintf("%dh %02dm %02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	case d >= time.Minute:
		s = fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if ago {
		return s + " ago"
	}
	return "in " + s
}

// timelineView shows the ledger; it ticks once a second while it is on screen.
type timelineView struct {
	prev   screen // where esc goes back to
	gen    int    // tags ticks: a tick of an earlier visit is dropped
	now    time.Time
	offset time.Duration
	scroll int
}

// timelineTickMsg is the once-a-second tick of the timeline.
type timelineTickMsg struct{ gen int }

func timelineTick(gen int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return timelineTickMsg{gen: gen} })
}

// clockOffset is how far the provider's clock runs ahead of real time: the bundled
// IdP's offset, nothing for a real provider.
func (m *Model) clockOffset() time.Duration {
	if m.opts.ClockOffset != nil && m.choice.Provider.Bundled {
		return m.opts.ClockOffset()
	}
	return 0
}

// providerNow is the time by the provider's clock.
func (m *Model) providerNow() time.Time { return m.now().Add(m.clockOffset()) }

// openTimeline shows the timeline and starts its tick.
func (m *Model) openTimeline() tea.Cmd {
	if m.screen != screenTimeline {
		m.timeline.prev = m.screen
	}
	m.screen = screenTimeline
	m.timeline.gen++
	m.timeline.scroll = 0
	m.timeline.now, m.timeline.offset = m.providerNow(), m.clockOffset()
	return timelineTick(m.timeline.gen)
}

// closeTimeline goes back to the screen under it; its tick stops with the next one.
func (m *Model) closeTimeline() {
	m.screen = m.timeline.prev
	m.timeline.gen++
}

// updateTimeline handles the timeline's messages and keys.
func (m *Model) updateTimeline(msg tea.Msg) (tea.Cmd, bool) {
	k := m.keys
	switch msg := msg.(type) {
	case timelineTickMsg:
		if msg.gen != m.timeline.gen || m.screen != screenTimeline {
			return nil, false // an old tick, or the timeline was left: stop ticking
		}
		m.timeline.now, m.timeline.offset = m.providerNow(), m.clockOffset()
		return timelineTick(m.timeline.gen), false
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Back), key.Matches(msg, k.Timeline):
			m.closeTimeline()
			return nil, true
		case key.Matches(msg, k.Advance):
			if m.canAdvance() {
				return advanceClock(m.opts.Faults, advanceStep), false
			}
		case key.Matches(msg, k.FollowUps):
			return m.openFollowUps(), false
		case key.Matches(msg, k.Up):
			m.timeline.scroll = max(m.timeline.scroll-1, 0)
		case key.Matches(msg, k.Down):
			w, h := m.bodySize()
			if n := len(m.timelineDoc(w).lines); m.timeline.scroll < n-h {
				m.timeline.scroll++
			}
		case key.Matches(msg, k.Top):
			m.timeline.scroll = 0
		}
	}
	return nil, false
}

func (m *Model) timelineDoc(w int) *doc {
	return m.timeline.doc(m.ledger, m.styles, m.choice.Provider.Bundled, m.canAdvance(), w)
}

// canAdvance reports whether the bundled IdP's clock can be moved from here.
func (m *Model) canAdvance() bool { return m.opts.Faults != nil && m.choice.Provider.Bundled }

// View draws the timeline in a w×h body.
func (t timelineView) View(l ledger, st Styles, bundled, canAdvance bool, w, h int) string {
	return scrollDoc(t.doc(l, st, bundled, canAdvance, w), t.scroll, h)
}

// doc is the whole timeline, before scrolling.
func (t timelineView) doc(l ledger, st Styles, bundled, canAdvance bool, w int) *doc {
	d := newDoc(w)
	now := t.now
	title := "Token timeline"
	if l.root != "" {
		title += " · " + l.root
	}
	d.text(st.Title, "", title)
	clock := "provider clock " + now.UTC().Format("15:04:05 UTC")
	switch {
	case !bundled:
		clock += " (this machine's clock)"
	case t.offset > 0:
		clock += " (bundled IdP, +" + t.offset.Round(time.Second).String() + " ahead of real time)"
	default:
		clock += " (bundled IdP)"
	}
	d.text(st.Muted, "", clock+" · counting every second")
	if len(l.tokens) == 0 {
		d.blank()
		d.text(st.Muted, "", "No token yet. Run a flow to the end: every token it gets is listed here with its time to expiry, and so are the tokens the follow-ups (t) bring or kill.")
		return d
	}
	d.blank()
	d.text(st.Bold, "", "Held now")
	any := false
	for _, tok := range l.tokens {
		if tok.state == tokenLive {
			any = true
			tokenLine(d, tok, now, st)
		}
	}
	if !any {
		d.text(st.Muted, "  ", "nothing usable: every token is dead or replaced; start the flow again (esc, s)")
	}
	if chain := refreshChain(l.tokens); chain != "" {
		d.blank()
		d.text(st.Bold, "", "Refresh token chain")
		d.text(st.Plain, "  ", chain)
	}
	var gone []heldToken
	for _, tok := range l.tokens {
		if tok.state != tokenLive {
			gone = append(gone, tok)
		}
	}
	if len(gone) > 0 {
		d.blank()
		d.text(st.Bold, "", "Replaced or dead")
		for i := len(gone) - 1; i >= 0; i-- {
			tokenLine(d, gone[i], now, st)
		}
	}
	if len(l.unsupported) > 0 {
		d.blank()
		d.text(st.Bold, "", "Not offered by this provider")
		if neitherCheckNorRevoke(l.unsupported) {
			d.text(st.Warn, "  ", "neither introspection (RFC 7662) nor revocation (RFC 7009): a token cannot be checked with the provider or withdrawn before it expires; keep access tokens short-lived")
		}
		for _, k := range flows.FollowUps() {
			if why, ok := l.unsupported[k.Kind]; ok {
				d.text(st.Warn, "  ", k.Title+": "+why)
			}
		}
	}
	d.blank()
	d.text(st.Bold, "", "History")
	for i := len(l.events) - 1; i >= 0; i-- {
		e := l.events[i]
		sty := st.Plain
		if e.bad {
			sty = st.Warn
		}
		d.text(sty, "  ", e.at.UTC().Format("15:04:05")+"  "+e.text)
	}
	d.blank()
	var hints []string
	if canAdvance {
		hints = append(hints, "+ moves the IdP clock 1h forward (watch the access token expire)")
	}
	hints = append(hints, "t follow-ups: refresh brings a new access token")
	d.text(st.Muted, "", strings.Join(hints, " · "))
	return d
}

// tokenLine draws one token: its name and fingerprint, where it came from, and its
// state: the live countdown, or why it is dead.
func tokenLine(d *doc, t heldToken, now time.Time, st Styles) {
	head := st.Accent.Render(padRight(t.name, 13)) + " " + st.Plain.Render(t.fp)
	var state string
	switch {
	case t.state == tokenDead:
		state = st.Fail.Render("✗ dead")
	case !t.exp.IsZero() && !now.Before(t.exp):
		state = st.Fail.Render("✗ expired " + countdown(t.exp, now))
	case !t.exp.IsZero() && t.exp.Sub(now) < 5*time.Minute:
		state = st.Warn.Render("⧗ expires " + countdown(t.exp, now))
	case !t.exp.IsZero():
		state = st.OK.Render("✓ expires " + countdown(t.exp, now))
	case t.name == "refresh_token":
		state = st.OK.Render("✓ no expiry given") + st.Muted.Render(" (valid until used, revoked, or the provider's policy ends it)")
	default:
		state = st.Muted.Render("expiry not given")
	}
	if t.state == tokenReplaced {
		state = st.Muted.Render("replaced · ") + state
	}
	d.line("  " + head + "  " + state)
	detail := "from " + t.from + " at " + clock(t.got, now)
	if !t.exp.IsZero() {
		detail += " · exp " + clock(t.exp, now) + " (" + t.expSrc + ")"
	}
	d.text(st.Muted, "    ", detail)
	if t.scope != "" && t.state == tokenLive {
		d.text(st.Muted, "    ", "scope "+t.scope)
	}
	if t.why != "" {
		sty := st.Muted
		if t.state == tokenDead {
			sty = st.Fail
		}
		d.text(sty, "    ", t.why)
	}
	if t.seen != "" {
		d.text(st.Muted, "    ", t.seen)
	}
}

// refreshChain draws the refresh tokens in the order they came, each with its state:
// "sha256:1a2b3c4d (spent) → sha256:5e6f7a8b (current)". Empty for fewer than two.
func refreshChain(ts []heldToken) string {
	var parts []string
	for _, t := range ts {
		if t.name != "refresh_token" {
			continue
		}
		s := "current"
		switch {
		case t.state == tokenDead && strings.HasPrefix(t.why, "spent"):
			s = "spent"
		case t.state == tokenDead:
			s = "dead"
		case t.state == tokenReplaced:
			s = "replaced"
		}
		parts = append(parts, t.fp+" ("+s+")")
	}
	if len(parts) < 2 {
		return ""
	}
	return strings.Join(parts, " → ")
}

// scrollDoc shows h lines of d from line off (kept in range).
func scrollDoc(d *doc, off, h int) string {
	off = min(max(off, 0), max(len(d.lines)-h, 0))
	end := min(off+h, len(d.lines))
	return strings.Join(d.lines[off:end], "\n")
}

// neitherCheckNorRevoke reports whether the provider offers neither introspection
// nor revocation, as the engine found when it tried both.
func neitherCheckNorRevoke(unsupported map[flows.Kind]string) bool {
	_, noIntrospect := unsupported[flows.KindIntrospect]
	_, noRevoke := unsupported[flows.KindRevoke]
	return noIntrospect && noRevoke
}

// clock shows a time of day, with the date when it is not today's.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}
