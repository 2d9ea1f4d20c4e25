package mockidp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// handleDiscovery serves OpenID Connect Discovery 1.0 §3 and RFC 8414 §2
// metadata (the same document at both well-known paths, RFC 8414 §3).
// Only implemented endpoints are advertised.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := s.issuerFor(r)
	md := map[string]any{
		"issuer":                        iss,
		"authorization_endpoint":        iss + "/authorize",
		"token_endpoint":                iss + "/token",
		"userinfo_endpoint":             iss + "/userinfo",
		"jwks_uri":                      iss + "/jwks",
		"introspection_endpoint":        iss + "/introspect",
		"revocation_endpoint":           iss + "/revoke",
		"device_authorization_endpoint": iss + "/device_authorization",
		"end_session_endpoint":          iss + "/end_session",
		// RFC 9126 §5: PAR is offered, not required.
		"pushed_authorization_request_endpoint": iss + "/par",
		"require_pushed_authorization_requests": false,
		"scopes_supported":                      s.cfg.scopes,
		"response_types_supported":              knownResponseTypes,
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 knownGrants,
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": knownAlgs,
		// Every endpoint that authenticates clients shares authenticateClient, so
		// each accepts every method (RFC 8414 §2, RFC 7523 §2.2); introspection
		// refuses public clients (RFC 7662 §2.1), so "none" is not listed there.
		"token_endpoint_auth_methods_supported":                    knownAuthMethods,
		"token_endpoint_auth_signing_alg_values_supported":         assertionSigningAlgs,
		"introspection_endpoint_auth_methods_supported":            introspectionAuthMethods,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionSigningAlgs,
		"revocation_endpoint_auth_methods_supported":               knownAuthMethods,
		"revocation_endpoint_auth_signing_alg_values_supported":    assertionSigningAlgs,
		"code_challenge_methods_supported":                         []string{"S256", "plain"},
		"claims_supported":                                         s.cfg.claims,
		"prompt_values_supported":                                  []string{"none", "login", "consent", "select_account"},
		"claims_parameter_supported":                               false,
		"request_parameter_supported":                              false,
		// request_uri here means OIDC request objects by reference; PAR's
		// request_uri values are covered by pushed_authorization_request_endpoint.
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true, // RFC 9207 §3
	}
	if s.fault(FaultMetadataIssuer) {
		md["issuer"] = "https://evil.example"
	}
	writeJSON(w, http.StatusOK, md)
}

// handleJWKS serves the public keys as an RFC 7517 §5 JWK Set.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	ks, err := s.signingKeys(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": string(ErrorTemporarilyUnavailable)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(ks.jwks)
}

// bearerToken extracts an access token as RFC 6750 §2.1 (header) or §2.2
// (form body) allows; the query form (§2.3) is refused.
func bearerToken(r *http.Request) (string, ErrorCode, string) {
	h := r.Header.Get("Authorization")
	if h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", ErrorInvalidRequest, "Authorization header is not a Bearer token"
		}
		if r.Method == http.MethodPost && r.PostForm.Has("access_token") {
			return "", ErrorInvalidRequest, "token sent in more than one way"
		}
		return strings.TrimSpace(tok), "", ""
	}
	if r.Method == http.MethodPost && r.PostForm.Has("access_token") {
		return r.PostForm.Get("access_token"), "", ""
	}
	if r.URL.Query().Has("access_token") {
		return "", ErrorInvalidRequest, "access tokens in the URL are not accepted (RFC 9700 §4.3.2)"
	}
	return "", "", ""
}

// handleUserinfo is the UserInfo endpoint, OIDC Core §5.3, protected as
// RFC 6750 says.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if e := parseForm(r); e != nil {
			writeBearerError(w, idpRealm, ErrorInvalidRequest, "malformed body", "")
			return
		}
	}
	tok, code, desc := bearerToken(r)
	if code != "" {
		writeBearerError(w, idpRealm, code, desc, "")
		return
	}
	if tok == "" {
		writeBearerError(w, idpRealm, "", "", "") // RFC 6750 §3.1: no error code when no token
		return
	}
	rec, why := s.lookupAccess(tok)
	if rec == nil {
		writeBearerError(w, idpRealm, ErrorInvalidToken, why, "")
		return
	}
	if rec.username == "" || !hasScope(rec.scopes, "openid") {
		writeBearerError(w, idpRealm, ErrorInsufficientScope, "userinfo needs a user token with the openid scope", "openid")
		return
	}
	u := s.cfg.userByName[rec.username]
	out := claimsForScopes(u, rec.scopes)
	out["sub"] = u.Subject()
	if s.fault(FaultUserinfoWrongSub) {
		out["sub"] = u.Subject() + "-other"
	}
	writeJSON(w, http.StatusOK, out)
}

// handleIntrospect is RFC 7662 §2: the caller must authenticate as a
// confidential client; inactive tokens give {"active": false}.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		writeTokenError(w, e)
		return
	}
	client, e := s.authenticateClient(r)
	if e == nil && client.Public {
		e = errf(ErrorInvalidClient, "introspection needs client authentication with a secret (RFC 7662 §2.1)")
	}
	if e != nil {
		writeTokenError(w, e)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeTokenError(w, errf(ErrorInvalidRequest, "token is required"))
		return
	}
	now := s.Now()
	key := keyOf(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.access[key]; rec != nil {
		g := s.grants[rec.grantID] // nil for client credentials: not stored
		if rec.revoked || rec.grantID != "" && (g == nil || g.revoked) || !now.Before(rec.expiresAt) {
			writeJSON(w, http.StatusOK, map[string]any{"active": false})
			return
		}
		// The token is the JWT this server signed (its hash matched): iss,
		// iat, aud and jti are read from it rather than kept in the record.
		c, err := accessTokenClaims(tok)
		if err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"active": false})
			return
		}
		sub := rec.clientID
		resp := map[string]any{
			"active": true, "scope": joinScopes(rec.scopes), "client_id": rec.clientID, "token_type": "Bearer",
			"exp": rec.expiresAt.Unix(), "iat": c.Iat, "iss": c.Iss, "aud": c.Aud, "jti": c.Jti,
		}
		if u := s.cfg.userByName[rec.username]; u != nil {
			sub = u.Subject()
			resp["username"] = u.Username
		}
		resp["sub"] = sub
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if rec := s.refresh[key]; rec != nil {
		g := s.grants[rec.grantID]
		if rec.rotated || g == nil || g.revoked || !now.Before(rec.expiresAt) {
			writeJSON(w, http.StatusOK, map[string]any{"active": false})
			return
		}
		resp := map[string]any{
			"active": true, "scope": joinScopes(g.scopes), "client_id": rec.clientID, "token_type": "refresh_token",
			"exp": rec.expiresAt.Unix(), "iat": rec.issuedAt.Unix(), "iss": g.issuer,
		}
		if u := s.cfg.userByName[g.username]; u != nil {
			resp["sub"] = u.Subject()
			resp["username"] = u.Username
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

// handleRevoke is RFC 7009 §2.1. Revoking a refresh token revokes its whole
// grant, access tokens included (§2.1 SHOULD); unknown tokens get 200 (§2.2).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		writeTokenError(w, e)
		return
	}
	client, e := s.authenticateClient(r)
	if e != nil {
		writeTokenError(w, e)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeTokenError(w, errf(ErrorInvalidRequest, "token is required"))
		return
	}
	if h := r.PostForm.Get("token_type_hint"); h != "" && h != "access_token" && h != "refresh_token" {
		writeTokenError(w, errf(ErrorUnsupportedTokenType, "token_type_hint must be access_token or refresh_token (RFC 7009 §2.2.1)"))
		return
	}
	key := keyOf(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.access[key]; rec != nil {
		if rec.clientID != client.ID {
			writeTokenError(w, errf(ErrorUnauthorizedClient, "the token was issued to another client (RFC 7009 §2.1)"))
			return
		}
		rec.revoked = true
	} else if rec := s.refresh[key]; rec != nil {
		if rec.clientID != client.ID {
			writeTokenError(w, errf(ErrorUnauthorizedClient, "the token was issued to another client (RFC 7009 §2.1)"))
			return
		}
		s.revokeGrantLocked(rec.grantID)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// handleEndSession is OpenID Connect RP-Initiated Logout 1.0 §2-3: it ends
// the login session and, when post_logout_redirect_uri exactly matches one
// registered for the client named by id_token_hint or client_id, redirects
// there with state.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		renderError(w, http.StatusBadRequest, "Invalid logout request", e.Description)
		return
	}
	q := r.Form
	var client *Client
	if hint := q.Get("id_token_hint"); hint != "" {
		aud, ok := s.checkIDTokenHint(r, hint)
		if !ok {
			renderError(w, http.StatusBadRequest, "Invalid id_token_hint", "id_token_hint is not an ID token issued by this server (RP-Initiated Logout §2).")
			return
		}
		client = s.cfg.clientByID[aud]
	}
	if cid := q.Get("client_id"); cid != "" {
		c := s.cfg.clientByID[cid]
		if c == nil || client != nil && client != c {
			renderError(w, http.StatusBadRequest, "Invalid client_id", "client_id is unknown or does not match the id_token_hint audience.")
			return
		}
		client = c
	}
	plr := q.Get("post_logout_redirect_uri")
	if plr != "" && (client == nil || !matchRedirectURI(client.PostLogoutRedirectURIs, plr)) {
		renderError(w, http.StatusBadRequest, "post_logout_redirect_uri not registered",
			"post_logout_redirect_uri must exactly match one registered for the client, which must be identified by id_token_hint or client_id (RP-Initiated Logout §3).")
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if plr == "" {
		renderMessage(w, http.StatusOK, "Signed out", "You are signed out of the oauthx mock IdP.")
		return
	}
	u, _ := url.Parse(plr)
	if st := q.Get("state"); st != "" {
		v := u.Query()
		v.Set("state", st)
		u.RawQuery = v.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// checkIDTokenHint verifies that hint is an ID token this server signed and
// returns its audience. Expired hints are accepted (RP-Initiated Logout §2).
func (s *Server) checkIDTokenHint(r *http.Request, hint string) (string, bool) {
	ks, err := s.signingKeys(r.Context())
	if err != nil {
		return "", false
	}
	tok, err := jwt.ParseSigned(hint, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		return "", false
	}
	var key *signingKey
	for _, k := range ks.byAlg {
		if k.kid == tok.Headers[0].KeyID {
			key = k
		}
	}
	if key == nil {
		return "", false
	}
	var c jwt.Claims
	if err := tok.Claims(key.priv.Public(), &c); err != nil {
		return "", false
	}
	if c.Issuer != s.issuerFor(r) || len(c.Audience) == 0 {
		return "", false
	}
	return c.Audience[0], true
}
