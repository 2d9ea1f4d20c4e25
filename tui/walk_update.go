package tui

import (
	"net/url"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows/record"
)

// Update handles a message routed to the walkthrough. Keys are matched against the
// parent's bindings, already enabled or disabled for the current state. The returned
// event asks the parent for what the walkthrough cannot do itself.
func (w walk) Update(msg tea.Msg, km keyMap) (walk, tea.Cmd, walkEvent) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !w.running {
			return w, nil, walkNone
		}
		var cmd tea.Cmd
		w.spin, cmd = w.spin.Update(msg)
		return w, cmd, walkNone
	case tea.MouseWheelMsg:
		m := msg.Mouse()
		p, ok := w.paneAt(m.X, m.Y)
		if !ok {
			p = w.focus
		}
		w.vps[p], _ = w.vps[p].Update(msg)
		return w, nil, walkNone
	case tea.PasteMsg:
		return w.forwardInput(msg)
	case tea.KeyPressMsg:
		return w.key(msg, km)
	}
	return w, nil, walkNone
}

func (w walk) forwardInput(msg tea.Msg) (walk, tea.Cmd, walkEvent) {
	var cmd tea.Cmd
	switch {
	case w.editing:
		w.input, cmd = w.input.Update(msg)
	case w.pasting:
		w.paste, cmd = w.paste.Update(msg)
	}
	return w, cmd, walkNone
}

func (w walk) key(msg tea.KeyPressMsg, km keyMap) (walk, tea.Cmd, walkEvent) {
	switch {
	case w.editing && key.Matches(msg, km.Confirm):
		f := w.edited.Params[w.field]
		w.edited = w.edited.With(f.Name, w.input.Value())
		w.editing = false
		w.input.Blur()
		w.status = "✎ " + f.Name + " changed; n sends the request with the change"
		return w, nil, walkNone
	case w.editing && key.Matches(msg, km.Cancel):
		w.editing = false
		w.input.Blur()
		return w, nil, walkNone
	case w.pasting && key.Matches(msg, km.Confirm):
		raw := strings.TrimSpace(w.paste.Value())
		w.pasting = false
		w.paste.Blur()
		if raw == "" || w.caps.pasted == nil {
			return w, nil, walkNone
		}
		w, cmd := w.send(w.caps.pasted(raw), false)
		return w, cmd, walkNone
	case w.pasting && key.Matches(msg, km.Cancel):
		w.pasting = false
		w.paste.Blur()
		return w, nil, walkNone
	case w.editing || w.pasting:
		return w.forwardInput(msg)

	case key.Matches(msg, km.Back):
		if w.running && !w.cancelling {
			w.stop()
			w.cancelling = true
			w.status = "cancelling… (esc again leaves the flow)"
			return w, nil, walkNone
		}
		return w, nil, walkBack
	case key.Matches(msg, km.Restart):
		return w, nil, walkRestart
	case key.Matches(msg, km.Prev):
		return w.stepBack(), nil, walkNone
	case w.stepping() && key.Matches(msg, km.Next) && w.viewingEarlier():
		return w.stepForward(), nil, walkNone
	case key.Matches(msg, km.Next) && w.polling():
		w, cmd := w.approveWhilePolling()
		return w, cmd, walkNone
	case key.Matches(msg, km.Next):
		auth, waiting := w.defaultAuthorizer()
		if !w.atLogin() {
			waiting = false
		}
		w, cmd := w.send(auth, waiting)
		return w, cmd, walkNone
	case key.Matches(msg, km.Browser) && w.atApprove():
		w, cmd := w.approveInBrowser()
		return w, cmd, walkNone
	case key.Matches(msg, km.Browser):
		if w.caps.browser == nil {
			return w, nil, walkNone
		}
		w, cmd := w.send(w.caps.browser(), true)
		return w, cmd, walkNone
	case key.Matches(msg, km.Paste):
		w.pasting = true
		w.paste.SetValue("")
		w.focusPane(paneRequest)
		return w, w.paste.Focus(), walkNone
	case key.Matches(msg, km.User):
		if n := len(w.caps.users); n > 0 {
			w.user = (w.user + 1) % n
			w.status = "will log in as " + w.caps.users[w.user]
		}
		return w, nil, walkNone
	case key.Matches(msg, km.Edit):
		if w.field >= len(w.edited.Params) {
			return w, nil, walkNone
		}
		w.focusPane(paneRequest)
		w.editing = true
		f := w.edited.Params[w.field]
		w.input.EchoMode = textinput.EchoNormal
		if (f.Secret || secretParam(f.Name)) && !w.reveal {
			w.input.EchoMode = textinput.EchoPassword // r reveals it
		}
		w.input.SetValue(f.Value)
		w.input.CursorEnd()
		return w, w.input.Focus(), walkNone
	case key.Matches(msg, km.Reset):
		if w.field < len(w.edited.Params) {
			name := w.edited.Params[w.field].Name
			if orig, had := paramValue(w.snap.pending, name); had {
				w.edited = w.edited.With(name, orig)
			} else {
				w.edited = w.edited.Without(name)
			}
			w.status = "↺ " + name + " back to the engine's value"
		}
		return w, nil, walkNone
	case key.Matches(msg, km.Drop):
		if w.field < len(w.edited.Params) {
			name := w.edited.Params[w.field].Name
			w.edited = w.edited.Without(name)
			w.field = min(w.field, max(len(w.edited.Params)-1, 0))
			w.status = "✂ " + name + " will not be sent; X undoes all edits"
		}
		return w, nil, walkNone
	case key.Matches(msg, km.Restore):
		w.edited = cloneRequest(w.snap.pending)
		w.status = "↺ the request is back to the engine's"
		return w, nil, walkNone
	case key.Matches(msg, km.Reveal):
		w.reveal = !w.reveal
		w.status = "secrets masked"
		if w.reveal {
			w.status = "secrets shown: careful when sharing the screen (r masks them again)"
		}
		return w, nil, walkNone
	case key.Matches(msg, km.Copy):
		what, val := w.copyValue()
		if val == "" {
			w.status = "nothing to copy here"
			return w, nil, walkNone
		}
		w.status = "copied " + what + " to the clipboard (OSC 52)"
		return w, tea.SetClipboard(val), walkNone
	case key.Matches(msg, km.NextPane), key.Matches(msg, km.PrevPane):
		order := w.order()
		i := 0
		for j, p := range order {
			if p == w.focus {
				i = j
			}
		}
		if key.Matches(msg, km.NextPane) {
			i = (i + 1) % len(order)
		} else {
			i = (i + len(order) - 1) % len(order)
		}
		w.focusPane(order[i])
		return w, nil, walkNone
	case key.Matches(msg, km.Up), key.Matches(msg, km.Down):
		d := 1
		if key.Matches(msg, km.Up) {
			d = -1
		}
		switch w.focus {
		case paneSteps:
			w.sel = min(max(w.sel+d, 0), max(len(w.snap.plan)-1, 0))
		case paneRequest:
			if n := len(w.edited.Params); n > 0 {
				w.field = min(max(w.field+d, 0), n-1)
			}
		default:
			if d > 0 {
				w.vps[w.focus].ScrollDown(1)
			} else {
				w.vps[w.focus].ScrollUp(1)
			}
		}
		return w, nil, walkNone
	case key.Matches(msg, km.Left), key.Matches(msg, km.Right):
		if w.focus == paneTokens {
			if n := len(tokensOf(w.shownRecords())); n > 0 {
				d := 1
				if key.Matches(msg, km.Left) {
					d = n - 1
				}
				w.token = (w.token + d) % n
				w.vps[paneTokens].GotoTop()
			}
		}
		return w, nil, walkNone
	case key.Matches(msg, km.PageDown):
		w.vps[w.focus].PageDown()
	case key.Matches(msg, km.PageUp):
		w.vps[w.focus].PageUp()
	case key.Matches(msg, km.Top):
		w.vps[w.focus].GotoTop()
	case key.Matches(msg, km.Bottom):
		w.vps[w.focus].GotoBottom()
	}
	return w, nil, walkNone
}

// scrollOnly reports whether a message only scrolls the focused pane, so the panes'
// content need not be rebuilt.
func (w walk) scrollOnly(msg tea.Msg, km keyMap) bool {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || w.editing || w.pasting {
		return false
	}
	if key.Matches(k, km.PageUp, km.PageDown, km.Top, km.Bottom) {
		return true
	}
	return key.Matches(k, km.Up, km.Down) && w.focus != paneSteps && w.focus != paneRequest
}

// copyValue picks what `c` copies from the focused pane: a token, the authorization
// URL, or a request as a curl command (secrets masked unless revealed).
func (w walk) copyValue() (what, val string) {
	switch w.focus {
	case paneTokens:
		toks := tokensOf(w.shownRecords())
		if len(toks) == 0 {
			return "", ""
		}
		t := toks[min(w.token, len(toks)-1)]
		return t.name, t.art.Value
	case paneHTTP:
		if r, ok := w.httpStep(); ok && len(r.Exchanges) > 0 {
			return "the request as curl", curlExchange(r.Exchanges[0].Request, w.reveal)
		}
		return "", ""
	}
	if w.atApprove() {
		for _, name := range []string{"verification_uri_complete", "verification_uri"} {
			if a, ok := w.artifact(name); ok {
				return "the verification URI", a.Value
			}
		}
	}
	if u := w.authorizeURL(); u != "" && (w.atLogin() || w.snap.pending.Has("response_type")) {
		return "the authorization URL", u
	}
	if w.snap.hasPending {
		return "the request as curl", curlRequest(w.edited, w.reveal)
	}
	return "", ""
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// curlRequest writes a pending request as a curl command.
func curlRequest(r record.Request, show bool) string {
	if r.Method == "GET" {
		return "curl " + shellQuote(r.URL+"?"+encodeParams(r.Params, !show))
	}
	var b strings.Builder
	b.WriteString("curl -X " + r.Method + " " + shellQuote(r.URL))
	params := r.Params
	if r.AuthMethod == "client_secret_basic" {
		id, secret := r.Get("client_id"), r.Get("client_secret")
		if !show {
			secret = masked
		}
		// RFC 6749 §2.3.1: form-url-encode the credentials before HTTP Basic.
		b.WriteString(" -u " + shellQuote(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		params = r.Without("client_id").Without("client_secret").Params
	}
	for _, p := range params {
		v := p.Value
		if !show && (p.Secret || secretParam(p.Name)) {
			v = masked
		}
		b.WriteString(" --data-urlencode " + shellQuote(p.Name+"="+v))
	}
	return b.String()
}

// curlExchange writes a recorded request as a curl command.
func curlExchange(r record.HTTPRequest, show bool) string {
	var b strings.Builder
	b.WriteString("curl -X " + r.Method + " " + shellQuote(r.URL))
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			b.WriteString(" -H " + shellQuote(k+": "+maskHeader(k, v, show)))
		}
	}
	if r.Body != "" {
		b.WriteString(" --data-raw " + shellQuote(maskForm(r.Body, show)))
	}
	return b.String()
}
