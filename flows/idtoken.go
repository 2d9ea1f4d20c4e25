package flows

import (
	"context"
	"fmt"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

func idTokenStep(e *engine) step {
	specs := []record.SpecRef{
		{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7", Title: "ID token validation"},
		{Spec: "RFC 8725", Section: "§3.1", Title: "Perform algorithm verification"},
		{Spec: "RFC 7517", Section: "§5", Title: "JWK Set"},
	}
	if e.kind == KindImplicit {
		specs = append(specs, record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§3.2.2.11", Title: "ID token validation (implicit)"})
	}
	return step{
		plan: record.StepPlan{ID: "id-token", Title: "Validate the ID token", Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "GET jwks_uri"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "JWK Set"},
		}},
		specs: specs,
		explanation: "Before trusting who the user is, the client validates the ID token check by check: the " +
			"signature with the provider's key (found by kid in the JWKS, fetched once per flow and again once " +
			"if the kid is unknown) and an algorithm from an allow-list (never none); then iss, aud, azp, exp, " +
			"iat and nbf (allowing " + token.FormatSkew(e.cfg.ClockSkew) + " of clock skew)" +
			pick(e.kind == KindImplicit, ", the nonce it sent, and at_hash, which binds the ID token to the access token that came with it",
				" and the nonce it sent") + ".",
		run: runIDToken,
	}
}

func runIDToken(ctx context.Context, e *engine, b *builder) {
	raw := e.st.tokens.IDToken
	if raw == "" {
		b.check(record.Check{Name: "id_token present", Outcome: record.OutcomeFail, Spec: "OIDC Core §3.1.3.3",
			Reason: "there is no ID token to validate"})
		return
	}
	if e.st.jwksURL == "" {
		b.fail(record.ErrConfig, "no jwks_uri: the ID token's signature cannot be checked")
		return
	}
	if e.st.jwks == nil {
		e.st.jwks = token.NewJWKS(e.st.jwksURL, e.client)
	}
	rt := ""
	if e.st.authzSent != nil {
		rt = e.st.authzSent.Get("response_type")
	}
	params := token.IDTokenParams{
		Issuer:        e.st.issuer,
		ClientID:      e.cfg.Client.ID,
		Nonce:         e.st.nonce,
		AccessToken:   e.st.tokens.AccessToken,
		RequireAtHash: e.kind == KindImplicit && strings.Contains(" "+rt+" ", " token "),
		AllowedAlgs:   e.allowedAlgs(),
		ClientSecret:  e.cfg.Client.Secret,
		Now:           e.now(),
		Skew:          e.cfg.ClockSkew,
	}
	before := e.st.jwks.Fetches()
	tok, checks := token.ValidateIDToken(ctx, raw, params, e.st.jwks)
	if ctx.Err() != nil {
		b.fail(record.ErrCanceled, "cancelled while validating the ID token: %v", ctx.Err())
		return
	}
	for _, c := range checks {
		b.check(c)
	}
	note := token.Describe(tok)
	if !token.Valid(checks) {
		note += "; REJECTED: a check failed"
	}
	b.artifact(record.Artifact{Name: "id_token", Value: raw, Token: tok, Note: note})
	b.note("Algorithms accepted: %s. Clock skew allowed: %s.", strings.Join(params.AllowedAlgs, ", "), token.FormatSkew(params.Skew))
	if n := e.st.jwks.Fetches() - before; n > 0 {
		b.note("JWKS fetched from %s (%s this step, %d in this flow).", e.st.jwksURL, times(n), e.st.jwks.Fetches())
	}
	for _, n := range e.st.jwks.Notes() {
		b.note("JWKS: %s", n)
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
