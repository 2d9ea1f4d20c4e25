package flows

import (
	"context"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthx/oauthx/flows/record"
)

func (fu *followUp) refreshStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "refresh", Title: "Refresh the tokens", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (grant_type=refresh_token)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "new access_token (and refresh_token)"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 6749", Section: "§6", Title: "Refreshing an access token"},
			{Spec: "RFC 9700", Section: "§4.14.2", Title: "Refresh token protection: rotation"},
			{Spec: "OpenID Connect Core 1.0", Section: "§12.2", Title: "Successful refresh response"},
		},
		explanation: "The client trades its refresh token for a new access token, in a back-channel POST to the " +
			"token endpoint, with the same client authentication as before; the user is not involved. A provider " +
			"that rotates refresh tokens (RFC 9700 §4.14.2) also sends a new refresh token and spends the old one: " +
			"the chain below shows which is which. If no new refresh token comes back, the old one stays valid.",
		pending: func(e *engine) (record.Request, error) { return fu.pendingRefresh(e, e.st.tokens.RefreshToken) },
		run:     fu.runRefresh,
	}
}

func (fu *followUp) pendingRefresh(e *engine, rt string) (record.Request, error) {
	r := record.Request{Method: "POST", URL: e.st.tokenURL, AuthMethod: e.cfg.Client.AuthMethod}
	r.Params = append(r.Params,
		record.Param{Name: "grant_type", Value: "refresh_token", Note: "RFC 6749 §6"},
		record.Param{Name: "refresh_token", Value: rt, Secret: true, Note: "the refresh token the client holds (RFC 6749 §6)"})
	e.addClientAuth(&r)
	return r, nil
}

// sendRefresh sends a refresh request: through golang.org/x/oauth2 unless edited.
func (fu *followUp) sendRefresh(ctx context.Context, e *engine, b *builder, req record.Request) (*tokenResponse, bool) {
	return e.sendTokenRequest(ctx, b, req, func(ctx context.Context) error {
		conf := e.oauth2Config("", req.URL)
		// An expired token with only a refresh token makes the source refresh at once.
		_, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: req.Get("refresh_token"), Expiry: time.Unix(1, 0)}).Token()
		return err
	})
}

func (fu *followUp) runRefresh(ctx context.Context, e *engine, b *builder) {
	old := e.st.tokens
	tr, ok := fu.sendRefresh(ctx, e, b, b.req)
	if !ok {
		if pe := protocolOf(b); pe != nil && pe.Code == "invalid_grant" {
			b.note("invalid_grant on refresh: the refresh token is expired, revoked, already used (rotated), or was issued to another client (RFC 6749 §5.2).")
		}
		return
	}
	e.recordTokens(b, tr, tokenExpect{scope: old.Scope})
	// OIDC Core §12.2: the ID token may not come back; RFC 6749 §6: without a new
	// refresh token the old one stays valid. Keep what is still good.
	if e.st.tokens.IDToken == "" {
		e.st.tokens.IDToken = old.IDToken
	}
	sent := b.req.Get("refresh_token")
	switch {
	case tr.RefreshToken == "":
		e.st.tokens.RefreshToken = sent
		b.artifact(record.Artifact{Name: "refresh_chain", Value: fingerprint(sent) + " (still current)",
			Note: "no new refresh token came back: the provider does not rotate, so the same one stays valid (RFC 6749 §6)"})
	case tr.RefreshToken == sent:
		b.artifact(record.Artifact{Name: "refresh_chain", Value: fingerprint(sent) + " (returned unchanged, still current)",
			Note: "the provider sent the same refresh token back: no rotation"})
	default:
		fu.oldRefresh, fu.rotated = sent, true
		b.artifact(record.Artifact{Name: "refresh_chain",
			Value: fingerprint(sent) + " (spent) → " + fingerprint(tr.RefreshToken) + " (current)",
			Derivation: []string{
				"old: " + fingerprint(sent) + " — rotated away; presenting it again is reuse, which a provider that detects it answers by revoking the whole chain (RFC 9700 §4.14.2)",
				"new: " + fingerprint(tr.RefreshToken) + " — the one to use next time; the client must discard the old one (RFC 6749 §6)",
			},
			Note: "refresh tokens are named by the first 8 hex digits of their SHA-256, so the chain can be shown without revealing them"})
	}
	if old.AccessToken != "" && tr.AccessToken != "" {
		b.artifact(record.Artifact{Name: "access_token_chain",
			Value: fingerprint(old.AccessToken) + " → " + fingerprint(tr.AccessToken),
			Note:  "the old access token is not revoked by a refresh: it stays usable until it expires unless the provider revokes it"})
	}
}

// protocolOf returns the protocol error the step failed with, if any.
func protocolOf(b *builder) *record.ProtocolError {
	if b.err != nil {
		return b.err.Protocol
	}
	return nil
}

func (fu *followUp) refreshIDTokenStep(e *engine) step {
	s := idTokenStep(e)
	s.plan.Optional = true
	s.plan.Title = "Validate the refreshed ID token"
	s.specs = append(s.specs, record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§12.2", Title: "Successful refresh response"})
	s.explanation = "When a refresh returns an ID token, it is validated like the first one, and OIDC Core §12.2 adds: " +
		"its iss and sub must be those of the original ID token, and it carries no nonce unless the original did. " +
		"Without a new ID token there is nothing to check (the step is skipped)."
	s.run = func(ctx context.Context, e *engine, b *builder) {
		if e.st.tokens.IDToken == "" || e.st.tokens.IDToken == fu.from.IDToken {
			b.skip("the refresh response carried no new ID token (OIDC Core §12.2 makes it optional)")
			return
		}
		runIDToken(ctx, e, b)
		was, now := idTokenSub(fu.from.IDToken, e.now()), idTokenSub(e.st.tokens.IDToken, e.now())
		if was != "" {
			b.check(record.Check{Name: "sub unchanged", Expected: was, Actual: orNone(now), Outcome: outcome(was == now),
				Spec:   "OIDC Core §12.2",
				Reason: pick(was == now, "the refreshed ID token is about the same user", "a refreshed ID token must have the sub of the original")})
		}
	}
	return s
}

func (fu *followUp) reuseStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "reuse", Title: "Replay the spent refresh token", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (the old refresh_token)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "400 invalid_grant; chain revoked"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 9700", Section: "§4.14.2", Title: "Refresh token rotation and reuse detection"},
			{Spec: "RFC 6749", Section: "§10.4", Title: "Refresh tokens"},
		},
		explanation: "An attacker who stole the old refresh token tries to use it. With rotation the provider cannot tell " +
			"the attacker from the client, but it knows the token was already spent: it refuses it (invalid_grant) and " +
			"revokes every token of the chain, the legitimate client's new ones included, so the stolen token is worth nothing.",
		pending: func(e *engine) (record.Request, error) { return fu.pendingRefresh(e, fu.oldRefresh) },
		run: func(ctx context.Context, e *engine, b *builder) {
			if !fu.rotated {
				b.skip("the provider did not rotate the refresh token, so using it again is normal, not reuse")
				return
			}
			fu.expectRefused(ctx, e, b, "reuse refused",
				"the provider refused the spent refresh token",
				"the provider accepted a refresh token it had already rotated: it does not detect reuse, so a stolen refresh token keeps working (RFC 9700 §4.14.2)")
		},
	}
}

func (fu *followUp) chainStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "chain-revoked", Title: "Try the newest refresh token", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (the current refresh_token)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "400 invalid_grant: revoked with the chain"},
		}},
		specs: []record.SpecRef{{Spec: "RFC 9700", Section: "§4.14.2", Title: "Refresh token rotation and reuse detection"}},
		explanation: "The legitimate client now refreshes with the token it was given last. After the reuse, the provider " +
			"revoked the whole chain: this one is refused too, and the user must log in again. That is the price of " +
			"detection, and the point: whoever holds a copy of any token of the chain is locked out.",
		pending: func(e *engine) (record.Request, error) { return fu.pendingRefresh(e, e.st.tokens.RefreshToken) },
		run: func(ctx context.Context, e *engine, b *builder) {
			if !fu.rotated {
				b.skip("no rotation, no reuse: the chain was not revoked")
				return
			}
			fu.expectRefused(ctx, e, b, "chain revoked",
				"the newest refresh token was revoked with the chain",
				"the newest refresh token still works after the reuse: the provider did not revoke the chain (RFC 9700 §4.14.2)")
		},
	}
}

// expectRefused sends the step's refresh request and passes when the provider
// refuses it with invalid_grant.
func (fu *followUp) expectRefused(ctx context.Context, e *engine, b *builder, name, pass, fail string) {
	before := e.st.tokens
	tr, ok := fu.sendRefresh(ctx, e, b, b.req)
	if ok {
		e.recordTokens(b, tr, tokenExpect{scope: before.Scope})
		b.check(record.Check{Name: name, Outcome: record.OutcomeFail, Expected: "invalid_grant", Actual: "new tokens",
			Spec: "RFC 9700 §4.14.2", Reason: fail})
		return
	}
	pe := protocolOf(b)
	if pe == nil {
		return // no answer, or not an OAuth error: the step fails as sendTokenRequest said
	}
	b.err = nil
	b.check(record.Check{Name: name, Outcome: outcome(pe.Code == "invalid_grant"), Expected: "invalid_grant", Actual: pe.Error(),
		Spec: "RFC 9700 §4.14.2; RFC 6749 §5.2", Reason: pick(pe.Code == "invalid_grant", pass, "refused, but not with invalid_grant")})
	b.artifact(record.Artifact{Name: "error", Value: pe.Code, Note: pe.Meaning})
}
