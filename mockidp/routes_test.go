package mockidp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRoutes is the route table: one request each, against a fresh server.
func TestRoutes(t *testing.T) {
	t.Parallel()
	type basic struct{ id, secret string }
	tests := []struct {
		name       string
		method     string
		path       string
		form       url.Values
		basic      *basic
		header     map[string]string
		wantStatus int
		wantJSON   map[string]any    // subset of the JSON body
		wantBody   string            // snippet of the body
		wantHeader map[string]string // header snippets
	}{
		{name: "openid discovery", method: "GET", path: "/.well-known/openid-configuration", wantStatus: 200,
			wantJSON: map[string]any{"authorization_response_iss_parameter_supported": true, "request_uri_parameter_supported": false}},
		{name: "RFC 8414 metadata", method: "GET", path: "/.well-known/oauth-authorization-server", wantStatus: 200, wantBody: `"code_challenge_methods_supported":["S256","plain"]`},
		{name: "jwks", method: "GET", path: "/jwks", wantStatus: 200, wantBody: `"alg":"ES256"`},
		{name: "jwks has RS256", method: "GET", path: "/jwks", wantStatus: 200, wantBody: `"alg":"RS256"`},
		{name: "jwks is GET only", method: "POST", path: "/jwks", wantStatus: 405},
		{name: "token is POST only", method: "GET", path: "/token", wantStatus: 405},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404},
		{name: "index page", method: "GET", path: "/", wantStatus: 200, wantBody: "web-app"},
		{name: "CORS preflight for token", method: "OPTIONS", path: "/token", header: map[string]string{"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST"},
			wantStatus: 204, wantHeader: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization"}},
		{name: "CORS on jwks", method: "GET", path: "/jwks", header: map[string]string{"Origin": "http://127.0.0.1:3000"},
			wantStatus: 200, wantHeader: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{name: "no CORS on login", method: "OPTIONS", path: "/login", header: map[string]string{"Origin": "http://127.0.0.1:3000"}, wantStatus: 405},

		{name: "token without client auth", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}, wantHeader: map[string]string{"WWW-Authenticate": "Basic"}},
		{name: "token wrong secret basic", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: &basic{"machine", "nope"},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}, wantHeader: map[string]string{"WWW-Authenticate": `Basic realm=`}},
		{name: "token unknown client", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: &basic{"who", "x"},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}},
		{name: "token client_secret_basic", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 200, wantJSON: map[string]any{"token_type": "Bearer", "expires_in": 3600.0, "scope": "api:read api:write"},
			wantHeader: map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json"}},
		{name: "token client_secret_post", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"machine"}, "client_secret": {"machine-secret"}, "scope": {"api:read"}},
			wantStatus: 200, wantJSON: map[string]any{"scope": "api:read"}},
		{name: "token two auth methods", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {"machine-secret"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "token bearer scheme refused", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}}, header: map[string]string{"Authorization": "Bearer x"},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}},
		{name: "token public client sends secret", method: "POST", path: "/token", form: url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, basic: &basic{"native-app", "x"},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}},
		{name: "token missing grant_type", method: "POST", path: "/token", form: url.Values{}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "token password grant", method: "POST", path: "/token", form: url.Values{"grant_type": {"password"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "unsupported_grant_type"}},
		{name: "token grant not registered", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: &basic{"web-app", "web-app-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "unauthorized_client"}},
		{name: "client_credentials openid", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_scope"}},
		{name: "client_credentials unknown scope", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}, "scope": {"api:delete"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_scope"}},
		{name: "client_credentials bad resource", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials"}, "resource": {"not a uri"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_target"}},
		{name: "token repeated parameter", method: "POST", path: "/token", form: url.Values{"grant_type": {"client_credentials", "client_credentials"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "unknown code", method: "POST", path: "/token", form: url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {cb}}, basic: &basic{"web-app", "web-app-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_grant"}},
		{name: "missing code", method: "POST", path: "/token", form: url.Values{"grant_type": {"authorization_code"}}, basic: &basic{"web-app", "web-app-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "unknown refresh token", method: "POST", path: "/token", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, basic: &basic{"web-app", "web-app-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_grant"}},
		{name: "unknown device code", method: "POST", path: "/token", form: url.Values{"grant_type": {GrantDeviceCode}, "device_code": {"nope"}, "client_id": {"device-app"}},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_grant"}},

		{name: "introspect without auth", method: "POST", path: "/introspect", form: url.Values{"token": {"x"}},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}},
		{name: "introspect by public client", method: "POST", path: "/introspect", form: url.Values{"token": {"x"}, "client_id": {"native-app"}},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_client"}},
		{name: "introspect unknown token", method: "POST", path: "/introspect", form: url.Values{"token": {"x"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 200, wantJSON: map[string]any{"active": false}},
		{name: "introspect missing token", method: "POST", path: "/introspect", form: url.Values{}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "revoke unknown token", method: "POST", path: "/revoke", form: url.Values{"token": {"x"}}, basic: &basic{"machine", "machine-secret"}, wantStatus: 200},
		{name: "revoke by public client", method: "POST", path: "/revoke", form: url.Values{"token": {"x"}, "client_id": {"native-app"}}, wantStatus: 200},
		{name: "revoke bad hint", method: "POST", path: "/revoke", form: url.Values{"token": {"x"}, "token_type_hint": {"id_token"}}, basic: &basic{"machine", "machine-secret"},
			wantStatus: 400, wantJSON: map[string]any{"error": "unsupported_token_type"}},

		{name: "userinfo without token", method: "GET", path: "/userinfo", wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="oauthx mock IdP"`}},
		{name: "userinfo bad token", method: "GET", path: "/userinfo", header: map[string]string{"Authorization": "Bearer nope"},
			wantStatus: 401, wantJSON: map[string]any{"error": "invalid_token"}, wantHeader: map[string]string{"WWW-Authenticate": `error="invalid_token"`}},
		{name: "userinfo token in query", method: "GET", path: "/userinfo?access_token=x", wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},
		{name: "userinfo basic scheme", method: "GET", path: "/userinfo", header: map[string]string{"Authorization": "Basic eDp5"}, wantStatus: 400, wantJSON: map[string]any{"error": "invalid_request"}},

		{name: "device authorization", method: "POST", path: "/device_authorization", form: url.Values{"client_id": {"device-app"}, "scope": {"openid"}},
			wantStatus: 200, wantJSON: map[string]any{"expires_in": 600.0, "interval": 5.0}, wantBody: `"verification_uri_complete"`},
		{name: "device authorization wrong client", method: "POST", path: "/device_authorization", form: url.Values{"client_id": {"native-app"}, "scope": {"openid"}},
			wantStatus: 400, wantJSON: map[string]any{"error": "unauthorized_client"}},
		{name: "device authorization bad scope", method: "POST", path: "/device_authorization", form: url.Values{"client_id": {"device-app"}, "scope": {"api:write"}},
			wantStatus: 400, wantJSON: map[string]any{"error": "invalid_scope"}},
		{name: "device page", method: "GET", path: "/device?user_code=BCDF-GHJK", wantStatus: 200, wantBody: `value="BCDF-GHJK"`},
		{name: "device wrong code", method: "POST", path: "/device", form: url.Values{"user_code": {"XXXX-XXXX"}}, wantStatus: 200, wantBody: "unknown, already used or expired"},

		{name: "authorize without client_id", method: "GET", path: "/authorize?response_type=code", wantStatus: 400, wantBody: "Missing client_id"},
		{name: "authorize unknown client", method: "GET", path: "/authorize?response_type=code&client_id=evil&redirect_uri=" + url.QueryEscape(cb), wantStatus: 400, wantBody: "Unknown client"},
		{name: "authorize missing redirect_uri", method: "GET", path: "/authorize?response_type=code&client_id=web-app", wantStatus: 400, wantBody: "Missing redirect_uri"},
		{name: "authorize unregistered redirect_uri", method: "GET", path: "/authorize?response_type=code&client_id=web-app&redirect_uri=https://evil.example/cb", wantStatus: 400, wantBody: "not registered"},
		{name: "authorize public client without PKCE", method: "GET", path: "/authorize?response_type=code&scope=openid&client_id=native-app&state=s&redirect_uri=" + url.QueryEscape(cb),
			wantStatus: 302, wantHeader: map[string]string{"Location": "error=invalid_request"}},
		{name: "authorize unsupported response_type", method: "GET", path: "/authorize?response_type=magic&scope=openid&client_id=web-app&redirect_uri=" + url.QueryEscape(cb),
			wantStatus: 302, wantHeader: map[string]string{"Location": "error=unsupported_response_type"}},
		{name: "authorize request object", method: "GET", path: "/authorize?response_type=code&request=x&scope=openid&client_id=web-app&redirect_uri=" + url.QueryEscape(cb),
			wantStatus: 302, wantHeader: map[string]string{"Location": "error=request_not_supported"}},
		{name: "authorize error carries iss", method: "GET", path: "/authorize?response_type=code&scope=nope&client_id=web-app&redirect_uri=" + url.QueryEscape(cb),
			wantStatus: 302, wantHeader: map[string]string{"Location": "iss=http"}},
		{name: "authorize shows the login page", method: "GET", path: "/authorize?response_type=code&scope=openid&client_id=web-app&redirect_uri=" + url.QueryEscape(cb),
			wantStatus: 200, wantBody: `/login">`},
		{name: "login unknown request", method: "POST", path: "/login", form: url.Values{"req": {"x"}, "demo_user": {"alice"}}, wantStatus: 400, wantBody: "not found"},
		{name: "consent unknown request", method: "GET", path: "/consent?req=x", wantStatus: 400, wantBody: "not found"},
		{name: "end_session without hint", method: "GET", path: "/end_session", wantStatus: 200, wantBody: "signed out"},
		{name: "end_session unregistered redirect", method: "GET", path: "/end_session?client_id=web-app&post_logout_redirect_uri=https://evil.example/", wantStatus: 400, wantBody: "not registered"},
		{name: "end_session bad hint", method: "GET", path: "/end_session?id_token_hint=abc", wantStatus: 400, wantBody: "Invalid id_token_hint"},
	}
	d := newIDP(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tc.form != nil {
				body = strings.NewReader(tc.form.Encode())
			}
			req, err := http.NewRequest(tc.method, d.iss+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.basic != nil {
				req.Header.Set("Authorization", basicAuth(tc.basic.id, tc.basic.secret))
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := browser(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.wantStatus, b)
			}
			if tc.wantBody != "" && !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("body lacks %q:\n%s", tc.wantBody, b)
			}
			for k, v := range tc.wantHeader {
				if !strings.Contains(resp.Header.Get(k), v) {
					t.Errorf("header %s = %q, want it to contain %q", k, resp.Header.Get(k), v)
				}
			}
			if tc.wantJSON != nil {
				var got map[string]any
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("not JSON: %s", b)
				}
				for k, v := range tc.wantJSON {
					if got[k] != v {
						t.Errorf("%s = %#v, want %#v (body %s)", k, got[k], v, b)
					}
				}
			}
		})
	}
}
