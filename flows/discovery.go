package flows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/oauthx/oauthx/flows/doctor"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// Metadata is the provider metadata of OpenID Connect Discovery 1.0 §3 and RFC 8414 §2,
// as far as the engine uses it. Absent members are zero.
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                              string   `json:"token_endpoint,omitempty"`
	JWKSURI                                    string   `json:"jwks_uri,omitempty"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint,omitempty"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint,omitempty"`
	RevocationEndpoint                         string   `json:"revocation_endpoint,omitempty"`
	DeviceAuthorizationEndpoint                string   `json:"device_authorization_endpoint,omitempty"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint,omitempty"`
	PushedAuthorizationRequestEndpoint         string   `json:"pushed_authorization_request_endpoint,omitempty"`
	ScopesSupported                            []string `json:"scopes_supported,omitempty"`
	ResponseTypesSupported                     []string `json:"response_types_supported,omitempty"`
	ResponseModesSupported                     []string `json:"response_modes_supported,omitempty"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported,omitempty"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported,omitempty"`
	SubjectTypesSupported                      []string `json:"subject_types_supported,omitempty"`
	ClaimsSupported                            []string `json:"claims_supported,omitempty"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	RequirePushedAuthorizationRequests         bool     `json:"require_pushed_authorization_requests,omitempty"`
	// Problems lists members of the wrong type, which were treated as absent.
	Problems []string `json:"-"`
}

// ParseMetadata parses a provider metadata document (OIDC Discovery §3, RFC 8414 §2).
// It accepts unknown members. A member of the wrong type (a string where a list is
// due, "true" for a boolean) is treated as absent and listed in Problems, as lenient
// clients do; what is not a JSON object, or has no string issuer, is an error that
// says what was wrong.
func ParseMetadata(body []byte) (*Metadata, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("the metadata document is empty")
	}
	if body[0] != '{' {
		return nil, fmt.Errorf("the metadata document is not a JSON object (it starts with %q)", firstLine(string(body), 40))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, fmt.Errorf("the metadata document is not valid JSON: %s", jsonProblem(err))
	}
	var m Metadata
	fields := m.fields()
	for _, name := range metadataNames() {
		raw, ok := members[name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, fields[name]); err != nil {
			m.Problems = append(m.Problems, fmt.Sprintf("%s is %s, not %s", name, jsonKindOfRaw(raw), goTypeName(reflectTypeName(fields[name]))))
		}
	}
	if m.Issuer == "" {
		return nil, errors.New("the metadata document has no issuer string (required: OIDC Discovery §3, RFC 8414 §2)")
	}
	return &m, nil
}

// metadataNames are the member names of Metadata.fields, sorted (so problems are
// reported in a stable order), computed once.
var metadataNames = sync.OnceValue(func() []string {
	var m Metadata
	names := make([]string, 0, 64)
	for name := range m.fields() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
})

// fields maps each member name to the field it decodes into.
func (m *Metadata) fields() map[string]any {
	return map[string]any{
		"issuer":                                         &m.Issuer,
		"authorization_endpoint":                         &m.AuthorizationEndpoint,
		"token_endpoint":                                 &m.TokenEndpoint,
		"jwks_uri":                                       &m.JWKSURI,
		"userinfo_endpoint":                              &m.UserinfoEndpoint,
		"registration_endpoint":                          &m.RegistrationEndpoint,
		"introspection_endpoint":                         &m.IntrospectionEndpoint,
		"revocation_endpoint":                            &m.RevocationEndpoint,
		"device_authorization_endpoint":                  &m.DeviceAuthorizationEndpoint,
		"end_session_endpoint":                           &m.EndSessionEndpoint,
		"pushed_authorization_request_endpoint":          &m.PushedAuthorizationRequestEndpoint,
		"scopes_supported":                               &m.ScopesSupported,
		"response_types_supported":                       &m.ResponseTypesSupported,
		"response_modes_supported":                       &m.ResponseModesSupported,
		"grant_types_supported":                          &m.GrantTypesSupported,
		"token_endpoint_auth_methods_supported":          &m.TokenEndpointAuthMethodsSupported,
		"code_challenge_methods_supported":               &m.CodeChallengeMethodsSupported,
		"id_token_signing_alg_values_supported":          &m.IDTokenSigningAlgValuesSupported,
		"subject_types_supported":                        &m.SubjectTypesSupported,
		"claims_supported":                               &m.ClaimsSupported,
		"authorization_response_iss_parameter_supported": &m.AuthorizationResponseIssParameterSupported,
		"require_pushed_authorization_requests":          &m.RequirePushedAuthorizationRequests,
	}
}

func reflectTypeName(p any) string {
	switch p.(type) {
	case *string:
		return "string"
	case *[]string:
		return "[]string"
	case *bool:
		return "bool"
	}
	return fmt.Sprintf("%T", p)
}

func jsonKindOfRaw(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid JSON"
	}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if _, ok := x.(string); !ok {
				return "an array holding " + jsonKindOf(x)
			}
		}
	}
	return jsonKindOf(v)
}

// jsonProblem says what encoding/json disliked, naming the member when it can.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("member %q is a JSON %s, expected %s", field, te.Value, goTypeName(te.Type.String()))
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	return err.Error()
}

func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "bool":
		return "a boolean"
	}
	return t
}

// wellKnownURLs returns the OpenID discovery URL (OIDC Discovery §4.1: the issuer with
// "/.well-known/openid-configuration" appended) and the RFC 8414 §3.1 URL (the
// well-known segment inserted between the host and the issuer's path).
func wellKnownURLs(issuer string) (oidcURL, oauthURL string) {
	oidcURL = strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	u, err := url.Parse(issuer)
	if err != nil {
		return oidcURL, ""
	}
	path := strings.TrimSuffix(u.Path, "/")
	u.Path = "/.well-known/oauth-authorization-server" + path
	u.RawPath = ""
	return oidcURL, u.String()
}

// state is what a flow's steps share. Only the engine's Next touches it.
type state struct {
	issuer      string
	meta        *Metadata
	metaSpec    string // "OIDC Discovery §4.3" or "RFC 8414 §3.3"
	authzURL    string
	tokenURL    string
	jwksURL     string
	userinfoURL string

	// prepared by the client before the authorization request
	state     string
	nonce     string
	verifier  string
	challenge string

	// the authorization request as sent
	authzSent   *record.Request
	authzFull   string // the full authorization URL sent to the browser
	redirectURI string
	scopeSent   string
	callback    *record.Callback
	code        string

	tokens Tokens
	jwks   *token.JWKS

	ext extState // client authentication, PAR and quirks (quirks.go, par.go)
}

func (s *state) init(e *engine) {
	p := e.cfg.Provider
	s.issuer = p.Issuer
	s.authzURL = p.AuthorizationEndpoint
	s.tokenURL = p.TokenEndpoint
	s.jwksURL = p.JWKSURI
	s.userinfoURL = p.UserinfoEndpoint
	s.redirectURI = e.cfg.Client.RedirectURI
	s.scopeSent = strings.Join(e.cfg.Scopes, " ")
}

// defaultScope says that a browser flow with an issuer was given no scope.
type defaultScope struct {
	on           bool // the flow asks for openid until discovery says otherwise
	responseType bool // the implicit response_type was defaulted along with it
}

// defaultScopeFor decides whether a flow starts with the openid default: an
// authorization code, PKCE or implicit flow with an issuer to discover and no
// scope. An implicit flow that asked for response_type=token is plain OAuth.
func defaultScopeFor(kind Kind, cfg Config) defaultScope {
	if len(cfg.Scopes) > 0 || strings.TrimSpace(cfg.Provider.Issuer) == "" || cfg.Quirks.NoDiscovery || !redirectFlow(kind) {
		return defaultScope{}
	}
	if kind == KindImplicit && cfg.ResponseType != "" && !strings.Contains(cfg.ResponseType, "id_token") {
		return defaultScope{}
	}
	return defaultScope{on: true, responseType: kind == KindImplicit && cfg.ResponseType == ""}
}

// settleDefaultScope keeps or drops the openid default once discovery knows the
// provider. An OpenID Connect discovery document makes it an OpenID provider:
// openid stays. RFC 8414 metadata alone (or none) means plain OAuth: the scope is
// dropped, so the request carries none and the provider applies its default
// (RFC 6749 §3.3), and the steps are listed again without nonce and ID token.
// An implicit flow that asked for an ID token keeps openid, which it needs.
func (e *engine) settleDefaultScope(b *builder, openIDProvider bool) {
	if !e.openIDDefault.on {
		return
	}
	e.openIDDefault.on = false
	if openIDProvider {
		b.note("No scope was given: the provider publishes OpenID Connect discovery, so the client asks for " +
			"scope=openid and runs the OpenID Connect variant (nonce, ID token and its checks; OIDC Core §3.1.2.1). " +
			"Give scopes to ask for something else (scopes without openid make it plain OAuth 2.0).")
		return
	}
	if e.kind == KindImplicit && !e.openIDDefault.responseType {
		b.note("No scope was given and the provider publishes no OpenID Connect discovery document, but response_type "+
			"%s asks for an ID token, so the client still asks for scope=openid (OIDC Core §3.2.2.1).", e.cfg.ResponseType)
		return
	}
	b.note("No scope was given and the provider publishes no OpenID Connect discovery document, so the client " +
		"treats it as a plain OAuth 2.0 server: no scope parameter is sent and the provider applies its default " +
		"scope (RFC 6749 §3.3); no nonce, no ID token.")
	e.cfg.Scopes = nil
	e.oidc = false
	e.st.scopeSent = ""
	if e.openIDDefault.responseType {
		e.cfg.ResponseType = "token"
	}
	rebuilt := e.buildSteps()
	e.mu.Lock()
	defer e.mu.Unlock()
	i := b.rec.Index
	if len(rebuilt) <= i || rebuilt[i].plan.ID != e.steps[i].plan.ID {
		return // cannot happen: discovery is built first whatever the scopes
	}
	e.steps = append(e.steps[:i+1:i+1], rebuilt[i+1:]...)
}

func discoveryStep(e *engine) step {
	oidcURL, oauthURL := wellKnownURLs(e.cfg.Provider.Issuer)
	return step{
		plan: record.StepPlan{ID: "discovery", Title: "Discover the provider", Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "GET /.well-known/openid-configuration"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "provider metadata (JSON)"},
		}},
		specs: []record.SpecRef{
			{Spec: "OpenID Connect Discovery 1.0", Section: "§4", Title: "Obtaining OpenID Provider configuration information"},
			{Spec: "RFC 8414", Section: "§3", Title: "Obtaining authorization server metadata"},
			{Spec: "OpenID Connect Discovery 1.0", Section: "§4.3", Title: "Issuer must match"},
		},
		explanation: "The client learns where the provider's endpoints are and what it supports by " +
			"fetching its metadata document: " + oidcURL + " (OpenID Connect Discovery), falling back to " +
			oauthURL + " (RFC 8414). The issuer in the document must equal the issuer the client " +
			"started from, character for character, or an attacker's metadata could redirect the " +
			"client to other endpoints (OIDC Discovery §4.3, RFC 8414 §3.3).",
		run: runDiscovery,
	}
}

func runDiscovery(ctx context.Context, e *engine, b *builder) {
	issuer := e.cfg.Provider.Issuer
	oidcURL, oauthURL := wellKnownURLs(issuer)
	docs := []struct{ url, spec, name string }{
		{oidcURL, "OIDC Discovery §4.3", "OpenID Connect Discovery"},
		{oauthURL, "RFC 8414 §3.3", "RFC 8414 metadata"},
	}
	var problems []string
	var fetched *fetchedMetadata
	network := true
	for _, d := range docs {
		m, doc, problem, isNet := e.fetchMetadata(ctx, d.url)
		if ctx.Err() != nil {
			b.fail(record.ErrCanceled, "discovery cancelled: %v", ctx.Err())
			return
		}
		if m != nil {
			e.st.meta, e.st.metaSpec, fetched = m, d.spec, doc
			b.note("Metadata found at %s (%s).", d.url, d.name)
			e.settleDefaultScope(b, d.url == oidcURL)
			break
		}
		network = network && isNet
		problems = append(problems, d.url+": "+problem)
	}
	if e.st.meta == nil {
		summary := strings.Join(problems, "; ")
		e.settleDefaultScope(b, false)
		if e.handEndpointsSuffice() {
			b.check(record.Check{Name: "provider metadata", Outcome: record.OutcomeWarn,
				Reason: "no metadata document (" + summary + "); using the endpoints given by hand",
				Spec:   "RFC 8414 §3"})
			e.resolveEndpoints(b)
			return
		}
		kind := record.ErrResponse
		if network {
			kind = record.ErrNetwork
		}
		b.fail(kind, "no provider metadata: %s. Check the issuer, or give the endpoints by hand", summary)
		return
	}
	m := e.st.meta
	b.check(record.Check{
		Name: "issuer matches", Expected: issuer, Actual: m.Issuer, Spec: e.st.metaSpec,
		Outcome: outcome(m.Issuer == issuer),
		Reason: pick(m.Issuer == issuer, "the metadata names the issuer the client started from",
			"the metadata names another issuer: the client must not use it (a mix-up or a misconfigured provider)"),
	})
	if m.Issuer != issuer {
		return
	}
	e.resolveEndpoints(b)
	e.metadataChecks(b)
	doctorChecks(b, issuer, fetched)
}

// doctorCache keeps the findings of doctor.Analyze per metadata document. The
// analysis is a function of the issuer, the URL, the Content-Type and the bytes
// only, and a front end runs flow after flow against the same provider (the TUI, a
// workshop, `oauthx run --then`), so each distinct document is analysed once. The
// cache is small and emptied when full; the slices in it are never modified.
var doctorCache struct {
	sync.Mutex
	m map[[sha256.Size]byte][]doctor.Check
}

const doctorCacheSize = 64

// analyzeMetadata is doctor.Analyze for a document without key set or client,
// through doctorCache.
func analyzeMetadata(in doctor.Input) []doctor.Check {
	h := sha256.New()
	for _, s := range []string{in.Issuer, in.MetadataURL, in.ContentType} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(in.Metadata)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	doctorCache.Lock()
	found, ok := doctorCache.m[key]
	doctorCache.Unlock()
	if ok {
		return found
	}
	checks := doctor.Analyze(in)
	doctorCache.Lock()
	if doctorCache.m == nil || len(doctorCache.m) >= doctorCacheSize {
		doctorCache.m = make(map[[sha256.Size]byte][]doctor.Check, doctorCacheSize)
	}
	doctorCache.m[key] = checks
	doctorCache.Unlock()
	return checks
}

// doctorChecks runs the provider checks of flows/doctor on the document fetched and
// reports the ones it rates as errors (spec violations), as warnings: they say what is
// wrong with the provider, and the flow goes on to show whether it matters. The rest
// is pointed at in a note; `oauthx doctor` gives the whole report.
func doctorChecks(b *builder, issuer string, doc *fetchedMetadata) {
	if doc == nil {
		return
	}
	var other int
	for _, c := range analyzeMetadata(doctor.Input{Issuer: issuer, MetadataURL: doc.url, Metadata: doc.body, ContentType: doc.contentType}) {
		switch {
		case c.ID == "member-types" || c.ID == "issuer-match":
			// the engine's own checks say these
		case c.Outcome == record.OutcomePass:
		case c.Severity == doctor.SeverityError && c.Outcome == record.OutcomeFail:
			cc := c.Check
			cc.Name = "provider: " + cc.Name
			cc.Outcome = record.OutcomeWarn
			cc.Reason = strings.TrimSpace("a spec violation by the provider (oauthx doctor rates it an error); " + cc.Reason)
			b.check(cc)
		case c.Severity == doctor.SeverityWarning && c.Problem():
			other++
		}
	}
	if other > 0 {
		b.note("oauthx doctor has best-practice findings about this provider's metadata: run `oauthx doctor --issuer %s` for the report.", issuer)
	}
}

// fetchedMetadata is a metadata document as fetched.
type fetchedMetadata struct {
	url, contentType string
	body             []byte
}

// fetchMetadata GETs one well-known URL. It returns the parsed document, or a problem
// and whether the problem was the network (no answer at all).
func (e *engine) fetchMetadata(ctx context.Context, u string) (*Metadata, *fetchedMetadata, string, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err.Error(), false
	}
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, nil, httprec.Describe(err), true
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, nil, httprec.Describe(err), true
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Sprintf("HTTP %d", resp.StatusCode), false
	}
	if !isJSONType(resp.Header.Get("Content-Type")) && !looksLikeJSON(buf.Bytes()) {
		return nil, nil, describeNonJSON(resp.StatusCode, resp.Header.Get("Content-Type"), buf.String()), false
	}
	m, err := ParseMetadata(buf.Bytes())
	if err != nil {
		return nil, nil, err.Error(), false
	}
	return m, &fetchedMetadata{url: u, contentType: resp.Header.Get("Content-Type"), body: buf.Bytes()}, "", false
}

// handEndpointsSuffice reports whether the endpoints given by hand cover the flow.
func (e *engine) handEndpointsSuffice() bool {
	p := e.cfg.Provider
	switch e.kind {
	case KindClientCredentials:
		return p.TokenEndpoint != ""
	case KindDevice:
		return p.DeviceAuthorizationEndpoint != "" && p.TokenEndpoint != "" && (!e.oidc || p.JWKSURI != "")
	case KindImplicit:
		return p.AuthorizationEndpoint != "" && (!e.oidc || p.JWKSURI != "")
	}
	if ok, followUp := followUpHandEndpoints(e); followUp {
		return ok
	}
	return p.AuthorizationEndpoint != "" && p.TokenEndpoint != "" && (!e.oidc || p.JWKSURI != "")
}

// resolveEndpoints picks each endpoint from the hand configuration or the metadata,
// records them as artifacts and checks the flow has what it needs.
func (e *engine) resolveEndpoints(b *builder) {
	m := e.st.meta
	if m == nil {
		m = &Metadata{}
	}
	p := e.cfg.Provider
	type ep struct {
		name, hand, discovered string
		dst                    *string
		needed                 bool
		spec                   string
	}
	browser := redirectFlow(e.kind)
	eps := []ep{
		{"authorization_endpoint", p.AuthorizationEndpoint, m.AuthorizationEndpoint, &e.st.authzURL, browser, "RFC 6749 §3.1"},
		{"token_endpoint", p.TokenEndpoint, m.TokenEndpoint, &e.st.tokenURL, needsTokenEndpoint(e.kind), "RFC 6749 §3.2"},
		{"jwks_uri", p.JWKSURI, m.JWKSURI, &e.st.jwksURL, e.oidc, "OIDC Discovery §3"},
		{"userinfo_endpoint", p.UserinfoEndpoint, m.UserinfoEndpoint, &e.st.userinfoURL, false, "OIDC Core §5.3"},
	}
	for _, x := range eps {
		v, note := x.discovered, "from the provider metadata"
		if x.hand != "" {
			v, note = x.hand, "given by hand"
			if x.discovered != "" && x.discovered != x.hand {
				note += " (overrides " + x.discovered + " from the metadata)"
			}
		}
		*x.dst = v
		if v == "" {
			if x.needed {
				b.check(record.Check{Name: x.name + " present", Outcome: record.OutcomeFail, Spec: x.spec,
					Reason: "the flow needs it and neither the metadata nor the configuration gives it"})
			}
			continue
		}
		if err := checkURL(v, false); err != nil {
			b.check(record.Check{Name: x.name + " is a URL", Outcome: record.OutcomeFail, Actual: v, Reason: err.Error(), Spec: x.spec})
			continue
		}
		if x.needed || x.hand != "" {
			b.artifact(record.Artifact{Name: x.name, Value: v, Note: note})
		}
		if x.needed && !secureURL(v) {
			b.check(record.Check{Name: x.name + " uses TLS", Outcome: record.OutcomeWarn, Actual: v, Spec: x.spec,
				Reason: "plain http is acceptable only on loopback; a real endpoint must use https (RFC 6749 §3.1, §3.2; RFC 8414 §2)"})
		}
	}
}

// metadataChecks checks that the provider supports what this flow is about to use.
func (e *engine) metadataChecks(b *builder) {
	m := e.st.meta
	c := e.cfg
	b.check(record.Check{Name: "metadata member types", Outcome: warnUnless(len(m.Problems) == 0), Spec: "OIDC Discovery §3; RFC 8414 §2",
		Expected: "each member of the type the spec gives it", Actual: orNone(strings.Join(m.Problems, "; ")),
		Reason: pick(len(m.Problems) == 0, "a well-formed document", "members of the wrong type are treated as absent; strict clients reject the whole document")})
	supports := func(name string, list []string, want, defaultNote string, dflt []string, spec string) {
		if len(list) == 0 {
			if dflt != nil && slices.Contains(dflt, want) {
				b.check(record.Check{Name: name, Outcome: record.OutcomePass, Expected: want, Spec: spec,
					Reason: "not listed; " + defaultNote})
				return
			}
			b.check(record.Check{Name: name, Outcome: record.OutcomeWarn, Expected: want, Spec: spec,
				Reason: "the metadata does not say; " + defaultNote})
			return
		}
		ok := slices.Contains(list, want)
		b.check(record.Check{Name: name, Outcome: warnUnless(ok), Expected: want, Actual: strings.Join(list, " "), Spec: spec,
			Reason: pick(ok, "the provider lists it", "the provider does not list it: expect an error from it")})
	}
	switch e.kind {
	case KindAuthorizationCode, KindPKCE:
		supports("response_type code supported", m.ResponseTypesSupported, "code", "response_types_supported is required", nil, "OIDC Discovery §3; RFC 8414 §2")
		supports("authorization_code grant supported", m.GrantTypesSupported, "authorization_code", "the default is authorization_code and implicit", []string{"authorization_code", "implicit"}, "RFC 8414 §2")
	case KindImplicit:
		supports("response_type "+c.ResponseType+" supported", m.ResponseTypesSupported, c.ResponseType, "response_types_supported is required", nil, "OIDC Discovery §3; RFC 8414 §2")
		supports("implicit grant supported", m.GrantTypesSupported, "implicit", "the default is authorization_code and implicit", []string{"authorization_code", "implicit"}, "RFC 8414 §2")
	case KindClientCredentials:
		supports("client_credentials grant supported", m.GrantTypesSupported, "client_credentials", "the default is authorization_code and implicit only", []string{"authorization_code", "implicit"}, "RFC 8414 §2")
	}
	if e.kind == KindPKCE {
		if len(m.CodeChallengeMethodsSupported) == 0 {
			b.check(record.Check{Name: "PKCE supported", Outcome: record.OutcomeWarn, Expected: c.PKCEMethod, Spec: "RFC 8414 §2; RFC 9700 §2.1.1",
				Reason: "code_challenge_methods_supported is absent: by RFC 8414 that means the provider does not support PKCE"})
		} else {
			supports("code_challenge_method "+c.PKCEMethod+" supported", m.CodeChallengeMethodsSupported, c.PKCEMethod, "", nil, "RFC 8414 §2; RFC 7636 §4.2")
		}
	}
	if e.kind != KindImplicit {
		supports("client auth "+c.Client.AuthMethod+" supported", m.TokenEndpointAuthMethodsSupported, c.Client.AuthMethod,
			"the default is client_secret_basic", []string{AuthClientSecretBasic}, "RFC 8414 §2; OIDC Discovery §3")
	}
	if e.oidc {
		algs := m.IDTokenSigningAlgValuesSupported
		if slices.Contains(algs, "none") {
			b.check(record.Check{Name: "alg none not offered", Outcome: record.OutcomeWarn, Actual: strings.Join(algs, " "), Spec: "RFC 8725 §3.1",
				Reason: "the provider lists none; the client never accepts unsigned ID tokens"})
		}
		b.artifact(record.Artifact{Name: "allowed_algs", Value: strings.Join(e.allowedAlgs(), " "),
			Note: "ID token algorithms the client accepts: id_token_signing_alg_values_supported without none (RS256 when not listed, OIDC Discovery §3)"})
	}
	if m.AuthorizationResponseIssParameterSupported {
		b.note("The provider sends iss in authorization responses (RFC 9207): the client requires it on the callback.")
	}
}

// allowedAlgs is the ID token algorithm allow-list: the provider's
// id_token_signing_alg_values_supported as far as the client can verify them, never
// none, RS256 when the provider does not say ([token.AllowList]).
func (e *engine) allowedAlgs() []string {
	var advertised []string
	if e.st.meta != nil {
		advertised = e.st.meta.IDTokenSigningAlgValuesSupported
	}
	allowed, _ := token.AllowList(advertised)
	return allowed
}

func checkURL(raw string, issuer bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q must be an http(s) URL", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if issuer && (u.RawQuery != "" || u.Fragment != "") {
		return fmt.Errorf("an issuer has no query or fragment (RFC 8414 §2), got %q", raw)
	}
	return nil
}

// secureURL reports whether u uses https, or http on a loopback host (RFC 8252 §8.3).
func secureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// describeNonJSON says what came back instead of JSON, so the person sees "the
// provider answered HTML" rather than a parser error.
func describeNonJSON(status int, ctype, body string) string {
	what := "something that is not JSON"
	mt, _, _ := mime.ParseMediaType(ctype)
	lower := strings.ToLower(strings.TrimSpace(body))
	switch {
	case mt == "text/html" || strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html"):
		what = "an HTML page"
	case mt == "text/plain":
		what = "plain text"
	case body == "":
		what = "an empty body"
	}
	if ctype == "" {
		ctype = "no Content-Type"
	}
	msg := fmt.Sprintf("the provider answered %s instead of JSON (HTTP %d, %s)", what, status, ctype)
	if line := firstLine(body, 120); line != "" {
		msg += ": " + line
	}
	return msg
}

// firstLine returns the first non-blank line of s, cut to max runes.
func firstLine(s string, max int) string {
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		r := []rune(line)
		if len(r) > max {
			return string(r[:max]) + "…"
		}
		return line
	}
	return ""
}

func outcome(ok bool) record.Outcome {
	if ok {
		return record.OutcomePass
	}
	return record.OutcomeFail
}

func warnUnless(ok bool) record.Outcome {
	if ok {
		return record.OutcomePass
	}
	return record.OutcomeWarn
}

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
