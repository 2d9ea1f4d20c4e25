package tui

import (
	"context"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// The device authorization grant (RFC 8628) in the walkthrough: the code and the QR
// code to approve with, the real browser (`o`), and the polling that follows.

// urlOpenedMsg reports whether the browser could be opened at the verification URI.
type urlOpenedMsg struct {
	run int
	url string
	err error
}

// openURL opens the real browser in a command (it blocks while the browser starts).
func openURL(open func(string) error, run int, url string) tea.Cmd {
	return func() tea.Msg { return urlOpenedMsg{run: run, url: url, err: open(url)} }
}

// verificationURI is where the person approves: the complete URI (with the user
// code in it) when the provider sent one.
func (w walk) verificationURI() string {
	for _, name := range []string{"verification_uri_complete", "verification_uri"} {
		if a, ok := w.artifact(name); ok && a.Value != "" {
			return a.Value
		}
	}
	return ""
}

// approveInBrowser is `o` at the approve step: open the verification URI in the real
// browser, record that the person approves there (the approve step with no
// approver), then poll until they have.
func (w walk) approveInBrowser() (walk, tea.Cmd) {
	uri := w.verificationURI()
	if uri == "" || w.caps.open == nil {
		w.status, w.statusErr = "no verification URI to open", true
		return w, nil
	}
	w.autoPoll = true
	w, cmd := w.send(nil, false)
	w.status = "opening the browser at " + uri + "; approve there, and oauthx polls until you do (esc cancels)"
	return w, tea.Batch(openURL(w.caps.open, w.run, uri), cmd)
}

// deviceApprovedMsg is the end of an approval made inside the terminal while the
// flow polls.
type deviceApprovedMsg struct {
	run  int
	user string
	res  flows.AuthorizeResult
	err  error
}

// canApproveWhilePolling reports whether `n` can approve the user code inside the
// terminal while the flow polls: after `o`, when the browser did not work out.
func (w walk) canApproveWhilePolling() bool {
	if !w.polling() || w.dev.approving || w.dev.approvedBy != "" || !w.canLoginHere() {
		return false
	}
	_, ok := w.caps.login(w.caps.users[w.user]).(flows.DeviceApprover)
	return ok
}

// approveWhilePolling is `n` while the flow polls: the built-in user agent approves
// the user code as the chosen demo user, as the person would on another device.
// The polling step is already running, so the approval is not a step of its own;
// the next poll shows its effect.
func (w walk) approveWhilePolling() (walk, tea.Cmd) {
	if !w.canApproveWhilePolling() {
		return w, nil
	}
	user := w.caps.users[w.user]
	approver := w.caps.login(user).(flows.DeviceApprover)
	da := flows.DeviceAuthorization{}
	if a, ok := w.artifact("user_code"); ok {
		da.UserCode = a.Value
	}
	if a, ok := w.artifact("verification_uri"); ok {
		da.VerificationURI = a.Value
	}
	if a, ok := w.artifact("verification_uri_complete"); ok {
		da.VerificationURIComplete = a.Value
	}
	w.dev.approving = true
	w.status, w.statusErr = "approving the code inside the terminal as "+user+"…", false
	run := w.run
	return w, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := approver.ApproveDevice(ctx, da)
		return deviceApprovedMsg{run: run, user: user, res: res, err: err}
	}
}

// approvedHere takes the result of an approval made while polling.
func (w walk) approvedHere(msg deviceApprovedMsg) walk {
	w.dev.approving = false
	if msg.err != nil {
		w.status, w.statusErr = "✗ could not approve inside the terminal: "+msg.err.Error(), true
		return w
	}
	w.dev.approvedBy = msg.user
	if w.polling() {
		w.status, w.statusErr = "✓ approved inside the terminal as "+msg.user+", as on another device: the next poll gets the tokens", false
	}
	return w
}

// opened takes the browser's launch result.
func (w walk) opened(msg urlOpenedMsg) walk {
	if msg.err != nil {
		w.status, w.statusErr = "✗ could not open a browser ("+msg.err.Error()+"): open "+msg.url+" yourself (c copies it); polling goes on", true
	}
	return w
}

// continuePolling starts the poll step at once after the person chose to approve in
// the browser: there is nothing else to wait for.
func (w walk) continuePolling(st record.Step) (walk, tea.Cmd) {
	if !w.autoPoll || st.ID != "approve" {
		return w, nil
	}
	w.autoPoll = false
	if st.Failed() || w.snap.done {
		return w, nil
	}
	status := w.status
	w, cmd := w.send(nil, false)
	if status != "" && !w.statusErr {
		w.status = "polling the token endpoint until the code is approved in the browser (esc cancels)"
	}
	return w, cmd
}

// polling reports whether the running step is the device flow's polling.
func (w walk) polling() bool {
	i := w.nextIndex()
	return w.running && i < len(w.snap.plan) && w.snap.plan[i].ID == "poll"
}

// pollingBox says what the polling waits for, and keeps the code and the QR code on
// screen while it does.
func (w walk) pollingBox(d *doc, st Styles) {
	d.line(w.spin.View() + st.Accent.Render(" Polling the token endpoint…"))
	every := "5 s (the default, RFC 8628 §3.2)"
	if a, ok := w.artifact("interval"); ok && a.Value != "" {
		every = a.Value + " s"
	}
	d.text(st.Muted, "", "every "+every+", 5 s more after each slow_down, until the user approves or denies, or the code expires. Each poll is an exchange, listed in HTTP when the step ends. esc cancels.")
	if a, ok := w.artifact("expires_in"); ok && a.Note != "" {
		d.text(st.Muted, "", a.Note)
	}
	w.pollLog(d, st)
	w.approveBox(d, st)
}

// deviceQR draws the verification URI with the code in it as a QR code, in the
// polarity of the terminal's background (flows.QRText draws light modules, for a
// dark background; flows.QRTextInverted dark ones, for a light background).
func deviceQR(uri string, dark bool) (string, error) {
	if dark {
		return flows.QRText(uri)
	}
	return flows.QRTextInverted(uri)
}

// qrBlock draws the device flow's QR code, or says why it cannot.
func (w walk) qrBlock(d *doc, st Styles) {
	a, ok := w.artifact("verification_uri_complete")
	if !ok || a.Value == "" {
		return
	}
	qr, err := deviceQR(a.Value, st.Dark)
	if err != nil {
		d.text(st.Warn, "", "⚠ cannot draw the QR code: "+err.Error())
		return
	}
	d.blank()
	block(d, qr, st)
	d.text(st.Muted, "", "scan it with a phone camera (RFC 8628 §3.3.1); check that the page shows the same code")
}

// qrArtifact is the value of an artifact of step r as shown: the engine's QR code
// (drawn for a dark background) is drawn again in the terminal's polarity.
func qrArtifact(r record.Step, a record.Artifact, dark bool) string {
	if dark || a.Name != "verification_qr" {
		return a.Value
	}
	if u, ok := r.Artifact("verification_uri_complete"); ok {
		if qr, err := deviceQR(u.Value, dark); err == nil {
			return qr
		}
	}
	return a.Value
}

// DeviceWait is one pause of the device flow's polling (RFC 8628 §3.4, §3.5): the
// polls made so far were answered "not yet" (authorization_pending or slow_down)
// and the next one comes after Wait.
type DeviceWait struct {
	// Poll is the number of polls made so far.
	Poll int
	// Wait is the pause before the next poll: the interval, 5 s longer after each
	// slow_down.
	Wait time.Duration
	// At is when the pause began, by the client's clock.
	At time.Time
}

// DevicePoller is implemented by a device flow that reports its polling pauses as
// they happen (the wiring wraps the engine's Config.Sleep), so the polling can be
// followed live; the poll step's record still holds every exchange. The channel is
// closed when the flow is replaced.
type DevicePoller interface {
	DeviceWaits() <-chan DeviceWait
}

// deviceWatch is what the walkthrough knows of the polling in progress.
type deviceWatch struct {
	watching bool
	cancel   context.CancelFunc
	waits    []DeviceWait
	// approving is set while `n` approves inside the terminal during the polling;
	// approvedBy is the user it approved as.
	approving  bool
	approvedBy string
}

// deviceWaitMsg carries one pause of the polling of run.
type deviceWaitMsg struct {
	run  int
	wait DeviceWait
}

// waitForPoll waits, in a command, for the next pause of the polling.
func waitForPoll(ctx context.Context, run int, ch <-chan DeviceWait) tea.Cmd {
	return func() tea.Msg {
		select {
		case w, ok := <-ch:
			if !ok {
				return nil
			}
			return deviceWaitMsg{run: run, wait: w}
		case <-ctx.Done():
			return nil
		}
	}
}

// watchPolls starts following the polling when it has just begun, and stops when it
// has ended; cmd is what Update returns otherwise.
func (m *Model) watchPolls(cmd tea.Cmd) tea.Cmd {
	if !m.hasWalk {
		return cmd
	}
	w := &m.walk
	switch {
	case w.polling() && !w.dev.watching:
		p, ok := w.flow.(DevicePoller)
		if !ok {
			return cmd
		}
		ctx, cancel := context.WithCancel(context.Background())
		w.dev = deviceWatch{watching: true, cancel: cancel}
		return tea.Batch(cmd, waitForPoll(ctx, w.run, p.DeviceWaits()))
	case !w.polling() && w.dev.watching:
		w.dev.cancel()
		w.dev.watching, w.dev.cancel = false, nil
	}
	return cmd
}

// devicePolled takes one pause of the polling and waits for the next.
func (m *Model) devicePolled(msg deviceWaitMsg) (tea.Cmd, bool) {
	w := &m.walk
	if !m.hasWalk || msg.run != w.run || !w.dev.watching {
		return nil, false
	}
	w.dev.waits = append(w.dev.waits, msg.wait)
	if n := len(w.dev.waits); n > 50 {
		w.dev.waits = w.dev.waits[n-50:]
	}
	p, ok := w.flow.(DevicePoller)
	if !ok {
		return nil, true
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.dev.cancel()
	w.dev.cancel = cancel
	return waitForPoll(ctx, w.run, p.DeviceWaits()), true
}

// pollLog draws the pauses of the polling so far: which poll, what it means for the
// interval, when the next one goes.
func (w walk) pollLog(d *doc, st Styles) {
	if len(w.dev.waits) == 0 {
		return
	}
	d.blank()
	prev := time.Duration(0)
	if a, ok := w.artifact("interval"); ok {
		if n, err := strconv.Atoi(a.Value); err == nil {
			prev = time.Duration(n) * time.Second
		}
	}
	start := max(len(w.dev.waits)-6, 0)
	for i, p := range w.dev.waits {
		grew := prev > 0 && p.Wait > prev
		prev = p.Wait
		if i < start {
			continue
		}
		line := "poll " + itoa(p.Poll) + ": not approved yet · next in " + p.Wait.String() + " (at " + p.At.Add(p.Wait).UTC().Format("15:04:05") + ")"
		if grew {
			d.text(st.Warn, "", line+" · slow_down: the interval grew by 5 s")
			continue
		}
		d.text(st.Muted, "", line)
	}
}
