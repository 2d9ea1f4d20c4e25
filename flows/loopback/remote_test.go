package loopback

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
)

// hasIPv6Loopback reports whether [::1] can be bound here (CI containers may lack it).
func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// getAs sends GET u to the receiver's address with Host host, as a tunnel (ssh -L, a
// port forward) delivers a browser's request: the bytes unchanged, Host included.
func getAs(t *testing.T, r *Receiver, host, pathQuery string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+r.Addr().String()+pathQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func TestStartRedirectURIAndListenDiffer(t *testing.T) {
	t.Parallel()
	// The provider sends the browser to localhost:9000 (the person's end of a tunnel);
	// the receiver binds 127.0.0.1 on a free port (the tunnel's far end).
	r, err := Start(Config{RedirectURI: "http://localhost:9000/oauth/cb", Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.RedirectURI() != "http://localhost:9000/oauth/cb" {
		t.Fatalf("RedirectURI = %q, want the one the provider sees", r.RedirectURI())
	}
	if got := r.Listening(); len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") || r.Remote() {
		t.Fatalf("Listening = %v, Remote %v", got, r.Remote())
	}
	// Strictness stays: another path, another Host.
	if status, _ := getAs(t, r, "localhost:9000", "/callback?code=x&state=s"); status != http.StatusNotFound {
		t.Errorf("default path on a receiver for /oauth/cb: %d, want 404", status)
	}
	if status, _ := getAs(t, r, "evil.example:9000", "/oauth/cb?code=x&state=s"); status != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d, want 421", status)
	}
	nothingYet(t, r)
	r.Expect("s")
	status, body := getAs(t, r, "localhost:9000", "/oauth/cb?code=abc&state=s")
	if status != http.StatusOK || !strings.Contains(body, "close this tab") {
		t.Fatalf("through the tunnel: %d %s", status, body)
	}
	cb, err := r.Wait(context.Background())
	if err != nil || cb.Params["code"] != "abc" || cb.URL != "http://localhost:9000/oauth/cb?code=abc&state=s" {
		t.Fatalf("callback %+v, %v", cb, err)
	}
}

func TestStartFillsTheLoopbackPort(t *testing.T) {
	t.Parallel()
	// The bundled IdP's demo clients register http://127.0.0.1/callback: any port.
	r, err := Start(Config{RedirectURI: "http://127.0.0.1/callback", Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := "http://" + r.Addr().String() + "/callback"; r.RedirectURI() != want {
		t.Fatalf("RedirectURI = %q, want %q", r.RedirectURI(), want)
	}
}

func TestLocalhostBindsBothFamilies(t *testing.T) {
	t.Parallel()
	r, err := Start(Config{RedirectURI: "http://localhost:0/callback"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := r.Listening()
	if !strings.HasPrefix(got[0], "127.0.0.1:") || !strings.HasPrefix(r.RedirectURI(), "http://localhost:") {
		t.Fatalf("Listening %v, RedirectURI %q", got, r.RedirectURI())
	}
	_, port, _ := net.SplitHostPort(got[0])
	if !hasIPv6Loopback() {
		t.Logf("no IPv6 loopback here: listening on %v only", got)
		return
	}
	if len(got) != 2 || got[1] != "[::1]:"+port {
		t.Fatalf("Listening = %v, want 127.0.0.1 and [::1] on port %s", got, port)
	}
	// A browser that resolves localhost to ::1 reaches it too.
	r.Expect("s")
	resp, err := http.Get("http://[::1]:" + port + "/callback?code=v6&state=s")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cb, err := r.Wait(context.Background()); err != nil || cb.Params["code"] != "v6" {
		t.Fatalf("callback %+v, %v", cb, err)
	}
	// Close frees both.
	r.Close()
	for _, a := range got {
		if ln, err := net.Listen("tcp", a); err != nil {
			t.Errorf("%s not freed: %v", a, err)
		} else {
			ln.Close()
		}
	}
}

func TestIPv6RedirectBindsIPv6Only(t *testing.T) {
	t.Parallel()
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	r, err := Start(Config{RedirectURI: "http://[::1]:0/callback"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Listening(); len(got) != 1 || !strings.HasPrefix(got[0], "[::1]:") || !strings.HasPrefix(r.RedirectURI(), "http://[::1]:") {
		t.Fatalf("Listening %v, RedirectURI %q", got, r.RedirectURI())
	}
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		c    Config
		says string
	}{
		{"all interfaces without the switch", Config{Listen: "0.0.0.0:0"}, "every interface"},
		{"empty host without the switch", Config{Listen: ":0"}, "every interface"},
		{"a LAN address without the switch", Config{Listen: "192.0.2.1:0", RedirectURI: "http://192.0.2.1:8765/cb"}, "--listen-remote"},
		{"remote listen without a redirect URI", Config{Listen: "0.0.0.0:0", Remote: true}, "give the redirect URI"},
		{"non-loopback redirect URI with no listen address", Config{RedirectURI: "http://example.com:8765/cb"}, "--listen"},
		{"https redirect URI with no listen address", Config{RedirectURI: "https://127.0.0.1:8765/cb"}, "http://"},
		{"a query in the redirect URI", Config{RedirectURI: "http://127.0.0.1:0/cb?x=1"}, "without a query"},
		{"a custom scheme", Config{RedirectURI: "com.example.app:/cb", Listen: "127.0.0.1:0"}, "http://"},
		{"no port", Config{Listen: "127.0.0.1"}, "host:port"},
	} {
		r, err := Start(tc.c)
		if err == nil {
			r.Close()
			t.Errorf("%s: Start(%+v) succeeded", tc.name, tc.c)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.says)
		}
	}
}

func TestRemoteListenAnswersOtherMachinesWithTheRightHost(t *testing.T) {
	t.Parallel()
	// A phone on the LAN scans the QR code; the provider redirects it to the
	// machine's LAN address. The person asked for it explicitly (Remote).
	r, err := Start(Config{Listen: "0.0.0.0:0", RedirectURI: "http://192.0.2.7:8765/callback", Remote: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Remote() || r.RedirectURI() != "http://192.0.2.7:8765/callback" {
		t.Fatalf("Remote %v, RedirectURI %q", r.Remote(), r.RedirectURI())
	}
	serve := func(remote, host string) int {
		req := httptest.NewRequest(http.MethodGet, "/callback?code=abc&state=s", nil)
		req.RemoteAddr, req.Host = remote, host
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	if got := serve("192.0.2.50:40000", "evil.example"); got != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host from the LAN: %d, want 421", got)
	}
	nothingYet(t, r)
	if got := serve("192.0.2.50:40000", "192.0.2.7:8765"); got != http.StatusOK {
		t.Errorf("the phone: %d, want 200", got)
	}
	if _, params, err := received(t, r); err != nil || params["code"] != "abc" {
		t.Fatalf("got %v, %v", params, err)
	}
}

// waits records what Browser tells its Waiting func.
type waits struct {
	mu   sync.Mutex
	seen []Wait
	ch   chan Wait
}

func newWaits() *waits { return &waits{ch: make(chan Wait, 8)} }

func (w *waits) add(x Wait) {
	w.mu.Lock()
	w.seen = append(w.seen, x)
	w.mu.Unlock()
	w.ch <- x
}

func TestBrowserPasteEndsTheWait(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	paste := make(chan string, 2)
	ws := newWaits()
	opened := false
	b := &Browser{Receiver: r, NoOpen: true, Timeout: time.Minute, Paste: paste, Waiting: ws.add,
		Open: func(string) error { opened = true; return nil }}
	req := flows.AuthorizeRequest{URL: "https://idp.example/a?state=st", RedirectURI: r.RedirectURI()}
	go func() {
		first := <-ws.ch // waiting: the person pastes garbage, then the URL
		if first.RedirectURI != r.RedirectURI() || first.Timeout != time.Minute || first.URL != req.URL {
			t.Errorf("first Wait = %+v", first)
		}
		paste <- "   "
		paste <- "not a url"
		bad := <-ws.ch
		if bad.PasteErr == nil {
			t.Errorf("a bad paste is not reported: %+v", bad)
		}
		paste <- r.RedirectURI() + "?code=pasted&state=st"
	}()
	res, err := b.Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if opened {
		t.Error("NoOpen opened the browser")
	}
	if res.Callback.Params["code"] != "pasted" || !strings.Contains(strings.Join(res.Notes, "; "), "pasted back") {
		t.Fatalf("res = %+v", res)
	}
}

func TestBrowserKeepsWaitingWhenOpenFailsAndPasteIsPossible(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	ws := newWaits()
	b := &Browser{Receiver: r, Paste: make(chan string), Waiting: ws.add,
		Open: func(string) error { return errors.New("no DISPLAY") }}
	go func() {
		<-ws.ch
		failed := <-ws.ch
		var oe *OpenError
		if !errors.As(failed.OpenErr, &oe) {
			t.Errorf("open failure not reported: %+v", failed)
		}
		// The person opens the URL elsewhere; the response comes back to the receiver.
		u, _ := url.Parse(r.RedirectURI())
		u.RawQuery = "code=late&state=s"
		if resp, err := http.Get(u.String()); err == nil {
			resp.Body.Close()
		}
	}()
	res, err := b.Authorize(context.Background(), flows.AuthorizeRequest{URL: "https://idp.example/a?state=s", RedirectURI: r.RedirectURI()})
	if err != nil || res.Callback.Params["code"] != "late" {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

func TestSSHHint(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	w := Wait{RedirectURI: "http://localhost:8765/callback", Listening: []string{"127.0.0.1:8765", "[::1]:8765"}}
	if got := SSHHint(env(), w); got != "" {
		t.Errorf("not over SSH, yet: %q", got)
	}
	got := SSHHint(env("SSH_CONNECTION", "198.51.100.4 51000 10.0.0.5 22"), w)
	for _, want := range []string{"ssh -L 8765:127.0.0.1:8765 10.0.0.5", "~C", "-L 8765:127.0.0.1:8765", "paste the final redirect URL"} {
		if !strings.Contains(got, want) {
			t.Errorf("hint lacks %q:\n%s", want, got)
		}
	}
	// SSH_TTY alone: no address to name; a tunnel whose ends differ; IPv6.
	got = SSHHint(env("SSH_TTY", "/dev/pts/3"), Wait{RedirectURI: "http://127.0.0.1:9000/cb", Listening: []string{"[::1]:41234"}})
	if !strings.Contains(got, "ssh -L 9000:[::1]:41234 HOST") {
		t.Errorf("hint:\n%s", got)
	}
	if got := SSHHint(env("SSH_TTY", "x"), Wait{RedirectURI: "http://192.0.2.7:8765/cb", Listening: []string{"0.0.0.0:8765"}, Remote: true}); got != "" {
		t.Errorf("listening remotely needs no tunnel: %q", got)
	}
}

func TestWaitingLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w    Wait
		want string
	}{
		{Wait{RedirectURI: "http://127.0.0.1:8765/callback", Listening: []string{"127.0.0.1:8765"}, Timeout: 5 * time.Minute},
			"waiting for the redirect on http://127.0.0.1:8765/callback (times out in 5m)"},
		{Wait{RedirectURI: "http://localhost:8765/callback", Listening: []string{"127.0.0.1:8765", "[::1]:8765"}, Timeout: 90 * time.Second},
			"waiting for the redirect on http://localhost:8765/callback (listening on 127.0.0.1:8765 and [::1]:8765; times out in 1m30s)"},
		{Wait{RedirectURI: "http://192.0.2.7:8765/cb", Listening: []string{"0.0.0.0:8765"}, Remote: true, Timeout: time.Hour},
			"waiting for the redirect on http://192.0.2.7:8765/cb (listening on 0.0.0.0:8765; answering other machines; times out in 1h)"},
	} {
		if got := WaitingLine(tc.w); got != tc.want {
			t.Errorf("WaitingLine =\n  %s\nwant\n  %s", got, tc.want)
		}
	}
}

func TestBrowserWaitSummary(t *testing.T) {
	t.Parallel()
	if got := (&Browser{}).WaitSummary(); got != "" {
		t.Errorf("no receiver yet: %q", got)
	}
	r := newReceiver(t)
	if got, want := (&Browser{Receiver: r, Timeout: 90 * time.Second}).WaitSummary(), r.RedirectURI()+", times out in 1m30s"; got != want {
		t.Errorf("WaitSummary = %q, want %q", got, want)
	}
	if got := (&Browser{Receiver: r}).WaitSummary(); !strings.HasSuffix(got, "times out in 5m") {
		t.Errorf("default timeout: %q", got)
	}
}

func TestStartBehindATLSProxy(t *testing.T) {
	t.Parallel()
	// A reverse proxy on this machine terminates TLS for https://app.example/cb and
	// forwards to the receiver on loopback, Host unchanged.
	r, err := Start(Config{RedirectURI: "https://app.example/cb", Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Expect("s")
	if status, body := getAs(t, r, "app.example", "/cb?code=tls&state=s"); status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	cb, err := r.Wait(context.Background())
	if err != nil || cb.URL != "https://app.example/cb?code=tls&state=s" {
		t.Fatalf("callback %+v, %v", cb, err)
	}
}
