package flows

import (
	"context"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// implicitSteps are the steps of the implicit grant (RFC 6749 §4.2; OIDC Core §3.2),
// kept so people can see why current practice abandoned it (RFC 9700 §2.1.2).
func implicitSteps(e *engine) []step {
	var steps []step
	if e.cfg.Provider.Issuer != "" {
		steps = append(steps, discoveryStep(e))
	}
	auth := authorizeStep(e)
	auth.plan.Arrows = []record.Arrow{{From: record.ActorClient, To: record.ActorBrowser,
		Label: "302 to /authorize?response_type=" + strings.ReplaceAll(e.cfg.ResponseType, " ", "+") + "&…"}}
	info, _ := LookupKind(string(KindImplicit))
	auth.specs = []record.SpecRef{
		{Spec: "RFC 6749", Section: "§4.2.1", Title: "Authorization request"},
		{Spec: "RFC 9700", Section: "§2.1.2", Title: "Implicit grant"},
	}
	if e.oidc {
		auth.specs = append(auth.specs, record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§3.2.2.1", Title: "Authentication request"})
	}
	auth.explanation = "Deprecated. " + info.Deprecated + " " +
		"In the implicit grant the browser asks for tokens directly (response_type=" + e.cfg.ResponseType + "); " +
		"they come back in the URL fragment, never in a back-channel request, and no client authentication " +
		"or PKCE can bind them to this client. Edit any parameter to see what the provider and the client checks say."
	run := auth.run
	auth.run = func(ctx context.Context, e *engine, b *builder) {
		b.check(record.Check{Name: "grant recommended", Outcome: record.OutcomeWarn, Expected: "authorization code with PKCE",
			Actual: "implicit", Spec: "RFC 9700 §2.1.2", Reason: strings.TrimPrefix(info.Deprecated, "RFC 9700 §2.1.2: ")})
		run(ctx, e, b)
	}

	cb := callbackStep(e)
	cb.plan.Title = "Check the response and its tokens"
	cb.explanation += " Here the response itself carries the tokens, in the fragment, so the client " +
		"also checks they are all there and of the expected type (RFC 6749 §4.2.2)."
	steps = append(steps, prepareStep(e), auth, loginStep(e), cb)
	if strings.Contains(e.cfg.ResponseType, "id_token") {
		steps = append(steps, idTokenStep(e))
	}
	return steps
}

// implicitTokens checks and records the tokens of an implicit authorization response.
func (e *engine) implicitTokens(b *builder, cb record.Callback) {
	p := cb.Params
	mode := cb.Mode
	fragmentOK := mode == "fragment" || mode == "form_post"
	b.check(record.Check{Name: "tokens not in the query", Outcome: outcome(fragmentOK), Expected: "fragment (or form_post)", Actual: mode,
		Spec:   "OAuth 2.0 Multiple Response Types §2.1; RFC 6749 §4.2.2",
		Reason: pick(fragmentOK, "the fragment is not sent to servers", "tokens in the query string reach server logs and Referer headers; must not be used")})
	rt := e.cfg.ResponseType
	if e.st.authzSent != nil && e.st.authzSent.Get("response_type") != "" {
		rt = e.st.authzSent.Get("response_type")
	}
	wantAT := strings.Contains(" "+rt+" ", " token ")
	wantID := strings.Contains(rt, "id_token")
	tr := &tokenResponse{AccessToken: p["access_token"], TokenType: p["token_type"], IDToken: p["id_token"]}
	if s, ok := p["scope"]; ok {
		tr.Scope, tr.HasScope = s, true
	}
	if wantAT {
		b.check(accessTokenCheck(tr.AccessToken))
		b.check(tokenTypeCheck(tr.TokenType))
		var exp any
		if v, ok := p["expires_in"]; ok {
			exp = v
		}
		b.check(expiresInCheck(exp, false, tr))
	}
	if tr.AccessToken != "" && !wantAT {
		b.warn("an access_token came back although response_type %q did not ask for one", rt)
	}
	e.recordTokens(b, tr, tokenExpect{scope: e.st.scopeSent, idToken: wantID, implicit: true})
}
