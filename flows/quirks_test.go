package flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

// fakeProvider is a small provider with real providers' habits, switched per test.
type fakeProvider struct {
	ts  *httptest.Server
	key *ecdsa.PrivateKey

	// github: no metadata; form-encoded token responses unless Accept asks for JSON;
	// errors with HTTP 200; comma-separated scope.
	github bool
	// metaIssuer is the metadata's issuer ("" means the server's URL); idTokenIss and
	// tid go in the ID token.
	metaIssuer, idTokenIss, tid string
	// stringExpiresIn sends "expires_in": "3600".
	stringExpiresIn bool

	mu    sync.Mutex
	nonce string
}

func newFakeProvider(t *testing.T, setup func(*fakeProvider)) *fakeProvider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeProvider{key: key}
	setup(f)
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if f.github {
			http.NotFound(w, r)
			return
		}
		iss := f.metaIssuer
		if iss == "" {
			iss = f.ts.URL
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "authorization_endpoint": f.ts.URL + "/authorize", "token_endpoint": f.ts.URL + "/token",
			"jwks_uri": f.ts.URL + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"ES256"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		json200 := !f.github || strings.Contains(r.Header.Get("Accept"), "application/json")
		if r.PostForm.Get("code") != "good" {
			if f.github {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		resp := map[string]any{"access_token": "at-1", "token_type": "bearer"}
		if f.github {
			resp["scope"] = "read:user,user:email"
		} else {
			resp["expires_in"] = 3600
			if f.stringExpiresIn {
				resp["expires_in"] = "3600"
			}
			f.mu.Lock()
			nonce := f.nonce
			f.mu.Unlock()
			sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
			now := time.Now()
			claims := map[string]any{"iss": f.idTokenIss, "sub": "u1", "aud": "client-1", "exp": now.Add(time.Hour).Unix(),
				"iat": now.Unix(), "nonce": nonce}
			if f.tid != "" {
				claims["tid"] = f.tid
			}
			resp["id_token"], _ = jwt.Signed(sig).Claims(claims).Serialize()
		}
		w.Header().Set("Cache-Control", "no-store")
		if !json200 {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = w.Write([]byte("access_token=at-1&scope=read%3Auser%2Cuser%3Aemail&token_type=bearer"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	f.ts = httptest.NewServer(mux)
	t.Cleanup(f.ts.Close)
	return f
}

// Authorize answers at once with code "good" and the request's state, as a
// provider would after the user consented.
func (f *fakeProvider) Authorize(_ context.Context, req flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return flows.AuthorizeResult{}, err
	}
	q := u.Query()
	f.mu.Lock()
	f.nonce = q.Get("nonce")
	f.mu.Unlock()
	cb := req.RedirectURI + "?code=good&state=" + url.QueryEscape(q.Get("state"))
	return flows.AuthorizeResult{Callback: record.Callback{Mode: "query", URL: cb, Params: map[string]string{"code": "good", "state": q.Get("state")}}}, nil
}

func notes(s record.Step) string { return s.Explanation }

func check(t *testing.T, s record.Step, name string) record.Check {
	t.Helper()
	for _, c := range s.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("step %s has no check %q", s.ID, name)
	return record.Check{}
}

func githubQuirks() flows.Quirks {
	return flows.Quirks{Provider: "GitHub", NoDiscovery: true, TokenHeaders: map[string]string{"Accept": "application/json"},
		ErrorsWithStatus200: true, ScopeSeparator: ",", PKCESupportedUnadvertised: true}
}

func githubConfig(f *fakeProvider) flows.Config {
	return flows.Config{
		Provider:   flows.Provider{Name: "github", AuthorizationEndpoint: f.ts.URL + "/authorize", TokenEndpoint: f.ts.URL + "/token"},
		Client:     flows.Client{ID: "client-1", Secret: "s", AuthMethod: flows.AuthClientSecretPost, RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"read:user", "user:email"},
		Authorizer: f,
	}
}

func TestQuirksGitHub(t *testing.T) {
	t.Parallel()
	f := newFakeProvider(t, func(f *fakeProvider) { f.github = true })

	// Without the quirks: a form-encoded answer, tolerated with warnings; the
	// comma-separated scope looks like another scope.
	recs := runAll(t, newFlow(t, flows.KindAuthorizationCode, githubConfig(f)), nil)
	tok := stepByID(t, recs, "token")
	if tok.Failed() {
		t.Fatalf("without quirks: %v", tok.Error)
	}
	if c := check(t, tok, "Content-Type"); c.Outcome != record.OutcomeWarn || !strings.Contains(c.Reason, "form-encoded") {
		t.Errorf("without quirks, Content-Type check = %+v", c)
	}
	if c := check(t, tok, "scope granted"); c.Outcome != record.OutcomeWarn {
		t.Errorf("without quirks, scope check = %+v", c)
	}

	// With them (and openid asked of a provider without discovery).
	cfg := githubConfig(f)
	cfg.Quirks = githubQuirks()
	cfg.Scopes = append(cfg.Scopes, "openid")
	cfg.Provider.Issuer = "https://github.com"
	recs = runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	want := "discovery:skipped prepare:done authorize:done login:done callback:done token:done id-token:skipped"
	if got := stepIDs(recs); got != want {
		t.Fatalf("steps = %s, want %s (%v)", got, want, lastStep(recs).Error)
	}
	for _, id := range []string{"discovery", "id-token"} {
		if s := stepByID(t, recs, id); !strings.Contains(s.Explanation, "quirk applied (GitHub, no-discovery)") {
			t.Errorf("%s: explanation %q does not name the quirk", id, s.Explanation)
		}
	}
	if stepByID(t, recs, "authorize").Request.Has("nonce") {
		t.Error("a nonce was sent although no ID token can come back")
	}
	tok = stepByID(t, recs, "token")
	if h := tok.Exchanges[0].Request.Header.Get("Accept"); h != "application/json" {
		t.Errorf("Accept = %q", h)
	}
	if c := check(t, tok, "Content-Type"); c.Outcome != record.OutcomePass {
		t.Errorf("with the quirk, Content-Type check = %+v", c)
	}
	if !strings.Contains(notes(tok), "quirk applied (GitHub, token-headers): sent Accept: application/json on the token request: it answers form-encoded unless asked for JSON") {
		t.Errorf("token step explanation: %q", tok.Explanation)
	}
	if c := check(t, tok, "scope granted"); c.Outcome != record.OutcomeWarn || !strings.Contains(c.Reason, "quirk applied") ||
		!strings.Contains(c.Reason, "not granted: openid") {
		// openid was asked and GitHub ignores it; the comma is no longer the problem.
		t.Errorf("with the quirk, scope check = %+v", c)
	}

	// Errors with HTTP 200 are errors.
	recs = runAll(t, newFlow(t, flows.KindPKCE, cfg), func(r record.Request) *record.Request {
		if r.StepID != "token" {
			return nil
		}
		e := r.With("code", "bad")
		return &e
	})
	tok = lastStep(recs)
	if tok.ID != "token" || tok.Error == nil || tok.Error.Protocol == nil || tok.Error.Protocol.Code != "bad_verification_code" {
		t.Fatalf("error with 200: steps %s, %+v", stepIDs(recs), tok.Error)
	}
	if c := check(t, tok, "error status"); !strings.Contains(c.Reason, "quirk applied (GitHub, errors-with-200)") {
		t.Errorf("error status check = %+v", c)
	}
}

func TestQuirkScopeSeparatorOnly(t *testing.T) {
	t.Parallel()
	f := newFakeProvider(t, func(f *fakeProvider) { f.github = true })
	cfg := githubConfig(f)
	cfg.Quirks = githubQuirks()
	recs := runAll(t, newFlow(t, flows.KindAuthorizationCode, cfg), nil)
	c := check(t, stepByID(t, recs, "token"), "scope granted")
	if c.Outcome != record.OutcomePass || !strings.Contains(c.Reason, `quirk applied (GitHub, scope-separator)`) {
		t.Errorf("scope check = %+v", c)
	}
	f2 := newFlow(t, flows.KindAuthorizationCode, cfg)
	runAll(t, f2, nil)
	if got := f2.Tokens().Scope; got != "read:user user:email" {
		t.Errorf("Tokens().Scope = %q", got)
	}
}

func TestQuirkTemplatedIssuer(t *testing.T) {
	t.Parallel()
	const tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
	f := newFakeProvider(t, func(f *fakeProvider) { f.tid = tid })
	f.metaIssuer = f.ts.URL + "/{tenantid}/v2.0"
	f.idTokenIss = f.ts.URL + "/" + tid + "/v2.0"
	cfg := flows.Config{
		Provider:   flows.Provider{Name: "entra", Issuer: f.ts.URL},
		Client:     flows.Client{ID: "client-1", Secret: "s", AuthMethod: flows.AuthClientSecretPost, RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"openid"},
		Authorizer: f,
	}
	// Without the quirk the discovery issuer check fails.
	recs := runAll(t, newFlow(t, flows.KindAuthorizationCode, cfg), nil)
	if last := lastStep(recs); last.ID != "discovery" || !last.Failed() {
		t.Fatalf("without the quirk: %s", stepIDs(recs))
	}
	cfg.Quirks = flows.Quirks{Provider: "Microsoft Entra ID", IssuerTemplate: f.metaIssuer}
	recs = runAll(t, newFlow(t, flows.KindAuthorizationCode, cfg), nil)
	if last := lastStep(recs); last.Failed() {
		t.Fatalf("with the quirk: %s: %v", stepIDs(recs), last.Error)
	}
	if c := check(t, stepByID(t, recs, "discovery"), "issuer matches"); c.Outcome != record.OutcomeWarn || !strings.Contains(c.Reason, "quirk applied") {
		t.Errorf("issuer check = %+v", c)
	}
	idt := stepByID(t, recs, "id-token")
	if c := check(t, idt, "iss"); c.Outcome != record.OutcomePass || c.Expected != f.idTokenIss {
		t.Errorf("iss check = %+v", c)
	}
	if !strings.Contains(idt.Explanation, "quirk applied (Microsoft Entra ID, templated-issuer)") {
		t.Errorf("id-token explanation %q", idt.Explanation)
	}
}

func TestQuirkIssuerAlias(t *testing.T) {
	t.Parallel()
	f := newFakeProvider(t, func(f *fakeProvider) { f.idTokenIss = "accounts.example.com" })
	cfg := flows.Config{
		Provider:   flows.Provider{Name: "google-like", Issuer: f.ts.URL},
		Client:     flows.Client{ID: "client-1", Secret: "s", AuthMethod: flows.AuthClientSecretPost, RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"openid"},
		Authorizer: f,
	}
	if recs := runAll(t, newFlow(t, flows.KindAuthorizationCode, cfg), nil); !lastStep(recs).Failed() {
		t.Fatal("an iss without the scheme passed without the quirk")
	}
	cfg.Quirks = flows.Quirks{IssuerAliases: []string{"accounts.example.com"}}
	recs := runAll(t, newFlow(t, flows.KindAuthorizationCode, cfg), nil)
	if last := lastStep(recs); last.Failed() || !strings.Contains(last.Explanation, "quirk applied (google-like, iss-alias)") {
		t.Fatalf("with the alias: %s %v %q", stepIDs(recs), last.Error, last.Explanation)
	}
}

func TestQuirkStringExpiresIn(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{}, mockidp.FaultExpiresInString)
	cfg := demoConfig(flows.KindClientCredentials, ts.URL)
	cfg.Quirks = flows.Quirks{Provider: "Cognito", TolerateStringExpiresIn: true}
	recs := runAll(t, newFlow(t, flows.KindClientCredentials, cfg), nil)
	tok := lastStep(recs)
	if tok.Failed() {
		t.Fatal(tok.Error)
	}
	if c := check(t, tok, "expires_in"); c.Outcome != record.OutcomeWarn || !strings.HasPrefix(c.Reason, "quirk applied (Cognito, string-expires-in)") {
		t.Errorf("expires_in check = %+v", c)
	}
}

func TestQuirkPKCEUnadvertised(t *testing.T) {
	t.Parallel()
	f := newFakeProvider(t, func(f *fakeProvider) {})
	f.idTokenIss = f.ts.URL
	cfg := flows.Config{
		Provider:   flows.Provider{Name: "cognito-like", Issuer: f.ts.URL},
		Client:     flows.Client{ID: "client-1", RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"openid"},
		Authorizer: f,
	}
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	if c := check(t, stepByID(t, recs, "discovery"), "PKCE supported"); c.Outcome != record.OutcomeWarn {
		t.Errorf("without the quirk: %+v", c)
	}
	cfg.Quirks = flows.Quirks{PKCESupportedUnadvertised: true}
	recs = runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	if c := check(t, stepByID(t, recs, "discovery"), "PKCE supported"); c.Outcome != record.OutcomePass || !strings.Contains(c.Reason, "quirk applied") {
		t.Errorf("with the quirk: %+v", c)
	}
}
