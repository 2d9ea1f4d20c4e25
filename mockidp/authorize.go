package mockidp

import (
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sessionCookie is the name of the login session cookie.
const sessionCookie = "oauthx_idp_session"

// authRequest is a validated authorization request waiting for the user to
// log in and consent. Its random id binds the login and consent forms to it.
type authRequest struct {
	id      string
	kind    string // "authorize" or "device"
	issuer  string
	created time.Time

	client       *Client
	redirectURI  string
	responseType string
	responseMode string
	scopes       []string
	state        string
	nonce        string
	challenge    string
	method       string
	prompt       []string
	maxAge       int // -1 when absent
	loginHint    string
	resource     []string

	deviceCode string // kind "device"

	username string // set after login
	loggedIn bool   // logged in during this request
}

type session struct {
	id       string
	sid      string // OIDC "sid" claim
	username string
	authTime time.Time
	expires  time.Time
	consents map[string][]string // client_id → scopes consented in this session
}

type authCode struct {
	grantID     string
	clientID    string
	redirectURI string
	challenge   string
	method      string
	nonce       string
	expiresAt   time.Time
	used        bool
	g           *grant
}

// handleAuthorize is the authorization endpoint.
// RFC 6749 §3.1, §4.1.1, §4.2.1; OIDC Core §3.1.2.1, §3.2.2.1, §3.3.2.1;
// OAuth 2.0 Multiple Response Types §3-5; Form Post Response Mode §2.
//
// An unknown client or a redirect URI that does not match gets an error page,
// never a redirect (RFC 6749 §4.1.2.1). Every other error goes back to the
// client as an error response carrying state and iss (RFC 9207 §2).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r, "resource"); e != nil {
		renderError(w, http.StatusBadRequest, "Invalid request", e.Description)
		return
	}
	q := r.Form
	iss := s.issuerFor(r)
	if strings.HasPrefix(q.Get("request_uri"), parPrefix) {
		pushed, why := s.resolvePushed(q)
		if pushed == nil {
			renderError(w, http.StatusBadRequest, "Invalid request_uri", why)
			return
		}
		q = pushed
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		renderError(w, http.StatusBadRequest, "Missing client_id", "The authorization request has no client_id (RFC 6749 §4.1.1). The server cannot tell where to send an error, so it shows this page instead of redirecting.")
		return
	}
	client := s.cfg.clientByID[clientID]
	if client == nil {
		renderError(w, http.StatusBadRequest, "Unknown client", "No client is registered with client_id "+strconv.Quote(clientID)+". An authorization server must not redirect to an unverified redirect URI (RFC 6749 §4.1.2.1).")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		renderError(w, http.StatusBadRequest, "Missing redirect_uri", "This server requires redirect_uri in every authorization request (OIDC Core §3.1.2.1), and matches it exactly against the registered ones.")
		return
	}
	if !s.redirectURIAllowed(client.RedirectURIs, redirect) {
		renderError(w, http.StatusBadRequest, "Redirect URI not registered", "redirect_uri "+strconv.Quote(redirect)+" does not exactly match any URI registered for "+client.ID+" (RFC 6749 §3.1.2.3; loopback URIs may use any port, RFC 8252 §7.3). The server must not redirect there (RFC 9700 §4.1).")
		return
	}

	ar := &authRequest{
		kind: "authorize", issuer: iss, created: s.Now(), client: client, redirectURI: redirect,
		responseType: normaliseResponseType(q.Get("response_type")), state: q.Get("state"),
		nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		prompt: strings.Fields(q.Get("prompt")), maxAge: -1, loginHint: q.Get("login_hint"), resource: q["resource"],
	}
	ar.responseMode = defaultResponseMode(ar.responseType)
	if e := s.validateAuthRequest(ar, q); e != nil {
		s.redirectError(w, ar, e)
		return
	}

	// Decide whether the user must log in (OIDC Core §3.1.2.3).
	sess := s.currentSession(r)
	mustLogin := sess == nil || slices.Contains(ar.prompt, "login") || slices.Contains(ar.prompt, "select_account")
	if sess != nil && ar.maxAge >= 0 && s.Now().Sub(sess.authTime) > time.Duration(ar.maxAge)*time.Second {
		mustLogin = true
	}
	if ar.loginHint != "" && sess != nil && sess.username != ar.loginHint {
		mustLogin = true
	}
	none := slices.Contains(ar.prompt, "none")
	if none && mustLogin {
		s.redirectError(w, ar, errf(ErrorLoginRequired, "prompt=none but the user is not logged in (or max_age has passed)"))
		return
	}
	if !mustLogin {
		ar.username = sess.username
	}
	if none && s.mustAskConsent(ar, sess) {
		s.redirectError(w, ar, errf(ErrorConsentRequired, "prompt=none but the user has not consented to these scopes"))
		return
	}

	ar.id = s.randomString(16)
	s.mu.Lock()
	s.pending[ar.id] = ar
	s.noteInsertLocked()
	s.mu.Unlock()

	// The login and consent pages are the answer to this request itself, as
	// most providers do it, rather than a redirect to a page of their own:
	// one hop fewer for the browser, and nothing about OAuth lost (the
	// pages' forms carry the pending request's id; GET /login and
	// GET /consent still show them again, for a reload).
	switch {
	case mustLogin:
		s.renderLogin(w, http.StatusOK, ar, ar.loginHint, "")
	case !s.mustAskConsent(ar, sess):
		s.finish(w, r, ar, sess)
	default:
		s.renderConsent(w, ar, sess.username)
	}
}

// validateAuthRequest checks everything that is reported to the client by
// redirect (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.2).
func (s *Server) validateAuthRequest(ar *authRequest, q url.Values) *oauthError {
	client := ar.client
	if rm := q.Get("response_mode"); rm != "" {
		switch rm {
		case "query", "fragment", "form_post":
			ar.responseMode = rm
		default:
			return errf(ErrorInvalidRequest, "unsupported response_mode "+strconv.Quote(rm))
		}
	}
	if q.Has("request") {
		return errf(ErrorRequestNotSupported, "request objects are not supported")
	}
	if q.Has("request_uri") {
		return errf(ErrorRequestURINotSupported, "only request_uri values from the PAR endpoint are supported (RFC 9126)")
	}
	if ar.responseType == "" {
		return errf(ErrorInvalidRequest, "response_type is required")
	}
	if !slices.Contains(knownResponseTypes, ar.responseType) {
		return errf(ErrorUnsupportedResponseType, "response_type "+strconv.Quote(ar.responseType)+" is not supported")
	}
	if !client.allowsResponseType(ar.responseType) {
		return errf(ErrorUnauthorizedClient, "client "+client.ID+" may not use response_type "+strconv.Quote(ar.responseType))
	}
	// OAuth 2.0 Multiple Response Types §5: token responses must not use query.
	if ar.responseMode == "query" && ar.responseType != "code" {
		ar.responseMode = defaultResponseMode(ar.responseType)
		return errf(ErrorInvalidRequest, "response_mode=query is not allowed with response_type "+strconv.Quote(ar.responseType)+" (tokens must not go in the query)")
	}
	scopes, e := s.checkScopes(client, q.Get("scope"), nil)
	if e != nil {
		return e
	}
	ar.scopes = scopes
	oidc := hasScope(scopes, "openid")
	if strings.Contains(ar.responseType, "id_token") && !oidc {
		return errf(ErrorInvalidScope, "response_type with id_token requires the openid scope")
	}
	// OIDC Core §3.2.2.1, §3.3.2.11: nonce is required when an ID token comes
	// from the authorization endpoint.
	if strings.Contains(ar.responseType, "id_token") && ar.nonce == "" {
		return errf(ErrorInvalidRequest, "nonce is required for response_type "+strconv.Quote(ar.responseType)+" (OIDC Core §3.2.2.1)")
	}
	if p := ar.prompt; slices.Contains(p, "none") && len(p) > 1 {
		return errf(ErrorInvalidRequest, "prompt=none must not be combined with other values (OIDC Core §3.1.2.1)")
	}
	for _, p := range ar.prompt {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, p) {
			return errf(ErrorInvalidRequest, "unknown prompt value "+strconv.Quote(p))
		}
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errf(ErrorInvalidRequest, "max_age must be a non-negative integer number of seconds")
		}
		ar.maxAge = n
	}
	for _, res := range ar.resource {
		if err := checkResource(res); err != nil {
			return errf(ErrorInvalidTarget, err.Error())
		}
	}
	// PKCE, RFC 7636 §4.3, §4.4.1.
	if strings.Contains(ar.responseType, "code") {
		if ar.challenge == "" {
			if ar.method != "" {
				return errf(ErrorInvalidRequest, "code_challenge_method without code_challenge")
			}
			if client.pkceRequired() {
				return errf(ErrorInvalidRequest, "code_challenge is required: "+client.ID+" must use PKCE (RFC 7636 §4.4.1, RFC 9700 §2.1.1)")
			}
		} else {
			if ar.method == "" {
				ar.method = "plain" // RFC 7636 §4.3 default
			}
			if ar.method != "S256" && ar.method != "plain" {
				return errf(ErrorInvalidRequest, "code_challenge_method "+strconv.Quote(ar.method)+" is not supported; use S256 (RFC 7636 §4.2)")
			}
			if !validChallenge(ar.method, ar.challenge) {
				return errf(ErrorInvalidRequest, "code_challenge is malformed (RFC 7636 §4.2: 43 base64url characters for S256)")
			}
		}
	} else if ar.challenge != "" {
		return errf(ErrorInvalidRequest, "code_challenge is only meaningful when a code is requested")
	}
	return nil
}

// checkScopes parses a scope parameter against what the client may ask for
// (RFC 6749 §3.3). An empty scope means the client's registered scopes when
// def is nil, else def.
func (s *Server) checkScopes(client *Client, raw string, def []string) ([]string, *oauthError) {
	req := strings.Fields(raw)
	if len(req) == 0 {
		if def != nil {
			return def, nil
		}
		return nil, errf(ErrorInvalidScope, "scope is required")
	}
	var out []string
	for _, sc := range req {
		if !slices.Contains(s.cfg.scopes, sc) {
			return nil, errf(ErrorInvalidScope, "unknown scope "+strconv.Quote(sc))
		}
		if !slices.Contains(client.Scopes, sc) {
			return nil, errf(ErrorInvalidScope, "client "+client.ID+" may not request scope "+strconv.Quote(sc))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// checkResource applies RFC 8707 §2: an absolute URI without a fragment.
func checkResource(res string) error {
	u, err := url.Parse(res)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(res, "#") {
		return errInvalidTarget(res)
	}
	return nil
}

type errInvalidTarget string

func (e errInvalidTarget) Error() string {
	return "resource " + strconv.Quote(string(e)) + " must be an absolute URI without a fragment (RFC 8707 §2)"
}

func defaultResponseMode(rt string) string {
	if rt == "code" || rt == "" {
		return "query"
	}
	return "fragment" // OAuth 2.0 Multiple Response Types §2.1, §3
}

// redirectURIAllowed applies matchRedirectURI, or a plain prefix match when
// the redirect-uri-prefix fault is on.
func (s *Server) redirectURIAllowed(registered []string, req string) bool {
	if matchRedirectURI(registered, req) {
		return true
	}
	if s.fault(FaultRedirectURIPrefix) {
		for _, reg := range registered {
			if strings.HasPrefix(req, reg) {
				return true
			}
		}
	}
	return false
}

// matchRedirectURI compares a requested redirect URI with the registered
// ones by exact string comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3),
// except that the port of a loopback IP literal (and localhost) is ignored
// (RFC 8252 §7.3).
func matchRedirectURI(registered []string, req string) bool {
	if slices.Contains(registered, req) {
		return true
	}
	ru, err := url.Parse(req)
	if err != nil || ru.Scheme != "http" || !isLoopbackHost(ru.Hostname()) || ru.Fragment != "" || ru.User != nil {
		return false
	}
	for _, reg := range registered {
		u, err := url.Parse(reg)
		if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
			continue
		}
		if u.Hostname() == ru.Hostname() && u.EscapedPath() == ru.EscapedPath() && u.RawQuery == ru.RawQuery {
			if p := ru.Port(); p == "" || validPort(p) {
				return true
			}
		}
	}
	return false
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && strconv.Itoa(n) == p
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// currentSession returns the live login session of the request, if any.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[c.Value]
	if sess == nil || !s.Now().Before(sess.expires) {
		return nil
	}
	return sess
}

func (s *Server) hasConsent(sess *session, clientID string, scopes []string) bool {
	if sess == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got := sess.consents[clientID]
	for _, sc := range scopes {
		if !slices.Contains(got, sc) {
			return false
		}
	}
	return true
}

// mustAskConsent reports whether the user must see the consent page for an
// authorization request (OIDC Core §3.1.2.4): always with prompt=consent;
// never for a first-party client; always for a public client answered on a
// loopback or private-use redirect URI, whose identity cannot be proven, so
// that a consent given before does not count (RFC 8252 §8.6); otherwise
// unless this session already allowed these scopes for this client.
func (s *Server) mustAskConsent(ar *authRequest, sess *session) bool {
	switch {
	case slices.Contains(ar.prompt, "consent"):
		return true
	case ar.client.FirstParty:
		return false
	case ar.client.Public && nativeRedirect(ar.redirectURI):
		return true
	}
	return !s.hasConsent(sess, ar.client.ID, ar.scopes)
}

// nativeRedirect reports whether a redirect URI is one a native app would
// listen on (RFC 8252 §7.1, §7.3): a private-use scheme or loopback HTTP,
// which any app on the device could claim.
func nativeRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return false
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return true
}

// getPending returns the pending authorization request with this id, if it
// is still live.
func (s *Server) getPending(id string) *authRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar := s.pending[id]
	if ar == nil || s.Now().Sub(ar.created) > 30*time.Minute {
		return nil
	}
	return ar
}

// handleLoginPage shows the login form for a pending request: the end-user
// authentication step of OIDC Core §3.1.2.3 (RFC 6749 §4.1.1 leaves its form
// to the server).
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	ar := s.getPending(r.URL.Query().Get("req"))
	if ar == nil {
		renderError(w, http.StatusBadRequest, "Login request not found", "This login page belongs to an authorization request that is unknown, finished or expired. Start again from the application.")
		return
	}
	s.renderLogin(w, http.StatusOK, ar, ar.loginHint, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, ar *authRequest, username, errMsg string) {
	if username != "" || errMsg != "" {
		renderPage(w, status, loginPage, s.loginData(ar, username, errMsg))
		return
	}
	s.pageCache.render(w, status, loginPage, "login\x00"+ar.issuer+"\x00"+ar.client.ID,
		func() map[string]any { return s.loginData(ar, "", "") }, ar.id)
}

// loginData is what the login page shows.
func (s *Server) loginData(ar *authRequest, username, errMsg string) map[string]any {
	type button struct{ Username, Label string }
	var demo []button
	for _, u := range s.cfg.users {
		if u.Demo {
			label := u.Username
			if n, ok := u.Claims["name"].(string); ok && n != "" {
				label = n + " (" + u.Username + ")"
			}
			demo = append(demo, button{u.Username, label})
		}
	}
	return map[string]any{"Issuer": ar.issuer, "Req": ar.id, "Client": ar.client, "Username": username, "Error": errMsg, "Demo": demo}
}

// handleLogin checks the credentials (or the demo user button), starts a
// session and moves on to consent (OIDC Core §3.1.2.3).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		renderError(w, http.StatusBadRequest, "Invalid request", e.Description)
		return
	}
	ar := s.getPending(r.PostForm.Get("req"))
	if ar == nil {
		renderError(w, http.StatusBadRequest, "Login request not found", "This login form belongs to an authorization request that is unknown, finished or expired. Start again from the application.")
		return
	}
	var user *User
	if d := r.PostForm.Get("demo_user"); d != "" {
		if u := s.cfg.userByName[d]; u != nil && u.Demo {
			user = u
		}
	} else {
		name := r.PostForm.Get("username")
		if u := s.cfg.userByName[name]; u != nil && secretEqual(u.Password, r.PostForm.Get("password")) {
			user = u
		}
	}
	if user == nil {
		s.renderLogin(w, http.StatusOK, ar, r.PostForm.Get("username"), "Wrong username or password.")
		return
	}
	now := s.Now()
	sess := &session{id: s.randomString(24), sid: s.randomString(12), username: user.Username, authTime: now,
		expires: now.Add(s.cfg.lifetimes.Session), consents: map[string][]string{}}
	s.mu.Lock()
	if old, err := r.Cookie(sessionCookie); err == nil {
		delete(s.sessions, old.Value) // no session fixation
	}
	s.sessions[sess.id] = sess
	s.noteInsertLocked()
	ar.username, ar.loggedIn = user.Username, true
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	if ar.kind == "authorize" && !s.mustAskConsent(ar, sess) {
		s.finish(w, r, ar, sess)
		return
	}
	// Consent is the answer to the login itself (no redirect to a consent
	// page): a reload re-posts the login, which only logs in again.
	s.renderConsent(w, ar, sess.username)
}

// consentRequest returns the pending request and the session that may
// consent to it, or writes an error page.
func (s *Server) consentRequest(w http.ResponseWriter, r *http.Request, id string) (*authRequest, *session) {
	ar := s.getPending(id)
	if ar == nil {
		renderError(w, http.StatusBadRequest, "Consent request not found", "This consent page belongs to an authorization request that is unknown, finished or expired. Start again from the application.")
		return nil, nil
	}
	sess := s.currentSession(r)
	s.mu.Lock()
	username := ar.username
	s.mu.Unlock()
	if sess == nil || username == "" || sess.username != username {
		renderError(w, http.StatusForbidden, "Not logged in", "Consent needs the login session of the user who is authorizing. Log in first.")
		return nil, nil
	}
	return ar, sess
}

// handleConsentPage lists the requested scopes with their meaning: the
// authorization step of OIDC Core §3.1.2.4 and RFC 6749 §3.3.
func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	ar, sess := s.consentRequest(w, r, r.URL.Query().Get("req"))
	if ar == nil {
		return
	}
	s.renderConsent(w, ar, sess.username)
}

// renderConsent shows the consent form of a pending request to the user
// logged in as username.
func (s *Server) renderConsent(w http.ResponseWriter, ar *authRequest, username string) {
	key := "consent\x00" + ar.issuer + "\x00" + ar.client.ID + "\x00" + username + "\x00" + strings.Join(ar.scopes, " ") + "\x00" + strconv.FormatBool(ar.kind == "device")
	s.pageCache.render(w, http.StatusOK, consentPage, key, func() map[string]any { return consentData(ar, username) }, ar.id)
}

// consentData is what the consent page shows.
func consentData(ar *authRequest, username string) map[string]any {
	type scopeLine struct{ Name, Meaning string }
	var lines []scopeLine
	for _, sc := range ar.scopes {
		lines = append(lines, scopeLine{sc, scopeMeaning(sc)})
	}
	return map[string]any{"Issuer": ar.issuer, "Req": ar.id, "Client": ar.client, "User": username, "Scopes": lines, "Device": ar.kind == "device"}
}

// handleConsent records the decision. Deny sends access_denied
// (RFC 6749 §4.1.2.1); allow issues the authorization response.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		renderError(w, http.StatusBadRequest, "Invalid request", e.Description)
		return
	}
	ar, sess := s.consentRequest(w, r, r.PostForm.Get("req"))
	if ar == nil {
		return
	}
	switch r.PostForm.Get("decision") {
	case "allow":
	case "deny":
		s.mu.Lock()
		delete(s.pending, ar.id)
		s.mu.Unlock()
		if ar.kind == "device" {
			s.finishDevice(w, ar, sess, false)
			return
		}
		s.redirectError(w, ar, errf(ErrorAccessDenied, "the user denied the request"))
		return
	default:
		renderError(w, http.StatusBadRequest, "No decision", "The consent form needs decision=allow or decision=deny.")
		return
	}
	s.mu.Lock()
	c := sess.consents[ar.client.ID]
	for _, sc := range ar.scopes {
		if !slices.Contains(c, sc) {
			c = append(c, sc)
		}
	}
	sess.consents[ar.client.ID] = c
	s.mu.Unlock()
	if ar.kind == "device" {
		s.finishDevice(w, ar, sess, true)
		return
	}
	s.finish(w, r, ar, sess)
}

// finish issues the successful authorization response: a code, an ID token
// and/or an access token, as response_type asked (RFC 6749 §4.1.2, §4.2.2;
// OIDC Core §3.2.2.5, §3.3.2.5), with state and iss (RFC 9207 §2).
func (s *Server) finish(w http.ResponseWriter, r *http.Request, ar *authRequest, sess *session) {
	s.mu.Lock()
	if s.pending[ar.id] != ar {
		s.mu.Unlock()
		renderError(w, http.StatusBadRequest, "Request already answered", "This authorization request was already answered.")
		return
	}
	delete(s.pending, ar.id)
	s.mu.Unlock()

	g := s.newGrant(&grant{issuer: ar.issuer, clientID: ar.client.ID, username: sess.username,
		scopes: ar.scopes, resource: ar.resource, authTime: sess.authTime, sid: sess.sid})
	params := url.Values{}
	rt := ar.responseType
	var code string
	if strings.Contains(rt, "code") {
		code = s.randomString(32)
		s.mu.Lock()
		s.codes[code] = &authCode{grantID: g.id, clientID: ar.client.ID, redirectURI: ar.redirectURI,
			challenge: ar.challenge, method: ar.method, nonce: ar.nonce,
			expiresAt: s.Now().Add(s.cfg.lifetimes.Code), g: g}
		s.noteInsertLocked()
		s.mu.Unlock()
		params.Set("code", code)
	}
	wantToken := slices.Contains(strings.Fields(rt), "token")
	wantID := slices.Contains(strings.Fields(rt), "id_token")
	switch {
	case wantToken:
		ts, e := s.issueTokens(r.Context(), g, ar.client, false, wantID, idTokenParams{nonce: ar.nonce, code: code, atHashReq: true})
		if e != nil {
			s.redirectError(w, ar, e)
			return
		}
		params.Set("access_token", ts.AccessToken)
		params.Set("token_type", "Bearer")
		params.Set("expires_in", strconv.FormatInt(ts.ExpiresIn, 10))
		params.Set("scope", ts.Scope)
		if wantID {
			params.Set("id_token", ts.IDToken)
		}
	case wantID:
		ks, err := s.signingKeys(r.Context())
		if err != nil {
			s.redirectError(w, ar, errf(ErrorServerError, "signing keys unavailable"))
			return
		}
		idt, e := s.mintIDToken(ks, g, ar.client, idTokenParams{nonce: ar.nonce, code: code})
		if e != nil {
			s.redirectError(w, ar, e)
			return
		}
		params.Set("id_token", idt)
	}
	s.respond(w, ar, params)
}

// redirectError sends an error authorization response (RFC 6749 §4.1.2.1,
// §4.2.2.1) to the validated redirect URI.
func (s *Server) redirectError(w http.ResponseWriter, ar *authRequest, e *oauthError) {
	p := url.Values{"error": {string(e.Code)}}
	if e.Description != "" {
		p.Set("error_description", e.Description)
	}
	s.respond(w, ar, p)
}

// respond delivers authorization response parameters with the request's
// response mode, adding state and iss (RFC 9207 §2) and applying the
// authorization response faults.
func (s *Server) respond(w http.ResponseWriter, ar *authRequest, p url.Values) {
	if ar.state != "" {
		p.Set("state", ar.state)
		if s.fault(FaultStateMismatch) {
			p.Set("state", ar.state+"-tampered")
		}
	}
	p.Set("iss", ar.issuer)
	if s.fault(FaultIssMismatchAuthz) {
		p.Set("iss", "https://evil.example")
	}
	if s.fault(FaultMissingIssAuthz) {
		p.Del("iss")
	}
	w.Header().Set("Cache-Control", "no-store")
	switch ar.responseMode {
	case "form_post": // OAuth 2.0 Form Post Response Mode §2
		type field struct{ Name, Value string }
		var fields []field
		for _, k := range sortedKeys(p) {
			fields = append(fields, field{k, p.Get(k)})
		}
		// The redirect URI matched a registration, so it is trusted as a URL
		// even with a private-use scheme (which html/template would blank).
		renderPage(w, http.StatusOK, formPostPage, map[string]any{"Action": template.URL(ar.redirectURI), "Fields": fields})
	case "fragment":
		w.Header().Set("Location", stripFragment(ar.redirectURI)+"#"+p.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		u, _ := url.Parse(ar.redirectURI)
		q := u.Query()
		for k, v := range p {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
	}
}

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// scopeMeaning is the one-line explanation shown on the consent page.
func scopeMeaning(sc string) string {
	switch sc {
	case "openid":
		return "Sign you in with OpenID Connect and learn your user id (sub)."
	case "profile":
		return "Read your name, username and other basic profile details."
	case "email":
		return "Read your email address and whether it is verified."
	case "offline_access":
		return "Keep access while you are away (a refresh token)."
	case "api:read":
		return "Read data from the demo API on your behalf."
	case "api:write":
		return "Change data in the demo API on your behalf."
	}
	return "Custom scope defined in the configuration."
}
