package mockidp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	good := `
issuer = "http://127.0.0.1:9000"
id_token_signing_alg = "ES256"

[lifetimes]
code = "30s"
access_token = "5m"

[[users]]
username = "carol"
password = "carol-pw"
roles = ["reader"]
[users.claims]
name = "Carol Danvers"
email = "carol@example.com"

[[clients]]
id = "my-app"
secret = "my-secret"
redirect_uris = ["https://app.example/cb"]
auth_methods = ["client_secret_post"]
grant_types = ["authorization_code", "refresh_token"]
scopes = ["openid", "email", "orders:read"]
id_token_signed_response_alg = "EdDSA"
`
	cfg, err := LoadConfig(writeFile(t, "idp.toml", good))
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.userByName["carol"] == nil || r.userByName["alice"] == nil || r.clientByID["my-app"] == nil || r.clientByID["web-app"] == nil {
		t.Fatal("config should extend the demo users and clients")
	}
	if r.lifetimes.Code != 30*time.Second || r.lifetimes.AccessToken != 5*time.Minute || r.lifetimes.IDToken != time.Hour {
		t.Errorf("lifetimes %+v", r.lifetimes)
	}
	if c := r.clientByID["my-app"]; c.ResponseTypes[0] != "code" || c.IDTokenAlg != "EdDSA" {
		t.Errorf("client defaults %+v", c)
	}
	if !hasScope(r.scopes, "orders:read") {
		t.Error("custom scope not advertised")
	}

	tests := []struct {
		name, body, want string
	}{
		{"bad redirect", `[[clients]]
id = "a"
secret = "s"
redirect_uris = ["/relative"]`, "idp.toml: clients[0].redirect_uris[0]: must be an absolute URL"},
		{"redirect fragment", `[[clients]]
id = "a"
secret = "s"
redirect_uris = ["https://x.example/cb#frag"]`, "clients[0].redirect_uris[0]: must not contain a fragment"},
		{"third client", `[[clients]]
id = "a"
public = true
redirect_uris = ["http://127.0.0.1/cb"]
[[clients]]
id = "b"
public = true
redirect_uris = ["http://127.0.0.1/cb"]
[[clients]]
id = "c"
public = true
redirect_uris = ["http://127.0.0.1/cb", "nope"]`, "idp.toml: clients[2].redirect_uris[1]: must be an absolute URL"},
		{"missing secret", `[[clients]]
id = "a"
redirect_uris = ["https://x.example/cb"]`, "clients[0].secret: is required"},
		{"public with secret", `[[clients]]
id = "a"
public = true
secret = "x"
redirect_uris = ["https://x.example/cb"]`, "clients[0].secret: a public client has no secret"},
		{"public first party", `[[clients]]
id = "a"
public = true
first_party = true
redirect_uris = ["http://127.0.0.1/cb"]`, "clients[0].first_party: a public client cannot be first party"},
		{"unknown grant", `[[clients]]
id = "a"
secret = "s"
grant_types = ["password"]`, `clients[0].grant_types[0]: "password" is not one of`},
		{"unknown auth method", `[[clients]]
id = "a"
secret = "s"
auth_methods = ["tls_client_auth"]
redirect_uris = ["https://x.example/cb"]`, "clients[0].auth_methods[0]"},
		{"duplicate client", `[[clients]]
id = "a"
secret = "s"
redirect_uris = ["https://x.example/cb"]
[[clients]]
id = "a"
secret = "s"
redirect_uris = ["https://x.example/cb"]`, `clients[1].id: "a" is defined twice`},
		{"user without password", `[[users]]
username = "dave"`, "users[0].password: is required"},
		{"bad lifetime", `[lifetimes]
code = "soon"`, "lifetimes.code"},
		{"bad alg", `id_token_signing_alg = "HS256"`, "id_token_signing_alg"},
		{"unknown field", `[[clients]]
id = "a"
secret = "s"
redirct_uris = ["https://x.example/cb"]`, "clients.redirct_uris: unknown field"},
		{"syntax error", "issuer = ", "idp.toml: line 1"},
		{"replace with nothing", "replace_defaults = true", "clients: at least one client"},
		{"bad issuer", `issuer = "http://x.example/"`, "issuer: must have no query, fragment or trailing slash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(writeFile(t, "idp.toml", tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "idp.toml") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigUsersAndAlgorithms(t *testing.T) {
	t.Parallel()
	cfg := &Config{
		ReplaceDefaults: true,
		IDTokenAlg:      AlgES256,
		AccessTokenAlg:  AlgRS256,
		Users:           []User{{Username: "carol", Password: "pw", Claims: map[string]any{"sub": "c-42", "name": "Carol"}}},
		Clients: []Client{
			{ID: "es", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}},
			{ID: "ed", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}, IDTokenAlg: AlgEdDSA},
		},
	}
	d := newIDP(t, Options{Config: cfg})
	if len(d.srv.Users()) != 1 || len(d.srv.Clients()) != 2 {
		t.Fatalf("replace_defaults kept the demo data: %d users %d clients", len(d.srv.Users()), len(d.srv.Clients()))
	}
	ctx := context.Background()
	prov := d.oidcProvider(ctx)
	for _, tc := range []struct{ client, alg string }{{"es", "ES256"}, {"ed", "EdDSA"}} {
		conf := &oauth2.Config{ClientID: tc.client, ClientSecret: "s", RedirectURL: "http://127.0.0.1:1234/cb", Scopes: []string{"openid", "profile"},
			Endpoint: oauth2.Endpoint{AuthURL: d.iss + "/authorize", TokenURL: d.iss + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
		c := browser(t)
		login := do(t, c, http.MethodGet, conf.AuthCodeURL("s"), nil)
		if strings.Contains(login.body, "demo_user") {
			t.Error("configured non-demo users must not get a demo button")
		}
		action, form := formOf(t, login)
		form.Set("username", "carol")
		form.Set("password", "pw")
		res := browseFrom(t, c, http.MethodPost, action, form, "http://127.0.0.1:1234/cb", "", "allow")
		tok, err := conf.Exchange(ctx, res.params.Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		raw := tok.Extra("id_token").(string)
		if h := headerOf(t, raw); h["alg"] != tc.alg {
			t.Errorf("%s: alg %v", tc.client, h["alg"])
		}
		idt, err := d.verifier(prov, tc.client).Verify(ctx, raw)
		if err != nil || idt.Subject != "c-42" {
			t.Fatalf("%s: %v %v", tc.client, err, idt)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("%s: at_hash %v", tc.client, err)
		}
		if h := headerOf(t, tok.AccessToken); h["alg"] != "RS256" || h["typ"] != "at+jwt" {
			t.Errorf("access token header %v", h)
		}
	}
}

func TestNewIsFastAndKeysAreCached(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	start := time.Now()
	srv, err := New(Options{KeyCacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 50*time.Millisecond { // generous: the contract is "well under 1 ms"
		t.Errorf("New took %v", el)
	}
	if err := srv.WaitKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, keyCacheFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key cache %v %v", fi, err)
	}
	srv2, _ := New(Options{KeyCacheDir: dir})
	_ = srv2.WaitKeys(context.Background())
	if string(srv.keys.jwks) != string(srv2.keys.jwks) {
		t.Error("second server did not reuse the cached keys")
	}
	// A corrupt cache is replaced, not fatal.
	_ = os.WriteFile(filepath.Join(dir, keyCacheFile), []byte("junk"), 0o600)
	srv3, _ := New(Options{KeyCacheDir: dir})
	if err := srv3.WaitKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLogAndBodyLimit(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	d := newIDP(t, Options{Log: &log})
	d.post("/token", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"machine-secret"}, "client_id": {"machine"}}, "", "")
	big := url.Values{"grant_type": {"client_credentials"}, "x": {strings.Repeat("a", 70<<10)}}
	st, _, m := d.post("/token", big, "machine", "machine-secret")
	if st != 413 || m["error"] != "invalid_request" {
		t.Errorf("oversized body: %d %v", st, m)
	}
	out := log.String()
	if !strings.Contains(out, "POST /token 200 ") || !strings.Contains(out, "POST /token 413 ") {
		t.Errorf("log %q", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log leaks a secret: %q", out)
	}
}

func TestAdminHandler(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	adm := d.srv.AdminHandler()
	call := func(method, path, ctype, body, remote, host string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+host+path, strings.NewReader(body))
		req.RemoteAddr = remote
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := &recorder{header: http.Header{}}
		adm.ServeHTTP(rec, req)
		return rec.status, rec.body.String()
	}
	const lo, host = "127.0.0.1:5000", "127.0.0.1:9000"
	if st, b := call("POST", "/_oauthx/faults", "application/json", `{"fault":"wrong-iss","on":true}`, lo, host); st != 200 || !strings.Contains(b, `"active":["wrong-iss"]`) {
		t.Fatalf("set fault: %d %s", st, b)
	}
	if st, _ := call("POST", "/_oauthx/faults", "application/json", `{"fault":"nope"}`, lo, host); st != 400 {
		t.Errorf("unknown fault: %d", st)
	}
	if st, _ := call("POST", "/_oauthx/faults", "application/x-www-form-urlencoded", `fault=slow`, lo, host); st != 415 {
		t.Errorf("form body accepted: %d", st)
	}
	if st, _ := call("GET", "/_oauthx/faults", "", "", "10.0.0.5:5000", host); st != 403 {
		t.Errorf("remote peer: %d", st)
	}
	if st, _ := call("GET", "/_oauthx/faults", "", "", lo, "evil.example:9000"); st != 403 {
		t.Errorf("rebinding host: %d", st)
	}
	before := d.srv.Now()
	if st, b := call("POST", "/_oauthx/clock", "application/json", `{"advance":"2h"}`, lo, host); st != 200 || !strings.Contains(b, `"offset":"2h0m0s"`) {
		t.Fatalf("advance: %d %s", st, b)
	}
	if d.srv.Now().Sub(before) != 2*time.Hour {
		t.Error("clock did not move")
	}
	if st, _ := call("POST", "/_oauthx/clock", "application/json", `{"advance":"-1h"}`, lo, host); st != 400 {
		t.Error("clock moved backwards")
	}
	if st, b := call("POST", "/_oauthx/faults", "application/json", `{"clear":true}`, lo, host); st != 200 || !strings.Contains(b, `"active":[]`) {
		t.Errorf("clear: %d %s", st, b)
	}
}

type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}

// TestSweepForgetsOldRecords: a long-running `oauthx idp` must not grow
// without bound; records expired for more than a day are swept.
func TestSweepForgetsOldRecords(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{KeyCacheDir: testKeyDir, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	issue := func() {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basicAuth("machine", "machine-secret"))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("token: %d %s", rec.Code, rec.Body)
		}
	}
	for range 10 {
		issue()
	}
	srv.Advance(3 * 24 * time.Hour)
	for range 1024 {
		issue()
	}
	srv.mu.Lock()
	n := len(srv.access)
	srv.mu.Unlock()
	if n > 1024 {
		t.Fatalf("%d access token records kept, want the 10 old ones swept", n)
	}
}

func TestConsentAsked(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"web-app": "once a session", "native-app": "every time (public)", "spa-implicit": "every time (public)",
		"machine": "-", "device-app": "every time (device)",
	}
	for _, c := range DemoClients() {
		if w, ok := want[c.ID]; ok && c.ConsentAsked() != w {
			t.Errorf("%s: %q, want %q", c.ID, c.ConsentAsked(), w)
		}
	}
	fp := Client{ID: "trusted", FirstParty: true, GrantTypes: []string{GrantAuthorizationCode}}
	if got := fp.ConsentAsked(); got != "never (first party)" {
		t.Errorf("first party: %q", got)
	}
	spa := Client{ID: "spa", Public: true, GrantTypes: []string{GrantAuthorizationCode}, RedirectURIs: []string{"https://app.example/cb"}}
	if got := spa.ConsentAsked(); got != "once a session" {
		t.Errorf("public client on an https redirect URI: %q", got)
	}
}
