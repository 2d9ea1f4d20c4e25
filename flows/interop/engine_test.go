package interop

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
)

// These tests run each of the four flows through the engine, headless, against
// oidc-provider, with the engine's built-in user agent (flows/useragent) signing in
// through oidc-provider's development login and consent forms (see browser_test.go for
// what they look like). Every step must end done and every client check must pass.

// engineCase is one flow run against oidc-provider.
type engineCase struct {
	name string
	kind flows.Kind
	// client, scopes and the rest of the flow's configuration; Provider and Authorizer
	// are filled in by the test.
	cfg flows.Config
	// wantIDToken: the flow must end with an ID token whose checks all passed.
	wantIDToken bool
	// wantAccessToken: the flow must end with an access token.
	wantAccessToken bool
}

func engineCases() []engineCase {
	const redirect = "http://127.0.0.1:53682/callback" // any port: oidc-provider follows RFC 8252 §7.3
	oidcScopes := []string{"openid", "profile", "email"}
	return []engineCase{
		{
			name: "authorization-code web-app client_secret_basic",
			kind: flows.KindAuthorizationCode,
			cfg: flows.Config{
				Client: flows.Client{ID: WebAppID, Secret: WebAppSecret, AuthMethod: "client_secret_basic", RedirectURI: redirect},
				Scopes: oidcScopes,
			},
			wantIDToken: true, wantAccessToken: true,
		},
		{
			name: "authorization-code web-app client_secret_post",
			kind: flows.KindAuthorizationCode,
			cfg: flows.Config{
				Client: flows.Client{ID: WebAppID, Secret: WebAppSecret, AuthMethod: "client_secret_post", RedirectURI: "http://localhost:8765/callback"},
				Scopes: oidcScopes,
			},
			wantIDToken: true, wantAccessToken: true,
		},
		{
			name: "pkce native-app S256",
			kind: flows.KindPKCE,
			cfg: flows.Config{
				Client:     flows.Client{ID: NativeAppID, AuthMethod: "none", RedirectURI: redirect},
				Scopes:     oidcScopes,
				PKCEMethod: "S256",
			},
			wantIDToken: true, wantAccessToken: true,
		},
		{
			name: "pkce native-app plain OAuth 2.0 (no openid scope)",
			kind: flows.KindPKCE,
			cfg: flows.Config{
				Client: flows.Client{ID: NativeAppID, AuthMethod: "none", RedirectURI: redirect},
				// oidc-provider refuses a grant with no scope at all (access_denied);
				// a resource scope makes it a plain OAuth 2.0 request.
				Scopes: []string{"api:read"},
			},
			wantAccessToken: true,
		},
		{
			name: "authorization-code web-app response_mode form_post",
			kind: flows.KindAuthorizationCode,
			cfg: flows.Config{
				Client:       flows.Client{ID: WebAppID, Secret: WebAppSecret, AuthMethod: "client_secret_basic", RedirectURI: redirect},
				Scopes:       oidcScopes,
				ResponseMode: "form_post",
			},
			wantIDToken: true, wantAccessToken: true,
		},
		{
			name: "implicit spa-implicit id_token token",
			kind: flows.KindImplicit,
			cfg: flows.Config{
				Client:       flows.Client{ID: SPAImplicitID, AuthMethod: "none", RedirectURI: redirect},
				Scopes:       []string{"openid", "profile"},
				ResponseType: "id_token token",
			},
			wantIDToken: true, wantAccessToken: true,
		},
		{
			name: "implicit spa-implicit id_token",
			kind: flows.KindImplicit,
			cfg: flows.Config{
				Client:       flows.Client{ID: SPAImplicitID, AuthMethod: "none", RedirectURI: redirect},
				Scopes:       []string{"openid"},
				ResponseType: "id_token",
			},
			wantIDToken: true,
		},
		{
			name: "client-credentials machine client_secret_basic",
			kind: flows.KindClientCredentials,
			cfg: flows.Config{
				Client: flows.Client{ID: MachineID, Secret: MachineSecret, AuthMethod: "client_secret_basic"},
				Scopes: []string{"api:read", "api:write"},
			},
			wantAccessToken: true,
		},
		{
			name: "client-credentials machine client_secret_post",
			kind: flows.KindClientCredentials,
			cfg: flows.Config{
				Client: flows.Client{ID: MachineID, Secret: MachineSecret, AuthMethod: "client_secret_post"},
				Scopes: []string{"api:read"},
			},
			wantAccessToken: true,
		},
	}
}

func newAgent() *useragent.Agent {
	// oidc-provider's dev login takes any login and password; the agent fills its
	// "login" and "password" inputs and presses the unnamed "Continue" button on the
	// consent page.
	return &useragent.Agent{Username: "alice", Password: "any password works"}
}

// runFlow runs f to the end and returns its records. It fails the test if the flow
// does not finish within its plan.
func runFlow(t *testing.T, ctx context.Context, f flows.Flow) []record.Step {
	t.Helper()
	limit := len(f.Plan()) + 1
	var steps []record.Step
	for i := 0; !f.Done(); i++ {
		if i == limit {
			t.Fatalf("the flow did not finish after %d steps (plan: %d)", i, len(f.Plan()))
		}
		steps = append(steps, f.Next(ctx, flows.StepInput{}))
	}
	return steps
}

// describe renders a step for failure messages: status, error, failed checks.
func describe(s record.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d %s (%s): %s", s.Index, s.ID, s.Title, s.Status)
	if s.Error != nil {
		fmt.Fprintf(&b, "\n  error (%s): %s", s.Error.Kind, s.Error.Message)
		if s.Error.Protocol != nil {
			fmt.Fprintf(&b, " [%s: %s]", s.Error.Protocol.Code, s.Error.Protocol.Description)
		}
	}
	for _, c := range s.FailedChecks() {
		fmt.Fprintf(&b, "\n  check %q failed: expected %q, actual %q: %s (%s)", c.Name, c.Expected, c.Actual, c.Reason, c.Spec)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "\n  warning: %s", w)
	}
	for _, ex := range s.Exchanges {
		if ex.Response != nil && ex.Response.Status >= 400 {
			fmt.Fprintf(&b, "\n  %s %s -> %d %s", ex.Request.Method, ex.Request.URL, ex.Response.Status, truncate(ex.Response.Body, 300))
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func TestEngineAgainstOIDCProvider(t *testing.T) {
	t.Parallel()
	p := StartOIDCProvider(t)

	for _, c := range engineCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			cfg := c.cfg
			cfg.Provider = flows.Provider{Name: "oidc-provider", Issuer: p.Issuer}
			if info, _ := flows.LookupKind(string(c.kind)); info.Browser {
				cfg.Authorizer = newAgent()
			}
			f, err := flows.New(c.kind, cfg)
			if err != nil {
				t.Fatalf("flows.New: %v", err)
			}
			steps := runFlow(t, ctx, f)

			plan := f.Plan()
			if len(steps) != len(plan) {
				t.Errorf("ran %d steps, plan has %d", len(steps), len(plan))
			}
			for i, s := range steps {
				optional := i < len(plan) && plan[i].Optional
				switch {
				case s.Status == record.StatusDone:
				case s.Status == record.StatusSkipped && optional:
					t.Logf("optional step %s skipped", s.ID)
				default:
					t.Errorf("%s", describe(s))
				}
				// Checks that failed fail the test even on a step marked done.
				if s.Status == record.StatusDone && len(s.FailedChecks()) > 0 {
					t.Errorf("%s", describe(s))
				}
				for _, w := range s.Warnings {
					t.Logf("step %s warning: %s", s.ID, w)
				}
			}

			if cfg.ResponseMode == "form_post" && !formPosted(steps, cfg.Client.RedirectURI) {
				t.Error("response_mode=form_post: no step saw the response posted to the redirect URI")
			}

			toks := f.Tokens()
			if c.wantAccessToken && toks.AccessToken == "" {
				t.Error("no access token at the end of the flow")
			}
			if !c.wantAccessToken && toks.AccessToken != "" {
				t.Error("an access token came back, none was asked for")
			}
			if c.wantIDToken {
				checkIDToken(t, steps, toks, c.kind == flows.KindImplicit && c.wantAccessToken)
			}
		})
	}
}

// checkIDToken asserts that the flow holds an ID token, that some step verified it,
// and that every check made on it passed: signature and kid against the JWKS, iss,
// aud, exp, iat, nonce, and at_hash / c_hash where they apply (OIDC Core §3.1.3.7,
// §3.2.2.11).
func checkIDToken(t *testing.T, steps []record.Step, toks flows.Tokens, implicitWithAccessToken bool) {
	t.Helper()
	if toks.IDToken == "" {
		t.Error("no ID token at the end of the flow")
		return
	}
	var verified bool
	var checks []record.Check
	for _, s := range steps {
		for _, a := range s.Artifacts {
			if a.Name != "id_token" || a.Token == nil {
				continue
			}
			if a.Token.Verified {
				verified = true
			}
			checks = append(checks, a.Token.Checks...)
		}
	}
	if !verified {
		t.Error("no step verified the ID token's signature")
	}
	if len(checks) == 0 {
		t.Error("no checks were recorded on the ID token")
	}
	outcomes := map[string]record.Outcome{}
	for _, c := range checks {
		outcomes[c.Name] = c.Outcome
		if c.Outcome == record.OutcomeFail {
			t.Errorf("ID token check %q failed: expected %q, actual %q: %s", c.Name, c.Expected, c.Actual, c.Reason)
		}
	}
	// The checks OIDC Core §3.1.3.7 makes mandatory must have run and passed, not been
	// skipped; at_hash too when an access token came with the ID token from the
	// authorization endpoint (§3.2.2.9).
	want := []string{"signature", "kid", "iss", "aud", "exp", "iat", "nonce"}
	if implicitWithAccessToken {
		want = append(want, "at_hash")
	}
	for _, name := range want {
		if got, ok := outcomes[name]; !ok || got != record.OutcomePass {
			t.Errorf("ID token check %q: outcome %q, want pass (checks made: %v)", name, got, keys(outcomes))
		}
	}
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// formPosted reports whether the user agent saw the authorization response posted to
// the redirect URI (OAuth 2.0 Form Post Response Mode §2).
func formPosted(steps []record.Step, redirectURI string) bool {
	for _, s := range steps {
		for _, r := range s.Redirects {
			if r.Method == "POST" && strings.HasPrefix(r.To, redirectURI) {
				return true
			}
		}
	}
	return false
}
