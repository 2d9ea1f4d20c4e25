package flows_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// TestDefaultScopeFollowsDiscovery: a browser flow given an issuer and no scope
// asks for openid when the provider publishes OpenID Connect discovery, and sends
// no scope to a plain OAuth server (RFC 8414 metadata only).
func TestDefaultScopeFollowsDiscovery(t *testing.T) {
	t.Parallel()
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	oidcTS := httptest.NewServer(idp)
	t.Cleanup(oidcTS.Close)
	// The same server with its OpenID discovery document hidden: to the client
	// it is an RFC 8414 authorization server.
	oauthTS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		idp.ServeHTTP(w, r)
	}))
	t.Cleanup(oauthTS.Close)

	scopeOf := func(req record.Request) (string, bool) {
		for _, p := range req.Params {
			if p.Name == "scope" {
				return p.Value, true
			}
		}
		return "", false
	}
	hasParam := func(req record.Request, name string) bool {
		for _, p := range req.Params {
			if p.Name == name {
				return true
			}
		}
		return false
	}
	planIDs := func(f flows.Flow) string {
		var ids []string
		for _, p := range f.Plan() {
			ids = append(ids, p.ID)
		}
		return strings.Join(ids, " ")
	}

	cases := []struct {
		name      string
		kind      flows.Kind
		issuer    string
		tweak     func(*flows.Config)
		wantScope string // "" means no scope parameter
		wantNote  string
		wantIDTok bool
	}{
		{"pkce, OpenID provider", flows.KindPKCE, oidcTS.URL, nil, "openid", "so the client asks for scope=openid", true},
		{"code, OpenID provider", flows.KindAuthorizationCode, oidcTS.URL, nil, "openid", "so the client asks for scope=openid", true},
		{"implicit, OpenID provider", flows.KindImplicit, oidcTS.URL, nil, "openid", "so the client asks for scope=openid", true},
		{"pkce, OAuth server", flows.KindPKCE, oauthTS.URL, nil, "", "treats it as a plain OAuth 2.0 server", false},
		{"code, OAuth server", flows.KindAuthorizationCode, oauthTS.URL, nil, "", "treats it as a plain OAuth 2.0 server", false},
		{"pkce, scope given", flows.KindPKCE, oidcTS.URL, func(c *flows.Config) { c.Scopes = []string{"api:read"} }, "api:read", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := demoConfig(tc.kind, tc.issuer)
			cfg.Scopes = nil
			cfg.Authorizer = &useragent.Agent{Username: "alice", Password: "alice"}
			if tc.tweak != nil {
				tc.tweak(&cfg)
			}
			f := newFlow(t, tc.kind, cfg)
			disc := f.Next(t.Context(), flows.StepInput{})
			if disc.ID != "discovery" || disc.Failed() {
				t.Fatalf("discovery: %s %s", disc.Status, disc.Explanation)
			}
			if tc.wantNote != "" && !strings.Contains(disc.Explanation, tc.wantNote) {
				t.Errorf("discovery explanation does not say %q:\n%s", tc.wantNote, disc.Explanation)
			}
			if tc.wantNote == "" && strings.Contains(disc.Explanation, "No scope was given") {
				t.Errorf("a scope was given, but the explanation says otherwise:\n%s", disc.Explanation)
			}
			if got := strings.Contains(planIDs(f), "id-token"); got != tc.wantIDTok && tc.kind != flows.KindImplicit {
				t.Errorf("plan %q: ID token step present = %v, want %v", planIDs(f), got, tc.wantIDTok)
			}
			// Run up to the authorization request and look at what it sends.
			for !f.Done() {
				req, ok := f.Pending()
				if ok && req.StepID == "authorize" {
					scope, has := scopeOf(req)
					if tc.wantScope == "" && has {
						t.Errorf("scope %q sent to a plain OAuth server", scope)
					}
					if tc.wantScope != "" && scope != tc.wantScope {
						t.Errorf("scope = %q (sent: %v), want %q", scope, has, tc.wantScope)
					}
					if hasParam(req, "nonce") != (tc.wantScope == "openid") {
						t.Errorf("nonce sent = %v with scope %q", hasParam(req, "nonce"), scope)
					}
				}
				f.Next(t.Context(), flows.StepInput{})
			}
			recs := f.Records()
			last := lastStep(recs)
			if tc.wantScope == "" {
				// The bundled IdP has no default scope, so it refuses the request
				// as RFC 6749 §3.3 allows: the refusal shows no scope was sent.
				if last.ID != "callback" || last.Error == nil || !strings.Contains(last.Error.Message, "invalid_scope") {
					t.Fatalf("want the provider's invalid_scope at the callback, got %s: %+v", stepIDs(recs), last.Error)
				}
				return
			}
			if last.Failed() {
				t.Fatalf("flow failed: %s\n%+v\n%+v", stepIDs(recs), last.Error, last.Checks)
			}
			sawIDToken := false
			for _, r := range recs {
				for _, a := range r.Artifacts {
					if a.Name == "id_token" {
						sawIDToken = true
					}
				}
			}
			if sawIDToken != tc.wantIDTok {
				t.Errorf("ID token seen = %v, want %v (%s)", sawIDToken, tc.wantIDTok, stepIDs(recs))
			}
		})
	}
}
