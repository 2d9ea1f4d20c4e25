package mockidp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDemoAPI(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	userToken := func(user, scope string, extra url.Values) (string, string) {
		x := url.Values{"scope": {scope}}
		for k, v := range extra {
			x[k] = v
		}
		res := browse(t, browser(t), d.authorizeURL("web-app", x), cb, user, "allow")
		_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
		id, _ := m["id_token"].(string)
		return m["access_token"].(string), id
	}
	alice, aliceID := userToken("alice", "openid api:read", nil)
	bob, _ := userToken("bob", "openid api:read api:write", nil)
	elsewhere, _ := userToken("alice", "openid api:read", url.Values{"resource": {"https://api.example/"}})
	revoked, _ := userToken("alice", "openid api:read", nil)
	d.post("/revoke", url.Values{"token": {revoked}}, "web-app", "web-app-secret")
	_, _, cc := d.post("/token", url.Values{"grant_type": {"client_credentials"}}, "machine", "machine-secret")
	machine := cc["access_token"].(string)

	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		wantStatus int
		wantBody   string
		wantAuth   string // WWW-Authenticate snippet
	}{
		{"no token", "GET", "/api/me", "", 401, "", `Bearer realm="oauthx demo API"`},
		{"garbage token", "GET", "/api/me", "abc", 401, "invalid_token", `error="invalid_token"`},
		{"alice me", "GET", "/api/me", alice, 200, `"sub":"alice"`, ""},
		{"machine me", "GET", "/api/me", machine, 200, `"sub":"machine"`, ""},
		{"alice admin", "GET", "/api/admin", alice, 200, "administrator alice", ""},
		{"bob is not admin", "GET", "/api/admin", bob, 403, "insufficient_scope", `error="insufficient_scope"`},
		{"alice cannot write", "POST", "/api/notes", alice, 403, "insufficient_scope", `scope="api:write"`},
		{"bob writes", "POST", "/api/notes", bob, 201, `"author":"bob"`, ""},
		{"token for another audience", "GET", "/api/me", elsewhere, 401, "aud", `error="invalid_token"`},
		{"revoked token", "GET", "/api/me", revoked, 401, "revoked", ""},
		{"ID token is not an access token", "GET", "/api/me", aliceID, 401, "at+jwt", ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, d.iss+tc.path, strings.NewReader("text=hello"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || !strings.Contains(string(b), tc.wantBody) || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tc.wantAuth) {
			t.Errorf("%s: %d %s (WWW-Authenticate %q)", tc.name, resp.StatusCode, b, resp.Header.Get("WWW-Authenticate"))
		}
	}
	d.srv.Advance(2 * time.Hour)
	req, _ := http.NewRequest("GET", d.iss+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(m["error_description"], "exp") {
		t.Errorf("expired token: %d %v", resp.StatusCode, m)
	}
}
