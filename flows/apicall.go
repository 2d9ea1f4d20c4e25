package flows

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// BearerChallenge is a parsed WWW-Authenticate: Bearer challenge (RFC 6750 §3).
type BearerChallenge struct {
	Realm            string
	Error            string // invalid_request, invalid_token, insufficient_scope, or ""
	ErrorDescription string
	ErrorURI         string
	Scope            string // the scope the resource needs, when it says
	// Params holds every auth-param as received.
	Params map[string]string
}

// ParseBearerChallenge finds the Bearer challenge among the WWW-Authenticate header
// values (RFC 6750 §3, RFC 9110 §11.6.1) and parses its auth-params. ok is false
// when there is no Bearer challenge. It never panics on hostile input.
func ParseBearerChallenge(values []string) (BearerChallenge, bool) {
	for _, v := range values {
		rest := strings.TrimSpace(v)
		for rest != "" {
			scheme, after, _ := strings.Cut(rest, " ")
			params, next := parseAuthParams(after)
			if strings.EqualFold(strings.TrimSpace(scheme), "Bearer") {
				c := BearerChallenge{Params: params}
				c.Realm, c.Error, c.ErrorDescription = params["realm"], params["error"], params["error_description"]
				c.ErrorURI, c.Scope = params["error_uri"], params["scope"]
				return c, true
			}
			rest = strings.TrimSpace(next)
		}
	}
	return BearerChallenge{}, false
}

// parseAuthParams reads name=value pairs (values quoted or tokens) separated by commas,
// and returns them with the text of the next challenge, if any.
func parseAuthParams(s string) (map[string]string, string) {
	params := map[string]string{}
	i := 0
	for i < len(s) && len(params) < 64 {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\t') {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != ',' {
			i++
		}
		name := strings.ToLower(s[start:i])
		if i >= len(s) || s[i] != '=' {
			// a new scheme begins (a token with no '=')
			if name != "" {
				return params, s[start:]
			}
			break
		}
		i++ // '='
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
			i++ // closing quote
		} else {
			for i < len(s) && s[i] != ',' && s[i] != ' ' {
				val.WriteByte(s[i])
				i++
			}
		}
		params[name] = val.String()
	}
	return params, ""
}

func (fu *followUp) apiURL(e *engine) string {
	if fu.opt.APIURL != "" {
		return fu.opt.APIURL
	}
	return strings.TrimSuffix(e.cfg.Provider.Issuer, "/") + "/api/me"
}

func (fu *followUp) callAPIStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "call-api", Title: "Call the API with the access token", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorResource, Label: "GET " + fu.apiURL(e) + " (Authorization: Bearer …)"},
			{From: record.ActorResource, To: record.ActorClient, Label: "200, or 401/403 with WWW-Authenticate"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 6750", Section: "§2.1", Title: "Authorization request header field"},
			{Spec: "RFC 6750", Section: "§3", Title: "The WWW-Authenticate response header field"},
			{Spec: "RFC 6750", Section: "§3.1", Title: "Error codes"},
			{Spec: "RFC 9068", Section: "§4", Title: "Validating JWT access tokens"},
		},
		explanation: "The client calls a protected resource with the access token in the Authorization header. Whoever " +
			"holds a bearer token can use it, so it travels only over TLS and never in a URL. The resource server " +
			"validates the token (for a JWT access token: signature, iss, aud, exp, RFC 9068 §4), then checks the " +
			"scope and any role it needs. A refusal says why in a WWW-Authenticate header: 401 invalid_token (bad, " +
			"expired, revoked or meant for another audience), 403 insufficient_scope, 400 invalid_request, or 401 " +
			"with no error code when no token was sent (RFC 6750 §3.1). Edit the token or the URL to try it.",
		pending: func(e *engine) (record.Request, error) {
			method := strings.ToUpper(fu.opt.APIMethod)
			if method == "" {
				method = http.MethodGet
			}
			return record.Request{Method: method, URL: fu.apiURL(e), Params: []record.Param{bearerParam(e.st.tokens.AccessToken)}}, nil
		},
		run: fu.runCallAPI,
	}
}

func (fu *followUp) runCallAPI(ctx context.Context, e *engine, b *builder) {
	req := b.req
	if !secureURL(req.URL) {
		b.warn("the API is not on https: a bearer token sent over plain http can be stolen on the way (RFC 6750 §5.3)")
	}
	ex, ok := e.sendBearer(ctx, b, req, req.URL)
	if !ok {
		return
	}
	r := ex.Response
	b.artifact(record.Artifact{Name: "status", Value: fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))})
	if r.Status >= 200 && r.Status <= 299 {
		b.check(record.Check{Name: "status", Outcome: record.OutcomePass, Actual: fmt.Sprint(r.Status), Spec: "RFC 6750 §2.1",
			Reason: "the resource server accepted the token"})
		if r.Body != "" {
			b.artifact(record.Artifact{Name: "response", Value: r.Body, Note: "the API's answer (" + orNone(r.Header.Get("Content-Type")) + ")"})
		}
		return
	}
	fu.explainRefusal(e, b, ex, req.Get("access_token"))
}

// explainRefusal reads the RFC 6750 §3 challenge of a refused resource request and
// says why the answer is what it is, with what the token itself shows.
func (fu *followUp) explainRefusal(e *engine, b *builder, ex *record.Exchange, at string) {
	r := ex.Response
	ch, ok := ParseBearerChallenge(r.Header.Values("WWW-Authenticate"))
	if !ok {
		b.check(record.Check{Name: "WWW-Authenticate", Outcome: record.OutcomeWarn, Expected: "a Bearer challenge", Actual: "(absent)",
			Spec: "RFC 6750 §3", Reason: "a refusal of a bearer request should say why in a WWW-Authenticate: Bearer header"})
		b.fail(record.ErrResponse, "the resource answered HTTP %d without a Bearer challenge: %s", r.Status, firstLine(r.Body, 120))
		return
	}
	b.artifact(record.Artifact{Name: "www_authenticate", Value: strings.Join(r.Header.Values("WWW-Authenticate"), ", "),
		Note: "the resource server's challenge (RFC 6750 §3)"})
	wantStatus := map[string]int{"invalid_request": 400, "invalid_token": 401, "insufficient_scope": 403, "": 401}[ch.Error]
	if wantStatus != 0 {
		b.check(record.Check{Name: "status matches the error", Outcome: warnUnless(wantStatus == r.Status), Expected: fmt.Sprint(wantStatus),
			Actual: fmt.Sprint(r.Status), Spec: "RFC 6750 §3.1", Reason: pick(wantStatus == r.Status, "as RFC 6750 §3.1 pairs them", "RFC 6750 §3.1 pairs this error with another status")})
	}
	why := fu.diagnose(e, ch, at)
	if ch.Error == "" {
		msg := "the resource server wants a token and got none it recognised (no error code: RFC 6750 §3.1 says so when the request had no token)"
		b.fail(record.ErrProtocol, "%s", msg)
		return
	}
	pe := &record.ProtocolError{Code: ch.Error, Description: ch.ErrorDescription, URI: ch.ErrorURI, HTTPStatus: r.Status}
	pe.Meaning, pe.Spec = ErrorMeaning("", ch.Error)
	if pe.Meaning == "" {
		pe.Meaning, pe.Spec = "Not an error code RFC 6750 registers: see the API's documentation.", "RFC 6750 §3.1"
	}
	if why != "" {
		pe.Meaning += " Here: " + why
		b.note("Why: %s", why)
	}
	b.failProtocol(fmt.Sprintf("the API refused the request (HTTP %d %s): %s", r.Status, ch.Error, orNone(ch.ErrorDescription)), pe)
}

// diagnose says, from the challenge and the token's own (unverified) claims, what
// made the resource server refuse: expiry, audience, scope, a role.
func (fu *followUp) diagnose(e *engine, ch BearerChallenge, at string) string {
	claims := accessTokenClaims(at, e.now())
	desc := strings.ToLower(ch.ErrorDescription)
	var scopes []string
	if s, ok := claims["scope"].(string); ok {
		scopes = strings.Fields(s)
	}
	switch ch.Error {
	case "insufficient_scope":
		if ch.Scope != "" {
			var missing []string
			for _, s := range strings.Fields(ch.Scope) {
				if !slices.Contains(scopes, s) {
					missing = append(missing, s)
				}
			}
			if len(missing) > 0 {
				return fmt.Sprintf("the call needs scope %q and the token grants only %q: missing %s. Ask for it in the authorization request (RFC 6749 §3.3).",
					ch.Scope, strings.Join(scopes, " "), strings.Join(missing, " "))
			}
			return fmt.Sprintf("the call needs scope %q.", ch.Scope)
		}
		if strings.Contains(desc, "role") {
			roles := displayValue(claims["roles"])
			if claims["roles"] == nil {
				roles = "none"
			}
			return "the token's scope is enough, but the user lacks a role the call needs (" + ch.ErrorDescription + "); the token lists roles: " +
				roles + " (RFC 9068 §2.2.3.1). Another user, not another scope, is the fix."
		}
	case "invalid_token":
		var parts []string
		if exp, ok := claims["exp"]; ok {
			if t := numericTime(exp); !t.IsZero() && !t.After(e.now()) {
				parts = append(parts, "the token expired "+describeTime(t, e.now()))
			}
		}
		if strings.Contains(desc, "exp") && len(parts) == 0 {
			parts = append(parts, "the resource server's clock says the token has expired (exp): refresh it, or log in again")
		}
		if strings.Contains(desc, "aud") {
			parts = append(parts, fmt.Sprintf("the token's audience (aud %s) is not this API: ask for a token for it, e.g. with the resource parameter (RFC 8707)", displayValue(claims["aud"])))
		}
		if strings.Contains(desc, "revoked") {
			parts = append(parts, "the token was revoked: it looks valid, but the resource server checks revocation (by introspection, RFC 7662)")
		}
		if strings.Contains(desc, "typ") {
			parts = append(parts, "this is not an access token (an ID token is for the client, never for an API: RFC 9068 §4 asks for typ at+jwt)")
		}
		if claims == nil {
			parts = append(parts, "the token is opaque to the client, so only the resource server can say more")
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func numericTime(v any) time.Time {
	switch x := v.(type) {
	case float64:
		return time.Unix(int64(x), 0)
	case interface{ Int64() (int64, error) }:
		if n, err := x.Int64(); err == nil {
			return time.Unix(n, 0)
		}
	}
	return time.Time{}
}
