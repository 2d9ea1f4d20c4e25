package mockidp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzServer is shared by the iterations of one fuzz target; each target has
// its own.
func fuzzServer(f *testing.F) *Server {
	srv, err := New(Options{KeyCacheDir: testKeyDir})
	if err != nil {
		f.Fatal(err)
	}
	return srv
}

// FuzzTokenForm throws arbitrary bodies and Authorization headers at the
// token endpoint: it must never panic or answer 5xx.
func FuzzTokenForm(f *testing.F) {
	seeds := []struct{ body, auth string }{
		{"grant_type=client_credentials", basicAuth("machine", "machine-secret")},
		{"grant_type=client_credentials&client_id=machine&client_secret=machine-secret&scope=api:read&resource=https://api.example/", ""},
		{"grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&client_id=native-app&code_verifier=" + rfcVerifier, ""},
		{"grant_type=refresh_token&refresh_token=x&scope=openid", basicAuth("web-app", "web-app-secret")},
		{"grant_type=" + url.QueryEscape(GrantDeviceCode) + "&device_code=x&client_id=device-app", ""},
		{"grant_type=client_credentials&grant_type=password", "Basic %%%"},
		{"%zz=1&;;&=", "Basic bWFjaGluZTo="},
		{"grant_type=client_credentials", "Bearer abc"},
		{strings.Repeat("a=b&", 100), "Basic " + strings.Repeat("A", 100)},
		{"grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" +
			"&client_assertion=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJtYWNoaW5lIiwic3ViIjoibWFjaGluZSJ9.c2ln", ""},
		{"grant_type=client_credentials&client_assertion=x.y.z&client_id=machine", ""},
	}
	for _, s := range seeds {
		f.Add(s.body, s.auth)
	}
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body, auth string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header["Authorization"] = []string{auth}
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q auth %q: %s", rec.Code, body, auth, rec.Body)
		}
	})
}

// FuzzAuthorize throws arbitrary query strings at the authorization endpoint
// (and, with them as a body, at its POST form): no panic, no 5xx, and never
// a redirect to an unregistered URI.
func FuzzAuthorize(f *testing.F) {
	for _, q := range []string{
		"response_type=code&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&scope=openid&state=s",
		"response_type=code&client_id=native-app&redirect_uri=http%3A%2F%2Flocalhost%2Fcallback&scope=openid&code_challenge=" + rfcChallenge + "&code_challenge_method=S256",
		"response_type=id_token%20token&client_id=spa-implicit&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=openid&nonce=n&response_mode=form_post",
		"response_type=code%20id_token&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=openid&nonce=n&prompt=none&max_age=0",
		"client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&response_mode=query&response_type=id_token",
		"client_id=web-app&redirect_uri=http://127.0.0.1:99999/callback",
		"client_id=%00&redirect_uri=%ZZ",
		"resource=%23&resource=x&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&response_type=code&scope=openid",
	} {
		f.Add(q)
	}
	srv := fuzzServer(f)
	registered := map[string]bool{}
	for _, c := range srv.Clients() {
		for _, u := range c.RedirectURIs {
			registered[u] = true
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var req *http.Request
			if method == http.MethodGet {
				req = httptest.NewRequest(method, "http://127.0.0.1/authorize", nil)
				req.URL.RawQuery = q
			} else {
				req = httptest.NewRequest(method, "http://127.0.0.1/authorize", strings.NewReader(q))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s status %d for %q", method, rec.Code, q)
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				u, err := url.Parse(loc)
				if err != nil {
					t.Fatalf("bad Location %q", loc)
				}
				u.RawQuery, u.Fragment, u.Host = "", "", u.Hostname()
				if !registered[u.String()] && !registered[strings.Replace(u.String(), "http://127.0.0.1", "http://localhost", 1)] {
					t.Fatalf("redirect to unregistered %q for %q", loc, q)
				}
			}
		}
	})
}

// FuzzEndpoints sends arbitrary forms, headers and query strings to every
// other endpoint (login, consent, device, end_session, userinfo,
// introspection, revocation, PAR, the demo API): no panic, no 5xx.
func FuzzEndpoints(f *testing.F) {
	paths := []string{"/login", "/consent", "/device", "/device_authorization", "/end_session", "/userinfo",
		"/introspect", "/revoke", "/par", "/api/me", "/api/admin", "/api/notes", "/jwks", "/"}
	for i := range paths {
		f.Add(uint8(i), true, "req=x&demo_user=alice", "", "")
		f.Add(uint8(i), false, "user_code=BCDF-GHJK&id_token_hint=a.b.c&post_logout_redirect_uri=http://127.0.0.1/logged-out", "Bearer a.b.c", "oauthx_idp_session=x")
	}
	f.Add(uint8(6), true, "token=x&token_type_hint=refresh_token", basicAuth("machine", "machine-secret"), "")
	f.Add(uint8(8), true, "response_type=code&redirect_uri=http://127.0.0.1/callback&scope=openid&client_id=native-app&code_challenge="+rfcChallenge, "", "")
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, which uint8, post bool, form, auth, cookie string) {
		path := paths[int(which)%len(paths)]
		var req *http.Request
		if post {
			req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
			req.URL.RawQuery = form
		}
		if auth != "" {
			req.Header["Authorization"] = []string{auth}
		}
		if cookie != "" {
			req.Header["Cookie"] = []string{cookie}
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d for %q", req.Method, path, rec.Code, form)
		}
	})
}
