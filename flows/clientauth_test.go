package flows_test

import (
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

// jwtClient configures the bundled IdP's demo JWT client for method.
func jwtClient(cfg *flows.Config, method string) {
	switch method {
	case flows.AuthPrivateKeyJWT:
		cfg.Client.ID, cfg.Client.Secret = mockidp.DemoPrivateKeyJWTClient, ""
		cfg.Client.PrivateKey = []byte(mockidp.DemoClientKeyPEM)
		cfg.Client.KeyID = mockidp.DemoClientKeyID
	case flows.AuthClientSecretJWT:
		cfg.Client.ID, cfg.Client.Secret = mockidp.DemoClientSecretJWTClient, mockidp.DemoClientSecretJWTSecret
	}
	cfg.Client.AuthMethod = method
}

// assertionArtifact finds the decoded client assertion on a step.
func assertionArtifact(t *testing.T, s record.Step) record.Artifact {
	t.Helper()
	for _, a := range s.Artifacts {
		if a.Name == "client_assertion" {
			return a
		}
	}
	t.Fatalf("step %s has no client_assertion artifact", s.ID)
	return record.Artifact{}
}

func claim(tok *record.Token, name string) any {
	for _, c := range tok.Claims {
		if c.Name == name {
			return c.Value
		}
	}
	for _, c := range tok.Header {
		if c.Name == name {
			return c.Value
		}
	}
	return nil
}

func TestJWTClientAuthEndToEnd(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	for _, tc := range []struct {
		kind     flows.Kind
		method   string
		alg, kid string
	}{
		{flows.KindAuthorizationCode, flows.AuthPrivateKeyJWT, "ES256", mockidp.DemoClientKeyID},
		{flows.KindAuthorizationCode, flows.AuthClientSecretJWT, "HS256", ""},
		{flows.KindClientCredentials, flows.AuthPrivateKeyJWT, "ES256", mockidp.DemoClientKeyID},
		{flows.KindClientCredentials, flows.AuthClientSecretJWT, "HS256", ""},
	} {
		t.Run(string(tc.kind)+"/"+tc.method, func(t *testing.T) {
			t.Parallel()
			cfg := demoConfig(tc.kind, ts.URL)
			jwtClient(&cfg, tc.method)
			f := newFlow(t, tc.kind, cfg)
			recs := runAll(t, f, nil)
			if last := lastStep(recs); last.Failed() {
				t.Fatalf("flow failed at %s: %v", last.ID, last.Error)
			}
			var tokStep record.Step
			for _, r := range recs {
				if r.ID == "token" {
					tokStep = r
				}
			}
			req := tokStep.Request
			if req == nil || req.Get("client_assertion_type") != flows.ClientAssertionType || req.Has("client_secret") {
				t.Fatalf("token request = %+v, want a client assertion and no secret", req)
			}
			body := tokStep.Exchanges[0].Request.Body
			if !strings.Contains(body, "client_assertion=") || strings.Contains(body, "client_secret") {
				t.Errorf("wire body %q", body)
			}
			if h := tokStep.Exchanges[0].Request.Header.Get("Authorization"); h != "" {
				t.Errorf("Authorization header %q sent with a client assertion", h)
			}
			a := assertionArtifact(t, tokStep)
			if a.Token == nil || a.Token.Format != record.FormatJWT {
				t.Fatalf("assertion not decoded: %+v", a.Token)
			}
			id := cfg.Client.ID
			if claim(a.Token, "iss") != id || claim(a.Token, "sub") != id || claim(a.Token, "aud") != ts.URL+"/token" ||
				claim(a.Token, "jti") == nil || claim(a.Token, "exp") == nil || claim(a.Token, "iat") == nil {
				t.Errorf("assertion claims = %+v", a.Token.Claims)
			}
			if claim(a.Token, "alg") != tc.alg {
				t.Errorf("alg = %v, want %s", claim(a.Token, "alg"), tc.alg)
			}
			if tc.kid != "" && claim(a.Token, "kid") != tc.kid {
				t.Errorf("kid = %v, want %s", claim(a.Token, "kid"), tc.kid)
			}
		})
	}
}

// TestJWTClientAuthRefused: what the provider says about a tampered or wrong assertion.
func TestJWTClientAuthRefused(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	wrongKey := []byte(`{"kty":"EC","crv":"P-256","kid":"web-app-jwt-1",` +
		`"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",` +
		`"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`)
	first := ""
	for _, tc := range []struct {
		name   string
		tweak  func(*flows.Config)
		edit   func(record.Request) *record.Request
		reason string
	}{
		{"wrong key", func(c *flows.Config) { c.Client.PrivateKey = wrongKey }, nil, "not signed by a key registered"},
		{"wrong secret", func(c *flows.Config) {
			jwtClient(c, flows.AuthClientSecretJWT)
			c.Client.Secret = "not-the-secret-of-web-app-hmac-at-all"
		}, nil, "signature"},
		{"assertion removed", nil, func(r record.Request) *record.Request { e := r.Without("client_assertion"); return &e }, ""},
		{"replayed assertion", nil, func(r record.Request) *record.Request {
			if first == "" {
				return nil
			}
			e := r.With("client_assertion", first)
			return &e
		}, "replay"},
	} {
		cfg := demoConfig(flows.KindClientCredentials, ts.URL)
		jwtClient(&cfg, flows.AuthPrivateKeyJWT)
		if tc.tweak != nil {
			tc.tweak(&cfg)
		}
		if tc.name == "replayed assertion" {
			// Spend one assertion first.
			recs := runAll(t, newFlow(t, flows.KindClientCredentials, cfg), func(r record.Request) *record.Request {
				first = r.Get("client_assertion")
				return nil
			})
			if lastStep(recs).Failed() {
				t.Fatalf("first use refused: %v", lastStep(recs).Error)
			}
		}
		recs := runAll(t, newFlow(t, flows.KindClientCredentials, cfg), tc.edit)
		last := lastStep(recs)
		if !last.Failed() || last.Error.Protocol == nil {
			t.Errorf("%s: want a protocol error, got %+v", tc.name, last.Error)
			continue
		}
		p := last.Error.Protocol
		if p.Code != "invalid_client" && !(tc.reason == "" && p.Code == "invalid_request") {
			t.Errorf("%s: error = %s (%s)", tc.name, p.Code, p.Description)
		}
		if !strings.Contains(p.Description, tc.reason) {
			t.Errorf("%s: description %q does not say %q", tc.name, p.Description, tc.reason)
		}
	}
}

func TestParseClientKey(t *testing.T) {
	t.Parallel()
	if k, err := flows.ParseClientKey([]byte(mockidp.DemoClientKeyPEM)); err != nil || k.IsPublic() {
		t.Fatalf("demo key: %v", err)
	}
	for _, bad := range []string{"", "not a key", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", `{"kty":"oct","k":"AAAA"}`} {
		if _, err := flows.ParseClientKey([]byte(bad)); err == nil {
			t.Errorf("%q: parsed", bad)
		}
	}
}
