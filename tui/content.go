package tui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/oauthx/oauthx/flows/record"
)

const masked = "••••••••"

// setSize lays the walkthrough out in a w×h body and sizes every pane's viewport.
func (w *walk) setSize(width, height int, st Styles) {
	if w.mode.present {
		w.lay = presentLayout(min(width, maxWidth), height)
	} else {
		w.lay = computeLayout(width, height, len(w.snap.plan), st)
	}
	for _, c := range w.lay {
		for _, s := range c.slots {
			iw, ih := s.inner(st)
			for _, p := range s.panes {
				w.vps[p].SetWidth(iw)
				w.vps[p].SetHeight(ih)
			}
		}
	}
	w.input.SetWidth(max(w.vps[paneRequest].Width()-4, 8))
	w.paste.SetWidth(max(w.vps[paneRequest].Width()-lenRunes(w.paste.Prompt)-2, 8))
}

func lenRunes(s string) int { return len([]rune(s)) }

// refresh rebuilds every pane's content from the state. It runs in Update after a
// change, never in View, so a keypress that only scrolls costs nothing here.
func (w *walk) refresh(st Styles, now time.Time) {
	w.vps[paneSteps].SetContent(w.stepsContent(st))
	w.vps[paneStep].SetContent(w.stepContent(st))
	req, lines := w.requestContent(st)
	w.fieldLines = lines
	w.vps[paneRequest].SetContent(req)
	w.vps[paneHTTP].SetContent(w.httpContent(st))
	w.vps[paneTokens].SetContent(w.tokensContent(st, now))
	w.vps[paneDiagram].SetContent(w.diagramContent(st))
	if w.sel >= 0 {
		w.vps[paneSteps].EnsureVisible(w.stepsLine(w.sel), 0, 0)
	}
	if w.field < len(w.fieldLines) {
		l := w.fieldLines[w.field]
		w.vps[paneRequest].EnsureVisible(l, 0, 0)
	}
}

func (w walk) stepStatus(i int) record.Status {
	if r, ok := w.recordAt(i); ok {
		return r.Status
	}
	if i == w.nextIndex() && w.running {
		if w.waiting {
			return record.StatusWaiting
		}
		return record.StatusRunning
	}
	return record.StatusPending
}

func (w walk) statusIcon(s record.Status, st Styles) string {
	switch s {
	case record.StatusDone:
		return st.OK.Render("✓")
	case record.StatusFailed:
		return st.Fail.Render("✗")
	case record.StatusRunning:
		return w.spin.View()
	case record.StatusWaiting:
		return st.Warn.Render("⧗")
	case record.StatusSkipped:
		return st.Muted.Render("–")
	default:
		return st.Muted.Render("·")
	}
}

func (w walk) stepsContent(st Styles) string {
	d := newDoc(w.vps[paneSteps].Width())
	for i, p := range w.snap.plan {
		if h, ok := w.partHeading(i); ok { // a lesson's part starts here
			d.text(st.Bold, "", "— "+h)
		}
		s := w.stepStatus(i)
		mark := "  "
		title := itoa(i+1) + ". " + sanitize(p.Title)
		if i == w.sel {
			mark = st.Selected.Render("▸ ")
			title = st.Selected.Render(title)
		} else if s == record.StatusPending {
			title = st.Muted.Render(title)
		}
		suffix := ""
		if i == w.nextIndex() && !w.running && !w.snap.done {
			suffix = st.Muted.Render(" ← next")
		}
		d.line(mark + w.statusIcon(s, st) + " " + title + suffix)
	}
	if len(w.snap.plan) == 0 {
		d.text(st.Muted, "", "This flow has no steps.")
	}
	return d.String()
}

func (w walk) stepContent(st Styles) string {
	d := newDoc(w.vps[paneStep].Width())
	if w.sel < 0 || w.sel >= len(w.snap.plan) {
		d.text(st.Muted, "", "No step selected.")
		return d.String()
	}
	p := w.snap.plan[w.sel]
	d.text(st.Title, "", itoa(w.sel+1)+". "+p.Title)
	r, ran := w.recordAt(w.sel)
	if !ran {
		switch {
		case w.sel == w.nextIndex() && w.running && w.waiting:
			d.text(st.Warn, "", "Waiting for the browser…")
		case w.sel == w.nextIndex() && w.polling():
			d.line(w.spin.View() + st.Accent.Render(" polling… approve with the code in the Request pane; esc cancels"))
		case w.sel == w.nextIndex() && w.running:
			d.line(w.spin.View() + st.Accent.Render(" running…"))
		case w.sel == w.nextIndex() && w.snap.hasPending:
			d.text(st.Muted, "", "Not run yet: this is the next step. Read (and edit) its request in the Request pane (tab), then press n to send it.")
		case w.sel == w.nextIndex() && w.mode.readOnly:
			d.text(st.Muted, "", "Recorded, not shown yet: this is the next step of the recording; n shows it.")
		case w.sel == w.nextIndex():
			d.text(st.Muted, "", "Not run yet: this is the next step; press n to run it.")
		default:
			d.text(st.Muted, "", "Not run yet.")
		}
		arrows(d, p.Arrows, st)
		return d.String()
	}
	status := string(r.Status)
	if !r.Finished.IsZero() && !r.Started.IsZero() {
		status += " in " + duration(r.Finished.Sub(r.Started))
	}
	switch r.Status {
	case record.StatusFailed:
		d.text(st.Fail, "", "✗ "+status)
	case record.StatusDone:
		d.text(st.OK, "", "✓ "+status)
	default:
		d.text(st.Muted, "", status)
	}
	w.whatNext(d, st)
	if r.Error != nil { // why it failed comes first: it is the lesson
		d.blank()
		errorBlock(d, r.Error, st)
	}
	w.lessonVerdictAt(d, st, w.sel)
	if r.Explanation != "" {
		d.blank()
		d.text(st.Plain, "", r.Explanation)
	}
	if len(r.Specs) > 0 {
		refs := make([]string, len(r.Specs))
		for i, s := range r.Specs {
			refs[i] = s.String()
			if s.Title != "" {
				refs[i] += " (" + s.Title + ")"
			}
		}
		d.text(st.Accent, "", "Spec: "+strings.Join(refs, " · "))
	}
	if len(r.Edited) > 0 {
		d.blank()
		who := "You changed the request before it was sent:"
		if w.mode.lesson != nil {
			who = "The attack changed the request before it was sent:"
		}
		d.text(st.Edited, "", who)
		for _, e := range r.Edited {
			d.text(st.Edited, "  ", "✎ "+e.Name+": "+orNone(w.maskParam(e.Name, e.From))+" → "+orNone(w.maskParam(e.Name, e.To)))
		}
	}
	if len(r.Checks) > 0 {
		d.blank()
		d.text(st.Bold, "", "Checks")
		checks(d, r.Checks, st)
	}
	if len(r.Warnings) > 0 {
		d.blank()
		for _, warn := range r.Warnings {
			d.text(st.Warn, "", "⚠ "+warn)
		}
	}
	if len(r.Artifacts) > 0 {
		d.blank()
		d.text(st.Bold, "", "Artifacts")
		for _, a := range r.Artifacts {
			v := qrArtifact(r, a, st.Dark)
			if a.Secret && !w.reveal {
				v = masked
			}
			d.text(st.Accent, "", a.Name)
			if strings.Contains(v, "\n") {
				block(d, v, st)
			} else if isTokenArtifact(a) && len(v) > 80 {
				// the whole token is in the Tokens pane; a glimpse is enough here
				v = v[:60] + "… (" + itoa(len(v)) + " bytes: see Tokens)"
				d.text(st.Plain, "  ", v)
			} else {
				d.hard(st.Plain, "  ", v)
			}
			for _, der := range a.Derivation {
				d.text(st.Muted, "    ", der)
			}
			if a.Note != "" {
				d.text(st.Muted, "    ", a.Note)
			}
		}
	}
	if len(r.Redirects) > 0 {
		d.blank()
		d.text(st.Bold, "", "Redirects")
		redirects(d, r.Redirects, st)
	}
	return d.String()
}

// whatNext tells, under the last step run, what the next one is and how to run it,
// so the way forward is on screen whichever pane is in front.
func (w walk) whatNext(d *doc, st Styles) {
	i := w.nextIndex()
	if w.sel != i-1 || w.snap.done || w.running || i >= len(w.snap.plan) {
		return
	}
	next := "Next: " + itoa(i+1) + ". " + w.snap.plan[i].Title
	var how string
	switch {
	case w.atApprove():
		if w.canLoginHere() {
			how = "n approves here as " + w.caps.users[w.user] + " (u switches)"
			if w.caps.open != nil {
				how += " · o real browser"
			}
		} else {
			how = "approve on your phone (code in the Request pane), then n polls"
		}
	case w.atLogin():
		var ways []string
		if w.choice.Provider.Bundled && w.caps.login != nil && len(w.caps.users) > 0 {
			ways = append(ways, "n log in here as "+w.caps.users[w.user])
		} else if w.caps.browser != nil {
			ways = append(ways, "n opens the browser")
		}
		if w.caps.browser != nil && w.choice.Provider.Bundled {
			ways = append(ways, "o real browser")
		}
		if w.caps.pasted != nil {
			ways = append(ways, "p paste the redirect URL")
		}
		how = strings.Join(ways, " · ")
	case w.snap.hasPending && w.guided():
		how = "read its request in the Request pane (tab); n sends it"
	case w.snap.hasPending:
		how = "read or edit its request in the Request pane (tab); n sends it"
	default:
		how = "n runs it"
	}
	d.text(st.Key, "", "→ "+next)
	if how != "" {
		d.text(st.Muted, "  ", how)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func arrows(d *doc, as []record.Arrow, st Styles) {
	if len(as) == 0 {
		return
	}
	d.blank()
	for _, a := range as {
		d.text(st.Muted, "  ", actorName(a.From)+" → "+actorName(a.To)+": "+a.Label)
	}
}

func errorBlock(d *doc, e *record.Error, st Styles) {
	d.text(st.Fail, "", "✗ "+string(e.Kind)+" error")
	if p := e.Protocol; p != nil {
		code := "error: " + p.Code
		if p.HTTPStatus != 0 {
			code += " (HTTP " + itoa(p.HTTPStatus) + ")"
		}
		d.text(st.Fail, "  ", code)
		if p.Description != "" {
			d.text(st.Plain, "  ", "description: "+p.Description)
		}
		if p.Meaning != "" {
			d.text(st.Plain, "  ", "meaning: "+p.Meaning)
		}
		if p.Spec != "" {
			d.text(st.Accent, "  ", "spec: "+p.Spec)
		}
		if p.URI != "" {
			d.text(st.Muted, "  ", "more: "+p.URI)
		}
	}
	if e.Message != "" && (e.Protocol == nil || e.Message != e.Protocol.Error()) {
		d.text(st.Plain, "  ", e.Message)
	}
}

func checks(d *doc, cs []record.Check, st Styles) {
	for _, c := range cs {
		icon, sty := "✓", st.OK
		switch c.Outcome {
		case record.OutcomeFail:
			icon, sty = "✗", st.Fail
		case record.OutcomeWarn:
			icon, sty = "⚠", st.Warn
		case record.OutcomeSkip:
			icon, sty = "–", st.Muted
		}
		d.text(sty, "  ", icon+" "+c.Name)
		if c.Expected != "" || c.Actual != "" {
			d.text(st.Muted, "      ", "expected: "+orNone(c.Expected))
			d.text(st.Muted, "      ", "actual:   "+orNone(c.Actual))
		}
		if c.Reason != "" {
			d.text(st.Muted, "      ", c.Reason)
		}
		if c.Spec != "" {
			d.text(st.Accent, "      ", c.Spec)
		}
	}
}

func redirects(d *doc, rs []record.Redirect, st Styles) {
	for _, r := range rs {
		how := r.Method
		if r.Status != 0 {
			how = itoa(r.Status) + " " + how
		} else if how == "" {
			how = "form post"
		}
		d.text(st.Plain, "  ", "↪ "+strings.TrimSpace(how)+" "+r.To)
		if r.From != "" {
			d.text(st.Muted, "      ", "from "+r.From)
		}
		if r.Note != "" {
			d.text(st.Muted, "      ", r.Note)
		}
	}
}

func (w walk) maskParam(name, v string) string {
	if !w.reveal && secretParam(name) && v != "" {
		return masked
	}
	return v
}

// secretParam names the parameters masked unless revealed (DESIGN.md: client secrets,
// passwords, refresh tokens).
func secretParam(name string) bool {
	switch strings.ToLower(name) {
	case "client_secret", "password", "refresh_token", "client_assertion":
		return true
	}
	return false
}

// requestContent renders the pending request; it also returns the line of each field
// so the cursor can be kept in view.
func (w walk) requestContent(st Styles) (string, []int) {
	d := newDoc(w.vps[paneRequest].Width())
	var lines []int
	if w.polling() {
		w.pollingBox(d, st)
		return d.String(), lines
	}
	if w.running {
		if w.waiting {
			d.text(st.Warn, "", "⧗ Waiting for the browser. Log in there; the redirect comes back to oauthx. esc cancels.")
		} else {
			d.line(w.spin.View() + st.Accent.Render(" Sending…"))
		}
		return d.String(), lines
	}
	if !w.snap.hasPending {
		switch {
		case w.snap.done && w.snap.lesson != nil:
			w.lessonEnd(d, st)
			return d.String(), lines
		case w.snap.done && w.mode.readOnly:
			d.text(st.Plain, "", "The end of the recording: every recorded step is shown.")
			d.text(st.Muted, "", "b/← goes back through the steps · w exports it again · esc quits")
		case w.snap.done && lastFailed(w.snap.records):
			d.text(st.Fail, "", "The flow stopped: a step failed. Read why in the Step pane and the raw exchange in HTTP.")
			d.text(st.Muted, "", w.againHint(true))
		case w.snap.done:
			d.text(st.OK, "", "The flow is complete: every step ran. The tokens are in the Tokens pane.")
			d.text(st.Muted, "", w.againHint(false))
		default:
			title := "The next step"
			if i := w.nextIndex(); i < len(w.snap.plan) {
				title = w.snap.plan[i].Title
			}
			if w.mode.readOnly {
				d.text(st.Plain, "", "Next in the recording: "+title+". n shows it, as recorded; a replay sends nothing.")
			} else {
				d.text(st.Plain, "", "Next: "+title+". It sends nothing you can edit; press n to run it.")
			}
		}
		if w.atLogin() {
			w.loginBox(d, st)
		}
		if w.atApprove() {
			w.approveBox(d, st)
		}
		return d.String(), lines
	}
	w.lessonEdits(d, st)
	req := w.edited
	title := "Next request"
	if i := w.nextIndex(); i < len(w.snap.plan) {
		title = "Next: " + w.snap.plan[i].Title
	}
	d.text(st.Title, "", title)
	d.text(st.Accent, "", req.Method+" "+req.URL)
	if req.AuthMethod != "" {
		d.text(st.Muted, "", "client authentication: "+req.AuthMethod+authNote(req.AuthMethod))
	}
	d.blank()
	lines = make([]int, len(req.Params))
	for i, p := range req.Params {
		lines[i] = len(d.lines)
		mark := "  "
		name := sanitize(p.Name)
		if i == w.field {
			mark = st.Selected.Render("▸ ")
			name = st.Selected.Render(name)
		} else {
			name = st.Bold.Render(name)
		}
		if w.isEdited(p.Name) {
			name += st.Edited.Render(" ✎ edited")
		}
		if p.Secret {
			name += st.Secret.Render(" (secret)")
		}
		d.line(mark + name)
		if w.editing && i == w.field {
			d.line("    " + w.input.View())
			continue
		}
		v := p.Value
		if (p.Secret || secretParam(p.Name)) && !w.reveal && v != "" {
			v = masked
		}
		if v == "" {
			v = "(empty)"
		}
		d.text(st.Plain, "    ", v)
		if w.isEdited(p.Name) {
			orig, had := paramValue(w.snap.pending, p.Name)
			if !had {
				orig = "(not sent)"
			}
			d.text(st.Muted, "    ", "was: "+w.maskParam(p.Name, orig))
		}
		if p.Note != "" {
			d.text(st.Muted, "    ", p.Note)
		}
	}
	if drop := w.dropped(); len(drop) > 0 {
		d.blank()
		d.text(st.Edited, "", "✂ not sent: "+strings.Join(drop, ", ")+" (X undoes all edits)")
	}
	if w.editing {
		d.blank()
		d.text(st.Muted, "", "enter keeps the new value · esc cancels")
	} else if w.guided() {
		d.blank()
		d.text(st.Muted, "", "n sends it as shown")
	} else {
		d.blank()
		d.text(st.Muted, "", "↑/↓ choose a field · e edit · x undo · d drop · n send")
	}
	if w.atLogin() {
		w.loginBox(d, st)
	}
	return d.String(), lines
}

func authNote(m string) string {
	switch m {
	case "client_secret_basic":
		return " (HTTP Basic, RFC 6749 §2.3.1)"
	case "client_secret_post":
		return " (in the form body, RFC 6749 §2.3.1)"
	case "none":
		return " (public client: no secret, RFC 6749 §2.1)"
	}
	return ""
}

func lastFailed(rs []record.Step) bool {
	return len(rs) > 0 && rs[len(rs)-1].Failed()
}

// approveBox shows the user's side of the device grant: the code to enter and where.
func (w walk) approveBox(d *doc, st Styles) {
	d.blank()
	d.text(st.Title, "", "How to approve")
	switch {
	case w.canApproveWhilePolling():
		d.text(st.Plain, "", "open the verification URI on a phone or computer, enter the code, log in and consent")
		d.line(st.Plain.Render("n  or approve here, inside the terminal, as ") + st.Selected.Render(sanitize(w.caps.users[w.user])))
	case w.dev.approving:
		d.text(st.Plain, "", "approving inside the terminal…")
	case w.dev.approvedBy != "":
		d.text(st.Plain, "", "approved inside the terminal as "+sanitize(w.dev.approvedBy)+"; the next poll gets the tokens")
	case w.running:
		d.text(st.Plain, "", "open the verification URI on a phone or computer, enter the code, log in and consent")
	case w.canLoginHere():
		d.line(st.Plain.Render("n  approve here, inside the terminal, as ") + st.Selected.Render(sanitize(w.caps.users[w.user])))
		if len(w.caps.users) > 1 {
			d.text(st.Muted, "   ", "u switches user: "+strings.Join(w.caps.users, ", "))
		}
		if w.caps.open != nil {
			d.text(st.Plain, "", "o  approve in the real browser instead; oauthx polls until you have")
		} else {
			d.text(st.Muted, "", "or approve in a browser as below, then n polls")
		}
	case w.caps.open != nil:
		d.text(st.Plain, "", "o  open the verification URI in this machine's browser; oauthx polls until you approve")
		d.text(st.Plain, "", "n  approve on a phone or another computer (the code, the URI or the QR code below), then n polls")
	default:
		d.text(st.Plain, "", "open the verification URI on a phone or computer, enter the code, log in and consent; then n polls the token endpoint until you have")
	}
	if a, ok := w.artifact("user_code"); ok {
		d.blank()
		d.line(st.Muted.Render("code ") + st.Selected.Render(sanitize(a.Value)))
	}
	if a, ok := w.artifact("verification_uri"); ok {
		d.line(st.Muted.Render("at   ") + st.Accent.Render(sanitize(a.Value)))
	}
	if a, ok := w.artifact("verification_uri_complete"); ok {
		d.text(st.Muted, "", "or, with the code in it (c copies it):")
		d.hard(st.Accent, "", a.Value)
	}
	w.qrBlock(d, st)
}

// block draws a multi-line block (a QR code) as is when it fits, or says how wide the
// terminal must be: wrapping would break it.
func block(d *doc, v string, st Styles) {
	lines := strings.Split(strings.TrimRight(sanitize(v), "\n"), "\n")
	wide := 0
	for _, l := range lines {
		wide = max(wide, lipgloss.Width(l))
	}
	if wide > d.w {
		d.text(st.Muted, "", "(a QR code "+itoa(wide)+" columns wide: widen the terminal to see it)")
		return
	}
	for _, l := range lines {
		d.line(l)
	}
}

func (w walk) loginBox(d *doc, st Styles) {
	d.blank()
	d.text(st.Title, "", "How to log in")
	if w.choice.Provider.Bundled && w.caps.login != nil && len(w.caps.users) > 0 {
		d.line(st.Plain.Render("n  log in here, inside the terminal, as ") + st.Selected.Render(sanitize(w.caps.users[w.user])))
		if len(w.caps.users) > 1 {
			d.text(st.Muted, "   ", "u switches user: "+strings.Join(w.caps.users, ", "))
		}
	}
	if w.caps.browser != nil {
		d.text(st.Plain, "", "o  open the real browser; the redirect comes back to a loopback receiver")
	}
	if w.caps.pasted != nil {
		d.text(st.Plain, "", "p  paste the final redirect URL back (log in anywhere, copy the address bar)")
	}
	d.text(st.Plain, "", "c  copy the authorization URL")
	if w.pasting {
		d.blank()
		d.line(w.paste.View())
		d.text(st.Muted, "", "enter sends it · esc cancels")
	}
	if u := w.authorizeURL(); u != "" {
		d.blank()
		d.text(st.Muted, "", "Authorization URL")
		d.hard(st.Accent, "", u)
	}
}

// authorizeURL is the authorization request as a URL: the pending one with the
// edits, or the one the flow built (its authorization_url artifact).
func (w walk) authorizeURL() string {
	if w.snap.hasPending && w.edited.Method == http.MethodGet && w.edited.Has("response_type") {
		return w.edited.URL + "?" + encodeParams(w.edited.Params, false)
	}
	for i := len(w.snap.records) - 1; i >= 0; i-- {
		if a, ok := w.snap.records[i].Artifact("authorization_url"); ok {
			return a.Value
		}
	}
	return ""
}

// encodeParams encodes parameters in order (url.Values would sort them).
func encodeParams(ps []record.Param, mask bool) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		v := p.Value
		if mask && (p.Secret || secretParam(p.Name)) {
			v = masked
		}
		parts = append(parts, url.QueryEscape(p.Name)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// httpStep is the step whose exchanges the HTTP pane shows: the selected one, or the
// latest that made any.
func (w walk) httpStep() (record.Step, bool) {
	if r, ok := w.recordAt(w.sel); ok && (len(r.Exchanges) > 0 || len(r.Redirects) > 0) {
		return r, true
	}
	for i := len(w.snap.records) - 1; i >= 0; i-- {
		if r := w.snap.records[i]; len(r.Exchanges) > 0 {
			return r, true
		}
	}
	return record.Step{}, false
}

func (w walk) httpContent(st Styles) string {
	d := newDoc(w.vps[paneHTTP].Width())
	r, ok := w.httpStep()
	if !ok {
		d.text(st.Muted, "", "No HTTP exchange yet. Each request oauthx sends and each response it gets will be shown here, raw.")
		return d.String()
	}
	n := len(r.Exchanges)
	d.text(st.Muted, "", "Step "+itoa(r.Index+1)+". "+r.Title+" · "+itoa(n)+" exchange"+plural(n)+reveal(w.reveal))
	for i, x := range r.Exchanges {
		d.blank()
		req := x.Request
		d.text(st.Accent, "", "→ "+req.Method+" "+req.URL)
		headers(d, req.Header, w.reveal, st)
		if req.Body != "" {
			body, hidden := shownBody(req.Body)
			d.text(st.Plain, "  ", maskForm(body, w.reveal))
			if hidden > 0 {
				d.text(st.Warn, "  ", "… "+itoa(hidden)+" more bytes not shown here")
			}
		}
		switch {
		case x.Response != nil:
			resp := x.Response
			sty := st.OK
			if resp.Status >= 400 {
				sty = st.Fail
			}
			line := "← " + itoa(resp.Status) + " " + http.StatusText(resp.Status)
			if x.Duration > 0 {
				line += st.Muted.Render(" · " + duration(x.Duration))
			}
			d.line(sty.Render(line))
			headers(d, resp.Header, w.reveal, st)
			if resp.Body != "" {
				body, hidden := shownBody(resp.Body)
				for _, l := range strings.Split(prettyBody(body, resp.Header, w.reveal), "\n") {
					// a hanging indent keeps wrapped JSON members under their key
					trimmed := strings.TrimLeft(l, " ")
					ind := "  " + l[:len(l)-len(trimmed)]
					if len(ind) > d.w/2 {
						ind = "  "
					}
					d.text(st.Plain, ind, trimmed)
				}
				if hidden > 0 {
					d.text(st.Warn, "  ", "… "+itoa(hidden)+" more bytes not shown here (an export holds the body as recorded)")
				}
			}
			if resp.Truncated {
				d.text(st.Warn, "  ", "… body truncated")
			}
		case x.Error != "":
			d.text(st.Fail, "", "✗ no response: "+x.Error)
		}
		_ = i
	}
	if len(r.Redirects) > 0 {
		d.blank()
		d.text(st.Bold, "", "Redirects")
		redirects(d, r.Redirects, st)
	}
	return d.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func reveal(on bool) string {
	if on {
		return " · secrets shown (r hides)"
	}
	return " · secrets masked (r reveals)"
}

func headers(d *doc, h http.Header, show bool, st Styles) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			d.text(st.Muted, "  ", k+": "+maskHeader(k, v, show))
		}
	}
}

func maskHeader(name, v string, show bool) string {
	if show {
		return v
	}
	switch http.CanonicalHeaderKey(name) {
	case "Authorization":
		if scheme, _, ok := strings.Cut(v, " "); ok {
			return scheme + " " + masked
		}
		return masked
	case "Cookie", "Set-Cookie":
		n, _, _ := strings.Cut(v, "=")
		return n + "=" + masked
	}
	return v
}

// maskForm masks secret parameters of a form-encoded body, keeping it otherwise raw.
func maskForm(body string, show bool) string {
	if show {
		return body
	}
	parts := strings.Split(body, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok && secretParam(k) {
			parts[i] = k + "=" + masked
		}
	}
	return strings.Join(parts, "&")
}

// maxShownBody caps the bytes of one body the HTTP pane lays out. The pane is laid
// out again on every key press, so a hostile provider's megabyte body would make
// each one take seconds; what is cut is said on screen and stays in the record.
const maxShownBody = 64 << 10

// shownBody returns the part of body the HTTP pane shows, cut on a rune boundary,
// and how many bytes were left out.
func shownBody(body string) (string, int) {
	if len(body) <= maxShownBody {
		return body, 0
	}
	cut := maxShownBody
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut], len(body) - cut
}

// prettyBody indents a JSON body (and masks its secret members); other bodies are
// shown as received.
func prettyBody(body string, h http.Header, show bool) string {
	trim := strings.TrimSpace(body)
	if strings.HasPrefix(trim, "{") || strings.HasPrefix(trim, "[") || strings.Contains(h.Get("Content-Type"), "json") {
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(trim), "", "  ") == nil {
			out := buf.String()
			if !show {
				out = maskJSON(out)
			}
			return out
		}
	}
	if !show && strings.Contains(h.Get("Content-Type"), "x-www-form-urlencoded") {
		return maskForm(body, show)
	}
	return body
}

func maskJSON(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		for _, k := range []string{"refresh_token", "client_secret", "password"} {
			if strings.HasPrefix(t, `"`+k+`": "`) {
				indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
				comma := ""
				if strings.HasSuffix(t, ",") {
					comma = ","
				}
				lines[i] = indent + `"` + k + `": "` + masked + `"` + comma
			}
		}
	}
	return strings.Join(lines, "\n")
}

// tokenRef is a token found among the records' artifacts.
type tokenRef struct {
	name string
	art  record.Artifact
	step int
}

func hasToken(s record.Step) bool {
	return slices.ContainsFunc(s.Artifacts, isTokenArtifact)
}

func isTokenArtifact(a record.Artifact) bool {
	return a.Token != nil || strings.HasSuffix(a.Name, "_token")
}

// tokensOf lists the tokens the flow obtained, the latest of each name.
func tokensOf(rs []record.Step) []tokenRef {
	var out []tokenRef
	for i, r := range rs {
		for _, a := range r.Artifacts {
			if !isTokenArtifact(a) {
				continue
			}
			if j := slices.IndexFunc(out, func(t tokenRef) bool { return t.name == a.Name }); j >= 0 {
				out[j] = tokenRef{a.Name, a, i}
				continue
			}
			out = append(out, tokenRef{a.Name, a, i})
		}
	}
	return out
}

func preferredToken(ts []tokenRef) int {
	if i := slices.IndexFunc(ts, func(t tokenRef) bool { return t.name == "id_token" }); i >= 0 {
		return i
	}
	return 0
}

// duration shows a step or exchange time the way people read it: 12ms, 350µs, 1.2s.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}
