package flows

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// Quirks are the ways a provider departs from the specs that the engine adapts to.
// The zero value means "the provider follows the specs". flows/provider fills it from
// a preset ([provider.Quirks] holds the same switches); the engine has no knowledge of
// particular providers.
//
// Every quirk applied is said in the step it changes, as a note starting with
// "quirk applied", so the person sees where the flow departs from the specs.
type Quirks struct {
	// Provider names the provider in the notes ("GitHub"); empty means the
	// provider's configured name.
	Provider string
	// TokenHeaders are added to every request to the token endpoint, e.g.
	// Accept: application/json for GitHub, which answers form-encoded without it.
	TokenHeaders map[string]string
	// TolerateStringExpiresIn: an expires_in sent as a JSON string is expected
	// (RFC 6749 §5.1 says a number); it is accepted with a warning that names the quirk.
	TolerateStringExpiresIn bool
	// ErrorsWithStatus200: the token endpoint reports errors with HTTP 200 and an
	// "error" member; they are treated as the error responses they are.
	ErrorsWithStatus200 bool
	// ScopeSeparator separates the granted scope in token responses when it is not a
	// space (GitHub: ","); the scope is split on it before it is compared.
	ScopeSeparator string
	// PKCESupportedUnadvertised: the provider supports PKCE (S256) although its
	// metadata has no code_challenge_methods_supported; no warning about it.
	PKCESupportedUnadvertised bool
	// IssuerTemplate is the issuer the metadata announces with a placeholder,
	// "{tenantid}", filled per ID token from its tid claim (Entra ID's common,
	// organizations and consumers endpoints). The discovery issuer check accepts the
	// template, and the ID token's iss is checked against the filled template.
	IssuerTemplate string
	// IssuerAliases are other spellings of the issuer accepted in the ID token's iss
	// (Google: "accounts.google.com").
	IssuerAliases []string
	// NoDiscovery: the provider publishes no metadata and no ID tokens; endpoints come
	// by hand, and the discovery and ID token steps are skipped with the reason.
	NoDiscovery bool
}

// IsZero reports whether q asks for no adaptation.
func (q Quirks) IsZero() bool {
	return q.Provider == "" && len(q.TokenHeaders) == 0 && !q.TolerateStringExpiresIn && !q.ErrorsWithStatus200 &&
		q.ScopeSeparator == "" && !q.PKCESupportedUnadvertised && q.IssuerTemplate == "" &&
		len(q.IssuerAliases) == 0 && !q.NoDiscovery
}

// extState is the per-flow state of the extensions in this file and par.go.
type extState struct {
	// oidcWithoutDiscovery: openid was asked of a provider without discovery.
	oidcWithoutDiscovery bool
	// issuerTemplated: discovery accepted the metadata's templated issuer.
	issuerTemplated bool
	// requestURI is the PAR request_uri; pushed is the request as pushed.
	requestURI string
	pushed     *record.Request
}

// providerName names the provider in quirk notes.
func (e *engine) providerName() string {
	switch {
	case e.cfg.Quirks.Provider != "":
		return e.cfg.Quirks.Provider
	case e.cfg.Provider.Name != "":
		return e.cfg.Provider.Name
	}
	return "the provider"
}

// quirkNote is the prefix of every note about a quirk the engine applied.
func (e *engine) quirkNote(name string) string {
	return "quirk applied (" + e.providerName() + ", " + name + "): "
}

// applyConfigQuirks adapts the configuration before the steps are built.
func (e *engine) applyConfigQuirks() {
	if e.cfg.Quirks.NoDiscovery {
		e.cfg.Provider.Issuer = ""
		e.st.ext.oidcWithoutDiscovery = e.oidc
		e.oidc = false
	}
}

// extendSteps adds PAR and the skipped steps of a provider without discovery, and
// wraps every step so the quirks and the client assertion are applied and shown.
func (e *engine) extendSteps(steps []step) []step {
	if e.cfg.PAR {
		steps = e.withPAR(steps)
	}
	if e.cfg.Quirks.NoDiscovery {
		disc := skippedStep("discovery", "Discover the provider",
			e.quirkNote("no-discovery")+"the provider publishes no metadata (neither OpenID Connect Discovery nor RFC 8414), "+
				"so the endpoints come from the configuration.",
			record.SpecRef{Spec: "RFC 8414", Section: "§3", Title: "Obtaining authorization server metadata"})
		steps = append([]step{disc}, steps...)
		if e.st.ext.oidcWithoutDiscovery {
			steps = append(steps, skippedStep("id-token", "Validate the ID token",
				e.quirkNote("no-discovery")+"the provider issues no ID tokens and publishes no JWKS: scope openid means "+
					"nothing there, so there is nothing to validate.",
				record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7", Title: "ID token validation"}))
		}
	}
	for i := range steps {
		steps[i].run = e.wrapRun(steps[i].plan.ID, steps[i].run)
	}
	return steps
}

// skippedStep is a step that only says why it does not run.
func skippedStep(id, title, why string, spec record.SpecRef) step {
	return step{
		plan: record.StepPlan{ID: id, Title: title, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorClient, Label: "skipped"},
		}},
		specs:       []record.SpecRef{spec},
		explanation: why,
		run: func(_ context.Context, _ *engine, b *builder) {
			b.rec.Status = record.StatusSkipped
		},
	}
}

// wrapRun applies the quirks around a step's run and records the client assertion
// the step's request carries.
func (e *engine) wrapRun(id string, run func(context.Context, *engine, *builder)) func(context.Context, *engine, *builder) {
	return func(ctx context.Context, e *engine, b *builder) {
		if b.rec.Request != nil {
			e.assertionArtifact(b, b.req)
		}
		var restore func()
		if id == "id-token" {
			restore = e.idTokenIssuerQuirks(b)
		}
		run(ctx, e, b)
		if restore != nil {
			restore()
		}
		if id == "discovery" && b.rec.Status != record.StatusSkipped {
			e.discoveryQuirks(b)
		}
		e.tokenQuirks(b)
	}
}

// discoveryQuirks: the templated issuer, PKCE not advertised, PAR required.
func (e *engine) discoveryQuirks(b *builder) {
	q, m := e.cfg.Quirks, e.st.meta
	if m == nil {
		return
	}
	for i, c := range b.rec.Checks {
		if c.Name == "issuer matches" && c.Outcome == record.OutcomeFail && q.IssuerTemplate != "" && c.Actual == q.IssuerTemplate {
			b.rec.Checks[i].Outcome = record.OutcomeWarn
			b.rec.Checks[i].Reason = e.quirkNote("templated-issuer") + "the metadata's issuer is a template, not the URL it came " +
				"from (a violation of " + c.Spec + "); each ID token's iss is checked against it with {tenantid} replaced by the token's tid claim"
			e.st.ext.issuerTemplated = true
			e.resolveEndpoints(b)
			e.metadataChecks(b)
			break
		}
	}
	for i, c := range b.rec.Checks {
		if c.Name == "PKCE supported" && c.Outcome == record.OutcomeWarn && q.PKCESupportedUnadvertised {
			b.rec.Checks[i].Outcome = record.OutcomePass
			b.rec.Checks[i].Reason = e.quirkNote("pkce-unadvertised") + "the provider supports PKCE (S256) although " +
				"code_challenge_methods_supported is absent; the client uses it anyway"
		}
	}
	if m.RequirePushedAuthorizationRequests && !e.cfg.PAR && e.kind != KindClientCredentials {
		b.check(record.Check{Name: "pushed authorization requests", Outcome: record.OutcomeWarn, Expected: "PAR", Actual: "a plain authorization request",
			Spec: "RFC 9126 §5", Reason: "the provider requires pushed authorization requests (require_pushed_authorization_requests): expect it to refuse this one; run with PAR"})
	}
}

// idTokenIssuerQuirks sets the issuer the ID token's iss is checked against, for a
// templated issuer or an alias, and returns what puts it back.
func (e *engine) idTokenIssuerQuirks(b *builder) func() {
	q := e.cfg.Quirks
	raw := e.st.tokens.IDToken
	if raw == "" || (q.IssuerTemplate == "" && len(q.IssuerAliases) == 0) {
		return nil
	}
	claims := map[string]any{}
	if tok := token.Decode(raw, e.now()); tok != nil {
		for _, c := range tok.Claims {
			claims[c.Name] = c.Value
		}
	}
	saved := e.st.issuer
	iss, _ := claims["iss"].(string)
	switch {
	case e.st.ext.issuerTemplated:
		tid, _ := claims["tid"].(string)
		if tid == "" {
			b.note("%sthe ID token has no tid claim, so the templated issuer cannot be filled; iss is checked against %s.", e.quirkNote("templated-issuer"), e.st.issuer)
			return nil
		}
		e.st.issuer = strings.ReplaceAll(q.IssuerTemplate, "{tenantid}", tid)
		b.note("%siss is checked against %s: the metadata's %s with {tenantid} replaced by the token's tid claim (%s).",
			e.quirkNote("templated-issuer"), e.st.issuer, q.IssuerTemplate, tid)
	case iss != "" && iss != e.st.issuer && slices.Contains(q.IssuerAliases, iss):
		e.st.issuer = iss
		b.note("%sthe ID token's iss %q is another spelling of the issuer %s that this provider documents as valid.",
			e.quirkNote("iss-alias"), iss, saved)
	default:
		return nil
	}
	return func() { e.st.issuer = saved }
}

// tokenQuirks explains, on a step that called the token endpoint, the quirks that
// changed what was sent or how the answer was read.
func (e *engine) tokenQuirks(b *builder) {
	q := e.cfg.Quirks
	if q.IsZero() || e.st.tokenURL == "" {
		return
	}
	called := false
	for _, ex := range b.rec.Exchanges {
		if strings.SplitN(ex.Request.URL, "?", 2)[0] == e.st.tokenURL {
			called = true
		}
	}
	if !called {
		return
	}
	if len(q.TokenHeaders) > 0 {
		var hs []string
		for _, k := range slices.Sorted(maps.Keys(q.TokenHeaders)) {
			hs = append(hs, k+": "+q.TokenHeaders[k])
		}
		why := "the provider needs them"
		if strings.Contains(strings.ToLower(q.TokenHeaders["Accept"]), "json") {
			why = "it answers form-encoded unless asked for JSON"
		}
		b.note("%ssent %s on the token request: %s.", e.quirkNote("token-headers"), strings.Join(hs, ", "), why)
	}
	for i, c := range b.rec.Checks {
		switch {
		case c.Name == "error status" && q.ErrorsWithStatus200:
			b.rec.Checks[i].Reason = e.quirkNote("errors-with-200") + "this provider reports token errors with HTTP 200 and an error member; read as the error response it is (" + c.Reason + ")"
		case c.Name == "expires_in" && q.TolerateStringExpiresIn && strings.HasPrefix(c.Actual, `"`):
			b.rec.Checks[i].Reason = e.quirkNote("string-expires-in") + c.Reason
		case c.Name == "scope granted" && q.ScopeSeparator != "" && q.ScopeSeparator != " " && strings.Contains(c.Actual, q.ScopeSeparator):
			granted := strings.Join(strings.FieldsFunc(c.Actual, func(r rune) bool { return strings.ContainsRune(q.ScopeSeparator, r) || r == ' ' }), " ")
			requested := c.Expected
			if requested == orNone("") {
				requested = ""
			}
			nc := scopeCheck(requested, &tokenResponse{Scope: granted, HasScope: true})
			nc.Actual = c.Actual
			nc.Reason = e.quirkNote("scope-separator") + fmt.Sprintf("the granted scope is separated by %q; read as %q: ", q.ScopeSeparator, granted) + nc.Reason
			b.rec.Checks[i] = nc
			if e.st.tokens.Scope == c.Actual {
				e.st.tokens.Scope = granted
			}
		}
	}
}

// tokenHTTPClient is the client for token requests: the recording client, with the
// quirk's extra headers added to requests to the token endpoint.
func (e *engine) tokenHTTPClient() *http.Client {
	if len(e.cfg.Quirks.TokenHeaders) == 0 {
		return e.client
	}
	c := *e.client
	c.Transport = &headerTransport{base: e.client.Transport, headers: e.cfg.Quirks.TokenHeaders}
	return &c
}

// addQuirkHeaders adds the quirk's token request headers to req.
func (e *engine) addQuirkHeaders(req *http.Request) {
	for k, v := range e.cfg.Quirks.TokenHeaders {
		req.Header.Set(k, v)
	}
}

// headerTransport adds headers to every request, above the recorder so the
// recorded exchange shows them.
type headerTransport struct {
	base    http.RoundTripper
	headers map[string]string
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for k, v := range t.headers {
		r.Header.Set(k, v)
	}
	return t.base.RoundTrip(r)
}
