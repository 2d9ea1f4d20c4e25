package mockidp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authorizeURL builds an authorization request from params on top of sane defaults.
func (d *testIDP) authorizeURL(clientID string, extra url.Values) string {
	v := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {cb},
		"scope": {"openid profile offline_access"}, "state": {"st"}, "nonce": {"nn"}}
	for k, x := range extra {
		if len(x) == 1 && x[0] == "" {
			v.Del(k)
			continue
		}
		v[k] = x
	}
	return d.iss + "/authorize?" + v.Encode()
}

const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestPKCEAppendixB(t *testing.T) {
	t.Parallel()
	if got := s256Challenge(rfcVerifier); got != rfcChallenge {
		t.Fatalf("S256(%s) = %s, want %s (RFC 7636 Appendix B)", rfcVerifier, got, rfcChallenge)
	}
	if !verifyPKCE("S256", rfcChallenge, rfcVerifier) || verifyPKCE("S256", rfcChallenge, rfcVerifier[1:]+"A") {
		t.Fatal("verifyPKCE disagrees with Appendix B")
	}
	if !verifyPKCE("plain", rfcVerifier, rfcVerifier) || verifyPKCE("plain", rfcChallenge, rfcVerifier) {
		t.Fatal("plain method")
	}
	for _, v := range []string{"short", strings.Repeat("a", 129), strings.Repeat("a", 42) + "!"} {
		if validVerifier(v) {
			t.Errorf("validVerifier(%q) = true", v)
		}
	}
	if !validVerifier(strings.Repeat("a", 43)) || !validVerifier(strings.Repeat("~", 128)) {
		t.Error("valid lengths refused")
	}
}

// exchange posts an authorization_code token request as client.
func (d *testIDP) exchange(clientID, secret, code string, extra url.Values) (int, map[string]any) {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}}
	for k, v := range extra {
		if len(v) == 1 && v[0] == "" {
			f.Del(k)
			continue
		}
		f[k] = v
	}
	if secret == "" {
		f.Set("client_id", clientID)
		st, _, m := d.post("/token", f, "", "")
		return st, m
	}
	st, _, m := d.post("/token", f, clientID, secret)
	return st, m
}

func TestStrictCodeRules(t *testing.T) {
	t.Parallel()
	pkce := url.Values{"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"}}
	tests := []struct {
		name      string
		client    string
		secret    string
		authz     url.Values
		before    func(d *testIDP)
		token     url.Values
		wantError string // "" means success
	}{
		{"PKCE Appendix B verifier", "native-app", "", pkce, nil, url.Values{"code_verifier": {rfcVerifier}}, ""},
		{"PKCE plain", "native-app", "", url.Values{"code_challenge": {rfcVerifier}, "code_challenge_method": {"plain"}}, nil, url.Values{"code_verifier": {rfcVerifier}}, ""},
		{"PKCE wrong verifier", "native-app", "", pkce, nil, url.Values{"code_verifier": {strings.Repeat("a", 43)}}, "invalid_grant"},
		{"PKCE missing verifier", "native-app", "", pkce, nil, nil, "invalid_grant"},
		{"PKCE malformed verifier", "native-app", "", pkce, nil, url.Values{"code_verifier": {"short"}}, "invalid_grant"},
		{"verifier without challenge (downgrade)", "web-app", "web-app-secret", nil, nil, url.Values{"code_verifier": {rfcVerifier}}, "invalid_grant"},
		{"confidential without PKCE", "web-app", "web-app-secret", nil, nil, nil, ""},
		{"redirect_uri differs", "web-app", "web-app-secret", nil, nil, url.Values{"redirect_uri": {"http://127.0.0.1:5556/callback"}}, "invalid_grant"},
		{"redirect_uri missing", "web-app", "web-app-secret", nil, nil, url.Values{"redirect_uri": {""}}, "invalid_grant"},
		{"code expires after 60 s", "web-app", "web-app-secret", nil, func(d *testIDP) { d.srv.Advance(61 * time.Second) }, nil, "invalid_grant"},
		{"code still valid at 59 s", "web-app", "web-app-secret", nil, func(d *testIDP) { d.srv.Advance(59 * time.Second) }, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newIDP(t, Options{})
			res := browse(t, browser(t), d.authorizeURL(tc.client, tc.authz), cb, "alice", "allow")
			code := res.params.Get("code")
			if code == "" {
				t.Fatalf("no code: %v", res.params)
			}
			if tc.before != nil {
				tc.before(d)
			}
			st, m := d.exchange(tc.client, tc.secret, code, tc.token)
			if tc.wantError == "" {
				if st != 200 || m["access_token"] == nil {
					t.Fatalf("status %d %v", st, m)
				}
				return
			}
			if st != 400 || m["error"] != tc.wantError {
				t.Fatalf("status %d %v, want %s", st, m, tc.wantError)
			}
		})
	}
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
	code := res.params.Get("code")
	st, first := d.exchange("web-app", "web-app-secret", code, nil)
	if st != 200 {
		t.Fatal(first)
	}
	introspect := func(tok string) bool {
		_, _, m := d.post("/introspect", url.Values{"token": {tok}}, "web-app", "web-app-secret")
		return m["active"] == true
	}
	if !introspect(first["access_token"].(string)) || !introspect(first["refresh_token"].(string)) {
		t.Fatal("fresh tokens inactive")
	}
	st, m := d.exchange("web-app", "web-app-secret", code, nil)
	if st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("replay: %d %v", st, m)
	}
	if introspect(first["access_token"].(string)) || introspect(first["refresh_token"].(string)) {
		t.Fatal("tokens from a replayed code are still active (RFC 6749 §4.1.2)")
	}
	// And a code is bound to its client.
	res = browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
	if st, m := d.exchange("native-app", "", res.params.Get("code"), url.Values{"code_verifier": {rfcVerifier}}); st != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("code used by another client: %d %v", st, m)
	}
}

func TestRedirectURIMatching(t *testing.T) {
	t.Parallel()
	reg := []string{"http://127.0.0.1/callback", "http://localhost/callback", "https://app.example/cb", "com.example.app:/oauth"}
	tests := []struct {
		uri  string
		want bool
	}{
		{"http://127.0.0.1/callback", true},
		{"http://127.0.0.1:49152/callback", true}, // RFC 8252 §7.3
		{"http://localhost:8080/callback", true},
		{"http://127.0.0.1:8080/callback/", false},
		{"http://127.0.0.1:8080/Callback", false},
		{"http://127.0.0.1:8080/callback?x=1", false},
		{"http://127.0.0.1:99999/callback", false},
		{"https://127.0.0.1:8080/callback", false},
		{"http://[::1]:8080/callback", false}, // a different loopback literal is a different URI
		{"http://127.0.0.2:8080/callback", false},
		{"https://app.example/cb", true},
		{"https://app.example:443/cb", false}, // exact string comparison
		{"https://app.example/cb?x", false},
		{"https://app.example/cb#f", false},
		{"https://APP.example/cb", false},
		{"com.example.app:/oauth", true},
		{"http://user@127.0.0.1:80/callback", false},
	}
	for _, tc := range tests {
		if got := matchRedirectURI(reg, tc.uri); got != tc.want {
			t.Errorf("matchRedirectURI(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
}

func TestBasicAuthFormURLEncoding(t *testing.T) {
	t.Parallel()
	cfg := &Config{Clients: []Client{{ID: "odd+client:id", Secret: "s3cr:t %+&", GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}}}}
	d := newIDP(t, Options{Config: cfg})
	form := url.Values{"grant_type": {"client_credentials"}}
	if st, _, m := d.post("/token", form, "odd+client:id", "s3cr:t %+&"); st != 200 {
		t.Fatalf("encoded Basic credentials refused: %d %v", st, m)
	}
	// Without the RFC 6749 §2.3.1 encoding, "+" decodes to a space: refused.
	req, _ := http.NewRequest("POST", d.iss+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("odd+client:id", "s3cr:t %+&")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("raw Basic credentials: %d", resp.StatusCode)
	}
}

func TestAuthorizeRedirectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client string
		extra  url.Values
		want   string
		mode   string
	}{
		{"scope not allowed", "spa-implicit", url.Values{"response_type": {"id_token"}, "scope": {"openid api:write"}}, "invalid_scope", "fragment"},
		{"implicit needs nonce", "spa-implicit", url.Values{"response_type": {"id_token"}, "nonce": {""}, "scope": {"openid"}}, "invalid_request", "fragment"},
		{"query mode refused for tokens", "spa-implicit", url.Values{"response_type": {"id_token token"}, "response_mode": {"query"}, "scope": {"openid"}}, "invalid_request", "fragment"},
		{"response type not registered", "native-app", url.Values{"response_type": {"id_token"}}, "unauthorized_client", "fragment"},
		{"unknown prompt", "web-app", url.Values{"prompt": {"bogus"}}, "invalid_request", "query"},
		{"prompt none with login", "web-app", url.Values{"prompt": {"none login"}}, "invalid_request", "query"},
		{"prompt none without session", "web-app", url.Values{"prompt": {"none"}}, "login_required", "query"},
		{"bad max_age", "web-app", url.Values{"max_age": {"-1"}}, "invalid_request", "query"},
		{"S256 challenge malformed", "native-app", url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}, "invalid_request", "query"},
		{"unsupported challenge method", "native-app", url.Values{"code_challenge": {rfcChallenge}, "code_challenge_method": {"S512"}}, "invalid_request", "query"},
		{"bad resource", "web-app", url.Values{"resource": {"https://api.example/#x"}}, "invalid_target", "query"},
		{"repeated parameter error page", "web-app", url.Values{"state": {"a", "b"}}, "", ""},
		{"form_post error", "web-app", url.Values{"prompt": {"none"}, "response_mode": {"form_post"}}, "login_required", "form_post"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newIDP(t, Options{})
			p := do(t, browser(t), http.MethodGet, d.authorizeURL(tc.client, tc.extra), nil)
			if tc.want == "" {
				if p.status != 400 {
					t.Fatalf("want error page, got %d", p.status)
				}
				return
			}
			var res authResult
			if tc.mode == "form_post" {
				_, f := formOf(t, p)
				res = authResult{"form_post", f}
			} else {
				if p.status != 302 {
					t.Fatalf("status %d\n%s", p.status, p.body)
				}
				res = resultFromURL(t, p.header.Get("Location"))
			}
			if res.mode != tc.mode || res.params.Get("error") != tc.want || res.params.Get("iss") != d.iss || res.params.Get("state") != "st" {
				t.Fatalf("got %s %v, want %s via %s", res.mode, res.params, tc.want, tc.mode)
			}
		})
	}
}

// TestConsentIsRemembered covers when the consent page is shown (OIDC Core
// §3.1.2.4): once per session for a confidential client, every time for a
// public client on a loopback redirect URI (RFC 8252 §8.6), never for a
// first-party client unless prompt=consent.
func TestConsentIsRemembered(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{Config: &Config{Clients: []Client{{ID: "trusted", Secret: "s", FirstParty: true,
		RedirectURIs: []string{cb}, GrantTypes: []string{GrantAuthorizationCode}, ResponseTypes: []string{"code"}}}}})
	pkce := url.Values{"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"}}
	isConsentPage := func(p page) bool {
		m := reForm.FindStringSubmatch(p.body)
		return p.status == http.StatusOK && m != nil && strings.HasSuffix(m[1], "/consent")
	}
	loggedIn := func() *http.Client {
		c := browser(t)
		browse(t, c, d.authorizeURL("web-app", nil), cb, "alice", "allow")
		return c
	}

	c := loggedIn()
	if p := do(t, c, http.MethodGet, d.authorizeURL("web-app", nil), nil); p.status != http.StatusFound {
		t.Errorf("confidential client, consent given in this session: %d, want the redirect at once\n%s", p.status, p.body)
	}
	browse(t, c, d.authorizeURL("native-app", pkce), cb, "", "allow")
	if p := do(t, c, http.MethodGet, d.authorizeURL("native-app", pkce), nil); !isConsentPage(p) {
		t.Errorf("public native client, consent given in this session: %d, want the consent page again (RFC 8252 §8.6)\n%s", p.status, p.body)
	}
	p := do(t, c, http.MethodGet, d.authorizeURL("native-app", url.Values{"prompt": {"none"}, "code_challenge": pkce["code_challenge"], "code_challenge_method": {"S256"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("error") != "consent_required" {
		t.Errorf("public native client with prompt=none: %v, want consent_required", res.params)
	}

	// First party: login, then straight back with the code.
	c = browser(t)
	login := do(t, c, http.MethodGet, d.authorizeURL("trusted", url.Values{"scope": {"openid"}}), nil)
	action, form := formOf(t, login)
	form.Set("demo_user", "bob")
	p = do(t, c, http.MethodPost, action, form)
	if res := resultFromURL(t, p.header.Get("Location")); p.status != http.StatusSeeOther && p.status != http.StatusFound || res.params.Get("code") == "" {
		t.Fatalf("first-party login: %d %v, want the redirect with a code\n%s", p.status, res.params, p.body)
	}
	if st, m := d.exchange("trusted", "s", resultFromURL(t, p.header.Get("Location")).params.Get("code"), nil); st != 200 || m["id_token"] == nil {
		t.Errorf("first-party code exchange: %d %v", st, m)
	}
	p = do(t, c, http.MethodGet, d.authorizeURL("trusted", url.Values{"scope": {"openid"}, "prompt": {"none"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("code") == "" {
		t.Errorf("first party with a session and prompt=none: %v, want a code", res.params)
	}
	if p := do(t, c, http.MethodGet, d.authorizeURL("trusted", url.Values{"scope": {"openid"}, "prompt": {"consent"}}), nil); !isConsentPage(p) {
		t.Errorf("first party with prompt=consent: %d, want the consent page\n%s", p.status, p.body)
	}
}

func TestSessionPromptAndMaxAge(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	c := browser(t)
	browse(t, c, d.authorizeURL("web-app", nil), cb, "alice", "allow")

	// With a session and consent, prompt=none answers at once.
	p := do(t, c, http.MethodGet, d.authorizeURL("web-app", url.Values{"prompt": {"none"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("code") == "" {
		t.Fatalf("prompt=none with session: %v", res.params)
	}
	// New scopes need consent: prompt=none says consent_required.
	p = do(t, c, http.MethodGet, d.authorizeURL("web-app", url.Values{"prompt": {"none"}, "scope": {"openid email"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("error") != "consent_required" {
		t.Fatalf("prompt=none needing consent: %v", res.params)
	}
	// prompt=login and an exceeded max_age send the user to the login page.
	for _, extra := range []url.Values{{"prompt": {"login"}}, {"max_age": {"5"}}} {
		d.srv.Advance(10 * time.Second)
		p = do(t, c, http.MethodGet, d.authorizeURL("web-app", extra), nil)
		if !isLoginPage(p) {
			t.Fatalf("%v: %d %s %s", extra, p.status, p.header.Get("Location"), p.body)
		}
	}
	// A fresh login moves auth_time.
	res := browse(t, c, d.authorizeURL("web-app", url.Values{"prompt": {"login"}}), cb, "bob", "allow")
	_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
	idt := claimsOf(t, m["id_token"].(string))
	if idt["sub"] != "bob" || int64(idt["auth_time"].(float64)) != d.srv.Now().Unix() {
		t.Fatalf("after re-login: %v", idt)
	}
}

func TestLoginAndConsentPages(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	c := browser(t)
	login := do(t, c, http.MethodGet, d.authorizeURL("web-app", url.Values{"login_hint": {"bob"}}), nil)
	for _, want := range []string{`name="username" value="bob"`, `type="password" name="password"`, `name="demo_user" value="alice"`, `name="demo_user" value="bob"`} {
		if !strings.Contains(login.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	action, form := formOf(t, login)
	form.Set("username", "alice")
	form.Set("password", "wrong")
	p := do(t, c, http.MethodPost, action, form)
	if p.status != 200 || !strings.Contains(p.body, "Wrong username or password") || !strings.Contains(p.body, `value="alice"`) {
		t.Fatalf("wrong password: %d\n%s", p.status, p.body)
	}
	form.Set("password", "alice")
	p = do(t, c, http.MethodPost, action, form)
	if p.status != 200 {
		t.Fatalf("login: %d %s", p.status, p.body)
	}
	consent := p // the consent page is the login's answer
	// It is also shown again by GET /consent, for a reload.
	_, hidden := formOf(t, consent)
	if again := do(t, c, http.MethodGet, d.iss+"/consent?req="+hidden.Get("req"), nil); again.body != consent.body {
		t.Errorf("GET /consent shows another page:\n%s", again.body)
	}
	for _, want := range []string{"<code>openid</code>", "<code>offline_access</code>", "refresh token", `name="decision" value="allow"`, `name="decision" value="deny"`} {
		if !strings.Contains(consent.body, want) {
			t.Errorf("consent page lacks %s", want)
		}
	}
	// Another browser without the session cannot consent.
	action, form = formOf(t, consent)
	form.Set("decision", "allow")
	if p := do(t, browser(t), http.MethodPost, action, form); p.status != 403 {
		t.Fatalf("consent without session: %d", p.status)
	}
	form.Set("decision", "deny")
	p = do(t, c, http.MethodPost, action, form)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("error") != "access_denied" || res.params.Get("state") != "st" {
		t.Fatalf("deny: %v", res.params)
	}
	// The request is finished: the form cannot be replayed.
	form.Set("decision", "allow")
	if p := do(t, c, http.MethodPost, action, form); p.status != 400 {
		t.Fatalf("consent replay: %d", p.status)
	}
}

func TestDeviceDenyAndExpiry(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	start := func() (string, string) {
		_, _, m := d.post("/device_authorization", url.Values{"client_id": {"device-app"}, "scope": {"openid"}}, "", "")
		return m["device_code"].(string), m["verification_uri_complete"].(string)
	}
	poll := func(dc string) string {
		_, _, m := d.post("/token", url.Values{"grant_type": {GrantDeviceCode}, "device_code": {dc}, "client_id": {"device-app"}}, "", "")
		return m["error"].(string)
	}
	dc, vu := start()
	c := browser(t)
	p := do(t, c, http.MethodGet, vu, nil)
	action, form := formOf(t, p)
	p = do(t, c, http.MethodPost, action, form) // the login page
	action, form = formOf(t, p)
	form.Set("demo_user", "alice")
	p = do(t, c, http.MethodPost, action, form) // the consent page
	action, form = formOf(t, p)
	form.Set("decision", "deny")
	if p = do(t, c, http.MethodPost, action, form); !strings.Contains(p.body, "denied") {
		t.Fatalf("deny page: %s", p.body)
	}
	if e := poll(dc); e != "access_denied" {
		t.Fatalf("after deny: %s", e)
	}
	dc2, _ := start()
	d.srv.Advance(11 * time.Minute)
	if e := poll(dc2); e != "expired_token" {
		t.Fatalf("after expiry: %s", e)
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	c := browser(t)
	res := browse(t, c, d.authorizeURL("web-app", nil), cb, "alice", "allow")
	_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
	hint := m["id_token"].(string)
	q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://127.0.0.1:5555/logged-out"}, "state": {"bye"}}
	p := do(t, c, http.MethodGet, d.iss+"/end_session?"+q.Encode(), nil)
	if p.status != 302 || p.header.Get("Location") != "http://127.0.0.1:5555/logged-out?state=bye" {
		t.Fatalf("end_session: %d %q", p.status, p.header.Get("Location"))
	}
	p = do(t, c, http.MethodGet, d.authorizeURL("web-app", url.Values{"prompt": {"none"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("error") != "login_required" {
		t.Fatalf("session survived logout: %v", res.params)
	}
	// A post-logout URI registered for another client is refused.
	q.Set("post_logout_redirect_uri", "https://evil.example/")
	if p := do(t, c, http.MethodGet, d.iss+"/end_session?"+q.Encode(), nil); p.status != 400 {
		t.Fatalf("bad post_logout_redirect_uri: %d", p.status)
	}
}

func TestRevocationAndIntrospection(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	res := browse(t, browser(t), d.authorizeURL("web-app", url.Values{"resource": {"https://api.example/"}}), cb, "alice", "allow")
	_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
	at, rt := m["access_token"].(string), m["refresh_token"].(string)
	_, _, in := d.post("/introspect", url.Values{"token": {at}}, "machine", "machine-secret")
	if in["active"] != true || in["sub"] != "alice" || in["client_id"] != "web-app" || in["aud"] != "https://api.example/" || in["username"] != "alice" {
		t.Fatalf("introspection %v", in)
	}
	if c := claimsOf(t, at); c["aud"] != "https://api.example/" || c["roles"] == nil {
		t.Fatalf("access token claims %v", c)
	}
	// Another client cannot revoke web-app's token.
	if st, _, _ := d.post("/revoke", url.Values{"token": {rt}}, "machine", "machine-secret"); st != 400 {
		t.Fatalf("cross-client revoke: %d", st)
	}
	if st, _, _ := d.post("/revoke", url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}, "web-app", "web-app-secret"); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	for _, tok := range []string{at, rt} {
		if _, _, in := d.post("/introspect", url.Values{"token": {tok}}, "web-app", "web-app-secret"); in["active"] != false {
			t.Fatalf("still active after revoking the refresh token: %v", in)
		}
	}
	// Access tokens expire with the server clock.
	res = browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "bob", "allow")
	_, m = d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
	d.srv.Advance(time.Hour + time.Second)
	if _, _, in := d.post("/introspect", url.Values{"token": {m["access_token"].(string)}}, "web-app", "web-app-secret"); in["active"] != false {
		t.Fatalf("expired token active: %v", in)
	}
}

// TestClientCredentialsTokenLifecycle: a client-credentials token is kept as
// one record (no grant is stored for it) and still introspects with its
// issuer, works at the API, and stops working once revoked or expired.
func TestClientCredentialsTokenLifecycle(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	token := func() string {
		st, _, m := d.post("/token", url.Values{"grant_type": {GrantClientCredentials}, "scope": {"api:read"}}, "machine", "machine-secret")
		if st != 200 {
			t.Fatalf("token: %d %v", st, m)
		}
		return m["access_token"].(string)
	}
	d.srv.mu.Lock()
	grants := len(d.srv.grants)
	d.srv.mu.Unlock()
	at := token()
	d.srv.mu.Lock()
	if n := len(d.srv.grants); n != grants {
		t.Errorf("a client-credentials token stored %d grants", n-grants)
	}
	d.srv.mu.Unlock()
	_, _, in := d.post("/introspect", url.Values{"token": {at}}, "machine", "machine-secret")
	if in["active"] != true || in["iss"] != d.iss || in["client_id"] != "machine" || in["sub"] != "machine" || in["scope"] != "api:read" {
		t.Fatalf("introspection %v", in)
	}
	api := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, d.iss+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := api(at); st != 200 {
		t.Fatalf("API with a live token: %d", st)
	}
	if st, _, _ := d.post("/revoke", url.Values{"token": {at}}, "machine", "machine-secret"); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if _, _, in := d.post("/introspect", url.Values{"token": {at}}, "machine", "machine-secret"); in["active"] != false {
		t.Fatalf("active after revocation: %v", in)
	}
	if st := api(at); st != 401 {
		t.Errorf("API with a revoked token: %d", st)
	}
	at = token()
	d.srv.Advance(time.Hour + time.Second)
	if _, _, in := d.post("/introspect", url.Values{"token": {at}}, "machine", "machine-secret"); in["active"] != false {
		t.Errorf("active after expiry: %v", in)
	}
}
