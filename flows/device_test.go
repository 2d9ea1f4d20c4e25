package flows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// sleeper is an injected Config.Sleep: it records each wait and moves the bundled
// IdP's clock forward by it instead of waiting.
type sleeper struct {
	mu      sync.Mutex
	waits   []time.Duration
	advance func(time.Duration)
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if s.advance != nil {
		s.advance(d)
	}
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func lcStep(t testing.TB, recs []record.Step, id string) record.Step {
	t.Helper()
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no step %q in %s", id, stepIDs(recs))
	return record.Step{}
}

func checkNamed(s record.Step, name string) (record.Check, bool) {
	for _, c := range s.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return record.Check{}, false
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	srv, ts := idp(t, mockidp.Options{})
	sl := &sleeper{advance: srv.Advance}
	cfg := demoConfig(flows.KindDevice, ts.URL)
	cfg.Sleep = sl.Sleep
	f := newFlow(t, flows.KindDevice, cfg)
	recs := runAll(t, f, nil)
	want := "discovery:done device-authorization:done approve:done poll:done id-token:done"
	if got := stepIDs(recs); got != want {
		t.Fatalf("steps %s, want %s (%v)", got, want, lastStep(recs).Error)
	}
	da := lcStep(t, recs, "device-authorization")
	for _, name := range []string{"device_code", "user_code", "verification_uri", "verification_uri_complete", "verification_qr", "interval", "expires_in"} {
		if _, ok := da.Artifact(name); !ok {
			t.Errorf("device-authorization lacks artifact %s", name)
		}
	}
	if a, _ := da.Artifact("interval"); a.Value != "5" {
		t.Errorf("interval = %q, want 5", a.Value)
	}
	if qr, _ := da.Artifact("verification_qr"); !strings.ContainsAny(qr.Value, "▀▄█") {
		t.Errorf("no QR code drawn: %q", qr.Value)
	}
	approve := lcStep(t, recs, "approve")
	if len(approve.Redirects) == 0 || !strings.Contains(approve.Explanation, "Device connected") {
		t.Errorf("approval not walked: %d redirects; %s", len(approve.Redirects), approve.Explanation)
	}
	poll := lcStep(t, recs, "poll")
	if len(poll.Exchanges) != 1 {
		t.Errorf("approved before the first poll: want 1 poll, got %d exchanges", len(poll.Exchanges))
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("slept %v before a poll that needed no wait", sl.Waits())
	}
	tok := f.Tokens()
	if tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" {
		t.Errorf("tokens missing: %+v", tok)
	}
	if red := da.Redacted(); strings.Contains(mustJSON(t, red), tok.RefreshToken) {
		t.Error("refresh token in redacted record")
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeviceSlowDown: the device-slow-down fault answers the first poll with
// slow_down; the client adds 5 s to the interval (RFC 8628 §3.5) and waits that long.
func TestDeviceSlowDown(t *testing.T) {
	t.Parallel()
	srv, ts := idp(t, mockidp.Options{}, mockidp.FaultDeviceSlowDown)
	cfg := demoConfig(flows.KindDevice, ts.URL)
	// The fault answers slow_down only while the grant is pending: the user approves
	// during the first wait, as a person would while the device polls.
	later := &later{}
	cfg.DeviceApprover = later
	sl := &sleeper{advance: func(d time.Duration) {
		srv.Advance(d)
		later.approve(t)
	}}
	cfg.Sleep = sl.Sleep
	recs := runAll(t, newFlow(t, flows.KindDevice, cfg), nil)
	poll := lcStep(t, recs, "poll")
	if poll.Failed() {
		t.Fatalf("poll failed: %v", poll.Error)
	}
	if got := sl.Waits(); len(got) != 1 || got[0] != 10*time.Second {
		t.Fatalf("waits %v, want [10s] (5 s interval + 5 s for slow_down)", got)
	}
	c, ok := checkNamed(poll, "poll 1")
	if !ok || c.Actual != "slow_down" || c.Outcome != record.OutcomeWarn {
		t.Errorf("poll 1 check = %+v", c)
	}
	if len(poll.Exchanges) != 2 {
		t.Errorf("%d polls, want 2", len(poll.Exchanges))
	}
	if a, _ := poll.Artifact("polls"); a.Value != "slow_down → tokens" {
		t.Errorf("polls = %q", a.Value)
	}
}

func TestDeviceAccessDenied(t *testing.T) {
	t.Parallel()
	srv, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindDevice, ts.URL)
	cfg.Authorizer = &useragent.Agent{Username: "alice", Decision: useragent.Deny}
	cfg.Sleep = (&sleeper{advance: srv.Advance}).Sleep
	recs := runAll(t, newFlow(t, flows.KindDevice, cfg), nil)
	last := lastStep(recs)
	if last.ID != "poll" || !last.Failed() || last.Error.Protocol == nil || last.Error.Protocol.Code != "access_denied" {
		t.Fatalf("last step %s %s %+v, want poll failed with access_denied", last.ID, last.Status, last.Error)
	}
	if !strings.Contains(last.Error.Message, "denied") {
		t.Errorf("message %q does not say the user denied", last.Error.Message)
	}
	if !strings.Contains(lcStep(t, recs, "approve").Explanation, "denied") {
		t.Error("the approval step does not show the denial page")
	}
}

// later keeps the device authorization and approves it as alice when asked.
type later struct {
	mu sync.Mutex
	da flows.DeviceAuthorization
}

func (l *later) ApproveDevice(_ context.Context, da flows.DeviceAuthorization) (flows.AuthorizeResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.da = da
	return flows.AuthorizeResult{Notes: []string{"the user will approve later"}}, nil
}

func (l *later) approve(t testing.TB) {
	l.mu.Lock()
	da := l.da
	l.mu.Unlock()
	if _, err := (&useragent.Agent{Username: "alice"}).ApproveDevice(context.Background(), da); err != nil {
		t.Errorf("approval: %v", err)
	}
}

// nobody never approves: the person walked away.
type nobody struct{}

func (nobody) ApproveDevice(context.Context, flows.DeviceAuthorization) (flows.AuthorizeResult, error) {
	return flows.AuthorizeResult{Notes: []string{"nobody came"}}, nil
}

func TestDeviceExpiredToken(t *testing.T) {
	t.Parallel()
	srv, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindDevice, ts.URL)
	cfg.DeviceApprover = nobody{}
	sl := &sleeper{advance: func(time.Duration) { srv.Advance(11 * time.Minute) }}
	cfg.Sleep = sl.Sleep
	recs := runAll(t, newFlow(t, flows.KindDevice, cfg), nil)
	last := lastStep(recs)
	if last.ID != "poll" || last.Error == nil || last.Error.Protocol == nil || last.Error.Protocol.Code != "expired_token" {
		t.Fatalf("last step %s %+v, want expired_token", last.ID, last.Error)
	}
	if !strings.Contains(last.Error.Message, "start again") {
		t.Errorf("message %q", last.Error.Message)
	}
	if c, _ := checkNamed(last, "poll 1"); c.Actual != "authorization_pending" {
		t.Errorf("poll 1 = %+v", c)
	}
	if got := sl.Waits(); len(got) != 1 || got[0] != 5*time.Second {
		t.Errorf("waits %v, want [5s]", got)
	}
}

// quirky rewrites the bundled IdP's device authorization response the way some
// providers write it: verification_url, expires_in and interval as strings.
func quirky(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/device_authorization" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Code != 200 {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		m["verification_url"] = m["verification_uri"]
		delete(m, "verification_uri")
		m["expires_in"] = strconv.Itoa(int(m["expires_in"].(float64)))
		m["interval"] = strconv.Itoa(int(m["interval"].(float64)))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	})
}

func TestDeviceProviderQuirks(t *testing.T) {
	t.Parallel()
	srv, err := mockidp.New(mockidp.Options{KeyCacheDir: "testdata/idpkeys"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(quirky(srv))
	t.Cleanup(ts.Close)
	cfg := demoConfig(flows.KindDevice, ts.URL)
	cfg.Sleep = (&sleeper{advance: srv.Advance}).Sleep
	recs := runAll(t, newFlow(t, flows.KindDevice, cfg), nil)
	if last := lastStep(recs); last.Failed() {
		t.Fatalf("%s failed: %v", last.ID, last.Error)
	}
	da := lcStep(t, recs, "device-authorization")
	for _, name := range []string{"verification_uri", "expires_in", "interval"} {
		if c, ok := checkNamed(da, name); !ok || c.Outcome != record.OutcomeWarn {
			t.Errorf("check %s = %+v, want a warning", name, c)
		}
	}
	if a, _ := da.Artifact("expires_in"); a.Value != "600" {
		t.Errorf("expires_in = %q", a.Value)
	}
}

// TestDeviceRefusedRequest: a client without the device grant is refused with a
// typed protocol error at the first request.
func TestDeviceRefusedRequest(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindDevice, ts.URL)
	cfg.Client = flows.Client{ID: "native-app"}
	recs := runAll(t, newFlow(t, flows.KindDevice, cfg), nil)
	last := lastStep(recs)
	if last.ID != "device-authorization" || last.Error == nil || last.Error.Protocol == nil || last.Error.Protocol.Code != "unauthorized_client" {
		t.Fatalf("last %s %+v", last.ID, last.Error)
	}
}

func TestQRText(t *testing.T) {
	t.Parallel()
	qr, err := flows.QRText("http://127.0.0.1:8484/device?user_code=BCDF-GHJK")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(qr, "\n"), "\n")
	width := len([]rune(lines[0]))
	for i, l := range lines {
		if n := len([]rune(l)); n != width {
			t.Fatalf("line %d is %d wide, want %d", i, n, width)
		}
	}
	// version 3 (29 modules) + 2×2 quiet zone = 33 columns, 17 rows: fits 80×24.
	if width != 33 || len(lines) != 17 {
		t.Errorf("QR is %d×%d, want 33×17", width, len(lines))
	}
	// The quiet zone is drawn (light) on a dark terminal: the first row is full.
	if lines[0] != strings.Repeat("█", width) {
		t.Errorf("first row %q, want the quiet zone", lines[0])
	}
	inv, _ := flows.QRTextInverted("x")
	if !bytes.ContainsRune([]byte(inv), '█') {
		t.Error("inverted QR draws nothing")
	}
	if _, err := flows.QRText(""); err == nil {
		t.Error("empty URI accepted")
	}
}
