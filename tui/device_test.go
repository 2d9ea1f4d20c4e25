package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

const deviceURI = "http://127.0.0.1:9999/device?user_code=WDJB-MJHT"

// deviceScript is the device flow's shape: the code, the approval, the polling.
func deviceScript() *fakeFlow {
	plan := []record.StepPlan{
		{ID: "device-authorization", Title: "Request a device code", Sends: true},
		{ID: "approve", Title: "User approves on another device", Arrows: []record.Arrow{{From: record.ActorUser, To: record.ActorBrowser, Label: "open verification_uri"}}},
		{ID: "poll", Title: "Poll the token endpoint", Sends: true},
	}
	step := func(i int, arts ...record.Artifact) record.Step {
		return record.Step{Index: i, ID: plan[i].ID, Title: plan[i].Title, Status: record.StatusDone, Artifacts: arts}
	}
	qr, _ := flows.QRText(deviceURI)
	return &fakeFlow{kind: flows.KindDevice, plan: plan, script: []record.Step{
		step(0, record.Artifact{Name: "user_code", Value: "WDJB-MJHT"},
			record.Artifact{Name: "verification_uri", Value: "http://127.0.0.1:9999/device"},
			record.Artifact{Name: "verification_uri_complete", Value: deviceURI},
			record.Artifact{Name: "verification_qr", Value: qr},
			record.Artifact{Name: "interval", Value: "5"}),
		step(1),
		step(2, record.Artifact{Name: "polls", Value: "authorization_pending → tokens"})},
		pending: map[int]record.Request{
			0: {Method: "POST", URL: "http://127.0.0.1:9999/device_authorization", Params: []record.Param{{Name: "client_id", Value: "device-app"}}},
			2: {Method: "POST", URL: "http://127.0.0.1:9999/token", Params: []record.Param{{Name: "grant_type", Value: flows.GrantTypeDeviceCode}}},
		}}
}

// deviceAtApprove is a walkthrough of the scripted device flow at w×h, with the
// device code requested: the approve step is next. open, when not nil, is the
// browser opener (o).
func deviceAtApprove(t testing.TB, dark bool, w, h int, open func(string) error) *harness {
	t.Helper()
	hh := newHarness(t, dark, func(o *Options) {
		o.InitialFlow = flows.KindDevice
		if open != nil {
			o.OpenURL = open
		}
	})
	hh.script = deviceScript
	hh.patient("s")
	hh.size(w, h)
	hh.patient("n")
	return hh
}

// qrRows are the QR code's rows as drawn.
func qrRows(t *testing.T, dark bool) []string {
	t.Helper()
	qr, err := deviceQR(deviceURI, dark)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(qr, "\n"), "\n")
}

func TestDeviceQRFollowsTheBackground(t *testing.T) {
	for _, dark := range []bool{true, false} {
		h := deviceAtApprove(t, dark, 120, 40, nil)
		scr := h.screen()
		for _, want := range []string{"WDJB-MJHT", "http://127.0.0.1:9999/device", deviceURI} {
			if !strings.Contains(scr, want) {
				t.Errorf("dark=%v: %q is not on screen", dark, want)
			}
		}
		rows, other := qrRows(t, dark), qrRows(t, !dark)
		if rows[1] == other[1] {
			t.Fatal("the two polarities draw the same")
		}
		for i, r := range rows {
			if !strings.Contains(scr, r) {
				t.Fatalf("dark=%v: QR row %d is not on screen:\n%s", dark, i, scr)
			}
		}
		if strings.Contains(scr, other[1]) {
			t.Errorf("dark=%v: the QR code is drawn for the other background", dark)
		}
	}
}

func TestDeviceQRTooNarrowSaysSo(t *testing.T) {
	h := deviceAtApprove(t, true, 32, 60, nil)
	h.m.walk.focusPane(paneRequest)
	h.run(h.send(nil))
	for range 30 {
		if strings.Contains(h.screen(), "widen the terminal") {
			return
		}
		h.patient("down")
	}
	t.Errorf("a QR code too wide for the pane is not explained:\n%s", h.screen())
}

// opener records the URLs the browser was asked to open.
type opener struct {
	mu   sync.Mutex
	urls []string
	err  error
}

func (o *opener) open(u string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.urls = append(o.urls, u)
	return o.err
}

func TestDeviceApproveInBrowserThenPolls(t *testing.T) {
	op := &opener{}
	h := deviceAtApprove(t, true, 100, 30, op.open)
	if !h.m.keys.Browser.Enabled() || !strings.Contains(h.screen(), "o approve in browser") {
		t.Fatalf("o is not offered at the approve step:\n%s", h.screen())
	}
	h.patient("o")
	if len(op.urls) != 1 || op.urls[0] != deviceURI {
		t.Errorf("the browser opened %q, want the complete verification URI", op.urls)
	}
	f := h.flow()
	f.mu.Lock()
	inputs := append([]flows.StepInput(nil), f.inputs...)
	f.mu.Unlock()
	// device code, approve (no approver: the person does it), then the poll at once.
	if len(inputs) != 3 || inputs[1].Authorizer != nil {
		t.Fatalf("inputs = %+v, want approve without an approver then the poll", inputs)
	}
	if !h.m.walk.snap.done {
		t.Error("the polling did not run after the approval in the browser")
	}
}

func TestDeviceBrowserFailureStillPolls(t *testing.T) {
	op := &opener{err: errors.New("no browser here")}
	h := deviceAtApprove(t, true, 100, 30, op.open)
	cmd := h.send(keyPress("o"))
	msgs := collect(cmd)
	var opened *urlOpenedMsg
	for _, m := range msgs {
		if u, ok := m.(urlOpenedMsg); ok {
			opened = &u
		}
	}
	if opened == nil {
		t.Fatal("no urlOpenedMsg")
	}
	h.send(*opened)
	if !h.m.walk.statusErr || !strings.Contains(h.m.walk.status, "could not open a browser") || !strings.Contains(h.m.walk.status, deviceURI) {
		t.Errorf("status = %q", h.m.walk.status)
	}
}

// blockingFlow is a device flow whose poll waits until it is cancelled, like a
// real poll waiting for an approval that does not come.
type blockingFlow struct {
	*fakeFlow
	started, cancelled chan struct{}
}

func (b *blockingFlow) Next(ctx context.Context, in flows.StepInput) record.Step {
	if len(b.Records()) == 2 {
		close(b.started)
		<-ctx.Done()
		close(b.cancelled)
		return record.Step{ID: "poll", Title: "Poll the token endpoint", Status: record.StatusFailed,
			Error: &record.Error{Kind: record.ErrCanceled, Message: "cancelled while waiting to poll again"}}
	}
	return b.fakeFlow.Next(ctx, in)
}

func TestQuitWhilePollingCancelsThePoll(t *testing.T) {
	bf := &blockingFlow{fakeFlow: deviceScript(), started: make(chan struct{}), cancelled: make(chan struct{})}
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindDevice
		o.NewFlow = func(ProviderChoice, flows.Kind) (flows.Flow, error) { return bf, nil }
	})
	h.size(100, 30)
	h.patient("n", "n") // device code, approve here
	cmd := h.send(keyPress("n"))
	if !h.m.walk.polling() {
		t.Fatal("not polling")
	}
	if !strings.Contains(h.screen(), "Polling the token endpoint") || !strings.Contains(h.screen(), "WDJB-MJHT") {
		t.Errorf("the polling does not keep the code on screen:\n%s", h.screen())
	}
	// The poll runs in its command, as the runtime runs it: Update is free meanwhile.
	go collect(cmd)
	<-bf.started
	if q := h.send(keyPress("q")); q == nil {
		t.Fatal("q while polling returned no command")
	}
	select {
	case <-bf.cancelled: // q cancelled the poll's context
	case <-time.After(10 * time.Second):
		t.Fatal("q did not cancel the poll")
	}
}

// pollerFlow is a blocking device flow that reports its polling pauses.
type pollerFlow struct {
	*blockingFlow
	ch chan DeviceWait
}

func (p *pollerFlow) DeviceWaits() <-chan DeviceWait { return p.ch }

func TestDevicePollingIsFollowedLive(t *testing.T) {
	pf := &pollerFlow{blockingFlow: &blockingFlow{fakeFlow: deviceScript(), started: make(chan struct{}), cancelled: make(chan struct{})},
		ch: make(chan DeviceWait, 4)}
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindDevice
		o.NewFlow = func(ProviderChoice, flows.Kind) (flows.Flow, error) { return pf, nil }
	})
	h.size(120, 40)
	h.patient("n", "n")
	cmd := h.send(keyPress("n"))
	if !h.m.walk.polling() || !h.m.walk.dev.watching {
		t.Fatal("the polling is not followed")
	}
	go collect(cmd)
	<-pf.started
	run := h.m.walk.run
	at := testNow
	h.run(h.send(deviceWaitMsg{run: run, wait: DeviceWait{Poll: 1, Wait: 5 * time.Second, At: at}}))
	h.run(h.send(deviceWaitMsg{run: run, wait: DeviceWait{Poll: 2, Wait: 10 * time.Second, At: at.Add(5 * time.Second)}}))
	h.run(h.send(deviceWaitMsg{run: run + 1, wait: DeviceWait{Poll: 9, Wait: time.Second, At: at}})) // another flow's
	scr := h.screen()
	for _, want := range []string{"poll 1: not approved yet · next in 5s (at 10:00:05)", "poll 2: not approved yet · next in 10s (at 10:00:15) · slow_down"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the polling log lacks %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "poll 9") {
		t.Error("a pause of another flow's polling is shown")
	}
	// esc cancels the poll: its result ends the watch.
	h.patient("esc")
	<-pf.cancelled
	h.run(h.send(stepMsg{run: run, step: record.Step{ID: "poll", Status: record.StatusFailed,
		Error: &record.Error{Kind: record.ErrCanceled, Message: "cancelled"}}, snap: snapshotOf(pf)}))
	if h.m.walk.polling() || h.m.walk.dev.watching {
		t.Error("the watch goes on after the polling ended")
	}
}

func TestWaitForPoll(t *testing.T) {
	ch := make(chan DeviceWait, 1)
	ch <- DeviceWait{Poll: 1, Wait: time.Second}
	if msg, ok := waitForPoll(context.Background(), 7, ch)().(deviceWaitMsg); !ok || msg.run != 7 || msg.wait.Poll != 1 {
		t.Errorf("got %#v", msg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if msg := waitForPoll(ctx, 7, ch)(); msg != nil {
		t.Errorf("a cancelled wait returned %#v", msg)
	}
	close(ch)
	if msg := waitForPoll(context.Background(), 7, ch)(); msg != nil {
		t.Errorf("a closed feed returned %#v", msg)
	}
}

// BenchmarkDeviceRebuild is a keypress that rebuilds every pane at the device flow's
// approve step, the QR code drawn again included.
func BenchmarkDeviceRebuild(b *testing.B) {
	h := deviceAtApprove(b, true, 120, 40, nil)
	if !h.m.walk.atApprove() {
		b.Fatal("not at the approve step")
	}
	m := h.m
	b.ReportAllocs()
	for b.Loop() {
		mm, _ := m.Update(keyPress("r"))
		m = mm.(Model)
		_ = m.View()
	}
}

// deviceApprover is an in-terminal login that can also approve user codes.
type deviceApprover struct {
	fakeAuth
	mu  sync.Mutex
	got []flows.DeviceAuthorization
}

func (d *deviceApprover) ApproveDevice(_ context.Context, da flows.DeviceAuthorization) (flows.AuthorizeResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = append(d.got, da)
	return flows.AuthorizeResult{}, nil
}

// After `o`, while the flow polls, `n` still approves inside the terminal (the
// browser may not have worked out): the user agent approves the code as the chosen
// user, as on another device, and the polling goes on.
func TestDeviceApproveHereWhilePolling(t *testing.T) {
	op := &opener{}
	bf := &blockingFlow{fakeFlow: deviceScript(), started: make(chan struct{}), cancelled: make(chan struct{})}
	approvers := map[string]*deviceApprover{}
	var mu sync.Mutex
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindDevice
		o.OpenURL = op.open
		o.NewFlow = func(ProviderChoice, flows.Kind) (flows.Flow, error) { return bf, nil }
		o.LoginAs = func(u string) flows.Authorizer {
			mu.Lock()
			defer mu.Unlock()
			if approvers[u] == nil {
				approvers[u] = &deviceApprover{fakeAuth: fakeAuth{"login:" + u}}
			}
			return approvers[u]
		}
	})
	h.size(100, 30)
	h.patient("n") // the device code
	h.press("u")   // approve as bob
	// o: the approve step without an approver, then the poll starts and blocks.
	for _, msg := range collect(h.send(keyPress("o"))) {
		if cmd := h.send(msg); cmd != nil {
			go collect(cmd)
		}
	}
	<-bf.started
	if !h.m.walk.polling() {
		t.Fatal("not polling after o")
	}
	if !h.m.keys.Next.Enabled() || !strings.Contains(h.screen(), "approve here as bob") {
		t.Fatalf("n is not offered while polling:\n%s", h.screen())
	}
	msgs := collect(h.send(keyPress("n")))
	if len(msgs) != 1 {
		t.Fatalf("n while polling gave %d messages", len(msgs))
	}
	h.send(msgs[0])
	mu.Lock()
	got := approvers["bob"].got
	mu.Unlock()
	want := flows.DeviceAuthorization{UserCode: "WDJB-MJHT", VerificationURI: "http://127.0.0.1:9999/device", VerificationURIComplete: deviceURI}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("approved %+v, want %+v", got, want)
	}
	if !strings.Contains(h.m.walk.status, "approved inside the terminal as bob") || !strings.Contains(h.screen(), "the next poll gets the tokens") {
		t.Errorf("status %q; screen:\n%s", h.m.walk.status, h.screen())
	}
	if h.m.keys.Next.Enabled() {
		t.Error("n is still offered after the approval")
	}
	h.send(keyPress("esc"))
	select {
	case <-bf.cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("esc did not cancel the poll")
	}
}
