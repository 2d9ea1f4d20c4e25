package mockidp

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKeyDir holds signing keys generated once for the whole test binary, so
// that each fresh server does not spend 45 ms (much more under -race) on RSA.
var testKeyDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mockidp-keys-")
	if err != nil {
		panic(err)
	}
	if _, err := loadOrGenerateKeys(dir); err != nil {
		panic(err)
	}
	testKeyDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeClock is an injectable clock; the server's own Advance is used to move it.
var fixedNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// testIDP is a fresh server on its own httptest listener.
type testIDP struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server
	iss string
}

func newIDP(t testing.TB, opts Options) *testIDP {
	t.Helper()
	if opts.KeyCacheDir == "" {
		opts.KeyCacheDir = testKeyDir
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testIDP{t: t, srv: srv, ts: ts, iss: ts.URL}
}

// browser is an http.Client with a cookie jar that never follows redirects,
// so every hop is stepped and asserted.
func browser(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func do(t testing.TB, c *http.Client, method, u string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

var (
	reForm   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">(.*?)</form>`)
	reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// formOf returns the action and hidden fields of the page's first form, as
// the engine's generic user agent would.
func formOf(t testing.TB, p page) (string, url.Values) {
	t.Helper()
	m := reForm.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form in page (status %d):\n%s", p.status, p.body)
	}
	v := url.Values{}
	for _, h := range reHidden.FindAllStringSubmatch(m[2], -1) {
		v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), v
}

// isLoginPage reports whether p is the login form.
func isLoginPage(p page) bool {
	m := reForm.FindStringSubmatch(p.body)
	return p.status == http.StatusOK && m != nil && strings.HasSuffix(m[1], "/login")
}

// authResult is what arrived at the redirect URI.
type authResult struct {
	mode   string // query, fragment or form_post
	params url.Values
}

// browse walks an authorization request through login and consent as user,
// and returns what the client's redirect URI received. user "" means the
// session is expected to be present already. Like a browser, it follows
// redirects and submits whichever form a page shows, whether the page came
// from a GET or as the answer to a POST.
func browse(t testing.TB, c *http.Client, authURL, redirectPrefix, user, decision string) authResult {
	t.Helper()
	return browseFrom(t, c, http.MethodGet, authURL, nil, redirectPrefix, user, decision)
}

// browseFrom is browse starting with any request, e.g. a login form filled
// in by the test.
func browseFrom(t testing.TB, c *http.Client, method, u string, form url.Values, redirectPrefix, user, decision string) authResult {
	t.Helper()
	for hop := 0; hop < 10; hop++ {
		if method == http.MethodGet && strings.HasPrefix(u, redirectPrefix) {
			return resultFromURL(t, u)
		}
		p := do(t, c, method, u, form)
		switch {
		case p.status == http.StatusFound || p.status == http.StatusSeeOther:
			method, u, form = http.MethodGet, p.header.Get("Location"), nil
			continue
		case p.status != http.StatusOK:
			t.Fatalf("%s %s: status %d\n%s", method, u, p.status, p.body)
		}
		action, fields := formOf(t, p)
		switch {
		case strings.HasPrefix(action, redirectPrefix): // form_post
			return authResult{"form_post", fields}
		case strings.HasSuffix(action, "/login"):
			fields.Set("demo_user", user)
		case strings.HasSuffix(action, "/consent"):
			fields.Set("decision", decision)
		default:
			t.Fatalf("unexpected form action %q", action)
		}
		method, u, form = http.MethodPost, action, fields
	}
	t.Fatalf("too many hops, last %s %s", method, u)
	return authResult{}
}

func resultFromURL(t testing.TB, s string) authResult {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if u.Fragment != "" {
		v, err := url.ParseQuery(u.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		return authResult{"fragment", v}
	}
	return authResult{"query", u.Query()}
}

// postForm sends a form to path with optional Basic credentials encoded as
// RFC 6749 §2.3.1 says, and decodes a JSON answer.
func (d *testIDP) post(path string, form url.Values, basicID, basicSecret string) (int, http.Header, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.iss+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.Header.Set("Authorization", basicAuth(basicID, basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			d.t.Fatalf("POST %s: status %d, not JSON: %s", path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// claimsOf decodes a JWT payload without verifying it (tests verify
// separately with go-jose / go-oidc).
func claimsOf(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS compact token: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t testing.TB, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
