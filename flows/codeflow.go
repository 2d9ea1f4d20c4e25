package flows

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/oauth2"

	"github.com/oauthx/oauthx/flows/record"
)

// codeFlowSteps are the steps of the authorization code flow (RFC 6749 §4.1), with
// PKCE (RFC 7636) for KindPKCE and the OpenID Connect variant when openid is asked.
func codeFlowSteps(e *engine) []step {
	var steps []step
	if e.cfg.Provider.Issuer != "" {
		steps = append(steps, discoveryStep(e))
	}
	steps = append(steps, prepareStep(e), authorizeStep(e), loginStep(e), callbackStep(e), tokenStep(e))
	if e.oidc {
		steps = append(steps, idTokenStep(e))
	}
	return steps
}

func prepareStep(e *engine) step {
	var what []string
	specs := []record.SpecRef{{Spec: "RFC 6749", Section: "§10.12", Title: "Cross-site request forgery"}}
	what = append(what, "a state value, kept by the client and checked on the callback so an attacker "+
		"cannot feed the client someone else's authorization response (CSRF, RFC 6749 §10.12)")
	if e.oidc {
		what = append(what, "a nonce, which the provider copies into the ID token, binding the token to this "+
			"request against replay (OIDC Core §3.1.2.1, §15.5.2)")
		specs = append(specs, record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§15.5.2", Title: "Nonce implementation notes"})
	}
	if e.kind == KindPKCE {
		what = append(what, "a PKCE code_verifier (a high-entropy secret the client keeps) and the code_challenge "+
			"derived from it, which goes in the authorization request; only the holder of the verifier can "+
			"redeem the code, so an intercepted code is useless (RFC 7636 §4.1–4.2)")
		specs = append(specs,
			record.SpecRef{Spec: "RFC 7636", Section: "§4.1", Title: "Client creates a code verifier"},
			record.SpecRef{Spec: "RFC 7636", Section: "§4.2", Title: "Client creates the code challenge"})
	}
	expl := "Before sending the user anywhere, the client makes fresh random values and keeps them for this flow: " +
		strings.Join(what, "; ") + "."
	if e.kind == KindAuthorizationCode {
		expl += " The Security BCP recommends PKCE for confidential clients too (RFC 9700 §2.1.1); this flow shows the classic form without it."
	}
	return step{
		plan: record.StepPlan{ID: "prepare", Title: "Prepare state" + pick(e.oidc, ", nonce", "") + pick(e.kind == KindPKCE, " and PKCE", ""),
			Arrows: []record.Arrow{{From: record.ActorClient, To: record.ActorClient, Label: "generate state" +
				pick(e.oidc, ", nonce", "") + pick(e.kind == KindPKCE, ", code_verifier", "")}}},
		specs:       specs,
		explanation: expl,
		run:         runPrepare,
	}
}

// randomValue returns n random octets from the flow's source, base64url without padding.
func (e *engine) randomValue(n int) (string, error) {
	b, err := e.random(n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func runPrepare(_ context.Context, e *engine, b *builder) {
	var err error
	if e.st.state, err = e.randomValue(16); err != nil {
		b.fail(record.ErrConfig, "cannot make state: %v", err)
		return
	}
	b.artifact(record.Artifact{Name: "state", Value: e.st.state,
		Derivation: []string{"state = BASE64URL(16 random octets)"},
		Note:       "opaque to the provider, returned unchanged on the callback (RFC 6749 §4.1.1, §10.12)"})
	if e.oidc {
		if e.st.nonce, err = e.randomValue(16); err != nil {
			b.fail(record.ErrConfig, "cannot make nonce: %v", err)
			return
		}
		b.artifact(record.Artifact{Name: "nonce", Value: e.st.nonce,
			Derivation: []string{"nonce = BASE64URL(16 random octets)"},
			Note:       "copied by the provider into the ID token's nonce claim (OIDC Core §3.1.2.1)"})
	}
	if e.kind != KindPKCE {
		return
	}
	if e.st.verifier, err = e.randomValue(32); err != nil {
		b.fail(record.ErrConfig, "cannot make code_verifier: %v", err)
		return
	}
	v := e.st.verifier
	b.artifact(record.Artifact{Name: "code_verifier", Value: v,
		Derivation: []string{"code_verifier = BASE64URL(32 random octets)", fmt.Sprintf("= %s (%d characters)", v, len(v))},
		Note:       "kept by the client; sent only in the token request (RFC 7636 §4.1, §4.5)"})
	b.check(verifierCheck(v))
	challenge, derivation := pkceChallenge(e.cfg.PKCEMethod, v)
	e.st.challenge = challenge
	b.artifact(record.Artifact{Name: "code_challenge", Value: challenge, Derivation: derivation,
		Note: "code_challenge_method=" + e.cfg.PKCEMethod + "; sent in the authorization request (RFC 7636 §4.3)"})
	if e.cfg.PKCEMethod == PKCEPlain {
		b.check(record.Check{Name: "code_challenge_method", Outcome: record.OutcomeWarn, Expected: PKCES256, Actual: PKCEPlain,
			Spec:   "RFC 7636 §4.2, §7.2; RFC 9700 §2.1.1",
			Reason: "plain sends the verifier itself as the challenge: anyone who sees the authorization request can redeem the code. Use S256"})
	} else {
		b.check(record.Check{Name: "code_challenge_method", Outcome: record.OutcomePass, Expected: PKCES256, Actual: PKCES256,
			Spec: "RFC 7636 §4.2; RFC 9700 §2.1.1", Reason: "the challenge does not reveal the verifier"})
	}
}

// pkceChallenge derives the code challenge and shows the working (RFC 7636 §4.2).
func pkceChallenge(method, verifier string) (string, []string) {
	if method == PKCEPlain {
		return verifier, []string{"code_challenge = code_verifier (plain)"}
	}
	sum := sha256.Sum256([]byte(verifier))
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	return challenge, []string{
		"code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))",
		"SHA256(ASCII(code_verifier)) = " + hex.EncodeToString(sum[:]),
		"BASE64URL(…) = " + challenge,
	}
}

// verifierCheck checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func verifierCheck(v string) record.Check {
	c := record.Check{Name: "code_verifier format", Expected: "43–128 characters of [A-Z a-z 0-9 - . _ ~]",
		Actual: fmt.Sprintf("%d characters", len(v)), Spec: "RFC 7636 §4.1"}
	ok := len(v) >= 43 && len(v) <= 128
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			ok = false
		}
	}
	c.Outcome = outcome(ok)
	c.Reason = pick(ok, "long and random enough to resist guessing", "the provider must reject it")
	return c
}

func authorizeStep(e *engine) step {
	expl := "The client sends the user's browser to the provider's authorization endpoint with a request " +
		"in the query string: who the client is, where to send the answer (redirect_uri), what it asks for " +
		"(scope) and the values it prepared. Nothing secret travels here: the URL passes through the browser."
	specs := []record.SpecRef{{Spec: "RFC 6749", Section: "§4.1.1", Title: "Authorization request"}}
	if e.oidc {
		specs = append(specs, record.SpecRef{Spec: "OpenID Connect Core 1.0", Section: "§3.1.2.1", Title: "Authentication request"})
	}
	if e.kind == KindPKCE {
		specs = append(specs, record.SpecRef{Spec: "RFC 7636", Section: "§4.3", Title: "Client sends the code challenge"})
	}
	return step{
		plan: record.StepPlan{ID: "authorize", Title: "Build the authorization request", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorBrowser, Label: "302 to /authorize?response_type=code&…"},
		}},
		specs:       specs,
		explanation: expl + " Edit any parameter to see what the provider and the client checks say.",
		pending:     pendingAuthorize,
		run:         runAuthorize,
	}
}

// pendingAuthorize builds the authorization request from what was prepared.
func pendingAuthorize(e *engine) (record.Request, error) {
	c := e.cfg
	r := record.Request{Method: "GET", URL: e.st.authzURL}
	add := func(name, value, note string) {
		r.Params = append(r.Params, record.Param{Name: name, Value: value, Note: note})
	}
	rt := "code"
	if e.kind == KindImplicit {
		rt = c.ResponseType
	}
	add("response_type", rt, responseTypeNote(rt))
	add("client_id", c.Client.ID, "the client's identifier at the provider (RFC 6749 §2.2)")
	add("redirect_uri", c.Client.RedirectURI, "where the provider sends the browser back; must match a registered URI exactly (RFC 6749 §3.1.2; RFC 9700 §4.1.3)")
	if len(c.Scopes) > 0 {
		add("scope", strings.Join(c.Scopes, " "), "space-separated scopes asked for (RFC 6749 §3.3)"+pick(e.oidc, "; openid makes it an OpenID Connect request", ""))
	}
	add("state", e.st.state, "CSRF protection, returned unchanged (RFC 6749 §10.12)")
	if e.oidc {
		add("nonce", e.st.nonce, "copied into the ID token (OIDC Core §3.1.2.1)")
	}
	if e.kind == KindPKCE {
		add("code_challenge", e.st.challenge, "derived from the code_verifier (RFC 7636 §4.3)")
		add("code_challenge_method", c.PKCEMethod, "how the challenge was derived (RFC 7636 §4.3)")
	}
	if c.ResponseMode != "" {
		add("response_mode", c.ResponseMode, "how the response comes back (OAuth 2.0 Multiple Response Types §2.1)")
	}
	keys := make([]string, 0, len(c.ExtraParams))
	for k := range c.ExtraParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, c.ExtraParams[k], "extra parameter from the configuration")
	}
	return r, nil
}

func responseTypeNote(rt string) string {
	switch rt {
	case "code":
		return "ask for an authorization code (RFC 6749 §4.1.1)"
	case "token":
		return "ask for an access token in the fragment (implicit, RFC 6749 §4.2.1)"
	case "id_token":
		return "ask for an ID token only, in the fragment (OIDC Core §3.2.2.1)"
	case "id_token token":
		return "ask for an ID token and an access token in the fragment (OIDC Core §3.2.2.1)"
	}
	return ""
}

func runAuthorize(_ context.Context, e *engine, b *builder) {
	req := b.req
	if req.URL == "" {
		b.fail(record.ErrConfig, "no authorization endpoint")
		return
	}
	var full string
	if !b.edited() && e.kind != KindImplicit {
		full = e.authCodeURL(req)
	} else {
		full = buildURL(req.URL, req.Params)
		if b.edited() {
			b.note("The request was edited, so the client built the URL itself instead of with golang.org/x/oauth2.")
		}
	}
	e.st.authzSent = &req
	e.st.authzFull = full
	e.st.redirectURI = req.Get("redirect_uri")
	e.st.scopeSent = req.Get("scope")
	b.artifact(record.Artifact{Name: "authorization_url", Value: full,
		Note: "the URL the browser is sent to (the request travels in the query string)"})
	for _, ed := range b.rec.Edited {
		switch ed.Name {
		case "state":
			b.warn("state was edited: the client still expects the value it stored (%s), so the callback check will show what a forged response looks like", e.st.state)
		case "nonce":
			b.warn("nonce was edited: the client still expects %s in the ID token", e.st.nonce)
		case "redirect_uri":
			b.warn("redirect_uri was edited: a strict provider refuses an unregistered redirect URI and must not redirect to it (RFC 6749 §4.1.2.1)")
		case "code_challenge", "code_challenge_method":
			b.warn("the PKCE challenge was edited: the provider will compare the verifier sent later with this value (RFC 7636 §4.6)")
		}
	}
}

// authCodeURL builds the unedited authorization URL with golang.org/x/oauth2.
func (e *engine) authCodeURL(req record.Request) string {
	conf := e.oauth2Config(req.URL, "")
	var opts []oauth2.AuthCodeOption
	for _, p := range req.Params {
		switch p.Name {
		case "response_type", "client_id", "redirect_uri", "scope", "state":
			// AuthCodeURL sets these from the config; the values are the same.
		case "code_challenge":
			if req.Get("code_challenge_method") == PKCES256 && e.st.verifier != "" {
				opts = append(opts, oauth2.S256ChallengeOption(e.st.verifier))
			} else {
				opts = append(opts, oauth2.SetAuthURLParam(p.Name, p.Value))
			}
		case "code_challenge_method":
			if req.Get("code_challenge_method") != PKCES256 || e.st.verifier == "" {
				opts = append(opts, oauth2.SetAuthURLParam(p.Name, p.Value))
			}
		default:
			opts = append(opts, oauth2.SetAuthURLParam(p.Name, p.Value))
		}
	}
	return conf.AuthCodeURL(req.Get("state"), opts...)
}

// oauth2Config is the golang.org/x/oauth2 configuration for this client, with the
// authentication style always explicit (auto-detection sends a second request).
func (e *engine) oauth2Config(authURL, tokenURL string) *oauth2.Config {
	c := e.cfg.Client
	style := oauth2.AuthStyleInHeader
	if c.AuthMethod != AuthClientSecretBasic {
		style = oauth2.AuthStyleInParams
	}
	secret := c.Secret
	if c.AuthMethod == AuthNone || isJWTAuth(c.AuthMethod) {
		secret = ""
	}
	return &oauth2.Config{
		ClientID: c.ID, ClientSecret: secret, RedirectURL: c.RedirectURI, Scopes: e.cfg.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
	}
}

// buildURL appends params, in order, to the endpoint's query.
func buildURL(endpoint string, params []record.Param) string {
	q := encodeParams(params)
	if q == "" {
		return endpoint
	}
	if strings.Contains(endpoint, "?") {
		return endpoint + "&" + q
	}
	return endpoint + "?" + q
}

// encodeParams form-encodes params in their order (url.Values would sort them).
func encodeParams(params []record.Param) string {
	var sb strings.Builder
	for i, p := range params {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(url.QueryEscape(p.Name))
		sb.WriteByte('=')
		sb.WriteString(url.QueryEscape(p.Value))
	}
	return sb.String()
}

func loginStep(e *engine) step {
	mode := e.responseMode()
	return step{
		plan: record.StepPlan{ID: "login", Title: "User logs in and consents", Arrows: []record.Arrow{
			{From: record.ActorBrowser, To: record.ActorAuthz, Label: "GET /authorize"},
			{From: record.ActorUser, To: record.ActorAuthz, Label: "log in, consent"},
			{From: record.ActorAuthz, To: record.ActorBrowser, Label: "302 to redirect_uri (" + mode + ")"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 6749", Section: "§4.1.2", Title: "Authorization response"},
			{Spec: "RFC 8252", Section: "§7.3", Title: "Loopback interface redirection"},
		},
		explanation: "The browser follows the authorization request to the provider. The user logs in and " +
			"consents there, never giving the client their password. The provider then redirects the browser " +
			"to the redirect URI with the response in the " + mode + pick(mode == "form_post", " (an auto-submitted form)", "") + ".",
		run: runLogin,
	}
}

// responseMode is the mode the authorization response is expected in.
func (e *engine) responseMode() string {
	if e.cfg.ResponseMode != "" {
		return e.cfg.ResponseMode
	}
	if e.kind == KindImplicit {
		return "fragment"
	}
	return "query"
}

func runLogin(ctx context.Context, e *engine, b *builder) {
	if b.authorizer == nil {
		b.fail(record.ErrConfig, "no way to reach the provider's login page: choose the built-in user agent, the browser, or paste the redirect URL")
		return
	}
	res, err := b.authorizer.Authorize(ctx, AuthorizeRequest{URL: e.st.authzFull, RedirectURI: e.st.redirectURI, ResponseMode: e.responseModeSent()})
	b.rec.Exchanges = append(b.rec.Exchanges, res.Exchanges...)
	b.rec.Redirects = append(b.rec.Redirects, res.Redirects...)
	for _, n := range res.Notes {
		b.note("%s", n)
	}
	if err != nil {
		if ctx.Err() != nil {
			b.fail(record.ErrCanceled, "cancelled while waiting for the authorization response: %v", err)
			return
		}
		b.fail(authorizerErrKind(err), "no authorization response: %v", err)
		return
	}
	cb := res.Callback
	e.st.callback = &cb
	b.artifact(record.Artifact{Name: "callback_url", Value: cb.URL,
		Note: "the authorization response as delivered to the redirect URI (" + cb.Mode + ")"})
}

// responseModeSent is the response mode of the request as sent (after edits).
func (e *engine) responseModeSent() string {
	if e.st.authzSent != nil {
		if m := e.st.authzSent.Get("response_mode"); m != "" {
			return m
		}
	}
	return e.responseMode()
}

func authorizerErrKind(err error) record.ErrorKind {
	var re *record.Error
	if errors.As(err, &re) {
		return re.Kind
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) {
		return record.ErrNetwork
	}
	return record.ErrResponse
}

func callbackStep(e *engine) step {
	specs := []record.SpecRef{
		{Spec: "RFC 6749", Section: "§4.1.2", Title: "Authorization response"},
		{Spec: "RFC 6749", Section: "§10.12", Title: "Cross-site request forgery"},
		{Spec: "RFC 9207", Section: "§2.4", Title: "Authorization response iss: client behaviour"},
	}
	if e.kind == KindImplicit {
		specs[0] = record.SpecRef{Spec: "RFC 6749", Section: "§4.2.2", Title: "Access token response"}
	}
	return step{
		plan: record.StepPlan{ID: "callback", Title: "Check the authorization response", Arrows: []record.Arrow{
			{From: record.ActorBrowser, To: record.ActorClient, Label: pick(e.kind == KindImplicit, "#access_token, id_token, state", "?code, state, iss")},
		}},
		specs: specs,
		explanation: "The client reads the response the browser brought back and checks it before using it: an " +
			"error says why the provider refused; state must equal the value the client stored, or the response " +
			"belongs to another session (CSRF); iss, when the provider sends it, must be the issuer the client " +
			"started with, or the response comes from another provider (mix-up, RFC 9207).",
		run: runCallback,
	}
}

func runCallback(_ context.Context, e *engine, b *builder) {
	cb := e.st.callback
	if cb == nil {
		b.fail(record.ErrConfig, "no authorization response to check")
		return
	}
	p := cb.Params
	b.artifact(record.Artifact{Name: "response_mode", Value: cb.Mode})
	e.callbackChecks(b, *cb)
	if code := p["error"]; code != "" {
		pe := newProtocolError(AtAuthorization, code, p["error_description"], p["error_uri"], 0)
		if e.kind == KindImplicit && pe.Spec == "RFC 6749 §4.1.2.1" {
			pe.Spec = "RFC 6749 §4.2.2.1"
		}
		b.failProtocol("the provider refused the authorization request: "+pe.Error(), pe)
		return
	}
	if e.kind == KindImplicit {
		e.implicitTokens(b, *cb)
		return
	}
	code := p["code"]
	b.check(record.Check{Name: "code present", Outcome: outcome(code != ""), Spec: "RFC 6749 §4.1.2",
		Reason: pick(code != "", "the provider granted an authorization code", "a successful response must carry code")})
	if code == "" {
		return
	}
	e.st.code = code
	b.artifact(record.Artifact{Name: "code", Value: code,
		Note: "single use and short lived (RFC 6749 §4.1.2: 10 minutes at most); bound to the client, the redirect URI" +
			pick(e.kind == KindPKCE, " and the code_challenge", "")})
}

// callbackChecks makes the checks every authorization response gets: state and iss.
func (e *engine) callbackChecks(b *builder, cb record.Callback) {
	p := cb.Params
	got, has := p["state"]
	c := record.Check{Name: "state", Expected: e.st.state, Actual: got, Spec: "RFC 6749 §10.12, §4.1.2; RFC 9700 §4.7"}
	switch {
	case !has:
		c.Outcome, c.Actual = record.OutcomeFail, "(absent)"
		c.Reason = "the response has no state: the client cannot tell it was meant for this session"
	case got != e.st.state:
		c.Outcome = record.OutcomeFail
		c.Reason = "the response carries another state: it was not produced for this client's request (CSRF or a mix-up); the client must discard it"
		if e.st.authzSent != nil && e.st.authzSent.Get("state") != e.st.state {
			c.Reason += ". The request's state was edited, which is what a forged response looks like to the client"
		}
	default:
		c.Outcome, c.Reason = record.OutcomePass, "the response belongs to the request this client made"
	}
	b.check(c)

	iss, hasIss := p["iss"]
	required := e.st.meta != nil && e.st.meta.AuthorizationResponseIssParameterSupported
	ic := record.Check{Name: "iss (RFC 9207)", Expected: e.st.issuer, Actual: iss, Spec: "RFC 9207 §2.4"}
	switch {
	case hasIss && e.st.issuer == "":
		ic.Outcome, ic.Reason = record.OutcomeWarn, "the provider sent iss but no issuer is configured to compare it with"
	case hasIss && iss == e.st.issuer:
		ic.Outcome, ic.Reason = record.OutcomePass, "the response comes from the provider the client sent the user to"
	case hasIss:
		ic.Outcome = record.OutcomeFail
		ic.Reason = "the response names another issuer: the client must reject it, or a mix-up attack could send the code to the wrong provider"
	case required && p["id_token"] != "":
		// oidc-provider, for one, leaves iss out when the response carries an ID token.
		ic.Outcome, ic.Actual = record.OutcomeWarn, "(absent)"
		ic.Spec = "RFC 9207 §2.4; RFC 9700 §4.4.2.1"
		ic.Reason = "the metadata advertises the iss parameter but the response has none; it carries an ID token, " +
			"whose iss claim the client checks before trusting anything, which identifies the issuer just as well"
	case required:
		ic.Outcome, ic.Actual = record.OutcomeFail, "(absent)"
		ic.Reason = "the metadata says authorization_response_iss_parameter_supported, so iss is required"
	default:
		ic.Outcome, ic.Actual = record.OutcomeSkip, "(absent)"
		ic.Reason = "the provider does not send iss and does not advertise it"
	}
	b.check(ic)
}

func tokenStep(e *engine) step {
	specs := []record.SpecRef{
		{Spec: "RFC 6749", Section: "§4.1.3", Title: "Access token request"},
		{Spec: "RFC 6749", Section: "§5.1", Title: "Successful response"},
		{Spec: "RFC 6749", Section: "§2.3.1", Title: "Client password"},
	}
	if e.kind == KindPKCE {
		specs = append(specs, record.SpecRef{Spec: "RFC 7636", Section: "§4.5", Title: "Client sends the code and the secret to the token endpoint"},
			record.SpecRef{Spec: "RFC 7636", Section: "§4.6", Title: "Server verifies code_verifier"})
	}
	expl := "The client exchanges the code for tokens in a direct, back-channel POST to the token endpoint; " +
		"the browser never sees this request. "
	switch {
	case e.kind == KindPKCE && e.cfg.Client.AuthMethod == AuthNone:
		expl += "A public client has no secret: the code_verifier proves it is the client that started the flow (the provider hashes it and compares with the code_challenge). "
	case e.kind == KindPKCE:
		expl += "The client authenticates and sends the code_verifier, which the provider compares with the code_challenge. "
	default:
		expl += "The client authenticates with its secret (" + e.cfg.Client.AuthMethod + "). "
	}
	expl += "The response is checked: token_type, access_token, expires_in, scope" + pick(e.oidc, ", and the ID token's presence", "") + "."
	return step{
		plan: record.StepPlan{ID: "token", Title: "Exchange the code for tokens", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (code" + pick(e.kind == KindPKCE, ", code_verifier", "") + ")"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "access_token" + pick(e.oidc, ", id_token", "")},
		}},
		specs:       specs,
		explanation: expl,
		pending:     pendingCodeToken,
		run:         runCodeToken,
	}
}

func pendingCodeToken(e *engine) (record.Request, error) {
	r := record.Request{Method: "POST", URL: e.st.tokenURL, AuthMethod: e.cfg.Client.AuthMethod}
	add := func(name, value, note string) {
		r.Params = append(r.Params, record.Param{Name: name, Value: value, Note: note})
	}
	add("grant_type", "authorization_code", "RFC 6749 §4.1.3")
	add("code", e.st.code, "the code from the callback")
	add("redirect_uri", e.st.redirectURI, "must equal the redirect_uri of the authorization request (RFC 6749 §4.1.3)")
	if e.kind == KindPKCE {
		add("code_verifier", e.st.verifier, "the secret behind the code_challenge (RFC 7636 §4.5)")
	}
	e.addClientAuth(&r)
	return r, nil
}

// addClientAuth lists the client credentials as parameters; the sender places them
// per the request's AuthMethod (RFC 6749 §2.3.1).
func (e *engine) addClientAuth(r *record.Request) {
	c := e.cfg.Client
	switch c.AuthMethod {
	case AuthClientSecretBasic:
		r.Params = append(r.Params,
			record.Param{Name: "client_id", Value: c.ID, Note: "sent in the Authorization header (HTTP Basic, form-encoded first: RFC 6749 §2.3.1)"},
			record.Param{Name: "client_secret", Value: c.Secret, Secret: true, Note: "sent in the Authorization header (HTTP Basic)"})
	case AuthClientSecretPost:
		r.Params = append(r.Params,
			record.Param{Name: "client_id", Value: c.ID, Note: "sent in the form body (client_secret_post, RFC 6749 §2.3.1)"},
			record.Param{Name: "client_secret", Value: c.Secret, Secret: true, Note: "sent in the form body (client_secret_post)"})
	case AuthClientSecretJWT, AuthPrivateKeyJWT:
		e.addAssertion(r, r.URL)
	default:
		r.Params = append(r.Params, record.Param{Name: "client_id", Value: c.ID, Note: "a public client identifies itself without authenticating (RFC 6749 §4.1.3)"})
	}
}

func runCodeToken(ctx context.Context, e *engine, b *builder) {
	req := b.req
	tr, ok := e.sendTokenRequest(ctx, b, req, func(ctx context.Context) error {
		conf := e.oauth2Config(e.st.authzURL, req.URL)
		conf.RedirectURL = req.Get("redirect_uri")
		var opts []oauth2.AuthCodeOption
		if v := req.Get("code_verifier"); v != "" {
			opts = append(opts, oauth2.VerifierOption(v))
		}
		_, err := conf.Exchange(ctx, req.Get("code"), opts...)
		return err
	})
	if !ok {
		return
	}
	e.recordTokens(b, tr, tokenExpect{scope: e.st.scopeSent, idToken: e.oidc})
}
