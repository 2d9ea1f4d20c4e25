package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

var (
	keysOnce         sync.Once
	rsaKey, smallRSA *rsa.PrivateKey
	ecKey            *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if smallRSA, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// jwk renders one key as a JSON object (public part unless priv).
func jwk(t testing.TB, key any, kid, alg, use string) map[string]any {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func goodKeys(t testing.TB) []any {
	testKeys(t)
	return []any{
		jwk(t, &rsaKey.PublicKey, "rsa-1", "RS256", "sig"),
		jwk(t, &ecKey.PublicKey, "ec-1", "ES256", "sig"),
	}
}

// goodMetadata is an OpenID Provider document that passes every check.
func goodMetadata(issuer string) map[string]any {
	return map[string]any{
		"issuer":                                         issuer,
		"authorization_endpoint":                         issuer + "/authorize",
		"token_endpoint":                                 issuer + "/token",
		"userinfo_endpoint":                              issuer + "/userinfo",
		"jwks_uri":                                       issuer + "/jwks",
		"revocation_endpoint":                            issuer + "/revoke",
		"scopes_supported":                               []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                               []string{"sub", "iss", "name", "email"},
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query", "fragment", "form_post"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256", "ES256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
	}
}

// provider is a metadata server whose answers a test case can change.
type provider struct {
	*httptest.Server
	issuer string
	meta   map[string]any
	keys   []any
	known  KnownQuirks
	// handlers override paths.
	handlers map[string]http.HandlerFunc
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{handlers: map[string]http.HandlerFunc{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if h, ok := p.handlers[r.URL.Path]; ok {
			h(w, r)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			writeJSON(w, p.meta)
		case "/jwks":
			writeJSON(w, map[string]any{"keys": p.keys})
		default:
			http.NotFound(w, r)
		}
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	p.issuer = p.URL
	p.meta = goodMetadata(p.issuer)
	p.keys = goodKeys(t)
	return p
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func serve(ct, body string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

var fixedNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func runDoctor(t *testing.T, p *provider, client *ClientExpectations) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, Options{Issuer: p.issuer, HTTPClient: p.Client(), Now: func() time.Time { return fixedNow }, Client: client, Known: p.known})
}

func TestGoodProviderPassesEverything(t *testing.T) {
	p := newProvider(t)
	rep := runDoctor(t, p, &ClientExpectations{
		AuthMethod: "client_secret_basic", RedirectURI: "http://127.0.0.1:8400/callback", ResponseType: "code",
		ResponseMode: "form_post", Scopes: []string{"openid", "email"}, GrantTypes: []string{"authorization_code", "refresh_token"},
	})
	for _, c := range rep.Checks {
		if c.Outcome != record.OutcomePass {
			t.Errorf("%s (%s): %s: %s %s", c.ID, c.Severity, c.Outcome, c.Actual, c.Reason)
		}
		if c.ID == "" || c.Name == "" || c.Spec == "" || c.Group == "" || c.Severity == "" {
			t.Errorf("check %+v lacks an id, name, spec, group or severity", c)
		}
	}
	if rep.Failed() || rep.Summary.Warnings+rep.Summary.Notes+rep.Summary.Errors != 0 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if rep.Variant != "openid" || rep.MetadataURL != p.issuer+"/.well-known/openid-configuration" {
		t.Errorf("variant %q from %q", rep.Variant, rep.MetadataURL)
	}
	if len(rep.Exchanges) != 2 {
		t.Errorf("%d exchanges, want the metadata and the key set", len(rep.Exchanges))
	}
	if !rep.Started.Equal(fixedNow) || !rep.Finished.Equal(fixedNow) {
		t.Errorf("clock not used: %v %v", rep.Started, rep.Finished)
	}
	wantOrder := []string{"issuer-url", "metadata-fetched", "metadata-content-type", "member-types", "issuer-match",
		"required-members", "recommended-members", "endpoints-https", "jwks-fetched"}
	for i, id := range wantOrder {
		if rep.Checks[i].ID != id {
			t.Fatalf("check %d is %s, want %s (order matters)", i, rep.Checks[i].ID, id)
		}
	}
}

// TestBrokenMetadata is the checklist: each case breaks one thing, and the named check
// must report it with the named outcome and severity.
func TestBrokenMetadata(t *testing.T) {
	html := "<!DOCTYPE html><html><body>Sign in</body></html>"
	tests := []struct {
		name    string
		setup   func(p *provider)
		client  *ClientExpectations
		id      string
		outcome record.Outcome
		sev     Severity
		reason  string // substring of Reason (or Actual)
	}{
		{"issuer with trailing slash", func(p *provider) { p.meta["issuer"] = p.issuer + "/" },
			nil, "issuer-match", record.OutcomeFail, SeverityError, "trailing slash"},
		{"issuer on another host", func(p *provider) { p.meta["issuer"] = "https://idp.example.com" },
			nil, "issuer-match", record.OutcomeFail, SeverityError, "different host"},
		{"issuer templated (Entra common)", func(p *provider) {
			p.meta["issuer"] = "https://login.microsoftonline.com/{tenantid}/v2.0"
		}, nil, "issuer-match", record.OutcomeFail, SeverityError, "template"},
		{"issuer templated, a known quirk", func(p *provider) {
			p.meta["issuer"] = "https://login.microsoftonline.com/{tenantid}/v2.0"
			p.known = KnownQuirks{Provider: "Microsoft Entra ID", IssuerTemplate: "https://login.microsoftonline.com/{tenantid}/v2.0"}
		}, nil, "issuer-match", record.OutcomeWarn, SeverityWarning, "known quirk of Microsoft Entra ID"},
		{"PKCE unadvertised, a known quirk", func(p *provider) {
			delete(p.meta, "code_challenge_methods_supported")
			p.known = KnownQuirks{Provider: "AWS Cognito", PKCESupportedUnadvertised: true}
		}, nil, "pkce-s256", record.OutcomeWarn, SeverityWarning, "known quirk of AWS Cognito"},
		{"jwks_uri missing", func(p *provider) { delete(p.meta, "jwks_uri") },
			nil, "required-members", record.OutcomeFail, SeverityError, "jwks_uri"},
		{"subject types empty", func(p *provider) { p.meta["subject_types_supported"] = []string{} },
			nil, "required-members", record.OutcomeFail, SeverityError, "subject_types_supported"},
		{"token endpoint missing", func(p *provider) { delete(p.meta, "token_endpoint") },
			nil, "required-members", record.OutcomeFail, SeverityError, "token_endpoint"},
		{"userinfo missing", func(p *provider) { delete(p.meta, "userinfo_endpoint") },
			nil, "recommended-members", record.OutcomeWarn, SeverityInfo, "userinfo_endpoint"},
		{"member of the wrong type", func(p *provider) { p.meta["response_types_supported"] = "code" },
			nil, "member-types", record.OutcomeFail, SeverityError, "response_types_supported is a string"},
		{"iss parameter flag as a string", func(p *provider) { p.meta["authorization_response_iss_parameter_supported"] = "true" },
			nil, "member-types", record.OutcomeFail, SeverityError, "true or false"},
		{"token endpoint over http", func(p *provider) { p.meta["token_endpoint"] = "http://idp.example.com/token" },
			nil, "endpoints-https", record.OutcomeFail, SeverityError, "token_endpoint uses http"},
		{"relative endpoint", func(p *provider) { p.meta["userinfo_endpoint"] = "/userinfo" },
			nil, "endpoints-https", record.OutcomeFail, SeverityError, "not an absolute URL"},
		{"PKCE not advertised", func(p *provider) { delete(p.meta, "code_challenge_methods_supported") },
			nil, "pkce-s256", record.OutcomeWarn, SeverityWarning, "may still work"},
		{"PKCE plain only", func(p *provider) { p.meta["code_challenge_methods_supported"] = []string{"plain"} },
			nil, "pkce-s256", record.OutcomeFail, SeverityError, "only plain"},
		{"implicit advertised", func(p *provider) {
			p.meta["response_types_supported"] = []string{"code", "id_token", "id_token token"}
		}, nil, "no-implicit", record.OutcomeWarn, SeverityWarning, "id_token token"},
		{"implicit grant type", func(p *provider) { p.meta["grant_types_supported"] = []string{"authorization_code", "implicit"} },
			nil, "no-implicit", record.OutcomeWarn, SeverityWarning, "implicit"},
		{"password grant", func(p *provider) { p.meta["grant_types_supported"] = []string{"authorization_code", "password"} },
			nil, "no-password-grant", record.OutcomeWarn, SeverityWarning, "MUST NOT"},
		{"no RFC 9207", func(p *provider) { delete(p.meta, "authorization_response_iss_parameter_supported") },
			nil, "iss-parameter", record.OutcomeWarn, SeverityInfo, "mix-up"},
		{"alg none", func(p *provider) { p.meta["id_token_signing_alg_values_supported"] = []string{"RS256", "none"} },
			nil, "no-alg-none", record.OutcomeFail, SeverityError, "id_token_signing_alg_values_supported"},
		{"no RS256", func(p *provider) { p.meta["id_token_signing_alg_values_supported"] = []string{"ES256"} },
			nil, "rs256-offered", record.OutcomeWarn, SeverityWarning, "RS256"},
		{"openid scope not listed", func(p *provider) { p.meta["scopes_supported"] = []string{"profile"} },
			nil, "openid-scope", record.OutcomeWarn, SeverityWarning, "openid"},
		{"PAR required", func(p *provider) { p.meta["require_pushed_authorization_requests"] = true },
			nil, "par-required", record.OutcomeWarn, SeverityInfo, "pushed"},

		// Discovery failures.
		{"HTML instead of metadata", func(p *provider) {
			p.handlers["/.well-known/openid-configuration"] = serve("text/html; charset=utf-8", html, 200)
			p.handlers["/.well-known/oauth-authorization-server"] = serve("text/html", html, 200)
		}, nil, "metadata-fetched", record.OutcomeFail, SeverityError, "HTTP 200 OK, Content-Type text/html; charset=utf-8: an HTML page, not JSON"},
		{"not JSON", func(p *provider) {
			p.handlers["/.well-known/openid-configuration"] = serve("application/json", "issuer: x", 200)
		}, nil, "metadata-fetched", record.OutcomeFail, SeverityError, "not a JSON object"},
		{"truncated JSON", func(p *provider) {
			p.handlers["/.well-known/openid-configuration"] = serve("application/json", `{"issuer": "x"`, 200)
		}, nil, "metadata-fetched", record.OutcomeFail, SeverityError, "invalid JSON"},
		{"server error", func(p *provider) {
			p.handlers["/.well-known/openid-configuration"] = serve("text/plain", "oops", 500)
		}, nil, "metadata-fetched", record.OutcomeFail, SeverityError, "HTTP 500"},
		{"wrong content type", func(p *provider) {
			b, _ := json.Marshal(p.meta)
			p.handlers["/.well-known/openid-configuration"] = serve("text/plain", string(b), 200)
		}, nil, "metadata-content-type", record.OutcomeWarn, SeverityWarning, "text/plain"},
		{"huge document", func(p *provider) {
			p.handlers["/.well-known/openid-configuration"] = serve("application/json", `{"issuer":"`+strings.Repeat("a", 2<<20)+`"}`, 200)
		}, nil, "metadata-fetched", record.OutcomeFail, SeverityError, "larger than"},

		// Keys.
		{"jwks 500", func(p *provider) { p.handlers["/jwks"] = serve("text/plain", "down", 500) },
			nil, "jwks-fetched", record.OutcomeFail, SeverityError, "HTTP 500"},
		{"jwks HTML", func(p *provider) { p.handlers["/jwks"] = serve("text/html", html, 200) },
			nil, "jwks-fetched", record.OutcomeFail, SeverityError, "HTML page"},
		{"jwks without keys", func(p *provider) { p.handlers["/jwks"] = serve("application/json", `{"kids":[]}`, 200) },
			nil, "jwks-fetched", record.OutcomeFail, SeverityError, `no "keys" array`},
		{"jwks empty", func(p *provider) { p.keys = []any{} },
			nil, "jwks-usable-keys", record.OutcomeFail, SeverityError, ""},
		{"jwks encryption keys only", func(p *provider) {
			p.keys = []any{jwk(t, &rsaKey.PublicKey, "enc-1", "RSA-OAEP", "enc")}
		}, nil, "jwks-usable-keys", record.OutcomeFail, SeverityError, ""},
		{"jwks broken key", func(p *provider) {
			p.keys = append(p.keys, map[string]any{"kty": "RSA", "kid": "bad", "n": "!!", "e": "AQAB"})
		}, nil, "jwks-usable-keys", record.OutcomePass, SeverityError, `kid "bad"`},
		{"RSA key of 1024 bits", func(p *provider) {
			p.keys = append(p.keys, jwk(t, &smallRSA.PublicKey, "small", "RS256", "sig"))
		}, nil, "jwks-rsa-size", record.OutcomeFail, SeverityError, "1024 bits"},
		{"private key published", func(p *provider) {
			p.keys = []any{jwk(t, rsaKey, "rsa-1", "RS256", "sig"), jwk(t, &ecKey.PublicKey, "ec-1", "ES256", "sig")}
		}, nil, "jwks-no-private-keys", record.OutcomeFail, SeverityError, "private"},
		{"symmetric key published", func(p *provider) {
			p.keys = append(p.keys, map[string]any{"kty": "oct", "kid": "hs", "k": "c2VjcmV0"})
		}, nil, "jwks-no-private-keys", record.OutcomeFail, SeverityError, "private or symmetric"},
		{"duplicate kid", func(p *provider) {
			p.keys = append(p.keys, jwk(t, &rsaKey.PublicKey, "rsa-1", "RS256", "sig"))
		}, nil, "jwks-unique-kids", record.OutcomeFail, SeverityError, `"rsa-1"`},
		{"kid shared across key types", func(p *provider) {
			p.keys = []any{jwk(t, &rsaKey.PublicKey, "k", "RS256", "sig"), jwk(t, &ecKey.PublicKey, "k", "ES256", "sig")}
		}, nil, "jwks-unique-kids", record.OutcomeWarn, SeverityWarning, `"k"`},
		{"no kids with several keys", func(p *provider) {
			p.keys = []any{jwk(t, &rsaKey.PublicKey, "", "RS256", "sig"), jwk(t, &ecKey.PublicKey, "", "ES256", "sig")}
		}, nil, "jwks-unique-kids", record.OutcomeWarn, SeverityWarning, "no kid"},
		{"alg does not fit the key", func(p *provider) {
			k := jwk(t, &rsaKey.PublicKey, "rsa-1", "RS256", "sig")
			k["alg"] = "ES256"
			p.keys = []any{k, jwk(t, &ecKey.PublicKey, "ec-1", "ES256", "sig")}
		}, nil, "jwks-key-consistency", record.OutcomeFail, SeverityError, "needs kty EC"},
		{"signing alg with use enc", func(p *provider) {
			p.keys = append(p.keys, jwk(t, &rsaKey.PublicKey, "odd", "RS256", "enc"))
		}, nil, "jwks-key-consistency", record.OutcomeFail, SeverityError, `use "enc"`},
		{"advertised alg without a key", func(p *provider) {
			p.keys = []any{jwk(t, &rsaKey.PublicKey, "rsa-1", "RS256", "sig")}
		}, nil, "jwks-alg-coverage", record.OutcomeFail, SeverityError, "ES256"},

		// The configured client.
		{"client auth method not offered", func(p *provider) {
			p.meta["token_endpoint_auth_methods_supported"] = []string{"private_key_jwt"}
		}, &ClientExpectations{AuthMethod: "client_secret_basic"}, "client-auth-method", record.OutcomeFail, SeverityError, "invalid_client"},
		{"public client not listed", func(p *provider) {
			p.meta["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic"}
		}, &ClientExpectations{AuthMethod: "none"}, "client-auth-method", record.OutcomeWarn, SeverityWarning, "public client"},
		{"auth methods absent: basic by default", func(p *provider) {
			delete(p.meta, "token_endpoint_auth_methods_supported")
		}, &ClientExpectations{AuthMethod: "client_secret_post"}, "client-auth-method", record.OutcomeFail, SeverityError, "default"},
		{"client response type not offered", nil,
			&ClientExpectations{ResponseType: "id_token token"}, "client-response-type", record.OutcomeFail, SeverityError, "unsupported_response_type"},
		{"client response mode not offered", func(p *provider) { delete(p.meta, "response_modes_supported") },
			&ClientExpectations{ResponseMode: "form_post"}, "client-response-mode", record.OutcomeFail, SeverityError, ""},
		{"client scope not listed", nil,
			&ClientExpectations{Scopes: []string{"openid", "api:read"}}, "client-scopes", record.OutcomeWarn, SeverityWarning, "api:read"},
		{"client grant not listed", nil,
			&ClientExpectations{GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"}}, "client-grant-types", record.OutcomeWarn, SeverityWarning, "device_code"},
		{"client redirect on localhost", nil,
			&ClientExpectations{RedirectURI: "http://localhost:8400/cb"}, "client-redirect-uri", record.OutcomeWarn, SeverityInfo, "NOT RECOMMENDED"},
		{"client redirect over http", nil,
			&ClientExpectations{RedirectURI: "http://app.example.com/cb"}, "client-redirect-uri", record.OutcomeWarn, SeverityWarning, "clear text"},
		{"client redirect with fragment", nil,
			&ClientExpectations{RedirectURI: "https://app.example.com/cb#x"}, "client-redirect-uri", record.OutcomeFail, SeverityError, "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t)
			if tt.setup != nil {
				tt.setup(p)
			}
			rep := runDoctor(t, p, tt.client)
			c, ok := rep.Check(tt.id)
			if !ok {
				t.Fatalf("no check %s; checks: %v", tt.id, ids(rep))
			}
			if c.Outcome != tt.outcome || c.Severity != tt.sev {
				t.Errorf("%s = %s/%s, want %s/%s (%s; %s)", tt.id, c.Outcome, c.Severity, tt.outcome, tt.sev, c.Actual, c.Reason)
			}
			if !strings.Contains(c.Reason+" | "+c.Actual, tt.reason) {
				t.Errorf("%s says %q / %q, want it to mention %q", tt.id, c.Actual, c.Reason, tt.reason)
			}
			if got := rep.Failed(); got != (rep.Summary.Errors > 0) {
				t.Errorf("Failed() = %v with summary %+v", got, rep.Summary)
			}
			if tt.outcome == record.OutcomeFail && tt.sev == SeverityError && !rep.Failed() {
				t.Errorf("an error-level failure must fail the report")
			}
		})
	}
}

func ids(rep Report) []string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.ID+"="+string(c.Outcome))
	}
	return out
}

func TestFallsBackToRFC8414(t *testing.T) {
	p := newProvider(t)
	meta := p.meta
	delete(meta, "subject_types_supported")
	delete(meta, "id_token_signing_alg_values_supported")
	p.handlers["/.well-known/openid-configuration"] = serve("text/html", "<html>not here</html>", 404)
	p.handlers["/.well-known/oauth-authorization-server"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, meta) }
	rep := runDoctor(t, p, nil)
	if rep.Variant != "oauth" || !strings.HasSuffix(rep.MetadataURL, "/.well-known/oauth-authorization-server") {
		t.Fatalf("variant %q from %q", rep.Variant, rep.MetadataURL)
	}
	c, _ := rep.Check("metadata-fetched")
	if c.Outcome != record.OutcomePass || !strings.Contains(c.Reason, "HTTP 404") {
		t.Errorf("metadata-fetched = %+v: it should say the OIDC URL answered 404", c)
	}
	for _, id := range []string{"issuer-match", "required-members"} {
		if c, _ := rep.Check(id); c.Outcome != record.OutcomePass || !strings.Contains(c.Spec, "RFC 8414") {
			t.Errorf("%s = %+v, want a pass citing RFC 8414", id, c)
		}
	}
	if rep.Failed() {
		t.Errorf("an RFC 8414 document without OIDC members is fine: %v", ids(rep))
	}
}

func TestRFC8414PathInsertion(t *testing.T) {
	oidc, oauth := wellKnownURLs("https://idp.example.com/tenant/a/")
	if oidc != "https://idp.example.com/tenant/a/.well-known/openid-configuration" ||
		oauth != "https://idp.example.com/.well-known/oauth-authorization-server/tenant/a" {
		t.Errorf("well-known URLs = %q, %q", oidc, oauth)
	}
}

func TestBadIssuerURL(t *testing.T) {
	for _, iss := range []string{"", "idp.example.com", "https://idp.example.com/?tenant=a", "https://idp.example.com/#x", "ftp://idp.example.com"} {
		rep := Run(context.Background(), Options{Issuer: iss})
		c, _ := rep.Check("issuer-url")
		if c.Outcome != record.OutcomeFail || !rep.Failed() || len(rep.Checks) != 1 || len(rep.Exchanges) != 0 {
			t.Errorf("issuer %q: %+v, %d checks, %d exchanges", iss, c, len(rep.Checks), len(rep.Exchanges))
		}
	}
}

func TestUnreachableAndSlowProviders(t *testing.T) {
	// A closed port.
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL
	srv.Close()
	rep := Run(context.Background(), Options{Issuer: closed})
	if c, _ := rep.Check("metadata-fetched"); c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, "cannot connect") {
		t.Errorf("closed port: %+v", c)
	}
	if len(rep.Exchanges) != 2 || rep.Exchanges[0].Error == "" {
		t.Errorf("the failed attempts must be recorded: %+v", rep.Exchanges)
	}

	// A provider that never answers: the timeout bounds the run.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	start := time.Now()
	rep = Run(context.Background(), Options{Issuer: slow.URL, HTTPClient: slow.Client(), Timeout: 100 * time.Millisecond})
	if c, _ := rep.Check("metadata-fetched"); c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, "timed out") {
		t.Errorf("slow provider: %+v", c)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the timeout did not bound the run", d)
	}
}

func TestReportJSON(t *testing.T) {
	p := newProvider(t)
	delete(p.meta, "code_challenge_methods_supported")
	rep := runDoctor(t, p, nil)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Checks []struct {
			ID, Name, Outcome, Severity, Group, Spec string
		}
		Summary Summary
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range back.Checks {
		if c.ID == "pkce-s256" {
			found = c.Outcome == "warn" && c.Severity == "warning" && c.Spec != "" && c.Group == "security"
		}
	}
	if !found || back.Summary.Warnings != 1 {
		t.Errorf("JSON report: %s", b)
	}
}

// TestAnalyzeMatchesRun: the engine's discovery step runs Analyze on the documents it
// fetched; it must reach the same verdicts as Run.
func TestAnalyzeMatchesRun(t *testing.T) {
	for _, broken := range []func(p *provider){
		func(p *provider) {},
		func(p *provider) {
			p.meta["issuer"] = p.issuer + "/"
			delete(p.meta, "code_challenge_methods_supported")
		},
		func(p *provider) { p.keys = append(p.keys, jwk(t, &smallRSA.PublicKey, "small", "RS256", "sig")) },
		func(p *provider) { p.meta["response_types_supported"] = "code" },
	} {
		p := newProvider(t)
		broken(p)
		client := &ClientExpectations{AuthMethod: "client_secret_post", Scopes: []string{"openid", "x"}}
		rep := runDoctor(t, p, client)
		meta, _ := json.Marshal(p.meta)
		keys, _ := json.Marshal(map[string]any{"keys": p.keys})
		got := Analyze(Input{Issuer: p.issuer, MetadataURL: rep.MetadataURL, Metadata: meta,
			ContentType: "application/json", JWKS: keys, Client: client})
		want := rep.Checks
		if len(got) != len(want) {
			t.Fatalf("Analyze gave %d checks, Run %d:\n%v\n%v", len(got), len(want), got, ids(rep))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Outcome != want[i].Outcome || got[i].Severity != want[i].Severity {
				t.Errorf("check %d: Analyze %s=%s/%s, Run %s=%s/%s", i, got[i].ID, got[i].Outcome, got[i].Severity,
					want[i].ID, want[i].Outcome, want[i].Severity)
			}
		}
	}

	// Without the key set, the key checks are skipped, not failed.
	p := newProvider(t)
	meta, _ := json.Marshal(p.meta)
	checks := Analyze(Input{Issuer: p.issuer, MetadataURL: p.issuer + "/.well-known/openid-configuration", Metadata: meta})
	for _, c := range checks {
		if c.Group == GroupKeys && c.Outcome != record.OutcomeSkip {
			t.Errorf("%s = %s without a key set", c.ID, c.Outcome)
		}
		if c.Outcome == record.OutcomeFail {
			t.Errorf("%s failed", c.ID)
		}
	}
	// Not JSON.
	checks = Analyze(Input{Issuer: p.issuer, MetadataURL: p.issuer + "/.well-known/openid-configuration", Metadata: []byte("<html>")})
	if last := checks[len(checks)-1]; last.ID != "metadata-fetched" || last.Outcome != record.OutcomeFail {
		t.Errorf("not JSON: %+v", last)
	}
}
