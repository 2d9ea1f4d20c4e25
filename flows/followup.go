package flows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// The follow-ups: steps run on the tokens a finished flow holds ([NewFollowUp]).
const (
	KindRefresh      Kind = "refresh"       // RFC 6749 §6, with rotation shown as a chain
	KindRefreshReuse Kind = "refresh-reuse" // RFC 9700 §4.14.2: replay a rotated refresh token
	KindIntrospect   Kind = "introspect"    // RFC 7662
	KindRevoke       Kind = "revoke"        // RFC 7009, then introspection again
	KindUserinfo     Kind = "userinfo"      // OIDC Core §5.3
	KindLogout       Kind = "logout"        // OpenID Connect RP-Initiated Logout 1.0
	KindCallAPI      Kind = "call-api"      // RFC 6750: call a protected resource
)

// FollowUps lists the follow-ups, in the order menus show them.
func FollowUps() []KindInfo {
	return []KindInfo{
		{Kind: KindCallAPI, Aliases: []string{"api"}, Title: "Call an API",
			Summary: "Send the access token as a bearer token to an API and see why it answers 200, 401 or 403.", Spec: "RFC 6750"},
		{Kind: KindRefresh, Title: "Refresh",
			Summary: "Trade the refresh token for new tokens; see the rotation chain.", Spec: "RFC 6749 §6"},
		{Kind: KindRefreshReuse, Aliases: []string{"reuse"}, Title: "Refresh token reuse",
			Summary: "Rotate, then replay the old refresh token: the provider refuses it and revokes the chain.", Spec: "RFC 9700 §4.14.2"},
		{Kind: KindIntrospect, Title: "Introspect",
			Summary: "Ask the provider whether a token is active, and what it grants.", Spec: "RFC 7662"},
		{Kind: KindRevoke, Title: "Revoke",
			Summary: "Revoke a token, then introspect it again to see active: false.", Spec: "RFC 7009"},
		{Kind: KindUserinfo, Title: "UserInfo",
			Summary: "Fetch the user's claims with the access token; check sub against the ID token.", Spec: "OIDC Core §5.3"},
		{Kind: KindLogout, Title: "Logout",
			Summary: "RP-initiated logout with id_token_hint; the browser comes back with state.", Spec: "OpenID Connect RP-Initiated Logout 1.0", Browser: true},
	}
}

// LookupFollowUp finds a follow-up by name or alias.
func LookupFollowUp(name string) (KindInfo, bool) {
	for _, k := range FollowUps() {
		if string(k.Kind) == name || contains(k.Aliases, name) {
			return k, true
		}
	}
	return KindInfo{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Which token a follow-up works on.
const (
	TokenAccess  = "access_token"
	TokenRefresh = "refresh_token"
)

// FollowUpOptions are the settings of a follow-up beyond the [Config] of the flow it
// follows. The zero value works against the bundled IdP.
type FollowUpOptions struct {
	// Token is the token introspect and revoke work on: [TokenAccess] (the default)
	// or [TokenRefresh].
	Token string
	// IntrospectionClient authenticates to the introspection endpoint instead of the
	// flow's client: RFC 7662 §2.1 expects a protected resource (a confidential
	// client), so a public client cannot introspect on its own.
	IntrospectionClient *Client
	// APIURL is the resource call-api calls; default ISSUER/api/me, the bundled IdP's
	// demo API. APIMethod defaults to GET.
	APIURL, APIMethod string
	// PostLogoutRedirectURI is where logout asks to come back; default the client's
	// redirect URI origin with the path /logged-out when it is a loopback URI (the
	// bundled IdP's demo clients), else none.
	PostLogoutRedirectURI string
}

// followUp is what a follow-up's steps share beside the engine's state.
type followUp struct {
	opt  FollowUpOptions
	from Tokens
	// the refresh token that was rotated away (refresh-reuse replays it)
	oldRefresh string
	rotated    bool
	// logout
	logoutState, logoutURL string
	logoutBack             *url.URL
}

// NewFollowUp builds a follow-up of kind from the tokens a finished flow holds
// ([Flow.Tokens]) and that flow's configuration (provider, client, scopes,
// injected clock and HTTP client). It begins with discovery when the provider has an
// issuer; endpoints given by hand in [Provider] override it. A step whose endpoint
// the provider does not advertise is skipped with the reason. It makes no network
// call; a configuration that cannot work is a [*ConfigError].
func NewFollowUp(kind Kind, cfg Config, from Tokens, opt FollowUpOptions) (Flow, error) {
	info, ok := LookupFollowUp(string(kind))
	if !ok {
		var names []string
		for _, k := range FollowUps() {
			names = append(names, string(k.Kind))
		}
		return nil, configErr("Kind", "unknown follow-up %q (known: %s)", kind, strings.Join(names, ", "))
	}
	kind = info.Kind
	// What only the authorization request used does not apply here.
	cfg.ResponseType, cfg.ResponseMode, cfg.ExtraParams, cfg.PKCEMethod = "", "", nil, ""
	switch opt.Token {
	case "", TokenAccess, TokenRefresh:
	default:
		return nil, configErr("Token", "introspect and revoke work on %s or %s, not %q", TokenAccess, TokenRefresh, opt.Token)
	}
	fu := &followUp{opt: opt, from: from}
	if err := fu.check(kind, cfg); err != nil {
		return nil, err
	}
	e, err := newEngine(kind, cfg, func(e *engine) {
		e.st.tokens = from
		e.tokens = from
	})
	if err != nil {
		return nil, err
	}
	e.steps = fu.steps(e)
	e.mu.Lock()
	e.pending, e.pendErr = nil, nil
	e.preparePendingLocked()
	e.mu.Unlock()
	return e, nil
}

// check says early what cannot work: a follow-up without the token it needs.
func (fu *followUp) check(kind Kind, cfg Config) error {
	t := fu.from
	switch kind {
	case KindRefresh, KindRefreshReuse:
		if t.RefreshToken == "" {
			return configErr("Tokens.RefreshToken", "the flow got no refresh token to refresh with (the bundled IdP issues one when offline_access is granted, OIDC Core §11)")
		}
	case KindIntrospect, KindRevoke:
		if fu.tokenKind() == TokenRefresh && t.RefreshToken == "" {
			return configErr("Tokens.RefreshToken", "the flow got no refresh token")
		}
		if fu.tokenKind() == TokenAccess && t.AccessToken == "" {
			return configErr("Tokens.AccessToken", "the flow got no access token")
		}
	case KindUserinfo, KindCallAPI:
		if t.AccessToken == "" {
			return configErr("Tokens.AccessToken", "the flow got no access token")
		}
		if kind == KindCallAPI && fu.opt.APIURL == "" && cfg.Provider.Issuer == "" {
			return configErr("APIURL", "give the URL of the API to call (the default, ISSUER/api/me, needs an issuer)")
		}
		if fu.opt.APIURL != "" {
			if err := checkURL(fu.opt.APIURL, false); err != nil {
				return configErr("APIURL", "%v", err)
			}
		}
	case KindLogout:
		if t.IDToken == "" {
			return configErr("Tokens.IDToken", "logout sends the ID token as id_token_hint: run an OpenID Connect flow (scope openid) first")
		}
	}
	return nil
}

func (fu *followUp) tokenKind() string {
	if fu.opt.Token == "" {
		return TokenAccess
	}
	return fu.opt.Token
}

func (fu *followUp) token(e *engine) string {
	if fu.tokenKind() == TokenRefresh {
		return e.st.tokens.RefreshToken
	}
	return e.st.tokens.AccessToken
}

// followUpSteps is the step list New would give a kind it does not know; follow-ups
// are built by NewFollowUp, which fills the steps itself.
func followUpSteps(*engine) []step { return nil }

// redirectFlow reports whether a flow sends the user to the authorization endpoint
// and needs a redirect URI.
func redirectFlow(kind Kind) bool {
	switch kind {
	case KindAuthorizationCode, KindPKCE, KindImplicit:
		return true
	}
	return false
}

// needsTokenEndpoint reports whether a flow talks to the token endpoint.
func needsTokenEndpoint(kind Kind) bool {
	switch kind {
	case KindImplicit, KindIntrospect, KindRevoke, KindUserinfo, KindLogout, KindCallAPI:
		return false
	}
	return true
}

// followUpHandEndpoints reports, for a follow-up, whether the endpoints given by hand
// are enough to go on without metadata (ok), and whether e is a follow-up at all.
func followUpHandEndpoints(e *engine) (ok, followUp bool) {
	p := e.cfg.Provider
	switch e.kind {
	case KindRefresh, KindRefreshReuse:
		return p.TokenEndpoint != "", true
	case KindIntrospect:
		return p.IntrospectionEndpoint != "", true
	case KindRevoke:
		return p.RevocationEndpoint != "", true
	case KindUserinfo:
		return p.UserinfoEndpoint != "", true
	case KindLogout:
		return p.EndSessionEndpoint != "", true
	case KindCallAPI:
		return true, true
	}
	return false, false
}

func (fu *followUp) steps(e *engine) []step {
	var steps []step
	if e.cfg.Provider.Issuer != "" && e.kind != KindCallAPI {
		steps = append(steps, discoveryStep(e))
	}
	switch e.kind {
	case KindRefresh:
		steps = append(steps, fu.refreshStep(e))
		if e.oidc {
			steps = append(steps, fu.refreshIDTokenStep(e))
		}
	case KindRefreshReuse:
		steps = append(steps, fu.refreshStep(e), fu.reuseStep(e), fu.chainStep(e))
	case KindIntrospect:
		steps = append(steps, fu.introspectStep(e, "introspect", "Introspect the "+strings.ReplaceAll(fu.tokenKind(), "_", " "), false))
	case KindRevoke:
		steps = append(steps, fu.revokeStep(e), fu.introspectStep(e, "introspect-again", "Introspect it again", true))
	case KindUserinfo:
		steps = append(steps, fu.userinfoStep(e))
	case KindLogout:
		steps = append(steps, fu.endSessionStep(e), fu.logoutStep(e), fu.loggedOutStep(e))
	case KindCallAPI:
		steps = append(steps, fu.callAPIStep(e))
	}
	return steps
}

// skip marks the step skipped with the reason, in its explanation.
func (b *builder) skip(format string, args ...any) {
	b.rec.Status = record.StatusSkipped
	b.note("Skipped: "+format, args...)
}

// fingerprint names a token without showing it: the first 8 hex digits of its
// SHA-256, safe to print even for a refresh token.
func fingerprint(tok string) string {
	if tok == "" {
		return "(none)"
	}
	sum := sha256.Sum256([]byte(tok))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// bearerParam lists the access token of a resource request; it travels in the
// Authorization header (RFC 6750 §2.1), and editing it here shows what the server
// does with a tampered token.
func bearerParam(at string) record.Param {
	return record.Param{Name: "access_token", Value: at,
		Note: "sent as Authorization: Bearer (RFC 6750 §2.1), never in the URL (RFC 9700 §4.3.2)"}
}

// sendBearer sends req with its access_token parameter as a bearer header and the
// other parameters in the query (GET) or form (POST); it returns the exchange.
func (e *engine) sendBearer(ctx context.Context, b *builder, req record.Request, what string) (*record.Exchange, bool) {
	var params []record.Param
	for _, p := range req.Params {
		if p.Name != "access_token" {
			params = append(params, p)
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var hr *http.Request
	var err error
	if method == http.MethodGet || method == http.MethodHead {
		hr, err = http.NewRequestWithContext(ctx, method, buildURL(req.URL, params), nil)
	} else {
		hr, err = http.NewRequestWithContext(ctx, method, req.URL, strings.NewReader(encodeParams(params)))
		if err == nil {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		b.fail(record.ErrConfig, "cannot build the request: %v", err)
		return nil, false
	}
	if req.Has("access_token") {
		hr.Header.Set("Authorization", "Bearer "+req.Get("access_token"))
	}
	hr.Header.Set("Accept", "application/json")
	if resp, err := e.client.Do(hr); err == nil {
		resp.Body.Close()
	}
	return lastResponse(b, ctx, what)
}

// jsonObject decodes a JSON object response, failing the step when it is not one.
func jsonObject(b *builder, ex *record.Exchange, what string) (map[string]any, bool) {
	r := ex.Response
	body := bytes.TrimSpace([]byte(r.Body))
	if len(body) == 0 || body[0] != '{' {
		b.fail(record.ErrResponse, "%s: %s", what, describeNonJSON(r.Status, r.Header.Get("Content-Type"), r.Body))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		b.fail(record.ErrResponse, "%s: invalid JSON: %s", what, jsonProblem(err))
		return nil, false
	}
	return m, true
}

// oauthErrorFrom reads an RFC 6749 §5.2-style error body; ok is false when the body
// carries no error code.
func oauthErrorFrom(ex *record.Exchange) (*record.ProtocolError, bool) {
	r := ex.Response
	var m map[string]any
	if json.Unmarshal([]byte(r.Body), &m) != nil {
		return nil, false
	}
	code, _ := m["error"].(string)
	if code == "" {
		return nil, false
	}
	desc, _ := m["error_description"].(string)
	uri, _ := m["error_uri"].(string)
	return newProtocolError(AtToken, code, desc, uri, r.Status), true
}

// claimsOf lists the members of a JSON object as claims, explained, times shown as
// dates: the way the UserInfo and introspection responses are shown.
func claimsOf(m map[string]any, now time.Time) []record.Claim {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]record.Claim, 0, len(names))
	for _, k := range names {
		v := m[k]
		c := record.Claim{Name: k, Value: v, Display: displayValue(v)}
		c.Explanation, c.Spec = token.ExplainClaim(k)
		switch k {
		case "exp", "iat", "nbf", "auth_time", "updated_at":
			if n, ok := v.(json.Number); ok {
				if sec, err := n.Int64(); err == nil {
					t := time.Unix(sec, 0).UTC()
					c.Display = token.FormatTime(t, now)
					if token.Representable(t) {
						c.Time = &t
					}
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func displayValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "null"
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, displayValue(p))
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// idTokenSub is the sub of the ID token the flow holds (decoded; the flow that got it
// validated it).
func idTokenSub(raw string, now time.Time) string {
	if raw == "" {
		return ""
	}
	t := token.Decode(raw, now)
	for _, c := range t.Claims {
		if c.Name == "sub" {
			s, _ := c.Value.(string)
			return s
		}
	}
	return ""
}

// accessTokenClaims decodes the access token when it is a JWT (unverified), to
// explain a resource server's answer; nil for an opaque token.
func accessTokenClaims(raw string, now time.Time) map[string]any {
	t := token.Decode(raw, now)
	if t.Format != record.FormatJWT {
		return nil
	}
	m := map[string]any{}
	for _, c := range t.Claims {
		m[c.Name] = c.Value
	}
	return m
}

func describeTime(t, now time.Time) string { return token.FormatTime(t, now) }
