package loopback

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newReceiver(t *testing.T) *Receiver {
	t.Helper()
	r, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	r.SetClock(func() time.Time { return t0 })
	t.Cleanup(func() { r.Close() })
	return r
}

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// received returns what Wait has, failing when nothing arrived.
func received(t *testing.T, r *Receiver) (cbMode string, params map[string]string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cb, err := r.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("nothing delivered")
	}
	return cb.Mode, cb.Params, err
}

func nothingYet(t *testing.T, r *Receiver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if cb, err := r.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a response was delivered: %+v, %v", cb, err)
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	if !strings.HasPrefix(r.RedirectURI(), "http://127.0.0.1:") || !strings.HasSuffix(r.RedirectURI(), "/callback") {
		t.Fatalf("RedirectURI = %q", r.RedirectURI())
	}
	r.Expect("s1")
	status, body := get(t, r.RedirectURI()+"?code=abc&state=s1&iss=https%3A%2F%2Fidp")
	if status != http.StatusOK || !strings.Contains(body, "You can close this tab and return to the terminal") {
		t.Fatalf("page %d: %s", status, body)
	}
	ctx := context.Background()
	cb, err := r.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Mode != callback.ModeQuery || cb.Params["code"] != "abc" || cb.Params["iss"] != "https://idp" ||
		cb.URL != r.RedirectURI()+"?code=abc&state=s1&iss=https%3A%2F%2Fidp" || !cb.ReceivedAt.Equal(t0) {
		t.Fatalf("callback = %+v", cb)
	}
	if host, _, _ := net.SplitHostPort(cb.From); host != "127.0.0.1" {
		t.Fatalf("From = %q", cb.From)
	}
	// A second response is not taken.
	status, body = get(t, r.RedirectURI()+"?code=other&state=s1")
	if status != http.StatusConflict || !strings.Contains(body, "already received") {
		t.Fatalf("second response: %d %s", status, body)
	}
	if cb2, _ := r.Wait(ctx); cb2.Params["code"] != "abc" {
		t.Fatalf("Wait changed its answer: %+v", cb2)
	}
}

func TestFormPost(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.Expect("s1")
	status, body := post(t, r.RedirectURI(), url.Values{"code": {"abc"}, "state": {"s1"}})
	if status != http.StatusOK || !strings.Contains(body, "close this tab") {
		t.Fatalf("page %d: %s", status, body)
	}
	mode, params, err := received(t, r)
	if err != nil || mode != callback.ModeFormPost || params["code"] != "abc" {
		t.Fatalf("got %s %v %v", mode, params, err)
	}
}

func TestFragmentRelay(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.Expect("s1")
	resp, err := http.Get(r.RedirectURI())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, want := range []string{`<form id="relay" method="post" action="/callback">`, `name="oauthx_fragment"`,
		"location.hash", "<noscript>", "paste it into oauthx"} {
		if !strings.Contains(page, want) {
			t.Fatalf("relay page lacks %q:\n%s", want, page)
		}
	}
	// The script the page runs is the one the Content-Security-Policy allows.
	script := page[strings.Index(page, "<script>")+len("<script>") : strings.Index(page, "</script>")]
	sum := sha256.Sum256([]byte(script))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Fatalf("CSP %q does not allow the page's script", csp)
	}
	nothingYet(t, r)

	// What the script posts: the fragment, as it was in the address bar.
	status, body := post(t, r.RedirectURI(), url.Values{"oauthx_fragment": {"access_token=at%2B1&token_type=Bearer&state=s1"}})
	if status != http.StatusOK || !strings.Contains(body, "close this tab") {
		t.Fatalf("page %d: %s", status, body)
	}
	cb, err := r.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cb.Mode != callback.ModeFragment || cb.Params["access_token"] != "at+1" ||
		cb.URL != r.RedirectURI()+"#access_token=at%2B1&token_type=Bearer&state=s1" {
		t.Fatalf("callback = %+v", cb)
	}
}

func TestStateMismatchIsShownAndReported(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, query, says string }{
		{"wrong state", "?code=abc&state=evil", "not the one oauthx sent"},
		{"no state", "?code=abc", "has no state"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t)
			r.Expect("good")
			status, body := get(t, r.RedirectURI()+tt.query)
			if status != http.StatusBadRequest || !strings.Contains(body, "state mismatch") || !strings.Contains(body, tt.says) ||
				!strings.Contains(body, "RFC 6749 §10.12") {
				t.Fatalf("page %d: %s", status, body)
			}
			// Reported with its params, so the engine's state check fails visibly.
			_, params, err := received(t, r)
			if err != nil || params["code"] != "abc" {
				t.Fatalf("got %v, %v", params, err)
			}
		})
	}
}

func TestErrorResponsePage(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.Expect("s1")
	status, body := get(t, r.RedirectURI()+"?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s1")
	for _, want := range []string{"access_denied", "&lt;b&gt;no&lt;/b&gt;",
		"The resource owner or authorization server denied the request.", "RFC 6749 §4.1.2.1"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page %d lacks %q:\n%s", status, want, body)
		}
	}
	_, params, err := received(t, r)
	if err != nil || params["error"] != "access_denied" {
		t.Fatalf("got %v, %v", params, err)
	}
}

func TestBrokenResponseIsReported(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	status, body := get(t, r.RedirectURI()+"?code=a&state=s&state=t")
	if status != http.StatusBadRequest || !strings.Contains(body, "state appears twice") {
		t.Fatalf("page %d: %s", status, body)
	}
	if _, _, err := received(t, r); !errors.Is(err, callback.ErrDuplicate) {
		t.Fatalf("err = %v, want ErrDuplicate", err)
	}

	r = newReceiver(t)
	status, _ = post(t, r.RedirectURI(), url.Values{"code": {strings.Repeat("x", callback.MaxSize+100)}})
	if status != http.StatusBadRequest {
		t.Fatalf("large body: status %d", status)
	}
	if _, _, err := received(t, r); !errors.Is(err, callback.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestOnlyTheRedirectPathCounts(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	base := strings.TrimSuffix(r.RedirectURI(), "/callback")
	for _, p := range []string{"/favicon.ico", "/", "/callback/", "/callbackx?code=abc", "/other?code=abc&state=s"} {
		if status, _ := get(t, base+p); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, status)
		}
	}
	if status, _ := post(t, r.RedirectURI(), url.Values{"hello": {"x"}}); status != http.StatusBadRequest {
		t.Errorf("POST without response params: %d", status)
	}
	resp, err := http.Post(r.RedirectURI(), "application/json", strings.NewReader(`{"code":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("POST JSON: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPut, r.RedirectURI()+"?code=abc", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	nothingYet(t, r)
	get(t, r.RedirectURI()+"?code=abc")
	if _, params, _ := received(t, r); params["code"] != "abc" {
		t.Fatalf("params = %v", params)
	}
}

func TestOnlyLoopback(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	u, _ := url.Parse(r.RedirectURI())
	tests := []struct {
		name, remote, host string
		status             int
	}{
		{"remote address off the machine", "192.0.2.10:40000", u.Host, http.StatusForbidden},
		{"IPv4-mapped remote address", "[::ffff:192.0.2.10]:40000", u.Host, http.StatusForbidden},
		{"unparsable remote address", "somewhere", u.Host, http.StatusForbidden},
		{"Host of a DNS-rebinding page", "127.0.0.1:40000", "evil.example:" + u.Port(), http.StatusMisdirectedRequest},
		{"Host with another port", "127.0.0.1:40000", "127.0.0.1:1", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, r.RedirectURI()+"?code=abc&state=s", nil)
		req.RemoteAddr, req.Host = tt.remote, tt.host
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.status)
		}
	}
	nothingYet(t, r)
	// IPv6 loopback and localhost are this machine.
	for _, remote := range []string{"[::1]:40000", "[::ffff:127.0.0.1]:40000"} {
		req := httptest.NewRequest(http.MethodGet, r.RedirectURI(), nil)
		req.RemoteAddr, req.Host = remote, "localhost:"+u.Port()
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d", remote, w.Code)
		}
	}
}

func TestListenRefusesOtherInterfaces(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if r, err := Listen(addr, ""); err == nil {
			r.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	for _, p := range []string{"callback", "/cb?x=1", "/cb/{x}"} {
		if r, err := Listen("127.0.0.1:0", p); err == nil {
			r.Close()
			t.Errorf("Listen path %q succeeded", p)
		}
	}
	if r, err := Listen("[::1]:0", "/cb"); err == nil {
		if !strings.HasPrefix(r.RedirectURI(), "http://[::1]:") {
			t.Errorf("RedirectURI = %q", r.RedirectURI())
		}
		r.Close()
	}
	r, err := Listen("localhost:0", "/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.HasPrefix(r.RedirectURI(), "http://localhost:") || !strings.HasPrefix(r.Addr().String(), "127.0.0.1:") {
		t.Errorf("localhost: RedirectURI %q on %s", r.RedirectURI(), r.Addr())
	}
}

func TestListenFor(t *testing.T) {
	t.Parallel()
	r, err := ListenFor("http://127.0.0.1:0/oauth/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.HasSuffix(r.RedirectURI(), "/oauth/cb") {
		t.Fatalf("RedirectURI = %q", r.RedirectURI())
	}
	for _, u := range []string{"http://127.0.0.1/cb", "https://127.0.0.1:8080/cb", "http://example.com:8080/cb",
		"http://127.0.0.1:8080/cb?x=1", "com.example.app:/cb"} {
		if r, err := ListenFor(u); err == nil {
			r.Close()
			t.Errorf("ListenFor(%q) succeeded", u)
		}
	}
}

func TestCloseFreesThePort(t *testing.T) {
	t.Parallel()
	r, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	addr := r.Addr().String()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close: %v", err)
	}
	// The same port is free again, for the same receiver address.
	r2, err := Listen(addr, "")
	if err != nil {
		t.Fatalf("port %s not freed: %v", addr, err)
	}
	r2.Close()
	r.Close() // twice is fine
}

// browserFunc acts as a browser that loads u and follows redirects (to the receiver).
func browserFunc(t *testing.T, visit func(u string) string) func(string) error {
	return func(u string) error {
		go func() {
			if _, err := http.Get(visit(u)); err != nil {
				t.Errorf("browser: %v", err)
			}
		}()
		return nil
	}
}

func TestBrowserAuthorize(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	req := flows.AuthorizeRequest{
		URL:         "https://idp.example/authorize?client_id=app&state=st-9&redirect_uri=" + url.QueryEscape(r.RedirectURI()),
		RedirectURI: r.RedirectURI(),
	}
	var opened string
	b := &Browser{Receiver: r, Open: browserFunc(t, func(u string) string {
		opened = u
		return r.RedirectURI() + "?code=abc&state=st-9"
	})}
	res, err := b.Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if opened != req.URL || res.Callback.Params["code"] != "abc" {
		t.Fatalf("opened %q, callback %+v", opened, res.Callback)
	}
	if !strings.Contains(strings.Join(res.Notes, "; "), "opened the browser") {
		t.Fatalf("notes = %q", res.Notes)
	}
	// Authorize closed the receiver.
	if _, err := net.Dial("tcp", r.Addr().String()); err == nil {
		t.Fatal("the receiver still listens after Authorize")
	}
}

func TestBrowserBindsTheRedirectURI(t *testing.T) {
	t.Parallel()
	// Find a free port, then let Authorize bind it from the request's redirect URI.
	probe, err := Listen("127.0.0.1:0", "/cb")
	if err != nil {
		t.Fatal(err)
	}
	uri := probe.RedirectURI()
	probe.Close()
	b := &Browser{Open: browserFunc(t, func(string) string { return uri + "?code=abc&state=s" })}
	res, err := b.Authorize(context.Background(), flows.AuthorizeRequest{URL: "https://idp.example/a?state=s", RedirectURI: uri})
	if err != nil {
		t.Fatal(err)
	}
	if res.Callback.Params["code"] != "abc" || res.Notes[0] != "listening at "+uri {
		t.Fatalf("res = %+v", res)
	}
}

func TestBrowserTimeoutCancelAndOpenFailure(t *testing.T) {
	t.Parallel()
	noop := func(string) error { return nil }
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		r := newReceiver(t)
		_, err := (&Browser{Receiver: r, Open: noop, Timeout: 20 * time.Millisecond}).Authorize(context.Background(),
			flows.AuthorizeRequest{URL: "https://idp.example/a", RedirectURI: r.RedirectURI()})
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "within 20ms") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		r := newReceiver(t)
		ctx, cancel := context.WithCancel(context.Background())
		open := func(string) error { cancel(); return nil }
		_, err := (&Browser{Receiver: r, Open: open}).Authorize(ctx,
			flows.AuthorizeRequest{URL: "https://idp.example/a", RedirectURI: r.RedirectURI()})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no browser", func(t *testing.T) {
		t.Parallel()
		r := newReceiver(t)
		fail := func(string) error { return errors.New(`exec: "xdg-open": executable file not found in $PATH`) }
		_, err := (&Browser{Receiver: r, Open: fail}).Authorize(context.Background(),
			flows.AuthorizeRequest{URL: "https://idp.example/a?x=1", RedirectURI: r.RedirectURI()})
		var oe *OpenError
		if !errors.As(err, &oe) || oe.URL != "https://idp.example/a?x=1" ||
			!strings.Contains(err.Error(), "open this URL by hand, log in, then paste the final redirect URL back") {
			t.Fatalf("err = %v", err)
		}
	})
}

// FuzzReceiver feeds arbitrary queries and form bodies to the redirect path: the
// receiver must answer without panicking, and anything it delivers must parse.
func FuzzReceiver(f *testing.F) {
	for _, s := range []string{"code=abc&state=s", "error=access_denied", "oauthx_fragment=access_token%3Dx", "state=a&state=b",
		"oauthx_fragment=", "%zz", "code=%ff", "oauthx_fragment=a&code=b", ""} {
		f.Add(s, true)
		f.Add(s, false)
	}
	r, err := Listen("127.0.0.1:0", "")
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	r.Expect("s")
	u, _ := url.Parse(r.RedirectURI())
	f.Fuzz(func(t *testing.T, input string, isPost bool) {
		req := httptest.NewRequest(http.MethodGet, "/callback", nil)
		if isPost {
			req = httptest.NewRequest(http.MethodPost, "/callback", strings.NewReader(input))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.URL.RawQuery = input
		}
		req.RemoteAddr, req.Host = "127.0.0.1:40000", u.Host
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code == 0 || w.Body.Len() == 0 {
			t.Fatalf("no answer for %q", input)
		}
		// Take what was delivered, if anything, and make room for the next input.
		r.mu.Lock()
		r.delivered = false
		r.mu.Unlock()
		select {
		case o := <-r.results:
			if o.err == nil && o.cb.Params == nil {
				t.Fatalf("delivered an empty callback for %q", input)
			}
		default:
		}
	})
}
