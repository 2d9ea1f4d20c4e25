package mockidp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The demo resource server: a tiny API at ISSUER/api whose identifier (the
// audience it accepts) is ISSUER/api. It validates JWT access tokens as
// RFC 9068 §4 says and answers RFC 6750 §3 errors.
//
//	GET  /api/me     any valid token with api:read: who the token is for
//	GET  /api/admin  api:read and the role "admin" (alice, not bob)
//	POST /api/notes  api:write
const (
	apiRealm = "oauthx demo API"
	idpRealm = "oauthx mock IdP"
)

// apiToken is what a validated access token grants.
type apiToken struct {
	Subject  string   `json:"sub"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Roles    []string `json:"roles,omitempty"`
}

// apiAuth validates the bearer token for the demo API and checks the scope;
// it writes the RFC 6750 error and returns nil when the request is refused.
func (s *Server) apiAuth(w http.ResponseWriter, r *http.Request, scope string) *apiToken {
	if r.Method == http.MethodPost {
		if e := parseForm(r); e != nil {
			writeAPIError(w, ErrorInvalidRequest, e.Description, "")
			return nil
		}
	}
	raw, code, desc := bearerToken(r)
	if code != "" {
		writeAPIError(w, code, desc, "")
		return nil
	}
	if raw == "" {
		writeAPIError(w, "", "", "") // RFC 6750 §3.1: no error code without a token
		return nil
	}
	ks, err := s.signingKeys(r.Context())
	if err != nil {
		writeAPIError(w, ErrorInvalidToken, "signing keys unavailable", "")
		return nil
	}
	// RFC 9068 §4: explicit typing, an allow-listed algorithm, a known key,
	// the issuer, this API as audience, and time.
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		writeAPIError(w, ErrorInvalidToken, "not a signed JWT access token", "")
		return nil
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		writeAPIError(w, ErrorInvalidToken, "typ is not at+jwt (RFC 9068 section 4)", "")
		return nil
	}
	var key *signingKey
	for _, k := range ks.byAlg {
		if k.kid == h.KeyID && k.alg == h.Algorithm {
			key = k
		}
	}
	if key == nil {
		writeAPIError(w, ErrorInvalidToken, "unknown kid", "")
		return nil
	}
	var std jwt.Claims
	var at apiToken
	if err := tok.Claims(key.priv.Public(), &std, &at); err != nil {
		writeAPIError(w, ErrorInvalidToken, "bad signature", "")
		return nil
	}
	iss := s.issuerFor(r)
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: iss, AnyAudience: jwt.Audience{iss + "/api"}, Time: s.Now()}, 0); err != nil {
		writeAPIError(w, ErrorInvalidToken, strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: validation failed, "), "")
		return nil
	}
	// Like a resource server that introspects, it also honours revocation.
	if _, why := s.lookupAccess(raw); why != "" && why != "token expired" {
		writeAPIError(w, ErrorInvalidToken, why, "")
		return nil
	}
	if !slices.Contains(strings.Fields(at.Scope), scope) {
		writeAPIError(w, ErrorInsufficientScope, "this call needs the "+scope+" scope", scope)
		return nil
	}
	at.Subject = std.Subject
	return &at
}

func writeAPIError(w http.ResponseWriter, code ErrorCode, desc, scope string) {
	writeBearerError(w, apiRealm, code, desc, scope)
}

// handleAPIMe returns the identity behind the token: a protected resource
// request, RFC 6749 §7, RFC 6750 §2.1.
func (s *Server) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	if at := s.apiAuth(w, r, "api:read"); at != nil {
		writeJSON(w, http.StatusOK, at)
	}
}

// handleAPIAdmin needs the "admin" role from the token's roles claim
// (RFC 9068 §2.2.3.1); a missing role is insufficient_scope (RFC 6750 §3.1).
func (s *Server) handleAPIAdmin(w http.ResponseWriter, r *http.Request) {
	at := s.apiAuth(w, r, "api:read")
	if at == nil {
		return
	}
	if !slices.Contains(at.Roles, "admin") {
		writeAPIError(w, ErrorInsufficientScope, "this call needs the admin role", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Welcome, administrator " + at.Subject + ".", "roles": at.Roles})
}

// handleAPINotes accepts a note (form field "text") with api:write; a
// missing scope is insufficient_scope (RFC 6750 §3.1).
func (s *Server) handleAPINotes(w http.ResponseWriter, r *http.Request) {
	at := s.apiAuth(w, r, "api:write")
	if at == nil {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"author": at.Subject, "text": r.PostForm.Get("text")})
}
