package mockidp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// grant is what one authorization produced: every token minted from it
// carries its id, so that revoking the grant (code replay, refresh token
// reuse, revocation of a refresh token) revokes them all.
type grant struct {
	id       string
	issuer   string
	clientID string
	username string // empty for client_credentials
	scopes   []string
	resource []string
	authTime time.Time
	sid      string
	revoked  bool
	created  time.Time // server clock; a grant no record refers to is swept after a while
}

// tokenKey is how the access and refresh token stores are keyed: the SHA-256
// of the token. It is short (a JWT access token is several hundred bytes) and,
// unlike the jti alone, it matches only the exact token the server issued.
type tokenKey [sha256.Size]byte

func keyOf(tok string) tokenKey { return sha256.Sum256([]byte(tok)) }

// accessRecord is what the server keeps of an access token: what revocation,
// expiry, userinfo and the API need. Introspection reads the other claims
// (iat, aud, jti) from the token itself, which the server signed and which
// matched this record by its hash.
type accessRecord struct {
	grantID   string
	clientID  string
	username  string
	scopes    []string
	expiresAt time.Time
	revoked   bool
}

type refreshRecord struct {
	grantID   string
	clientID  string
	issuedAt  time.Time
	expiresAt time.Time
	rotated   bool // already exchanged: presenting it again is reuse
}

// tokenSet is what the token endpoint (or the authorization endpoint for
// implicit) hands out.
type tokenSet struct {
	AccessToken  string
	ExpiresIn    int64
	RefreshToken string
	IDToken      string
	Scope        string
}

// idTokenParams are the per-response inputs of an ID token.
type idTokenParams struct {
	nonce       string
	accessToken string // for at_hash
	code        string // for c_hash
	atHashReq   bool   // at_hash required (implicit / hybrid token response)
}

// newGrant stores a grant and returns it.
func (s *Server) newGrant(g *grant) *grant {
	g.id = s.randomString(16)
	g.created = s.Now()
	s.mu.Lock()
	s.grants[g.id] = g
	s.noteInsertLocked()
	s.mu.Unlock()
	return g
}

// revokeGrantLocked revokes a grant and every token minted from it.
// s.mu must be held.
func (s *Server) revokeGrantLocked(id string) {
	if g := s.grants[id]; g != nil {
		g.revoked = true
	}
}

// issueTokens mints an access token, and when asked a refresh token and an
// ID token, for g. withRefresh and withID are decided by the caller.
func (s *Server) issueTokens(ctx context.Context, g *grant, client *Client, withRefresh, withID bool, p idTokenParams) (*tokenSet, *oauthError) {
	ks, err := s.signingKeys(ctx)
	if err != nil {
		return nil, &oauthError{Code: ErrorServerError, Description: "signing keys unavailable", Status: http.StatusInternalServerError}
	}
	now := s.Now()
	lt := s.cfg.lifetimes
	ts := &tokenSet{ExpiresIn: int64(lt.AccessToken / time.Second), Scope: joinScopes(g.scopes)}

	// RFC 9068 §2.2 JWT access token.
	aud := g.resource
	if len(aud) == 0 {
		aud = []string{g.issuer + "/api"}
	}
	jti := s.randomString(16)
	sub := client.ID
	if g.username != "" {
		sub = s.cfg.userByName[g.username].Subject()
	}
	at := map[string]any{
		"iss":       g.issuer,
		"sub":       sub,
		"aud":       audClaim(aud),
		"exp":       now.Add(lt.AccessToken).Unix(),
		"iat":       now.Unix(),
		"jti":       jti,
		"client_id": client.ID,
		"scope":     ts.Scope,
	}
	if g.username != "" {
		at["auth_time"] = g.authTime.Unix()
		if roles := s.cfg.userByName[g.username].Roles; len(roles) > 0 {
			at["roles"] = roles // RFC 9068 §2.2.3.1
		}
	}
	k := ks.byAlg[s.cfg.accessTokenAlg]
	tok, err := k.sign("at+jwt", k.kid, at) // RFC 9068 §2.1 explicit typing
	if err != nil {
		return nil, &oauthError{Code: ErrorServerError, Description: "signing failed", Status: http.StatusInternalServerError}
	}
	ts.AccessToken = tok
	rec := &accessRecord{grantID: g.id, clientID: client.ID, username: g.username, scopes: g.scopes,
		expiresAt: now.Add(lt.AccessToken)}

	if withRefresh {
		ts.RefreshToken = s.randomString(32)
	}
	if withID {
		p.accessToken = ts.AccessToken
		idt, oe := s.mintIDToken(ks, g, client, p)
		if oe != nil {
			return nil, oe
		}
		ts.IDToken = idt
	}

	s.mu.Lock()
	s.access[keyOf(ts.AccessToken)] = rec
	if withRefresh {
		s.refresh[keyOf(ts.RefreshToken)] = &refreshRecord{grantID: g.id, clientID: client.ID, issuedAt: now, expiresAt: now.Add(lt.RefreshToken)}
	}
	s.noteInsertLocked()
	s.mu.Unlock()
	return ts, nil
}

// Sweeping. The stores forget what expired more than sweepGrace ago (kept
// that long so that a replayed code or a reused refresh token still gets its
// precise error for a while). A sweep walks every record, so it runs once the
// insertions since the last one reach max(sweepEvery, half the records that
// sweep left): amortised O(1) per insertion however full the stores are. Past
// storeSoftLimit records the grace is dropped: whatever has expired goes at
// once, so the stores hold about what is live (tokens issued in the last
// access-token lifetime, unexpired refresh chains) whatever the load.
const (
	sweepEvery     = 1024
	sweepGrace     = 24 * time.Hour
	storeSoftLimit = 1 << 16
	// grantMinAge keeps a grant no record refers to yet: its tokens are stored
	// just after it, outside the lock.
	grantMinAge = 10 * time.Minute
)

// sweepThresholdLocked is the number of insertions since the last sweep that
// triggers the next one. s.mu must be held.
func (s *Server) sweepThresholdLocked() int {
	return max(sweepEvery, s.sweepLeft/2)
}

// noteInsertLocked counts stored records and sweeps when enough were stored
// since the last sweep. s.mu must be held.
func (s *Server) noteInsertLocked() {
	s.issued++
	s.sinceSweep++
	if s.sinceSweep < s.sweepThresholdLocked() {
		return
	}
	grace := sweepGrace
	if s.storedLocked() > storeSoftLimit {
		grace = 0
	}
	s.sweepLocked(s.Now(), grace)
	s.sinceSweep = 0
	s.sweepLeft = s.storedLocked()
	s.sweeps++
}

// storedLocked is the number of records in every store. s.mu must be held.
func (s *Server) storedLocked() int {
	return len(s.pending) + len(s.sessions) + len(s.codes) + len(s.grants) + len(s.access) +
		len(s.refresh) + len(s.devices) + len(s.userCode) + len(s.pushed) + len(s.assertionJTIs)
}

// storeSizesLocked counts the records of each store. s.mu must be held.
func (s *Server) storeSizesLocked() map[string]int {
	return map[string]int{
		"pending": len(s.pending), "sessions": len(s.sessions), "codes": len(s.codes), "grants": len(s.grants),
		"access": len(s.access), "refresh": len(s.refresh), "devices": len(s.devices), "user_codes": len(s.userCode),
		"pushed": len(s.pushed), "assertion_jtis": len(s.assertionJTIs),
	}
}

// sweepLocked forgets records that expired more than grace before now, then
// the grants no remaining record refers to. s.mu must be held.
func (s *Server) sweepLocked(now time.Time, grace time.Duration) {
	cut := now.Add(-grace)
	for k, v := range s.access {
		if v.expiresAt.Before(cut) {
			delete(s.access, k)
		}
	}
	for k, v := range s.refresh {
		if v.expiresAt.Before(cut) {
			delete(s.refresh, k)
		}
	}
	for k, v := range s.codes {
		if v.expiresAt.Before(cut) {
			delete(s.codes, k)
		}
	}
	// Pending requests are usable for 30 minutes (getPending).
	for k, v := range s.pending {
		if v.created.Add(30 * time.Minute).Before(cut) {
			delete(s.pending, k)
		}
	}
	for k, v := range s.pushed {
		if v.expiresAt.Before(cut) {
			delete(s.pushed, k)
		}
	}
	for k, v := range s.devices {
		if v.expiresAt.Before(cut) {
			delete(s.devices, k)
			if s.userCode[v.userCode] == k {
				delete(s.userCode, v.userCode)
			}
		}
	}
	for uc, dc := range s.userCode {
		if s.devices[dc] == nil {
			delete(s.userCode, uc)
		}
	}
	for k, exp := range s.assertionJTIs {
		if exp.Before(cut) {
			delete(s.assertionJTIs, k)
		}
	}
	for k, v := range s.sessions {
		if v.expires.Before(cut) {
			delete(s.sessions, k)
		}
	}
	live := make(map[string]bool, len(s.access))
	for _, v := range s.access {
		live[v.grantID] = true
	}
	for _, v := range s.refresh {
		live[v.grantID] = true
	}
	for _, v := range s.codes {
		live[v.grantID] = true
	}
	old := now.Add(-grantMinAge)
	for k, g := range s.grants {
		if !live[k] && g.created.Before(old) {
			delete(s.grants, k)
		}
	}
}

func audClaim(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// mintIDToken builds and signs an ID token (OIDC Core §2), applying the
// token faults that are on.
func (s *Server) mintIDToken(ks *keySet, g *grant, client *Client, p idTokenParams) (string, *oauthError) {
	now := s.Now()
	user := s.cfg.userByName[g.username]
	alg := client.IDTokenAlg
	if alg == "" {
		alg = s.cfg.idTokenAlg
	}
	c := map[string]any{}
	// Scope-dependent standard claims (OIDC Core §5.4) are put in the ID
	// token as well as in UserInfo, which is friendlier to read.
	for k, v := range claimsForScopes(user, g.scopes) {
		c[k] = v
	}
	c["iss"] = g.issuer
	c["sub"] = user.Subject()
	c["aud"] = client.ID
	c["azp"] = client.ID
	c["iat"] = now.Unix()
	c["exp"] = now.Add(s.cfg.lifetimes.IDToken).Unix()
	c["auth_time"] = g.authTime.Unix()
	if g.sid != "" {
		c["sid"] = g.sid
	}
	if p.nonce != "" {
		c["nonce"] = p.nonce
	}
	if p.accessToken != "" {
		c["at_hash"] = halfHash(alg, p.accessToken) // OIDC Core §3.1.3.6, §3.2.2.9
	}
	if p.code != "" {
		c["c_hash"] = halfHash(alg, p.code) // OIDC Core §3.3.2.11
	}

	if s.fault(FaultWrongIss) {
		c["iss"] = "https://evil.example"
	}
	if s.fault(FaultWrongAud) {
		c["aud"] = "another-client"
	}
	if s.fault(FaultWrongAzp) {
		c["azp"] = "another-client"
		c["aud"] = []string{client.ID, "another-client"}
	}
	if s.fault(FaultExpired) {
		c["iat"] = now.Add(-2 * time.Hour).Unix()
		c["exp"] = now.Add(-time.Hour).Unix()
	}
	if s.fault(FaultNotYetValid) {
		c["iat"] = now.Add(time.Hour).Unix()
		c["nbf"] = now.Add(time.Hour).Unix()
		c["exp"] = now.Add(2 * time.Hour).Unix()
	}
	if s.fault(FaultNonceMismatch) && p.nonce != "" {
		c["nonce"] = "not-" + p.nonce
	}
	if s.fault(FaultMissingAtHash) {
		delete(c, "at_hash")
	}
	if s.fault(FaultWrongAtHash) && p.accessToken != "" {
		c["at_hash"] = halfHash(alg, p.accessToken+"x")
	}

	if s.fault(FaultAlgNone) {
		tok, err := signCompact(nil, map[string]string{"alg": "none", "typ": "JWT"}, c)
		if err != nil {
			return "", &oauthError{Code: ErrorServerError, Status: http.StatusInternalServerError}
		}
		return tok, nil
	}
	if s.fault(FaultAlgConfusion) {
		tok, err := signHS256WithPublicKey(ks.byAlg[AlgRS256], c)
		if err != nil {
			return "", &oauthError{Code: ErrorServerError, Status: http.StatusInternalServerError}
		}
		return tok, nil
	}
	k := ks.byAlg[alg]
	kid := k.kid
	if s.fault(FaultUnknownKid) {
		kid = lowerAlg(alg) + "-unknown-key"
	}
	tok, err := k.sign("JWT", kid, c)
	if err != nil {
		return "", &oauthError{Code: ErrorServerError, Status: http.StatusInternalServerError}
	}
	if s.fault(FaultBadSignature) {
		tok = corruptSignature(tok)
	}
	return tok, nil
}

// corruptSignature flips bits in the first byte of a JWS signature.
func corruptSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		return tok
	}
	sig[0] ^= 0xff
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// claimsForScopes returns the user's claims released by the scopes
// (OIDC Core §5.4): profile and email claims; roles with any of them.
func claimsForScopes(u *User, scopes []string) map[string]any {
	out := map[string]any{}
	profile := []string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}
	email := []string{"email", "email_verified"}
	for k, v := range u.Claims {
		switch {
		case k == "sub":
		case slices.Contains(profile, k):
			if hasScope(scopes, "profile") {
				out[k] = v
			}
		case slices.Contains(email, k):
			if hasScope(scopes, "email") {
				out[k] = v
			}
		default: // custom claims go with profile
			if hasScope(scopes, "profile") {
				out[k] = v
			}
		}
	}
	return out
}

// lookupAccess finds a live access token. It returns the record and "" or
// nil and why it is not valid.
func (s *Server) lookupAccess(tok string) (*accessRecord, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.access[keyOf(tok)]
	if rec == nil {
		return nil, "unknown token"
	}
	if rec.revoked || rec.grantID != "" && (s.grants[rec.grantID] == nil || s.grants[rec.grantID].revoked) {
		return nil, "token revoked"
	}
	if !s.Now().Before(rec.expiresAt) {
		return nil, "token expired"
	}
	return rec, ""
}

// atClaims are the claims introspection reads from an access token.
type atClaims struct {
	Iss string          `json:"iss"`
	Iat int64           `json:"iat"`
	Aud json.RawMessage `json:"aud"` // a string or an array, as issued
	Jti string          `json:"jti"`
}

// accessTokenClaims decodes the payload of an access token this server
// issued (the caller found its record by the token's hash, so it is not
// checked again here).
func accessTokenClaims(tok string) (*atClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c atClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
