package tui

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// testNow is the fixed clock of the tests and golden files.
var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakeAuth is an Authorizer that only says who it is.
type fakeAuth struct{ name string }

func (a fakeAuth) Authorize(context.Context, flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	return flows.AuthorizeResult{}, nil
}

// fakeFlow is a flows.Flow that plays scripted records and remembers its inputs.
type fakeFlow struct {
	mu      sync.Mutex
	kind    flows.Kind
	plan    []record.StepPlan
	pending map[int]record.Request
	script  []record.Step
	recs    []record.Step
	inputs  []flows.StepInput
}

func (f *fakeFlow) Kind() flows.Kind { return f.kind }
func (f *fakeFlow) Plan() []record.StepPlan {
	return append([]record.StepPlan(nil), f.plan...)
}
func (f *fakeFlow) Records() []record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]record.Step(nil), f.recs...)
}
func (f *fakeFlow) Pending() (record.Request, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.doneLocked() {
		return record.Request{}, false
	}
	r, ok := f.pending[len(f.recs)]
	return cloneRequest(r), ok
}
func (f *fakeFlow) doneLocked() bool {
	return len(f.recs) >= len(f.script) || (len(f.recs) > 0 && f.recs[len(f.recs)-1].Failed())
}
func (f *fakeFlow) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doneLocked()
}
func (f *fakeFlow) Tokens() flows.Tokens { return flows.Tokens{} }
func (f *fakeFlow) Next(_ context.Context, in flows.StepInput) record.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
	if f.doneLocked() {
		return record.Step{Status: record.StatusFailed, Error: &record.Error{Kind: record.ErrConfig, Message: "flow is done"}}
	}
	i := len(f.recs)
	st := f.script[i]
	if in.Request != nil {
		st.Request = in.Request
		orig := f.pending[i]
		for _, p := range in.Request.Params {
			if o := orig.Get(p.Name); o != p.Value {
				st.Edited = append(st.Edited, record.Edit{Name: p.Name, From: o, To: p.Value})
			}
		}
	}
	f.recs = append(f.recs, st)
	return st
}

func (f *fakeFlow) lastInput() flows.StepInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inputs[len(f.inputs)-1]
}

// fakeJWT is a JWT-looking string of about n bytes.
func fakeJWT(n int) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"rsa-1","typ":"JWT"}`))
	pad := strings.Repeat("x", max(n-len(h)-90, 10))
	c := enc.EncodeToString([]byte(`{"iss":"http://127.0.0.1:9999","sub":"alice","pad":"` + pad + `"}`))
	return h + "." + c + ".c2lnbmF0dXJl"
}

func tp(t time.Time) *time.Time { return &t }

// idToken is the decoded ID token of the script.
func idToken(size int) record.Artifact {
	iat, exp := testNow.Add(-time.Minute), testNow.Add(59*time.Minute)
	return record.Artifact{Name: "id_token", Value: fakeJWT(size), Token: &record.Token{
		Format: record.FormatJWT,
		Header: []record.Claim{
			{Name: "alg", Value: "RS256", Display: "RS256", Explanation: "signing algorithm", Spec: "RFC 7515 §4.1.1"},
			{Name: "kid", Value: "rsa-1", Display: "rsa-1", Explanation: "which key of the JWKS signed it", Spec: "RFC 7515 §4.1.4"},
			{Name: "typ", Value: "JWT", Display: "JWT"},
		},
		Claims: []record.Claim{
			{Name: "iss", Value: "http://127.0.0.1:9999", Display: "http://127.0.0.1:9999", Explanation: "issuer: who made the token", Spec: "RFC 7519 §4.1.1"},
			{Name: "sub", Value: "alice", Display: "alice", Explanation: "subject: the user, stable and unique at this issuer"},
			{Name: "aud", Value: "demo-public", Display: "demo-public", Explanation: "audience: the client the token is for"},
			{Name: "exp", Value: float64(exp.Unix()), Display: exp.Format("2006-01-02 15:04:05 UTC"), Time: tp(exp), Explanation: "expiry"},
			{Name: "iat", Value: float64(iat.Unix()), Display: iat.Format("2006-01-02 15:04:05 UTC"), Time: tp(iat), Explanation: "issued at"},
			{Name: "nonce", Value: "n-0S6_WzA2Mj", Display: "n-0S6_WzA2Mj", Explanation: "the nonce the client sent, against replay"},
			{Name: "email", Value: "alice@example.com", Display: "alice@example.com", Explanation: "the user's e-mail address (OIDC Core §5.1)"},
		},
		Signature: "c2lnbmF0dXJl",
	}}
}

// pkceScript is a PKCE flow with the bundled IdP's shape; failAt makes that step fail
// with a provider error (-1 for none).
func pkceScript(failAt, tokenSize int) *fakeFlow {
	iss := "http://127.0.0.1:9999"
	arrow := func(from, to record.Actor, l string) record.Arrow { return record.Arrow{From: from, To: to, Label: l} }
	plan := []record.StepPlan{
		{ID: "discovery", Title: "Discover the provider", Arrows: []record.Arrow{arrow(record.ActorClient, record.ActorAuthz, "GET /.well-known/openid-configuration")}},
		{ID: "prepare", Title: "Prepare state, nonce and PKCE", Arrows: []record.Arrow{arrow(record.ActorClient, record.ActorClient, "generate state, nonce, code_verifier")}},
		{ID: "authorize", Title: "Build the authorization request", Sends: true, Arrows: []record.Arrow{arrow(record.ActorClient, record.ActorBrowser, "302 to /authorize?response_type=code&…")}},
		{ID: "login", Title: "User logs in and consents", Arrows: []record.Arrow{
			arrow(record.ActorBrowser, record.ActorAuthz, "GET /authorize"),
			arrow(record.ActorUser, record.ActorAuthz, "log in, consent"),
			arrow(record.ActorAuthz, record.ActorBrowser, "302 to redirect_uri (query)")}},
		{ID: "callback", Title: "Check the authorization response", Arrows: []record.Arrow{arrow(record.ActorBrowser, record.ActorClient, "?code, state, iss")}},
		{ID: "token", Title: "Exchange the code for tokens", Sends: true, Arrows: []record.Arrow{
			arrow(record.ActorClient, record.ActorAuthz, "POST /token (code, code_verifier)"),
			arrow(record.ActorAuthz, record.ActorClient, "access_token, id_token")}},
		{ID: "id-token", Title: "Validate the ID token", Arrows: []record.Arrow{arrow(record.ActorClient, record.ActorClient, "check signature, iss, aud, exp, nonce")}},
	}
	authz := record.Request{StepID: "authorize", Method: "GET", URL: iss + "/authorize", Params: []record.Param{
		{Name: "response_type", Value: "code", Note: "code: the authorization code flow (RFC 6749 §4.1.1)"},
		{Name: "client_id", Value: "demo-public", Note: "the client's identifier (RFC 6749 §2.2)"},
		{Name: "redirect_uri", Value: "http://127.0.0.1:51234/callback", Note: "where the provider sends the browser back (RFC 6749 §3.1.2)"},
		{Name: "scope", Value: "openid profile email", Note: "space-separated scopes (RFC 6749 §3.3)"},
		{Name: "state", Value: "st-Q2hhbmdlTWU", Note: "CSRF protection, returned unchanged (RFC 6749 §10.12)"},
		{Name: "nonce", Value: "n-0S6_WzA2Mj", Note: "copied into the ID token (OIDC Core §3.1.2.1)"},
		{Name: "code_challenge", Value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Note: "derived from the code_verifier (RFC 7636 §4.3)"},
		{Name: "code_challenge_method", Value: "S256", Note: "RFC 7636 §4.3"},
	}}
	tokenReq := record.Request{StepID: "token", Method: "POST", URL: iss + "/token", AuthMethod: "none", Params: []record.Param{
		{Name: "grant_type", Value: "authorization_code", Note: "RFC 6749 §4.1.3"},
		{Name: "code", Value: "c-SplxlOBeZQQYbYS6WxSbIA", Note: "the code from the callback"},
		{Name: "redirect_uri", Value: "http://127.0.0.1:51234/callback", Note: "must equal the one in the authorization request"},
		{Name: "client_id", Value: "demo-public"},
		{Name: "code_verifier", Value: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", Note: "the secret behind code_challenge (RFC 7636 §4.5)"},
	}}
	at := func(i int) (time.Time, time.Time) {
		s := testNow.Add(time.Duration(i) * time.Second)
		return s, s.Add(12 * time.Millisecond)
	}
	mk := func(i int, expl string, specs ...record.SpecRef) record.Step {
		s, e := at(i)
		return record.Step{Flow: "pkce", Index: i, ID: plan[i].ID, Title: plan[i].Title, Status: record.StatusDone,
			Explanation: expl, Specs: specs, Arrows: plan[i].Arrows, Started: s, Finished: e}
	}
	disc := mk(0, "The client fetches the provider's metadata: its endpoints, keys and what it supports.",
		record.SpecRef{Spec: "OpenID Connect Discovery 1.0", Section: "§4"})
	disc.Exchanges = []record.Exchange{{
		Request:  record.HTTPRequest{Method: "GET", URL: iss + "/.well-known/openid-configuration", Header: map[string][]string{"Accept": {"application/json"}}},
		Response: &record.HTTPResponse{Status: 200, Header: map[string][]string{"Content-Type": {"application/json"}}, Body: `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/authorize","token_endpoint":"` + iss + `/token"}`},
		Duration: 2 * time.Millisecond,
	}}
	disc.Checks = []record.Check{{Name: "issuer matches", Outcome: record.OutcomePass, Expected: iss, Actual: iss, Spec: "OIDC Discovery §4.3"}}
	prep := mk(1, "The client makes fresh random values: state against CSRF, a nonce against replay, and the PKCE code_verifier with its S256 challenge.",
		record.SpecRef{Spec: "RFC 7636", Section: "§4.1"}, record.SpecRef{Spec: "RFC 7636", Section: "§4.2"})
	prep.Artifacts = []record.Artifact{
		{Name: "state", Value: "st-Q2hhbmdlTWU"},
		{Name: "code_verifier", Value: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", Note: "43–128 characters (RFC 7636 §4.1)"},
		{Name: "code_challenge", Value: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Derivation: []string{"BASE64URL(SHA256(ASCII(code_verifier)))"}},
	}
	auth := mk(2, "The client sends the browser to the authorization endpoint with the request in the query string.",
		record.SpecRef{Spec: "RFC 6749", Section: "§4.1.1"})
	auth.Artifacts = []record.Artifact{{Name: "authorization_url", Value: authz.URL + "?" + encodeParams(authz.Params, false)}}
	login := mk(3, "The browser follows the request to the provider; the user logs in and consents there.",
		record.SpecRef{Spec: "RFC 6749", Section: "§4.1.2"})
	login.Redirects = []record.Redirect{
		{From: iss + "/authorize", To: iss + "/login", Status: 302, Method: "GET"},
		{From: iss + "/login", To: "http://127.0.0.1:51234/callback?code=c-SplxlOBeZQQYbYS6WxSbIA&state=st-Q2hhbmdlTWU", Status: 302, Method: "POST", Note: "login form submitted as alice"},
	}
	cb := mk(4, "The client checks the response: the state must be the one it sent, the iss the provider's.",
		record.SpecRef{Spec: "RFC 6749", Section: "§10.12"}, record.SpecRef{Spec: "RFC 9207", Section: "§2.4"})
	cb.Checks = []record.Check{
		{Name: "state matches", Outcome: record.OutcomePass, Expected: "st-Q2hhbmdlTWU", Actual: "st-Q2hhbmdlTWU", Spec: "RFC 6749 §10.12"},
		{Name: "iss matches", Outcome: record.OutcomePass, Expected: iss, Actual: iss, Spec: "RFC 9207 §2.4"},
	}
	cb.Artifacts = []record.Artifact{{Name: "code", Value: "c-SplxlOBeZQQYbYS6WxSbIA"}}
	tok := mk(5, "The client exchanges the code for tokens, proving with the code_verifier that it started the flow.",
		record.SpecRef{Spec: "RFC 6749", Section: "§4.1.3"}, record.SpecRef{Spec: "RFC 7636", Section: "§4.5"})
	tok.Exchanges = []record.Exchange{{
		Request: record.HTTPRequest{Method: "POST", URL: iss + "/token", Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body: "grant_type=authorization_code&code=c-SplxlOBeZQQYbYS6WxSbIA&redirect_uri=http%3A%2F%2F127.0.0.1%3A51234%2Fcallback&client_id=demo-public&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
		Response: &record.HTTPResponse{Status: 200, Header: map[string][]string{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
			Body: `{"access_token":"at-2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-tGzv3JOkF0XG5Qx2TlKWIA","id_token":"eyJ..."}`},
		Duration: 3 * time.Millisecond,
	}}
	tok.Artifacts = []record.Artifact{
		{Name: "access_token", Value: "at-2YotnFZFEjr1zCsicMWpAA", Token: &record.Token{Format: record.FormatOpaque}},
		{Name: "refresh_token", Value: "rt-tGzv3JOkF0XG5Qx2TlKWIA", Secret: true, Token: &record.Token{Format: record.FormatOpaque}},
		idToken(tokenSize),
	}
	val := mk(6, "The client validates the ID token check by check before trusting who the user is.",
		record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7"})
	vt := idToken(tokenSize)
	vt.Token.Verified = true
	vt.Token.VerifiedWith = "RS256 kid=rsa-1"
	vt.Token.Checks = []record.Check{
		{Name: "signature", Outcome: record.OutcomePass, Expected: "RS256 key rsa-1 from the JWKS", Actual: "valid", Spec: "OIDC Core §3.1.3.7 step 6"},
		{Name: "aud contains client_id", Outcome: record.OutcomePass, Expected: "demo-public", Actual: "demo-public", Spec: "OIDC Core §3.1.3.7 step 3"},
		{Name: "exp in the future", Outcome: record.OutcomePass, Expected: "after 2026-11-23 10:00:00 UTC", Actual: "2026-11-23 10:59:00 UTC", Spec: "OIDC Core §3.1.3.7 step 9"},
	}
	val.Artifacts = []record.Artifact{vt}
	val.Checks = vt.Token.Checks
	script := []record.Step{disc, prep, auth, login, cb, tok, val}
	if failAt >= 0 {
		s := script[failAt]
		s.Status = record.StatusFailed
		s.Artifacts = nil
		s.Error = &record.Error{Kind: record.ErrProtocol, Message: "invalid_grant: PKCE verification failed",
			Protocol: &record.ProtocolError{Code: "invalid_grant", Description: "PKCE verification failed", HTTPStatus: 400,
				Meaning: "The code, or the code_verifier sent with it, is invalid, expired, revoked or was issued to another client.", Spec: "RFC 6749 §5.2"}}
		if len(s.Exchanges) > 0 {
			x := s.Exchanges[0]
			x.Response = &record.HTTPResponse{Status: 400, Header: map[string][]string{"Content-Type": {"application/json"}},
				Body: `{"error":"invalid_grant","error_description":"PKCE verification failed"}`}
			s.Exchanges = []record.Exchange{x}
		}
		script[failAt] = s
	}
	return &fakeFlow{kind: flows.KindPKCE, plan: plan, script: script,
		pending: map[int]record.Request{2: authz, 5: tokenReq}}
}

// fakeFaults is a FaultController in memory.
type fakeFaults struct {
	mu       sync.Mutex
	on       map[string]bool
	advanced time.Duration
}

func (f *fakeFaults) Catalog() []FaultInfo {
	return []FaultInfo{
		{Name: "wrong-iss", Title: "Wrong issuer in ID token", Description: "ID tokens carry iss = https://evil.example.", Catches: "ID token iss must equal the issuer", Spec: "OIDC Core §3.1.3.7 step 2"},
		{Name: "expired", Title: "Expired ID token", Description: "ID tokens expired one hour ago.", Catches: "exp must be in the future", Spec: "RFC 7519 §4.1.4"},
		{Name: "state-mismatch", Title: "State mismatch", Description: "The authorization response carries a different state.", Catches: "state must equal the one sent", Spec: "RFC 6749 §10.12"},
	}
}
func (f *fakeFaults) Active() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.Catalog() {
		if f.on[c.Name] {
			out = append(out, c.Name)
		}
	}
	return out
}
func (f *fakeFaults) Set(name string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on == nil {
		f.on = map[string]bool{}
	}
	f.on[name] = on
	return nil
}
func (f *fakeFaults) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advanced += d
}
