package useragent

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/mockidp"
)

// These tests run the agent against the bundled IdP itself, so a change to its pages
// that the agent no longer understands fails here.

func newMockIdP(t *testing.T) *httptest.Server {
	t.Helper()
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)
	return srv
}

const mockRedirect = "http://127.0.0.1:49152/callback" // any port for loopback (RFC 8252 §7.3)

func mockAuthorize(srv *httptest.Server, params map[string]string) flows.AuthorizeRequest {
	q := url.Values{"client_id": {"web-app"}, "response_type": {"code"}, "scope": {"openid profile"},
		"state": {"state-123"}, "redirect_uri": {mockRedirect}}
	for k, v := range params {
		q.Set(k, v)
	}
	return flows.AuthorizeRequest{URL: srv.URL + "/authorize?" + q.Encode(), RedirectURI: mockRedirect,
		ResponseMode: q.Get("response_mode")}
}

func TestMockIdPPKCEEndToEnd(t *testing.T) {
	t.Parallel()
	srv := newMockIdP(t)
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	req := mockAuthorize(srv, map[string]string{"client_id": "native-app",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"})

	for _, agent := range []*Agent{{Username: "alice"}, {Username: "bob", Password: "bob"}} {
		res, err := agent.Authorize(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", agent.Username, err)
		}
		cb := res.Callback
		if cb.Mode != callback.ModeQuery || cb.Params["code"] == "" || cb.Params["state"] != "state-123" {
			t.Fatalf("%s: callback = %+v", agent.Username, cb)
		}
		if iss := cb.Params["iss"]; iss != "" && iss != srv.URL {
			t.Fatalf("iss = %q, want %q (RFC 9207)", iss, srv.URL)
		}
		// The code is good: exchange it.
		resp, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"authorization_code"},
			"code": {cb.Params["code"]}, "redirect_uri": {mockRedirect}, "client_id": {"native-app"},
			"code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
			IDToken     string `json:"id_token"`
		}
		json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.IDToken == "" {
			t.Fatalf("%s: token exchange %d %+v", agent.Username, resp.StatusCode, tok)
		}
		last := res.Redirects[len(res.Redirects)-1]
		if !callback.SameEndpoint(last.To, mockRedirect) {
			t.Fatalf("last hop %+v is not the redirect URI", last)
		}
		for _, ex := range res.Exchanges {
			if u, _ := url.Parse(ex.Request.URL); u.Host == "127.0.0.1:49152" {
				t.Fatalf("the redirect URI was fetched")
			}
		}
		t.Logf("%s: %d requests, hops:\n%s", agent.Username, len(res.Exchanges), strings.Join(hops(res.Redirects), "\n"))
	}
}

func TestMockIdPModesAndFailures(t *testing.T) {
	t.Parallel()
	srv := newMockIdP(t)
	tests := []struct {
		name   string
		agent  Agent
		params map[string]string
		mode   string
		want   map[string]string // params that must be in the callback
		err    error
		says   string
	}{
		{name: "deny", agent: Agent{Username: "alice", Decision: Deny},
			mode: callback.ModeQuery, want: map[string]string{"error": "access_denied", "state": "state-123"}},
		{name: "form_post", agent: Agent{Username: "alice"}, params: map[string]string{"response_mode": "form_post"},
			mode: callback.ModeFormPost, want: map[string]string{"state": "state-123"}},
		{name: "implicit in the fragment", agent: Agent{Username: "alice"},
			params: map[string]string{"client_id": "spa-implicit", "response_type": "id_token token", "nonce": "n-1"},
			mode:   callback.ModeFragment, want: map[string]string{"token_type": "Bearer", "state": "state-123"}},
		{name: "wrong password", agent: Agent{Username: "alice", Password: "nope"},
			err: ErrLoginFailed, says: "login failed as alice: Wrong username or password."},
		{name: "unknown client: error page, no redirect", agent: Agent{Username: "alice"},
			params: map[string]string{"client_id": "nobody"}, err: ErrProviderPage, says: "instead of redirecting back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := tt.agent.Authorize(context.Background(), mockAuthorize(srv, tt.params))
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.says) {
					t.Fatalf("err = %v, want %v saying %q", err, tt.err, tt.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Callback.Mode != tt.mode {
				t.Fatalf("mode = %q, want %q (%+v)", res.Callback.Mode, tt.mode, res.Callback)
			}
			for k, v := range tt.want {
				if res.Callback.Params[k] != v {
					t.Fatalf("%s = %q, want %q (%+v)", k, res.Callback.Params[k], v, res.Callback.Params)
				}
			}
		})
	}
}

func BenchmarkAgentMockIdP(b *testing.B) {
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	defer srv.Close()
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	req := mockAuthorize(srv, map[string]string{"client_id": "native-app", "scope": "profile",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"})
	a := &Agent{Username: "alice"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authorize(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
