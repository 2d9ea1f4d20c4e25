package flows

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// introspectStep introspects the token the follow-up works on (RFC 7662). With
// afterRevoke, active:false is what passes.
func (fu *followUp) introspectStep(e *engine, id, title string, afterRevoke bool) step {
	expl := "The client (or a resource server) asks the provider about a token: is it active, and if so for whom, " +
		"which client, which scope and until when. The caller authenticates: RFC 7662 §2.1 meant the endpoint for " +
		"protected resources, so a public client usually cannot use it. For an inactive token the answer is only " +
		"{\"active\": false}: expired, revoked or unknown, the provider need not say which (RFC 7662 §2.2)."
	if afterRevoke {
		expl = "After revocation, the provider must answer that the token is no longer active ({\"active\": false}). " +
			"The revocation response alone cannot show it: RFC 7009 §2.2 answers 200 even for unknown tokens."
	}
	return step{
		plan: record.StepPlan{ID: id, Title: title, Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /introspect (token)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: pick(afterRevoke, "{\"active\": false}", "{\"active\": true, …}")},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 7662", Section: "§2.1", Title: "Introspection request"},
			{Spec: "RFC 7662", Section: "§2.2", Title: "Introspection response"},
		},
		explanation: expl,
		pending:     fu.pendingIntrospect,
		run: func(ctx context.Context, e *engine, b *builder) {
			fu.runIntrospect(ctx, e, b, afterRevoke)
		},
	}
}

func (fu *followUp) introspectionURL(e *engine) string {
	return e.lifecycleEndpoint(e.cfg.Provider.IntrospectionEndpoint, e.meta().IntrospectionEndpoint)
}

func (fu *followUp) pendingIntrospect(e *engine) (record.Request, error) {
	r := record.Request{Method: "POST", URL: fu.introspectionURL(e)}
	r.Params = append(r.Params,
		record.Param{Name: "token", Value: fu.token(e), Secret: fu.tokenKind() == TokenRefresh, Note: "the token to ask about (RFC 7662 §2.1)"},
		record.Param{Name: "token_type_hint", Value: fu.tokenKind(), Note: "a hint to speed up the lookup (RFC 7662 §2.1)"})
	if c := fu.opt.IntrospectionClient; c != nil {
		method := c.AuthMethod
		if method == "" {
			method = AuthClientSecretBasic
		}
		r.AuthMethod = method
		r.Params = append(r.Params,
			record.Param{Name: "client_id", Value: c.ID, Note: "the protected resource's credentials (RFC 7662 §2.1)"},
			record.Param{Name: "client_secret", Value: c.Secret, Secret: true, Note: "sent per " + method + " (RFC 6749 §2.3.1)"})
		return r, nil
	}
	r.AuthMethod = e.cfg.Client.AuthMethod
	e.addClientAuth(&r)
	return r, nil
}

func (fu *followUp) runIntrospect(ctx context.Context, e *engine, b *builder, afterRevoke bool) {
	req := b.req
	if req.URL == "" {
		b.skip("the provider advertises no introspection_endpoint (RFC 8414 §2, RFC 7662 §4) and none was given by hand: there is no standard way to ask it whether a token is active")
		return
	}
	if fu.opt.IntrospectionClient != nil {
		b.note("Authenticated as %s, standing for the resource server: RFC 7662 §2.1 expects the caller to be a protected resource.", fu.opt.IntrospectionClient.ID)
	} else if req.AuthMethod == AuthNone {
		b.warn("the client is public (no secret): most providers refuse introspection without client authentication (RFC 7662 §2.1); give an introspection client")
	}
	_ = e.postForm(ctx, req)
	ex, ok := lastResponse(b, ctx, "the introspection endpoint")
	if !ok {
		return
	}
	if ex.Response.Status != http.StatusOK {
		if pe, ok := oauthErrorFrom(ex); ok {
			b.failProtocol("the introspection endpoint refused the request: "+pe.Error(), pe)
			return
		}
		b.fail(record.ErrResponse, "the introspection endpoint answered HTTP %d: %s", ex.Response.Status, describeNonJSON(ex.Response.Status, ex.Response.Header.Get("Content-Type"), ex.Response.Body))
		return
	}
	m, ok := jsonObject(b, ex, "the introspection response")
	if !ok {
		return
	}
	active, isBool := m["active"].(bool)
	b.check(record.Check{Name: "active is a boolean", Outcome: outcome(isBool), Expected: "true or false", Actual: displayValue(m["active"]),
		Spec: "RFC 7662 §2.2", Reason: pick(isBool, "REQUIRED, and there", "active is REQUIRED and must be a JSON boolean")})
	if !isBool {
		return
	}
	now := e.now()
	b.artifact(record.Artifact{Name: "introspection", Value: ex.Response.Body,
		Token: &record.Token{Format: record.FormatOpaque, Claims: claimsOf(m, now)},
		Note:  "what the provider says about the " + strings.ReplaceAll(fu.tokenKind(), "_", " ") + " " + fingerprint(req.Get("token"))})
	switch {
	case afterRevoke:
		b.check(record.Check{Name: "inactive after revocation", Outcome: outcome(!active), Expected: "active: false", Actual: "active: " + displayValue(active),
			Spec:   "RFC 7009 §2; RFC 7662 §2.2",
			Reason: pick(!active, "the provider no longer honours the revoked token", "the provider still reports the revoked token as active")})
	case active:
		b.check(record.Check{Name: "active", Outcome: record.OutcomePass, Actual: "true", Spec: "RFC 7662 §2.2",
			Reason: "the token is valid now: the claims below say for whom and until when"})
		if cid, ok := m["client_id"].(string); ok && cid != e.cfg.Client.ID {
			b.check(record.Check{Name: "client_id", Outcome: record.OutcomeWarn, Expected: e.cfg.Client.ID, Actual: cid, Spec: "RFC 7662 §2.2",
				Reason: "the token was issued to another client"})
		}
		if n, ok := m["exp"].(json.Number); ok {
			if sec, err := n.Int64(); err == nil {
				exp := time.Unix(sec, 0)
				b.check(record.Check{Name: "exp", Outcome: warnUnless(exp.After(now)), Actual: describeTime(exp, now), Spec: "RFC 7662 §2.2",
					Reason: pick(exp.After(now), "expires in the future", "active, yet exp has passed by this client's clock: the clocks differ")})
			}
		}
	default:
		b.check(record.Check{Name: "active", Outcome: record.OutcomeWarn, Actual: "false", Spec: "RFC 7662 §2.2",
			Reason: "the token is not active: expired, revoked, or unknown to this provider; the answer does not say which"})
	}
}

func (fu *followUp) revokeStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "revoke", Title: "Revoke the " + strings.ReplaceAll(fu.tokenKind(), "_", " "), Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /revoke (token)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "200 OK"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 7009", Section: "§2.1", Title: "Revocation request"},
			{Spec: "RFC 7009", Section: "§2.2", Title: "Revocation response"},
		},
		explanation: "The client tells the provider it no longer needs a token (the user logs out, the app is " +
			"uninstalled). It authenticates as the client the token was issued to. Revoking a refresh token should " +
			"also revoke the access tokens of the same grant (RFC 7009 §2.1). The answer is 200 even for a token " +
			"the provider does not know (§2.2): an attacker learns nothing, and the client learns nothing either, " +
			"which is why the next step introspects.",
		pending: func(e *engine) (record.Request, error) {
			r := record.Request{Method: "POST", URL: e.lifecycleEndpoint(e.cfg.Provider.RevocationEndpoint, e.meta().RevocationEndpoint), AuthMethod: e.cfg.Client.AuthMethod}
			r.Params = append(r.Params,
				record.Param{Name: "token", Value: fu.token(e), Secret: fu.tokenKind() == TokenRefresh, Note: "the token to revoke (RFC 7009 §2.1)"},
				record.Param{Name: "token_type_hint", Value: fu.tokenKind(), Note: "access_token or refresh_token (RFC 7009 §2.1)"})
			e.addClientAuth(&r)
			return r, nil
		},
		run: func(ctx context.Context, e *engine, b *builder) {
			req := b.req
			if req.URL == "" {
				b.skip("the provider advertises no revocation_endpoint (RFC 8414 §2, RFC 7009 §4) and none was given by hand: the token stays valid until it expires")
				return
			}
			_ = e.postForm(ctx, req)
			ex, ok := lastResponse(b, ctx, "the revocation endpoint")
			if !ok {
				return
			}
			if ex.Response.Status != http.StatusOK {
				if pe, ok := oauthErrorFrom(ex); ok {
					if pe.Code == "unsupported_token_type" {
						pe.Spec = "RFC 7009 §2.2.1"
					}
					b.failProtocol("the revocation endpoint refused the request: "+pe.Error(), pe)
					return
				}
				b.fail(record.ErrResponse, "the revocation endpoint answered HTTP %d: %s", ex.Response.Status, describeNonJSON(ex.Response.Status, ex.Response.Header.Get("Content-Type"), ex.Response.Body))
				return
			}
			b.check(record.Check{Name: "HTTP 200", Outcome: record.OutcomePass, Actual: "200", Spec: "RFC 7009 §2.2",
				Reason: "revoked, or unknown to the provider: 200 either way, so it proves nothing on its own"})
			b.artifact(record.Artifact{Name: "revoked", Value: fingerprint(req.Get("token")),
				Note: "the " + strings.ReplaceAll(fu.tokenKind(), "_", " ") + " the client asked to revoke"})
		},
	}
}
