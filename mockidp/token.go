package mockidp

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// slowDelay is how long the token endpoint waits with the slow fault on.
const slowDelay = 3 * time.Second

func secretEqual(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// authenticateClient authenticates the client of a token, introspection,
// revocation or device authorization request (RFC 6749 §2.3.1, §3.2.1).
// It accepts exactly one method, and only one the client registered.
func (s *Server) authenticateClient(r *http.Request) (*Client, *oauthError) {
	form := r.PostForm
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		if r.Header.Get("Authorization") != "" || form.Has("client_secret") {
			return nil, errf(ErrorInvalidRequest, "client used more than one authentication method (RFC 6749 §2.3)")
		}
		return s.authenticateAssertion(r)
	}
	var id, secret, method string
	if user, pass, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: the client id and secret are form-url-encoded
		// before being used as the Basic user and password.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return nil, errf(ErrorInvalidClient, "Basic credentials are not form-url-encoded correctly (RFC 6749 §2.3.1)")
		}
		method = AuthClientSecretBasic
		if form.Has("client_secret") {
			return nil, errf(ErrorInvalidRequest, "client used more than one authentication method (RFC 6749 §2.3)")
		}
		if cid := form.Get("client_id"); cid != "" && cid != id {
			return nil, errf(ErrorInvalidClient, "client_id in the body differs from the Basic credentials")
		}
	} else if r.Header.Get("Authorization") != "" {
		return nil, errf(ErrorInvalidClient, "unsupported Authorization scheme; use Basic (RFC 6749 §2.3.1)")
	} else if form.Has("client_secret") {
		id, secret, method = form.Get("client_id"), form.Get("client_secret"), AuthClientSecretPost
	} else if form.Has("client_id") {
		id, method = form.Get("client_id"), AuthNone
	} else {
		return nil, errf(ErrorInvalidClient, "no client authentication (RFC 6749 §3.2.1)")
	}
	client := s.cfg.clientByID[id]
	if client == nil {
		return nil, errf(ErrorInvalidClient, "unknown client")
	}
	if !client.allowsAuthMethod(method) {
		return nil, errf(ErrorInvalidClient, "client "+client.ID+" is registered for "+strings.Join(client.AuthMethods, ", ")+", not "+method)
	}
	if method != AuthNone && !secretEqual(client.Secret, secret) {
		return nil, errf(ErrorInvalidClient, "wrong client secret")
	}
	return client, nil
}

// handleToken is the token endpoint (RFC 6749 §3.2): authorization_code
// (§4.1.3), client_credentials (§4.4.2), refresh_token (§6) and device_code
// (RFC 8628 §3.4). Errors are RFC 6749 §5.2 JSON.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	// The body is read first, so that the server notices when the client
	// gives up (net/http watches the connection once the body is consumed).
	formErr := parseForm(r, "resource")
	if s.fault(FaultSlow) {
		t := time.NewTimer(slowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if s.fault(FaultServerError) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": string(ErrorServerError), "error_description": "the token endpoint failed (fault server-error)"})
		return
	}
	if s.fault(FaultHTMLError) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"))
		return
	}
	if formErr != nil {
		writeTokenError(w, formErr)
		return
	}
	if r.URL.RawQuery != "" && r.URL.Query().Has("client_secret") {
		writeTokenError(w, errf(ErrorInvalidRequest, "credentials must not be sent in the URL (RFC 6749 §2.3.1)"))
		return
	}
	client, e := s.authenticateClient(r)
	if e != nil {
		writeTokenError(w, e)
		return
	}
	gt := r.PostForm.Get("grant_type")
	var ts *tokenSet
	switch gt {
	case "":
		e = errf(ErrorInvalidRequest, "grant_type is required")
	case GrantAuthorizationCode:
		ts, e = s.grantCode(r, client)
	case GrantClientCredentials:
		ts, e = s.grantClientCredentials(r, client)
	case GrantRefreshToken:
		ts, e = s.grantRefresh(r, client)
	case GrantDeviceCode:
		ts, e = s.grantDevice(r, client)
	default:
		e = errf(ErrorUnsupportedGrantType, "grant_type "+strconv.Quote(gt)+" is not supported")
	}
	if e != nil {
		writeTokenError(w, e)
		return
	}
	s.writeTokenResponse(w, ts)
}

// writeTokenResponse writes RFC 6749 §5.1 (and OIDC Core §3.1.3.3).
func (s *Server) writeTokenResponse(w http.ResponseWriter, ts *tokenSet) {
	body := map[string]any{
		"access_token": ts.AccessToken,
		"token_type":   "Bearer",
		"expires_in":   ts.ExpiresIn,
	}
	if ts.Scope != "" {
		body["scope"] = ts.Scope
	}
	if ts.RefreshToken != "" {
		body["refresh_token"] = ts.RefreshToken
	}
	if ts.IDToken != "" {
		body["id_token"] = ts.IDToken
	}
	if s.fault(FaultExpiresInString) {
		body["expires_in"] = strconv.FormatInt(ts.ExpiresIn, 10)
	}
	if s.fault(FaultTokenTypeMissing) {
		delete(body, "token_type")
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) checkGrantAllowed(c *Client, gt string) *oauthError {
	if !c.allowsGrant(gt) {
		return errf(ErrorUnauthorizedClient, "client "+c.ID+" may not use grant_type "+gt)
	}
	return nil
}

// grantCode exchanges an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6).
// A replayed code is refused and every token issued from it is revoked
// (RFC 6749 §4.1.2).
func (s *Server) grantCode(r *http.Request, client *Client) (*tokenSet, *oauthError) {
	if e := s.checkGrantAllowed(client, GrantAuthorizationCode); e != nil {
		return nil, e
	}
	f := r.PostForm
	code := f.Get("code")
	if code == "" {
		return nil, errf(ErrorInvalidRequest, "code is required")
	}
	s.mu.Lock()
	ac := s.codes[code]
	if ac == nil {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "unknown authorization code")
	}
	if ac.used && !s.fault(FaultCodeReplayAllowed) {
		s.revokeGrantLocked(ac.grantID)
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "authorization code already used; the tokens issued from it are now revoked (RFC 6749 §4.1.2)")
	}
	if ac.clientID != client.ID {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "authorization code was issued to another client")
	}
	ac.used = true // any attempt consumes it (RFC 9700 §4.2.4 style)
	expired := !s.Now().Before(ac.expiresAt)
	s.mu.Unlock()
	if expired {
		return nil, errf(ErrorInvalidGrant, "authorization code expired")
	}
	// RFC 6749 §4.1.3: redirect_uri must be identical to the one in the
	// authorization request.
	if ru := f.Get("redirect_uri"); ru != ac.redirectURI {
		if ru == "" {
			return nil, errf(ErrorInvalidGrant, "redirect_uri is required and must equal the one in the authorization request")
		}
		return nil, errf(ErrorInvalidGrant, "redirect_uri does not match the authorization request")
	}
	verifier := f.Get("code_verifier")
	switch {
	case s.fault(FaultPKCENotVerified):
	case ac.challenge == "" && verifier != "":
		// RFC 9700 §2.1.1: refuse a verifier when no challenge was sent (PKCE downgrade).
		return nil, errf(ErrorInvalidGrant, "code_verifier sent but the authorization request had no code_challenge")
	case ac.challenge != "" && verifier == "":
		return nil, errf(ErrorInvalidGrant, "code_verifier is required: the authorization request had a code_challenge (RFC 7636 §4.5)")
	case ac.challenge != "" && !validVerifier(verifier):
		return nil, errf(ErrorInvalidGrant, "code_verifier must be 43-128 unreserved characters (RFC 7636 §4.1)")
	case ac.challenge != "" && !verifyPKCE(ac.method, ac.challenge, verifier):
		return nil, errf(ErrorInvalidGrant, "code_verifier does not match the code_challenge (RFC 7636 §4.6)")
	}
	g := ac.g
	if res := f["resource"]; len(res) > 0 {
		for _, x := range res {
			if !slices.Contains(g.resource, x) {
				return nil, errf(ErrorInvalidTarget, "resource "+strconv.Quote(x)+" was not in the authorization request (RFC 8707 §2.2)")
			}
		}
	}
	s.mu.Lock()
	revoked := g.revoked
	s.mu.Unlock()
	if revoked {
		return nil, errf(ErrorInvalidGrant, "grant revoked")
	}
	withRefresh := client.allowsGrant(GrantRefreshToken) && hasScope(g.scopes, "offline_access")
	withID := hasScope(g.scopes, "openid")
	return s.issueTokens(r.Context(), g, client, withRefresh, withID, idTokenParams{nonce: ac.nonce})
}

// grantClientCredentials is RFC 6749 §4.4.2: a token for the client itself.
func (s *Server) grantClientCredentials(r *http.Request, client *Client) (*tokenSet, *oauthError) {
	if e := s.checkGrantAllowed(client, GrantClientCredentials); e != nil {
		return nil, e
	}
	scopes, e := s.checkScopes(client, r.PostForm.Get("scope"), client.Scopes)
	if e != nil {
		return nil, e
	}
	if hasScope(scopes, "openid") || hasScope(scopes, "offline_access") {
		return nil, errf(ErrorInvalidScope, "openid and offline_access need an end user; client_credentials has none")
	}
	res := r.PostForm["resource"]
	for _, x := range res {
		if err := checkResource(x); err != nil {
			return nil, errf(ErrorInvalidTarget, err.Error())
		}
	}
	// The grant is not stored: with no refresh token (RFC 6749 §4.4.3) and no
	// code, nothing can revoke it as a chain, and its access token's record is
	// enough to revoke the token itself. That keeps a client-credentials token
	// to one record for its lifetime instead of two.
	g := &grant{issuer: s.issuerFor(r), clientID: client.ID, scopes: scopes, resource: res, authTime: s.Now()}
	// RFC 6749 §4.4.3: a refresh token should not be included.
	return s.issueTokens(r.Context(), g, client, false, false, idTokenParams{})
}

// grantRefresh is RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the old
// refresh token is spent; presenting it again revokes the whole chain.
func (s *Server) grantRefresh(r *http.Request, client *Client) (*tokenSet, *oauthError) {
	if e := s.checkGrantAllowed(client, GrantRefreshToken); e != nil {
		return nil, e
	}
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return nil, errf(ErrorInvalidRequest, "refresh_token is required")
	}
	s.mu.Lock()
	rec := s.refresh[keyOf(rt)]
	if rec == nil {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "unknown refresh token")
	}
	if rec.clientID != client.ID {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "refresh token was issued to another client")
	}
	g := s.grants[rec.grantID]
	if rec.rotated {
		s.revokeGrantLocked(rec.grantID)
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "refresh token reuse detected: it was already rotated, so the whole token chain is now revoked (RFC 9700 §4.14.2)")
	}
	if g == nil || g.revoked {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "refresh token revoked")
	}
	if !s.Now().Before(rec.expiresAt) {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "refresh token expired")
	}
	view := *g // same id: revoking the grant revokes the chain
	s.mu.Unlock()
	// RFC 6749 §6: a narrower scope may be requested, never a wider one.
	scopes := g.scopes
	if raw := r.PostForm.Get("scope"); raw != "" {
		var narrow []string
		for _, sc := range strings.Fields(raw) {
			if !hasScope(g.scopes, sc) {
				return nil, errf(ErrorInvalidScope, "scope "+strconv.Quote(sc)+" was not granted originally (RFC 6749 §6)")
			}
			if !hasScope(narrow, sc) {
				narrow = append(narrow, sc)
			}
		}
		scopes = narrow
	}
	s.mu.Lock()
	if rec.rotated { // lost a race with another refresh of the same token
		s.revokeGrantLocked(rec.grantID)
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "refresh token reuse detected; the token chain is revoked")
	}
	rec.rotated = true
	s.mu.Unlock()
	view.scopes = scopes
	withID := hasScope(scopes, "openid") && view.username != ""
	return s.issueTokens(r.Context(), &view, client, true, withID, idTokenParams{})
}
