package mockidp

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPageCacheMatchesTemplate checks that a login or consent page served
// from the cache is, byte for byte and header for header, the page the
// template makes, for many ids, users, scopes and hostile names.
func TestPageCacheMatchesTemplate(t *testing.T) {
	t.Parallel()
	cfg := &Config{
		Users: []User{{Username: `eve"><script>alert(1)</script>`, Password: "pw", Demo: true,
			Claims: map[string]any{"name": `Eve <b>&</b>`}}},
		Clients: []Client{
			{ID: "odd", Secret: "s", Name: `Odd "app" <i>` + idMarker, RedirectURIs: []string{cb}},
			{ID: "plain", Secret: "s", Name: "Plain app", RedirectURIs: []string{cb}},
		},
	}
	srv, err := New(Options{KeyCacheDir: testKeyDir, Issuer: "http://127.0.0.1:9", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	// Each page is compared with the template executed directly on the same
	// data, so the test checks the cache (the marker, the split, the keys).
	direct := func(render func(http.ResponseWriter), data map[string]any, page string) {
		t.Helper()
		got := httptest.NewRecorder()
		render(got)
		want := httptest.NewRecorder()
		tmpl := loginPage
		if page == "consent" {
			tmpl = consentPage
		}
		renderPage(want, http.StatusOK, tmpl, data)
		if got.Body.String() != want.Body.String() {
			t.Fatalf("%s page for %v differs from the template's:\n got %s\nwant %s", page, data, got.Body, want.Body)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "X-Frame-Options", "Referrer-Policy"} {
			if got.Header().Get(h) != want.Header().Get(h) {
				t.Errorf("%s: header %s %q, want %q", page, h, got.Header().Get(h), want.Header().Get(h))
			}
		}
	}
	for _, clientID := range []string{"odd", "plain", "web-app"} {
		client := srv.cfg.clientByID[clientID]
		for _, id := range []string{"abc", "Zz09-_x", "abc", `"><x`, `a"b`, "a&b", "", "id with space"} {
			for _, scopes := range [][]string{{"openid"}, {"openid", "profile", "api:read"}, {"openid"}} {
				for _, device := range []bool{false, true} {
					kind := "authorize"
					if device {
						kind = "device"
					}
					ar := &authRequest{id: id, kind: kind, issuer: "http://127.0.0.1:9", client: client, scopes: scopes}
					direct(func(w http.ResponseWriter) { srv.renderLogin(w, http.StatusOK, ar, "", "") }, srv.loginData(ar, "", ""), "login")
					for _, user := range []string{"alice", `eve"><script>alert(1)</script>`} {
						direct(func(w http.ResponseWriter) { srv.renderConsent(w, ar, user) }, consentData(ar, user), "consent")
					}
				}
			}
		}
	}
	if n := len(srv.pageCache.pages); n == 0 || n > pageCacheMax {
		t.Errorf("%d cached pages", n)
	}
}
