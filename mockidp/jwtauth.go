package mockidp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWT client authentication, RFC 7523 §2.2 and §3 (OIDC Core §9).
const (
	AuthClientSecretJWT = "client_secret_jwt"
	AuthPrivateKeyJWT   = "private_key_jwt"
	// clientAssertionType is the client_assertion_type value of RFC 7523 §2.2.
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// assertionAlgs are the algorithms accepted in client assertions.
var assertionAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// parseClientJWKS reads a client's public JWK Set (RFC 7517 §5) for
// private_key_jwt and refuses private keys.
func parseClientJWKS(s string) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(s), &set); err != nil {
		return nil, fmt.Errorf("is not a JWK Set: %v", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("has no keys")
	}
	for i, k := range set.Keys {
		if !k.IsPublic() {
			return nil, fmt.Errorf("keys[%d] is a private key; register the public key only", i)
		}
	}
	return &set, nil
}

// authenticateAssertion checks a client_assertion (RFC 7523 §3): signed with
// the client's secret (HS256, client_secret_jwt) or one of its registered
// keys (private_key_jwt); iss and sub equal to the client_id; aud naming this
// server (the issuer, the token endpoint or the endpoint called); exp in the
// future; a jti not seen before (OIDC Core §9).
func (s *Server) authenticateAssertion(r *http.Request) (*Client, *oauthError) {
	f := r.PostForm
	if f.Get("client_assertion_type") != clientAssertionType {
		return nil, errf(ErrorInvalidClient, "client_assertion_type must be "+clientAssertionType+" (RFC 7523 §2.2)")
	}
	tok, err := jwt.ParseSigned(f.Get("client_assertion"), assertionAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, errf(ErrorInvalidClient, "client_assertion is not a JWS with an allowed algorithm (HS256, RS256, PS256, ES256, EdDSA)")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, errf(ErrorInvalidClient, "client_assertion claims are not JSON")
	}
	id := f.Get("client_id")
	if id == "" {
		id = unverified.Issuer
	}
	client := s.cfg.clientByID[id]
	if client == nil {
		return nil, errf(ErrorInvalidClient, "unknown client")
	}
	h := tok.Headers[0]
	method := AuthPrivateKeyJWT
	var key any
	if h.Algorithm == string(jose.HS256) {
		method = AuthClientSecretJWT
		key = []byte(client.Secret)
	}
	if !client.allowsAuthMethod(method) {
		return nil, errf(ErrorInvalidClient, "client "+client.ID+" is registered for "+strings.Join(client.AuthMethods, ", ")+", not "+method)
	}
	if method == AuthPrivateKeyJWT {
		var keys []jose.JSONWebKey
		if set := s.cfg.clientKeys[client.ID]; set != nil {
			keys = set.Keys
		}
		for _, k := range keys {
			if (h.KeyID == "" || k.KeyID == h.KeyID) && (k.Algorithm == "" || k.Algorithm == h.Algorithm) {
				key = k.Key
				var c jwt.Claims
				if tok.Claims(key, &c) == nil {
					break
				}
				key = nil
			}
		}
		if key == nil {
			return nil, errf(ErrorInvalidClient, "client_assertion is not signed by a key registered for "+client.ID)
		}
	}
	var c jwt.Claims
	if err := tok.Claims(key, &c); err != nil {
		return nil, errf(ErrorInvalidClient, "client_assertion signature does not verify")
	}
	iss := s.issuerFor(r)
	aud := jwt.Audience{iss, iss + "/token", iss + r.URL.Path}
	if c.Issuer != client.ID || c.Subject != client.ID {
		return nil, errf(ErrorInvalidClient, "client_assertion iss and sub must both be the client_id (RFC 7523 §3)")
	}
	if c.Expiry == nil {
		return nil, errf(ErrorInvalidClient, "client_assertion has no exp (RFC 7523 §3)")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{AnyAudience: aud, Time: s.Now()}, 30*time.Second); err != nil {
		return nil, errf(ErrorInvalidClient, "client_assertion: "+err.Error())
	}
	if c.ID == "" {
		return nil, errf(ErrorInvalidClient, "client_assertion has no jti (OIDC Core §9)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	replayKey := client.ID + "\x00" + c.ID
	if _, seen := s.assertionJTIs[replayKey]; seen {
		return nil, errf(ErrorInvalidClient, "client_assertion jti was already used (replay, RFC 7523 §3)")
	}
	s.assertionJTIs[replayKey] = c.Expiry.Time()
	s.noteInsertLocked()
	return client, nil
}
