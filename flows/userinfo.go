package flows

import (
	"context"
	"fmt"
	"mime"
	"net/http"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

func (fu *followUp) userinfoStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "userinfo", Title: "Fetch the user's claims", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "GET /userinfo (Authorization: Bearer …)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "claims (JSON)"},
		}},
		specs: []record.SpecRef{
			{Spec: "OpenID Connect Core 1.0", Section: "§5.3", Title: "UserInfo endpoint"},
			{Spec: "OpenID Connect Core 1.0", Section: "§5.3.4", Title: "UserInfo response validation"},
			{Spec: "RFC 6750", Section: "§2.1", Title: "Authorization request header field"},
		},
		explanation: "The client asks the provider for the user's claims with the access token, as a bearer token. " +
			"The answer is a JSON object (or a signed JWT when the client registered for one). The client must check " +
			"that its sub equals the sub of the ID token: otherwise the claims may be about someone else (token " +
			"substitution), and must not be used (OIDC Core §5.3.4).",
		pending: func(e *engine) (record.Request, error) {
			return record.Request{Method: http.MethodGet, URL: e.lifecycleEndpoint(e.cfg.Provider.UserinfoEndpoint, e.meta().UserinfoEndpoint),
				Params: []record.Param{bearerParam(e.st.tokens.AccessToken)}}, nil
		},
		run: fu.runUserinfo,
	}
}

func (fu *followUp) runUserinfo(ctx context.Context, e *engine, b *builder) {
	req := b.req
	if req.URL == "" {
		b.skip("the provider advertises no userinfo_endpoint (OIDC Discovery §3) and none was given by hand")
		return
	}
	ex, ok := e.sendBearer(ctx, b, req, "the UserInfo endpoint")
	if !ok {
		return
	}
	r := ex.Response
	if r.Status != http.StatusOK {
		fu.explainRefusal(e, b, ex, req.Get("access_token"))
		if b.err != nil && b.err.Protocol != nil && b.err.Protocol.Code == "insufficient_scope" {
			b.note("UserInfo needs an access token issued with the openid scope (OIDC Core §5.3).")
		}
		return
	}
	now := e.now()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var claims map[string]any
	if mt == "application/jwt" {
		tok := token.Decode(r.Body, now)
		b.artifact(record.Artifact{Name: "userinfo", Value: r.Body, Token: tok,
			Note: "a signed UserInfo response (OIDC Core §5.3.2), decoded but not verified"})
		claims = map[string]any{}
		for _, c := range tok.Claims {
			claims[c.Name] = c.Value
		}
	} else {
		b.check(record.Check{Name: "Content-Type", Outcome: warnUnless(isJSONType(r.Header.Get("Content-Type"))), Expected: "application/json",
			Actual: orNone(r.Header.Get("Content-Type")), Spec: "OIDC Core §5.3.2"})
		m, ok := jsonObject(b, ex, "the UserInfo response")
		if !ok {
			return
		}
		claims = m
		b.artifact(record.Artifact{Name: "userinfo", Value: r.Body,
			Token: &record.Token{Format: record.FormatOpaque, Claims: claimsOf(m, now)},
			Note:  "the user's claims, released according to the scopes granted (OIDC Core §5.4)"})
	}
	sub, _ := claims["sub"].(string)
	b.check(record.Check{Name: "sub present", Outcome: outcome(sub != ""), Actual: orNone(sub), Spec: "OIDC Core §5.3.2",
		Reason: pick(sub != "", "the sub claim is always returned", "the sub claim MUST always be returned")})
	want := idTokenSub(e.st.tokens.IDToken, now)
	c := record.Check{Name: "sub equals the ID token's", Expected: orNone(want), Actual: orNone(sub), Spec: "OIDC Core §5.3.4"}
	switch {
	case want == "":
		c.Outcome, c.Reason = record.OutcomeSkip, "no ID token to compare with (a plain OAuth flow)"
	case sub == want:
		c.Outcome, c.Reason = record.OutcomePass, "the claims are about the user the ID token identified"
	default:
		c.Outcome = record.OutcomeFail
		c.Reason = fmt.Sprintf("the UserInfo response is about another subject than the ID token (%s): the claims must not be used (token substitution)", want)
	}
	b.check(c)
}
