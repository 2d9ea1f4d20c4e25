package mockidp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPushedAuthorizationRequests(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	push := func(client, secret string, extra url.Values) (int, map[string]any) {
		f := url.Values{"response_type": {"code"}, "redirect_uri": {cb}, "scope": {"openid offline_access"},
			"state": {"par-state"}, "nonce": {"nn"}, "code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"}}
		for k, v := range extra {
			f[k] = v
		}
		if secret == "" {
			f.Set("client_id", client)
			st, _, m := d.post("/par", f, "", "")
			return st, m
		}
		st, _, m := d.post("/par", f, client, secret)
		return st, m
	}
	authorize := func(client, uri string) string {
		return d.iss + "/authorize?" + url.Values{"client_id": {client}, "request_uri": {uri}}.Encode()
	}

	st, m := push("native-app", "", nil)
	if st != 201 || !strings.HasPrefix(m["request_uri"].(string), parPrefix) || m["expires_in"] != 60.0 {
		t.Fatalf("push: %d %v", st, m)
	}
	uri := m["request_uri"].(string)
	res := browse(t, browser(t), authorize("native-app", uri), cb, "alice", "allow")
	if res.params.Get("state") != "par-state" || res.params.Get("code") == "" {
		t.Fatalf("authorization response %v", res.params)
	}
	if st, m := d.exchange("native-app", "", res.params.Get("code"), url.Values{"code_verifier": {rfcVerifier}}); st != 200 || m["refresh_token"] == nil {
		t.Fatalf("exchange: %d %v", st, m)
	}
	// Single use.
	if p := do(t, browser(t), http.MethodGet, authorize("native-app", uri), nil); p.status != 400 || !strings.Contains(p.body, "already used") {
		t.Fatalf("reused request_uri: %d", p.status)
	}
	// Bound to the client that pushed it.
	_, m = push("web-app", "web-app-secret", nil)
	if p := do(t, browser(t), http.MethodGet, authorize("native-app", m["request_uri"].(string)), nil); p.status != 400 || !strings.Contains(p.body, "another client") {
		t.Fatalf("request_uri of another client: %d %s", p.status, p.body)
	}
	// Expires after 60 s.
	_, m = push("native-app", "", nil)
	d.srv.Advance(61 * time.Second)
	if p := do(t, browser(t), http.MethodGet, authorize("native-app", m["request_uri"].(string)), nil); p.status != 400 || !strings.Contains(p.body, "expired") {
		t.Fatalf("expired request_uri: %d", p.status)
	}
	// Pushed requests are validated, with JSON errors.
	for _, tc := range []struct {
		client, secret string
		extra          url.Values
		status         int
		want           string
	}{
		{"native-app", "", url.Values{"redirect_uri": {"https://evil.example/cb"}}, 400, "invalid_request"},
		{"native-app", "", url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, 400, "invalid_request"}, // PKCE required
		{"native-app", "", url.Values{"request_uri": {"x"}}, 400, "invalid_request"},
		{"native-app", "", url.Values{"scope": {"openid admin"}}, 400, "invalid_scope"},
		{"web-app", "wrong", nil, 401, "invalid_client"},
	} {
		if st, m := push(tc.client, tc.secret, tc.extra); st != tc.status || m["error"] != tc.want {
			t.Errorf("push %v: %d %v", tc.extra, st, m)
		}
	}
	// A request_uri that is not from PAR is still refused with a redirect error.
	p := do(t, browser(t), http.MethodGet, d.authorizeURL("web-app", url.Values{"request_uri": {"https://client.example/req.jwt"}}), nil)
	if res := resultFromURL(t, p.header.Get("Location")); res.params.Get("error") != "request_uri_not_supported" {
		t.Fatalf("foreign request_uri: %v", res.params)
	}
}
