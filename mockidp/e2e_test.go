package mockidp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// These tests drive the mock with independent clients: golang.org/x/oauth2
// for the exchanges and coreos/go-oidc for ID token verification.

const cb = "http://127.0.0.1:5555/callback" // any port matches the loopback registration

func (d *testIDP) oidcProvider(ctx context.Context) *oidc.Provider {
	d.t.Helper()
	p, err := oidc.NewProvider(ctx, d.iss)
	if err != nil {
		d.t.Fatalf("discovery: %v", err)
	}
	return p
}

func (d *testIDP) verifier(p *oidc.Provider, clientID string) *oidc.IDTokenVerifier {
	return p.Verifier(&oidc.Config{ClientID: clientID, Now: d.srv.Now,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA}})
}

func (d *testIDP) oauth2Config(clientID, secret string, style oauth2.AuthStyle, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: clientID, ClientSecret: secret, RedirectURL: cb, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: d.iss + "/authorize", TokenURL: d.iss + "/token",
			DeviceAuthURL: d.iss + "/device_authorization", AuthStyle: style},
	}
}

func TestE2EAuthorizationCodePKCENative(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	ctx := context.Background()
	prov := d.oidcProvider(ctx)
	conf := d.oauth2Config("native-app", "", oauth2.AuthStyleInParams, "openid", "profile", "email", "offline_access")
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1"))
	res := browse(t, browser(t), authURL, cb, "alice", "allow")
	if res.mode != "query" || res.params.Get("state") != "st-1" || res.params.Get("iss") != d.iss {
		t.Fatalf("authorization response %v %v", res.mode, res.params)
	}
	tok, err := conf.Exchange(ctx, res.params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := d.verifier(prov, "native-app").Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != "n-1" || idt.Subject != "alice" {
		t.Errorf("nonce %q sub %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var cl struct {
		Email    string `json:"email"`
		Azp      string `json:"azp"`
		Sid      string `json:"sid"`
		AuthTime int64  `json:"auth_time"`
	}
	if err := idt.Claims(&cl); err != nil || cl.Email != "alice@example.com" || cl.Azp != "native-app" || cl.Sid == "" || cl.AuthTime != fixedNow.Unix() {
		t.Errorf("claims %+v %v", cl, err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token although offline_access was granted")
	}
	ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != "alice" || ui.Email != "alice@example.com" {
		t.Fatalf("userinfo %+v %v", ui, err)
	}

	// Refresh rotates; reusing the old refresh token revokes the chain.
	old := tok.RefreshToken
	tok.Expiry = time.Unix(1, 0)
	tok2, err := conf.TokenSource(ctx, tok).Token()
	if err != nil || tok2.RefreshToken == "" || tok2.RefreshToken == old {
		t.Fatalf("refresh: %v (new rt %q)", err, tok2.RefreshToken)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh reuse: %v", err)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("chain not revoked after reuse: %v", err)
	}
	if _, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok2)); err == nil {
		t.Fatal("access token from the revoked chain still works at userinfo")
	}
}

func TestE2EWebAppAuthStyles(t *testing.T) {
	t.Parallel()
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		d := newIDP(t, Options{})
		ctx := context.Background()
		prov := d.oidcProvider(ctx)
		conf := d.oauth2Config("web-app", "web-app-secret", style, "openid", "email")
		res := browse(t, browser(t), conf.AuthCodeURL("s", oidc.Nonce("n")), cb, "bob", "allow")
		tok, err := conf.Exchange(ctx, res.params.Get("code"))
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		idt, err := d.verifier(prov, "web-app").Verify(ctx, tok.Extra("id_token").(string))
		if err != nil || idt.Subject != "bob" {
			t.Fatalf("verify: %v", err)
		}
		if tok.RefreshToken != "" {
			t.Error("refresh token without offline_access")
		}
	}
}

func TestE2EClientCredentials(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{ClientID: "machine", ClientSecret: "machine-secret", TokenURL: d.iss + "/token",
			Scopes: []string{"api:read"}, AuthStyle: style, EndpointParams: url.Values{"resource": {"https://api.example/"}}}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h, c := headerOf(t, tok.AccessToken), claimsOf(t, tok.AccessToken)
		if h["typ"] != "at+jwt" || c["aud"] != "https://api.example/" || c["sub"] != "machine" || c["scope"] != "api:read" || c["client_id"] != "machine" {
			t.Errorf("access token %v %v", h, c)
		}
		if tok.RefreshToken != "" {
			t.Error("client_credentials must not return a refresh token (RFC 6749 §4.4.3)")
		}
	}
}

func TestE2EImplicitAndHybrid(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	ctx := context.Background()
	prov := d.oidcProvider(ctx)
	tests := []struct {
		name, client, rt, mode string
		wantMode               string
	}{
		{"implicit id_token token", "spa-implicit", "id_token token", "", "fragment"},
		{"implicit id_token form_post", "spa-implicit", "id_token", "form_post", "form_post"},
		{"hybrid code id_token", "web-app", "code id_token", "", "fragment"},
	}
	for _, tc := range tests {
		conf := d.oauth2Config(tc.client, "", oauth2.AuthStyleInParams, "openid", "profile")
		opts := []oauth2.AuthCodeOption{oidc.Nonce("nn"), oauth2.SetAuthURLParam("response_type", tc.rt)}
		if tc.mode != "" {
			opts = append(opts, oauth2.SetAuthURLParam("response_mode", tc.mode))
		}
		u := conf.AuthCodeURL("st", opts...) // the response_type option replaces x/oauth2's "code"
		res := browse(t, browser(t), u, cb, "alice", "allow")
		if res.mode != tc.wantMode || res.params.Get("iss") != d.iss || res.params.Get("state") != "st" {
			t.Fatalf("%s: %s %v", tc.name, res.mode, res.params)
		}
		idt, err := d.verifier(prov, tc.client).Verify(ctx, res.params.Get("id_token"))
		if err != nil || idt.Nonce != "nn" {
			t.Fatalf("%s: verify %v", tc.name, err)
		}
		if at := res.params.Get("access_token"); at != "" {
			if err := idt.VerifyAccessToken(at); err != nil {
				t.Errorf("%s: at_hash %v", tc.name, err)
			}
		}
		if code := res.params.Get("code"); code != "" {
			var c struct {
				CHash string `json:"c_hash"`
			}
			_ = idt.Claims(&c)
			if c.CHash != halfHash("RS256", code) {
				t.Errorf("%s: c_hash %q", tc.name, c.CHash)
			}
		}
	}
}

func TestE2EDevice(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{Config: &Config{Lifetimes: Lifetimes{DeviceInterval: time.Second}}})
	ctx := context.Background()
	conf := d.oauth2Config("device-app", "", oauth2.AuthStyleInParams, "openid", "offline_access")
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll := func() (int, map[string]any) {
		st, _, m := d.post("/token", url.Values{"grant_type": {GrantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {"device-app"}}, "", "")
		return st, m
	}
	if st, m := poll(); st != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("first poll %d %v", st, m)
	}
	if _, m := poll(); m["error"] != "slow_down" { // no time passed
		t.Fatalf("fast poll %v", m)
	}
	d.srv.Advance(10 * time.Second)
	if _, m := poll(); m["error"] != "authorization_pending" {
		t.Fatalf("poll after waiting %v", m)
	}
	// The user opens verification_uri_complete, logs in and allows.
	c := browser(t)
	p := do(t, c, http.MethodGet, da.VerificationURIComplete, nil)
	action, form := formOf(t, p)
	p = do(t, c, http.MethodPost, action, form) // the login page
	action, form = formOf(t, p)
	form.Set("demo_user", "bob")
	p = do(t, c, http.MethodPost, action, form) // the consent page
	action, form = formOf(t, p)
	form.Set("decision", "allow")
	p = do(t, c, http.MethodPost, action, form)
	if p.status != 200 || !strings.Contains(p.body, "Device connected") {
		t.Fatalf("device consent: %d %s", p.status, p.body)
	}
	tok, err := conf.DeviceAccessToken(ctx, da) // x/oauth2 polls once after 1 s
	if err != nil {
		t.Fatal(err)
	}
	if c := claimsOf(t, tok.Extra("id_token").(string)); c["sub"] != "bob" || tok.RefreshToken == "" {
		t.Fatalf("device tokens %v rt=%q", c, tok.RefreshToken)
	}
	if _, m := poll(); m["error"] != "invalid_grant" {
		t.Fatalf("device code reuse: %v", m)
	}
}
