package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
)

// FollowUpRequest says which follow-up to run, on which tokens ([Options.FollowUp]).
type FollowUpRequest struct {
	// From is the flow the session began with: its client and scopes are used again.
	From flows.Kind
	// Kind is the follow-up: one of flows.FollowUps.
	Kind flows.Kind
	// Tokens are the tokens the client holds now.
	Tokens flows.Tokens
	// Token is what introspect and revoke work on: flows.TokenAccess or
	// flows.TokenRefresh.
	Token string
	// APIURL is the resource call-api calls, and APIMethod the method (GET when
	// empty); an empty APIURL means the provider's default.
	APIURL, APIMethod string
}

// followMenu chooses a follow-up to run on the tokens held.
type followMenu struct {
	kinds  []flows.KindInfo
	cursor int
	token  string // flows.TokenAccess or flows.TokenRefresh, for introspect and revoke
	url    textinput.Model
	typing bool   // the call-api URL has the keys
	urlFor string // the issuer the URL was set for: another provider gets its own
	prev   screen
}

func newFollowMenu(st Styles) followMenu {
	in := textinput.New()
	in.Prompt = "URL "
	in.Placeholder = "https://api.example.com/resource"
	in.SetStyles(st.Input)
	return followMenu{kinds: flows.FollowUps(), token: flows.TokenAccess, url: in}
}

// blocked says why a follow-up cannot run on the tokens held, or "".
func blocked(k flows.Kind, t flows.Tokens, token string) string {
	switch k {
	case flows.KindRefresh, flows.KindRefreshReuse:
		if t.RefreshToken == "" {
			return "no refresh token: the flow got none (ask for offline_access, OIDC Core §11)"
		}
	case flows.KindIntrospect, flows.KindRevoke:
		if token == flows.TokenRefresh && t.RefreshToken == "" {
			return "no refresh token held"
		}
		if token != flows.TokenRefresh && t.AccessToken == "" {
			return "no access token held"
		}
	case flows.KindUserinfo, flows.KindCallAPI:
		if t.AccessToken == "" {
			return "no access token held"
		}
	case flows.KindLogout:
		if t.IDToken == "" {
			return "no ID token: logout sends one as id_token_hint (run an OpenID Connect flow)"
		}
	}
	return ""
}

// takesToken reports whether a follow-up works on a token of the person's choice.
func takesToken(k flows.Kind) bool { return k == flows.KindIntrospect || k == flows.KindRevoke }

func (f followMenu) selected() flows.KindInfo {
	if f.cursor < len(f.kinds) {
		return f.kinds[f.cursor]
	}
	return flows.KindInfo{}
}

// defaultAPIURL is the bundled IdP's demo API, or nothing for a real provider.
func (m *Model) defaultAPIURL() string {
	if m.choice.Provider.Bundled && m.choice.Provider.Issuer != "" {
		return strings.TrimRight(m.choice.Provider.Issuer, "/") + "/api/me"
	}
	return ""
}

// canFollowUp reports whether the follow-ups can be offered now.
func (m *Model) canFollowUp() bool {
	return m.opts.FollowUp != nil && m.rootKind != "" && m.ledger.holds()
}

// openFollowUps shows the follow-up menu.
func (m *Model) openFollowUps() tea.Cmd {
	if m.screen != screenFollowUps {
		m.follow.prev = m.screen
		if m.screen == screenTimeline {
			m.follow.prev = m.timeline.prev
			m.timeline.gen++ // stop its tick
		}
	}
	m.screen = screenFollowUps
	m.follow.typing = false
	if iss := m.choice.Provider.Issuer; m.follow.url.Value() == "" || m.follow.urlFor != iss {
		m.follow.url.SetValue(m.defaultAPIURL())
		m.follow.urlFor = iss
	}
	// Start on the first follow-up that can run.
	if blocked(m.follow.selected().Kind, m.ledger.current, m.follow.token) != "" {
		for i, k := range m.follow.kinds {
			if blocked(k.Kind, m.ledger.current, m.follow.token) == "" {
				m.follow.cursor = i
				break
			}
		}
	}
	return nil
}

// startFollowUp creates the follow-up in a command: the wiring may read the saved
// profiles first.
func startFollowUp(fn func(ProviderChoice, FollowUpRequest) (flows.Flow, error), run int, choice ProviderChoice, info flows.KindInfo, req FollowUpRequest) tea.Cmd {
	return func() (msg tea.Msg) {
		r := req
		defer func() {
			if p := recover(); p != nil {
				msg = flowStartedMsg{run: run, kind: info, choice: choice, follow: &r, err: fmt.Errorf("starting the follow-up panicked: %v", p)}
			}
		}()
		if fn == nil {
			return flowStartedMsg{run: run, kind: info, choice: choice, follow: &r, err: fmt.Errorf("follow-ups are not available")}
		}
		f, err := fn(choice, r)
		if err != nil {
			return flowStartedMsg{run: run, kind: info, choice: choice, follow: &r, err: err}
		}
		return flowStartedMsg{run: run, kind: info, choice: choice, follow: &r, flow: f, snap: snapshotOf(f)}
	}
}

// beginFollowUp starts a follow-up on the tokens held now.
func (m *Model) beginFollowUp(req FollowUpRequest) tea.Cmd {
	info, ok := flows.LookupFollowUp(string(req.Kind))
	if !ok {
		return nil
	}
	if m.hasWalk {
		m.walk.stop()
	}
	req.From = m.rootKind
	req.Tokens = m.ledger.current
	m.run++
	m.status, m.statusErr = "starting "+info.Title+"…", false
	return startFollowUp(m.opts.FollowUp, m.run, m.choice, info, req)
}

// updateFollowUps handles the follow-up menu's keys.
func (m *Model) updateFollowUps(msg tea.Msg) (tea.Cmd, bool) {
	k := m.keys
	f := &m.follow
	km, isKey := msg.(tea.KeyPressMsg)
	if f.typing {
		switch {
		case isKey && key.Matches(km, k.Confirm):
			u := strings.TrimSpace(f.url.Value())
			if u == "" && m.defaultAPIURL() == "" {
				m.status, m.statusErr = "give the URL of the API to call", true
				return nil, false
			}
			f.typing = false
			f.url.Blur()
			method, target := splitMethod(u)
			return m.beginFollowUp(FollowUpRequest{Kind: flows.KindCallAPI, APIURL: target, APIMethod: method}), false
		case isKey && key.Matches(km, k.Cancel):
			f.typing = false
			f.url.Blur()
			return nil, false
		}
		var cmd tea.Cmd
		f.url, cmd = f.url.Update(msg)
		return cmd, false
	}
	if !isKey {
		return nil, false
	}
	switch {
	case key.Matches(km, k.Back), key.Matches(km, k.FollowUps):
		m.screen = f.prev
		if m.screen == screenFollowUps || m.screen == screenTimeline {
			m.screen = screenWalk
		}
		return nil, true
	case key.Matches(km, k.Timeline):
		m.screen = f.prev
		return m.openTimeline(), false
	case key.Matches(km, k.Up):
		f.cursor = max(f.cursor-1, 0)
	case key.Matches(km, k.Down):
		f.cursor = min(f.cursor+1, len(f.kinds)-1)
	case key.Matches(km, k.Left), key.Matches(km, k.Right):
		if takesToken(f.selected().Kind) {
			if f.token == flows.TokenRefresh {
				f.token = flows.TokenAccess
			} else {
				f.token = flows.TokenRefresh
			}
		}
	case key.Matches(km, k.Edit):
		if f.selected().Kind == flows.KindCallAPI {
			f.typing = true
			f.url.CursorEnd()
			return f.url.Focus(), false
		}
	case key.Matches(km, k.Select):
		sel := f.selected()
		if why := blocked(sel.Kind, m.ledger.current, f.token); why != "" {
			m.status, m.statusErr = sel.Title+": "+why, true
			return nil, false
		}
		m.status, m.statusErr = "", false
		if sel.Kind == flows.KindCallAPI {
			f.typing = true
			f.url.CursorEnd()
			return f.url.Focus(), false
		}
		req := FollowUpRequest{Kind: sel.Kind}
		if takesToken(sel.Kind) {
			req.Token = f.token
		}
		return m.beginFollowUp(req), false
	}
	return nil, false
}

// splitMethod reads "POST https://…" as a method and a URL; a bare URL is a GET.
func splitMethod(s string) (method, url string) {
	if m, rest, ok := strings.Cut(s, " "); ok {
		switch up := strings.ToUpper(m); up {
		case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
			return up, strings.TrimSpace(rest)
		}
	}
	return "", s
}

// followUpsView draws the menu in a w×h body.
func (m *Model) followUpsView(st Styles, w, h int) string {
	f := m.follow
	d := newDoc(w)
	d.text(st.Title, "", "Follow-ups on the tokens held")
	held := m.ledger.current
	var have []string
	for _, name := range tokenNames {
		if v := tokenOf(held, name); v != "" {
			have = append(have, name+" "+tokenFingerprint(v))
		}
	}
	d.text(st.Muted, "", "after "+m.ledger.root+" · "+orNone(strings.Join(have, " · ")))
	if neitherCheckNorRevoke(m.ledger.unsupported) {
		d.text(st.Warn, "", "⚠ this provider offers neither introspection nor revocation: a token cannot be checked or withdrawn before it expires")
	}
	d.blank()
	curTop, curEnd := 0, 0
	for i, k := range f.kinds {
		if i == f.cursor {
			curTop = len(d.lines)
		}
		why := blocked(k.Kind, held, f.token)
		mark, title := "  ", st.Bold.Render(k.Title)
		switch {
		case i == f.cursor:
			mark, title = st.Selected.Render("▸ "), st.Selected.Render(k.Title)
		case why != "":
			title = st.Muted.Render(k.Title)
		}
		d.line(mark + title + st.Muted.Render("  "+k.Spec))
		d.text(st.Muted, "    ", k.Summary)
		if why != "" {
			d.text(st.Warn, "    ", "✗ "+why)
		}
		if off, ok := m.ledger.unsupported[k.Kind]; ok {
			d.text(st.Warn, "    ", "⚠ not offered by this provider: "+off)
		}
		if i != f.cursor {
			continue
		}
		switch {
		case takesToken(k.Kind):
			acc, ref := "access_token", "refresh_token"
			if f.token == flows.TokenRefresh {
				ref = st.Selected.Render("[" + ref + "]")
				acc = st.Muted.Render(acc)
			} else {
				acc = st.Selected.Render("[" + acc + "]")
				ref = st.Muted.Render(ref)
			}
			d.line("    " + st.Plain.Render("token ") + acc + " " + ref + st.Muted.Render("  ←/→"))
		case k.Kind == flows.KindCallAPI:
			if f.typing {
				d.line("    " + f.url.View())
				d.text(st.Muted, "    ", "enter calls it · esc cancels")
			} else {
				d.text(st.Plain, "    ", "URL "+orNone(f.url.Value())+"  (e or enter edits; \"POST URL\" for another method)")
			}
			if m.choice.Provider.Bundled {
				d.text(st.Muted, "    ", "the bundled IdP's demo API: /api/me (api:read), /api/admin (the admin role: alice, not bob), POST /api/notes (api:write)")
			}
		}
		curEnd = len(d.lines)
	}
	// Keep the chosen follow-up, with its settings, in view.
	off := 0
	if curEnd > h {
		off = min(curTop, curEnd-h)
	}
	return scrollDoc(d, off, h)
}

// lifecycleWalkKeys enables the walkthrough's keys of the token lifecycle: `o` at the
// device flow's approve step, the follow-ups and the timeline once tokens are held.
func (m *Model) lifecycleWalkKeys() {
	k, w := &m.keys, &m.walk
	idle := !w.running
	if idle && w.atApprove() && w.caps.open != nil {
		k.Browser.SetEnabled(true)
		k.Browser.SetHelp("o", "approve in browser")
	}
	k.FollowUps.SetEnabled(idle && w.snap.done && m.canFollowUp())
	k.Timeline.SetEnabled(m.ledger.holds() || len(m.ledger.tokens) > 0)
	if m.followReq != nil && !w.running {
		k.Back.SetHelp("esc", "follow-ups")
		k.Restart.SetHelp("s", "run again")
	}
}

// followUpKeys enables the follow-up menu's keys.
func (m *Model) followUpKeys(typing bool) {
	k := &m.keys
	if typing {
		k.Confirm.SetEnabled(true)
		k.Confirm.SetHelp("enter", "call")
		k.Cancel.SetEnabled(true)
		return
	}
	k.Confirm.SetHelp("enter", "confirm")
	k.Up.SetEnabled(true)
	k.Down.SetEnabled(true)
	k.Select.SetEnabled(true)
	k.Select.SetHelp("enter", "run")
	sel := m.follow.selected().Kind
	k.Left.SetEnabled(takesToken(sel))
	k.Right.SetEnabled(takesToken(sel))
	k.Left.SetHelp("←/→", "which token")
	k.Edit.SetEnabled(sel == flows.KindCallAPI)
	k.Edit.SetHelp("e", "edit URL")
	k.Timeline.SetEnabled(true)
	k.Back.SetEnabled(true)
	k.Back.SetHelp("esc", "back")
}

// resetLifecycleHelp puts back the help of the bindings the lifecycle's screens
// relabel, before each screen enables its own.
func (m *Model) resetLifecycleHelp() {
	k := &m.keys
	k.Select.SetHelp("enter", "choose")
	k.Left.SetHelp("←/h", "previous")
	k.Edit.SetHelp("e", "edit")
	k.Browser.SetHelp("o", "browser")
	k.Restart.SetHelp("s", "restart")
	k.Timeline.SetHelp("T", "timeline")
}

// timelineKeys enables the timeline's keys.
func (m *Model) timelineKeys() {
	k := &m.keys
	k.Up.SetEnabled(true)
	k.Down.SetEnabled(true)
	k.Top.SetEnabled(true)
	k.Advance.SetEnabled(m.canAdvance())
	k.FollowUps.SetEnabled(m.canFollowUp() && m.hasWalk && !m.walk.running)
	k.Timeline.SetEnabled(true)
	k.Timeline.SetHelp("T", "close")
	k.Back.SetEnabled(true)
	k.Back.SetHelp("esc", "back")
}

// againHint says, under a finished flow, how to run it again and where esc goes: a
// follow-up runs again on the tokens held and goes back to the follow-up menu.
func (w walk) againHint(failed bool) string {
	if _, ok := flows.LookupFollowUp(string(w.kind.Kind)); ok {
		return "s runs it again on the tokens held · T the token timeline · esc the other follow-ups"
	}
	if failed {
		return "s starts the flow over · f switches faults · esc chooses another flow"
	}
	return "s starts the flow over · esc chooses another flow"
}
