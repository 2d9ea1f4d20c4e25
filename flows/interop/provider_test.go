package interop

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// These tests prove the provider and its set-up with well-known client libraries
// (x/oauth2, go-oidc) before the engine is tested against it in engine_test.go: when
// they fail, the problem is in scripts/interop, not in the engine.

// discoveryDoc holds the metadata fields the tests look at.
type discoveryDoc struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported               []string `json:"scopes_supported"`
	ISSParameterSupported         bool     `json:"authorization_response_iss_parameter_supported"`
}

func discover(t *testing.T, ctx context.Context, issuer string) discoveryDoc {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: status %d", resp.StatusCode)
	}
	var doc discoveryDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return doc
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOIDCProviderDiscovery(t *testing.T) {
	t.Parallel()
	p := StartOIDCProvider(t)
	doc := discover(t, testContext(t), p.Issuer)

	if doc.Issuer != p.Issuer {
		t.Errorf("issuer = %q, want %q", doc.Issuer, p.Issuer)
	}
	for _, c := range []struct {
		field string
		got   []string
		want  string
	}{
		{"response_types_supported", doc.ResponseTypesSupported, "code"},
		{"response_types_supported", doc.ResponseTypesSupported, "id_token"},
		{"response_types_supported", doc.ResponseTypesSupported, "id_token token"},
		{"grant_types_supported", doc.GrantTypesSupported, "client_credentials"},
		{"grant_types_supported", doc.GrantTypesSupported, "implicit"},
		{"code_challenge_methods_supported", doc.CodeChallengeMethodsSupported, "S256"},
		{"token_endpoint_auth_methods_supported", doc.TokenEndpointAuthMethods, "client_secret_basic"},
		{"token_endpoint_auth_methods_supported", doc.TokenEndpointAuthMethods, "client_secret_post"},
		{"token_endpoint_auth_methods_supported", doc.TokenEndpointAuthMethods, "none"},
		{"scopes_supported", doc.ScopesSupported, "api:read"},
	} {
		if !slices.Contains(c.got, c.want) {
			t.Errorf("%s = %q, want it to contain %q", c.field, c.got, c.want)
		}
	}
	if !doc.ISSParameterSupported {
		t.Error("authorization_response_iss_parameter_supported is false, want true (RFC 9207)")
	}
	// A known difference from the bundled IdP: oidc-provider offers S256 only.
	if slices.Contains(doc.CodeChallengeMethodsSupported, "plain") {
		t.Logf("oidc-provider now supports PKCE plain; update the known differences in scripts/interop/provider.mjs")
	}
}

func TestOIDCProviderClientCredentials(t *testing.T) {
	t.Parallel()
	p := StartOIDCProvider(t)
	ctx := testContext(t)
	doc := discover(t, ctx, p.Issuer)

	for _, c := range []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader},
		{"client_secret_post", oauth2.AuthStyleInParams},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := clientcredentials.Config{
				ClientID:     MachineID,
				ClientSecret: MachineSecret,
				TokenURL:     doc.TokenEndpoint,
				Scopes:       []string{"api:read", "api:write"},
				AuthStyle:    c.style,
			}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.AccessToken == "" || tok.TokenType != "Bearer" {
				t.Errorf("token type %q, access token %q; want a Bearer token", tok.TokenType, tok.AccessToken)
			}
			if got := tok.Extra("scope"); got != "api:read api:write" {
				t.Errorf("scope = %v, want %q", got, "api:read api:write")
			}
			if tok.Expiry.IsZero() {
				t.Error("no expires_in")
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		cfg := clientcredentials.Config{
			ClientID: MachineID, ClientSecret: "wrong", TokenURL: doc.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInHeader,
		}
		_, err := cfg.Token(ctx)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("err = %v, want invalid_client (RFC 6749 §5.2)", err)
		}
	})
}

// TestOIDCProviderAuthorizationCode walks the code flow with the test browser and
// well-known client libraries: x/oauth2 builds the request and exchanges the code,
// go-oidc verifies the ID token.
func TestOIDCProviderAuthorizationCode(t *testing.T) {
	t.Parallel()
	p := StartOIDCProvider(t)
	ctx := testContext(t)
	doc := discover(t, ctx, p.Issuer)
	oidcProvider, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}

	for _, c := range []struct {
		name     string
		clientID string
		secret   string
		style    oauth2.AuthStyle
		pkce     bool
		// redirectURI uses a port nothing listens on: the browser stops before it.
		redirectURI string
	}{
		{"web-app client_secret_basic", WebAppID, WebAppSecret, oauth2.AuthStyleInHeader, false, "http://127.0.0.1:49152/callback"},
		{"web-app client_secret_post", WebAppID, WebAppSecret, oauth2.AuthStyleInParams, false, "http://localhost:8080/callback"},
		{"native-app PKCE S256", NativeAppID, "", oauth2.AuthStyleInParams, true, "http://127.0.0.1:61000/callback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := oauth2.Config{
				ClientID:     c.clientID,
				ClientSecret: c.secret,
				Endpoint: oauth2.Endpoint{
					AuthURL: doc.AuthorizationEndpoint, TokenURL: doc.TokenEndpoint, AuthStyle: c.style,
				},
				RedirectURL: c.redirectURI,
				Scopes:      []string{oidc.ScopeOpenID, "profile", "email"},
			}
			state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
			opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce)}
			if c.pkce {
				opts = append(opts, oauth2.S256ChallengeOption(verifier))
			}

			b := newTestBrowser(t, "alice")
			resp, err := b.authorize(ctx, cfg.AuthCodeURL(state, opts...), c.redirectURI)
			if err != nil {
				t.Fatalf("authorize: %v", err)
			}
			t.Logf("hops:\n%s", strings.Join(b.hops, "\n"))
			if got := resp.Get("state"); got != state {
				t.Errorf("state = %q, want %q", got, state)
			}
			if got := resp.Get("iss"); got != p.Issuer {
				t.Errorf("iss = %q, want %q (RFC 9207)", got, p.Issuer)
			}
			code := resp.Get("code")
			if code == "" {
				t.Fatalf("no code in %v", resp)
			}

			var exchangeOpts []oauth2.AuthCodeOption
			if c.pkce {
				exchangeOpts = append(exchangeOpts, oauth2.VerifierOption(verifier))
			}
			tok, err := cfg.Exchange(ctx, code, exchangeOpts...)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			rawID, _ := tok.Extra("id_token").(string)
			if rawID == "" {
				t.Fatal("no id_token in the token response")
			}
			idt, err := oidcProvider.Verifier(&oidc.Config{ClientID: c.clientID}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if idt.Subject != "alice" || idt.Nonce != nonce {
				t.Errorf("ID token sub %q nonce %q, want alice and %q", idt.Subject, idt.Nonce, nonce)
			}
			// at_hash is optional in the code flow (OIDC Core §3.1.3.6) and oidc-provider
			// leaves it out: a client must not fail a code-flow ID token without it.
			if idt.AccessTokenHash != "" {
				if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
					t.Errorf("at_hash: %v", err)
				}
			}

			info, err := oidcProvider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if info.Subject != "alice" || info.Email != "alice@example.com" {
				t.Errorf("userinfo sub %q email %q, want alice and alice@example.com", info.Subject, info.Email)
			}

			// The code is single-use, and a replay revokes the tokens it issued
			// (RFC 6749 §4.1.2).
			_, err = cfg.Exchange(ctx, code, exchangeOpts...)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("replayed code: err = %v, want invalid_grant", err)
			}
			if _, err := oidcProvider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
				t.Error("the access token still works after the code was replayed")
			}
		})
	}

	t.Run("native-app without PKCE is refused", func(t *testing.T) {
		cfg := oauth2.Config{
			ClientID:    NativeAppID,
			Endpoint:    oauth2.Endpoint{AuthURL: doc.AuthorizationEndpoint, TokenURL: doc.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: "http://127.0.0.1:61000/callback",
			Scopes:      []string{oidc.ScopeOpenID},
		}
		resp, err := newTestBrowser(t, "alice").authorize(ctx, cfg.AuthCodeURL("s"), cfg.RedirectURL)
		if err != nil {
			t.Fatalf("authorize: %v", err)
		}
		if resp.Get("error") != "invalid_request" {
			t.Errorf("response %v, want error=invalid_request (PKCE required for public clients)", resp)
		}
	})
}

// TestOIDCProviderImplicit walks the implicit flow (OIDC Core §3.2) with spa-implicit:
// the tokens come back in the fragment, and the ID token carries at_hash when an access
// token is issued with it.
func TestOIDCProviderImplicit(t *testing.T) {
	t.Parallel()
	p := StartOIDCProvider(t)
	ctx := testContext(t)
	doc := discover(t, ctx, p.Issuer)
	oidcProvider, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	const redirectURI = "http://127.0.0.1:53682/callback"

	for _, responseType := range []string{"id_token token", "id_token"} {
		t.Run(responseType, func(t *testing.T) {
			state, nonce := rand.Text(), rand.Text()
			q := url.Values{
				"client_id":     {SPAImplicitID},
				"response_type": {responseType},
				"redirect_uri":  {redirectURI},
				"scope":         {"openid profile"},
				"state":         {state},
				"nonce":         {nonce},
			}
			resp, err := newTestBrowser(t, "alice").authorize(ctx, doc.AuthorizationEndpoint+"?"+q.Encode(), redirectURI)
			if err != nil {
				t.Fatalf("authorize: %v", err)
			}
			if got := resp.Get("state"); got != state {
				t.Errorf("state = %q, want %q", got, state)
			}
			// oidc-provider leaves RFC 9207 iss out of responses that carry an ID token,
			// whose own iss claim identifies the issuer: a client checks iss only when
			// present.
			if got, ok := resp["iss"]; ok && (len(got) != 1 || got[0] != p.Issuer) {
				t.Errorf("iss = %q, want %q (RFC 9207)", got, p.Issuer)
			}
			idt, err := oidcProvider.Verifier(&oidc.Config{ClientID: SPAImplicitID}).Verify(ctx, resp.Get("id_token"))
			if err != nil {
				t.Fatalf("ID token: %v (response %v)", err, resp)
			}
			if idt.Subject != "alice" || idt.Nonce != nonce {
				t.Errorf("ID token sub %q nonce %q, want alice and %q", idt.Subject, idt.Nonce, nonce)
			}
			at := resp.Get("access_token")
			switch {
			case responseType == "id_token" && at != "":
				t.Errorf("response_type id_token returned an access token")
			case responseType == "id_token token":
				if at == "" {
					t.Fatal("no access_token")
				}
				// at_hash is required with an access token (OIDC Core §3.2.2.10).
				if err := idt.VerifyAccessToken(at); err != nil {
					t.Errorf("at_hash: %v", err)
				}
			}
		})
	}
}
