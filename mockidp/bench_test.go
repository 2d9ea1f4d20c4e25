package mockidp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks run over loopback HTTP with keep-alive, as the engine talks to
// the embedded IdP. Compare BenchmarkAuthCodePKCERound with the signatures it
// makes: one ID token (RS256 by default) and one access token (ES256 by
// default), i.e. BenchmarkSign/RS256 + BenchmarkSign/ES256.

func benchServer(b *testing.B, cfg *Config) (*Server, *httptest.Server) {
	srv, _, ts := benchServerConns(b, cfg)
	return srv, ts
}

// benchServerConns also counts the TCP connections the server accepts, so a
// benchmark can show that its client keeps them alive.
func benchServerConns(b *testing.B, cfg *Config) (*Server, *atomic.Int64, *httptest.Server) {
	srv, err := New(Options{KeyCacheDir: testKeyDir, Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.WaitKeys(context.Background()); err != nil {
		b.Fatal(err)
	}
	conns := new(atomic.Int64)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	b.Cleanup(ts.Close)
	return srv, conns, ts
}

func BenchmarkClientCredentials(b *testing.B) {
	for _, alg := range []string{AlgRS256, AlgES256} {
		b.Run(alg, func(b *testing.B) {
			_, ts := benchServer(b, &Config{AccessTokenAlg: alg})
			client := ts.Client()
			body := "grant_type=client_credentials&scope=api%3Aread"
			auth := basicAuth("machine", "machine-secret")
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, ts.URL+"/token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", auth)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkAuthCodePKCERound is one full authorization code + PKCE round as a
// new browser and a client make it, with a new login every round:
//
//   - first-party: the round as issue 2 counts it (authorize, login, token)
//     for a confidential client its administrator trusts (Client.FirstParty),
//     so the user is not asked to consent: GET /authorize (the login page),
//     POST /login (the redirect with the code), POST /token with
//     client_secret_basic;
//   - consent: the public native-app of the demo set, whose user must allow
//     each time: GET /authorize (the login page), POST /login (the consent
//     page), POST /consent (the redirect with the code), POST /token.
func BenchmarkAuthCodePKCERound(b *testing.B) {
	b.Run("first-party", func(b *testing.B) {
		benchPKCERound(b, Client{ID: "trusted-app", Secret: "trusted-secret", FirstParty: true, PKCERequired: true,
			RedirectURIs: []string{cb}, GrantTypes: []string{GrantAuthorizationCode}, ResponseTypes: []string{"code"},
			AuthMethods: []string{AuthClientSecretBasic}})
	})
	b.Run("consent", func(b *testing.B) { benchPKCERound(b, Client{ID: "native-app", Public: true}) })
}

// benchPKCERound times rounds with client (a demo client is named by its id
// and Public alone; any other is added to the configuration).
func benchPKCERound(b *testing.B, client Client) {
	var cfg *Config
	if client.FirstParty {
		cfg = &Config{Clients: []Client{client}}
	}
	_, conns, ts := benchServerConns(b, cfg)
	base := ts.Client().Transport
	authURL := ts.URL + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {client.ID}, "redirect_uri": {cb},
		"scope": {"openid profile"}, "state": {"st"}, "nonce": {"nn"},
		"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"},
	}.Encode()
	form := "application/x-www-form-urlencoded"
	tokenForm := url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {cb}, "code_verifier": {rfcVerifier}}
	tokenAuth := ""
	if client.Public {
		tokenForm.Set("client_id", client.ID)
	} else {
		tokenAuth = basicAuth(client.ID, client.Secret)
	}
	sigs := newSigTimer(b, ts.URL, client.ID)
	var rounds time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		jar, _ := cookiejar.New(nil) // a new browser each round: login every time
		c := &http.Client{Transport: base, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req := pendingID(b, benchHop(b, c, http.MethodGet, authURL, "", ""))
		loc := benchHop(b, c, http.MethodPost, ts.URL+"/login", form, "req="+req+"&demo_user=alice")
		if !client.FirstParty {
			loc = benchHop(b, c, http.MethodPost, ts.URL+"/consent", form, "req="+req+"&decision=allow")
		}
		u, err := url.Parse(loc)
		if err != nil || u.Query().Get("code") == "" {
			b.Fatalf("no code in %.200q", loc)
		}
		tokenForm.Set("code", u.Query().Get("code"))
		tok := benchPost(b, c, ts.URL+"/token", tokenAuth, tokenForm.Encode())
		if !strings.Contains(tok, `"id_token"`) {
			b.Fatalf("token response %s", tok)
		}
		rounds += time.Since(start)
		sigs.roundDone()
	}
	sigs.report(b, rounds)
	b.ReportMetric(float64(conns.Load())/float64(b.N), "conns/op")
}

// sigTimer times the signatures a round makes (one RS256 ID token and one
// ES256 access token) in the same loop as the rounds, so that the ratio
// holds on a busy machine. It times them in blocks of sigBlock rounds and
// without b.StopTimer: 1.3 ms of signing just before a round, or the
// stop-the-world of b.StartTimer, made the round's first hop two to three
// times slower than a hop after a hop (BenchmarkLoopbackRoundTrip), a cost
// of the measurement, not of the round. ns/op therefore includes the
// signatures; round-ns/op is the round alone.
type sigTimer struct {
	ks      *keySet
	claims  map[string]any
	pending int
	total   time.Duration
}

const sigBlock = 16

func newSigTimer(b *testing.B, iss, aud string) *sigTimer {
	ks, err := loadOrGenerateKeys(testKeyDir)
	if err != nil {
		b.Fatal(err)
	}
	return &sigTimer{ks: ks, claims: map[string]any{"iss": iss, "sub": "alice", "aud": aud, "nonce": "nn"}}
}

func (t *sigTimer) roundDone() {
	if t.pending++; t.pending == sigBlock {
		t.flush()
	}
}

func (t *sigTimer) flush() {
	start := time.Now()
	for range t.pending {
		_, _ = t.ks.byAlg[AlgRS256].sign("JWT", "k", t.claims)
		_, _ = t.ks.byAlg[AlgES256].sign("at+jwt", "k", t.claims)
	}
	t.total += time.Since(start)
	t.pending = 0
}

// report adds round-ns/op, sig-ns/op and x-sigs, the round's time over its
// signatures' time.
func (t *sigTimer) report(b *testing.B, rounds time.Duration) {
	t.flush()
	b.ReportMetric(float64(rounds.Nanoseconds())/float64(b.N), "round-ns/op")
	b.ReportMetric(float64(t.total.Nanoseconds())/float64(b.N), "sig-ns/op")
	b.ReportMetric(float64(rounds)/float64(t.total), "x-sigs")
}

// pendingID is the pending request's id in a login or consent page's form.
func pendingID(b testing.TB, page string) string {
	const mark = `name="req" value="`
	i := strings.Index(page, mark)
	if i < 0 {
		b.Fatalf("no pending request in page %q", page)
	}
	id, _, _ := strings.Cut(page[i+len(mark):], `"`)
	return id
}

// benchHop makes one request and returns the Location header, or the body
// when there is none.
func benchHop(b *testing.B, c *http.Client, method, u, ctype, body string) string {
	return benchRequest(b, c, method, u, ctype, "", body)
}

// benchPost posts a form with an optional Authorization header.
func benchPost(b *testing.B, c *http.Client, u, auth, body string) string {
	return benchRequest(b, c, http.MethodPost, u, "application/x-www-form-urlencoded", auth, body)
}

func benchRequest(b *testing.B, c *http.Client, method, u, ctype, auth, body string) string {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, r)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		b.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, out)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		return loc
	}
	return string(out)
}

// BenchmarkSign is the raw cost of one JWS signature per algorithm, with
// claims the size of an ID token.
func BenchmarkSign(b *testing.B) {
	ks, err := loadOrGenerateKeys(testKeyDir)
	if err != nil {
		b.Fatal(err)
	}
	claims := map[string]any{"iss": "http://127.0.0.1:9000", "sub": "alice", "aud": "native-app", "exp": 1, "iat": 1,
		"nonce": "nn", "name": "Alice Liddell", "email": "alice@example.com", "email_verified": true}
	for _, alg := range []string{AlgRS256, AlgES256, AlgEdDSA} {
		b.Run(alg, func(b *testing.B) {
			k := ks.byAlg[alg]
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.sign("JWT", k.kid, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthCodePKCERoundInProcess is the same round without the network:
// handlers called directly with httptest.NewRecorder. The difference from
// BenchmarkAuthCodePKCERound is what the four loopback hops cost.
func BenchmarkAuthCodePKCERoundInProcess(b *testing.B) {
	const iss = "http://127.0.0.1:9"
	srv, err := New(Options{KeyCacheDir: testKeyDir, Issuer: iss})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.WaitKeys(context.Background()); err != nil {
		b.Fatal(err)
	}
	authURL := iss + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {cb},
		"scope": {"openid profile"}, "state": {"st"}, "nonce": {"nn"},
		"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"},
	}.Encode()
	sigs := newSigTimer(b, iss, "native-app")
	var rounds time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		var cookie string
		hop := func(method, u, body string) *httptest.ResponseRecorder {
			var req *http.Request
			if body != "" {
				req = httptest.NewRequest(method, u, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				req = httptest.NewRequest(method, u, nil)
			}
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 400 {
				b.Fatalf("%s %s: %d %s", method, u, rec.Code, rec.Body)
			}
			if c := rec.Header().Get("Set-Cookie"); c != "" {
				cookie, _, _ = strings.Cut(c, ";")
			}
			return rec
		}
		req := pendingID(b, hop("GET", authURL, "").Body.String())
		hop("POST", iss+"/login", "req="+req+"&demo_user=alice")
		loc := hop("POST", iss+"/consent", "req="+req+"&decision=allow").Header().Get("Location")
		u, _ := url.Parse(loc)
		hop("POST", iss+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"redirect_uri": {cb}, "client_id": {"native-app"}, "code_verifier": {rfcVerifier}}.Encode())
		rounds += time.Since(start)
		sigs.roundDone()
	}
	sigs.report(b, rounds)
}

// BenchmarkLoopbackRoundTrip is one keep-alive GET of the discovery document:
// the fixed cost of each hop on this machine.
//
//   - warm: back to back;
//   - after-signing: each GET follows an RS256 signature, as a round's
//     first hop follows the previous round's token request; hop-ns/op is
//     the GET alone;
//   - after-stop-timer: each GET follows b.StopTimer and b.StartTimer, as
//     it did in the round benchmark until 2026-11-23: StartTimer reads the
//     memory statistics, which stops the world, and the hop after it paid
//     for that (docs/benchmarks.md). hop-ns/op is the GET alone.
func BenchmarkLoopbackRoundTrip(b *testing.B) {
	ks, err := loadOrGenerateKeys(testKeyDir)
	if err != nil {
		b.Fatal(err)
	}
	for _, before := range []string{"warm", "after-signing", "after-stop-timer"} {
		b.Run(before, func(b *testing.B) {
			_, ts := benchServer(b, nil)
			c := ts.Client()
			var hops time.Duration
			for b.Loop() {
				switch before {
				case "after-signing":
					_, _ = ks.byAlg[AlgRS256].sign("JWT", "k", map[string]any{"sub": "alice"})
				case "after-stop-timer":
					b.StopTimer()
					b.StartTimer()
				}
				start := time.Now()
				resp, err := c.Get(ts.URL + "/.well-known/openid-configuration")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				hops += time.Since(start)
			}
			b.ReportMetric(float64(hops.Nanoseconds())/float64(b.N), "hop-ns/op")
		})
	}
}

// BenchmarkNew is the start-up cost the TUI pays: keys are made in the
// background, so this is building the routes and indexes only.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv, err := New(Options{KeyCacheDir: testKeyDir})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer() // the background key loading is not part of New's cost
		_ = srv.WaitKeys(context.Background())
		b.StartTimer()
	}
}
