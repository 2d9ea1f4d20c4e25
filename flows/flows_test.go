package flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// idp starts a fresh bundled provider on loopback for one test.
func idp(t testing.TB, opts mockidp.Options, faults ...mockidp.Fault) (*mockidp.Server, *httptest.Server) {
	t.Helper()
	opts.Faults = append(opts.Faults, faults...)
	if opts.KeyCacheDir == "" {
		opts.KeyCacheDir = filepath.Join("testdata", "idpkeys") // no RSA key generation per test
	}
	s, err := mockidp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// demoConfig is the bundled IdP's demo client for each flow, logging in as alice.
func demoConfig(kind flows.Kind, issuer string) flows.Config {
	cfg := flows.Config{
		Provider:   flows.Provider{Name: "bundled IdP", Issuer: issuer},
		Client:     flows.Client{RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"openid", "profile", "email"},
		Authorizer: &useragent.Agent{Username: "alice", Password: "alice"},
	}
	switch kind {
	case flows.KindAuthorizationCode:
		cfg.Client.ID, cfg.Client.Secret = "web-app", "web-app-secret"
	case flows.KindPKCE:
		cfg.Client.ID = "native-app"
	case flows.KindImplicit:
		cfg.Client.ID = "spa-implicit"
	case flows.KindClientCredentials:
		cfg.Client = flows.Client{ID: "machine", Secret: "machine-secret"}
		cfg.Scopes = []string{"api:read"}
		cfg.Authorizer = nil
	case flows.KindDevice:
		cfg.Client = flows.Client{ID: "device-app"}
		cfg.Scopes = []string{"openid", "profile", "offline_access", "api:read"}
	}
	return cfg
}

// runAll runs a flow to its end, applying edit to each pending request when given.
func runAll(t testing.TB, f flows.Flow, edit func(record.Request) *record.Request) []record.Step {
	t.Helper()
	ctx := context.Background()
	for i := 0; !f.Done(); i++ {
		if i > 20 {
			t.Fatal("flow does not end")
		}
		var in flows.StepInput
		if req, ok := f.Pending(); ok && edit != nil {
			in.Request = edit(req)
		}
		f.Next(ctx, in)
	}
	return f.Records()
}

func newFlow(t testing.TB, kind flows.Kind, cfg flows.Config) flows.Flow {
	t.Helper()
	f, err := flows.New(kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func stepIDs(recs []record.Step) string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID+":"+string(r.Status))
	}
	return strings.Join(ids, " ")
}

func lastStep(recs []record.Step) record.Step { return recs[len(recs)-1] }

func TestFlowsEndToEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		kind  flows.Kind
		tweak func(*flows.Config)
		want  string
	}{
		{"pkce oidc", flows.KindPKCE, nil,
			"discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{"pkce plain oauth", flows.KindPKCE, func(c *flows.Config) { c.Scopes = []string{"api:read"} },
			"discovery:done prepare:done authorize:done login:done callback:done token:done"},
		{"pkce plain method", flows.KindPKCE, func(c *flows.Config) { c.PKCEMethod = "plain" },
			"discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{"authorization code basic", flows.KindAuthorizationCode, nil,
			"discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{"authorization code post", flows.KindAuthorizationCode, func(c *flows.Config) { c.Client.AuthMethod = "client_secret_post" },
			"discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{"implicit id_token token", flows.KindImplicit, nil,
			"discovery:done prepare:done authorize:done login:done callback:done id-token:done"},
		{"implicit id_token", flows.KindImplicit, func(c *flows.Config) { c.ResponseType = "id_token" },
			"discovery:done prepare:done authorize:done login:done callback:done id-token:done"},
		{"client credentials basic", flows.KindClientCredentials, nil, "discovery:done token:done"},
		{"client credentials post", flows.KindClientCredentials, func(c *flows.Config) { c.Client.AuthMethod = "client_secret_post" },
			"discovery:done token:done"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ts := idp(t, mockidp.Options{})
			cfg := demoConfig(tc.kind, ts.URL)
			if tc.tweak != nil {
				tc.tweak(&cfg)
			}
			f := newFlow(t, tc.kind, cfg)
			if got, want := len(f.Plan()), strings.Count(tc.want, ":"); got != want {
				t.Errorf("plan has %d steps, want %d", got, want)
			}
			recs := runAll(t, f, nil)
			if got := stepIDs(recs); got != tc.want {
				for _, r := range recs {
					if r.Error != nil {
						t.Logf("%s: %s", r.ID, r.Error.Message)
					}
				}
				t.Fatalf("steps:\n got %s\nwant %s", got, tc.want)
			}
			if f.Tokens().AccessToken == "" && !(tc.kind == flows.KindImplicit && cfg.ResponseType == "id_token") {
				t.Error("no access token")
			}
		})
	}
}

func TestTamperedVerifierIsInvalidGrant(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	f := newFlow(t, flows.KindPKCE, demoConfig(flows.KindPKCE, ts.URL))
	recs := runAll(t, f, func(r record.Request) *record.Request {
		if r.StepID != "token" {
			return nil
		}
		e := r.With("code_verifier", strings.Repeat("x", 43))
		return &e
	})
	last := lastStep(recs)
	if last.ID != "token" || !last.Failed() {
		t.Fatalf("flow ended at %s (%s), want a failed token step", last.ID, last.Status)
	}
	if last.Error == nil || last.Error.Kind != record.ErrProtocol || last.Error.Protocol == nil || last.Error.Protocol.Code != "invalid_grant" {
		t.Fatalf("error = %+v, want protocol invalid_grant", last.Error)
	}
	if last.Error.Protocol.Meaning == "" || last.Error.Protocol.HTTPStatus != http.StatusBadRequest {
		t.Errorf("protocol error lacks meaning or status: %+v", last.Error.Protocol)
	}
	if len(last.Edited) != 1 || last.Edited[0].Name != "code_verifier" {
		t.Errorf("edited = %+v", last.Edited)
	}
	if len(last.Exchanges) != 1 || !strings.Contains(last.Exchanges[0].Request.Body, "code_verifier=xxxx") {
		t.Errorf("the edited verifier is not on the wire: %+v", last.Exchanges)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		kind  flows.Kind
		cfg   flows.Config
		field string
	}{
		{"unknown flow", "nope", flows.Config{}, "Kind"},
		{"no client id", flows.KindPKCE, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{RedirectURI: "http://127.0.0.1/cb"}}, "Client.ID"},
		{"no secret", flows.KindAuthorizationCode, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", RedirectURI: "http://127.0.0.1/cb"}}, "Client.Secret"},
		{"no redirect", flows.KindPKCE, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a"}}, "Client.RedirectURI"},
		{"bad pkce", flows.KindPKCE, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", RedirectURI: "http://127.0.0.1/cb"}, PKCEMethod: "S512"}, "PKCEMethod"},
		{"no provider", flows.KindClientCredentials, flows.Config{Client: flows.Client{ID: "a", Secret: "s"}}, "Provider"},
		{"openid without issuer", flows.KindPKCE, flows.Config{Provider: flows.Provider{AuthorizationEndpoint: "https://idp.example/a", TokenEndpoint: "https://idp.example/t"},
			Client: flows.Client{ID: "a", RedirectURI: "http://127.0.0.1/cb"}, Scopes: []string{"openid"}}, "Provider.Issuer"},
		{"id_token without openid", flows.KindImplicit, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"},
			Client: flows.Client{ID: "a", RedirectURI: "http://127.0.0.1/cb"}, ResponseType: "id_token", Scopes: []string{"profile"}}, "Scopes"},
		{"bad auth method", flows.KindClientCredentials, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", Secret: "s", AuthMethod: "tls_client_auth"}}, "Client.AuthMethod"},
		{"private_key_jwt without a key", flows.KindClientCredentials, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", AuthMethod: "private_key_jwt"}}, "Client.PrivateKey"},
		{"private_key_jwt with a public key", flows.KindClientCredentials, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", AuthMethod: "private_key_jwt", PrivateKey: []byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`)}}, "Client.PrivateKey"},
		{"client_secret_jwt without a secret", flows.KindClientCredentials, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", AuthMethod: "client_secret_jwt"}}, "Client.Secret"},
		{"PAR on client credentials", flows.KindClientCredentials, flows.Config{Provider: flows.Provider{Issuer: "https://idp.example"}, Client: flows.Client{ID: "a", Secret: "s"}, PAR: true}, "PAR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flows.New(tc.kind, tc.cfg)
			var ce *flows.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Field != tc.field {
				t.Errorf("field = %q, want %q (%v)", ce.Field, tc.field, err)
			}
		})
	}
}

func TestExtraParamsCannotShadowTheFlow(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(flows.KindPKCE, "https://idp.example")
	cfg.ExtraParams = map[string]string{"state": "x"}
	if _, err := flows.New(flows.KindPKCE, cfg); !flows.IsConfigError(err) {
		t.Fatalf("err = %v, want a config error", err)
	}
	_, ts := idp(t, mockidp.Options{})
	cfg = demoConfig(flows.KindPKCE, ts.URL)
	cfg.ExtraParams = map[string]string{"prompt": "login"}
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	if lastStep(recs).Failed() {
		t.Fatal(lastStep(recs).Error.Message)
	}
	if a, _ := recs[2].Artifact("authorization_url"); !strings.Contains(a.Value, "prompt=login") {
		t.Errorf("extra parameter not sent: %s", a.Value)
	}
}
