package mockidp

import (
	"fmt"
	"slices"
)

// Fault is a way the server can misbehave on purpose, for teaching. Faults
// are switched per [Server] with [Options.Faults] and [Server.SetFault].
type Fault string

// The faults. Token faults change ID tokens only: access tokens are opaque to
// clients (RFC 6749 §1.4), so a client could not catch them anyway.
const (
	FaultWrongIss         Fault = "wrong-iss"
	FaultWrongAud         Fault = "wrong-aud"
	FaultExpired          Fault = "expired"
	FaultNotYetValid      Fault = "not-yet-valid"
	FaultBadSignature     Fault = "bad-signature"
	FaultUnknownKid       Fault = "unknown-kid"
	FaultAlgNone          Fault = "alg-none"
	FaultAlgConfusion     Fault = "alg-confusion"
	FaultNonceMismatch    Fault = "nonce-mismatch"
	FaultMissingAtHash    Fault = "missing-at-hash"
	FaultWrongAtHash      Fault = "wrong-at-hash"
	FaultWrongAzp         Fault = "wrong-azp"
	FaultStateMismatch    Fault = "state-mismatch"
	FaultIssMismatchAuthz Fault = "iss-mismatch-authz"
	FaultMissingIssAuthz  Fault = "missing-iss-authz"
	FaultMetadataIssuer   Fault = "metadata-issuer-mismatch"
	FaultSlow             Fault = "slow"
	FaultServerError      Fault = "server-error"
	FaultHTMLError        Fault = "html-error"
	FaultDeviceSlowDown   Fault = "device-slow-down"
	FaultExpiresInString  Fault = "expires-in-string"
	FaultTokenTypeMissing Fault = "token-type-missing"
	FaultUserinfoWrongSub Fault = "userinfo-wrong-sub"

	// Lax server faults switch a server check off, to show what an
	// attacker gains when a provider skips it; no client check can help.
	FaultPKCENotVerified   Fault = "pkce-not-verified"
	FaultCodeReplayAllowed Fault = "code-replay-allowed"
	FaultRedirectURIPrefix Fault = "redirect-uri-prefix"
)

// FaultInfo describes a [Fault] for people: what it does, which client check
// should catch it and the spec that says so.
type FaultInfo struct {
	Name        Fault
	Title       string
	Description string
	Catches     string // which client check should catch it
	Spec        string
}

// FaultCatalog returns every fault the server knows, in a stable order.
func FaultCatalog() []FaultInfo {
	return []FaultInfo{
		{FaultWrongIss, "Wrong issuer in ID token", "ID tokens carry iss = https://evil.example instead of the issuer.", "ID token iss must equal the issuer from discovery exactly", "OIDC Core §3.1.3.7 step 2"},
		{FaultWrongAud, "Wrong audience in ID token", "ID tokens carry aud = another-client instead of the client_id.", "ID token aud must contain the client_id", "OIDC Core §3.1.3.7 step 3"},
		{FaultExpired, "Expired ID token", "ID tokens were issued two hours ago and expired one hour ago.", "exp must be in the future", "OIDC Core §3.1.3.7 step 9; RFC 7519 §4.1.4"},
		{FaultNotYetValid, "ID token not yet valid", "ID tokens have iat and nbf one hour in the future.", "nbf must not be in the future; iat must be plausible", "RFC 7519 §4.1.5; OIDC Core §3.1.3.7 step 10"},
		{FaultBadSignature, "Bad signature", "The signature of ID tokens is corrupted.", "signature verification with the key from the JWKS", "OIDC Core §3.1.3.7 step 6; RFC 7515 §5.2"},
		{FaultUnknownKid, "Unknown key id", "ID tokens are signed with a key whose kid is not in the JWKS.", "the kid must name a key in the JWKS (refetch once, then fail)", "RFC 7515 §4.1.4; OIDC Core §10.1.1"},
		{FaultAlgNone, "alg: none", "ID tokens are unsigned, with alg none.", "reject alg none; allow-list the algorithms", "RFC 8725 §3.1; RFC 7518 §3.6; OIDC Core §3.1.3.7 step 7"},
		{FaultAlgConfusion, "Algorithm confusion (HS256 with the public key)", "ID tokens are signed with HS256, using the RSA public key from the JWKS (as PEM) as the HMAC secret, and carry the RSA key's kid.", "pin the algorithm per key; never let the token's alg choose how the JWKS key is used", "RFC 8725 §2.1, §3.1; OIDC Core §3.1.3.7 step 7"},
		{FaultNonceMismatch, "Nonce mismatch", "ID tokens carry a different nonce from the one sent in the request.", "nonce must equal the one the client sent", "OIDC Core §3.1.3.7 step 11; §15.5.2"},
		{FaultMissingAtHash, "Missing at_hash", "ID tokens issued with an access token at the authorization endpoint lack at_hash.", "at_hash is required when the ID token comes with an access token from the authorization endpoint", "OIDC Core §3.2.2.10, §3.2.2.9"},
		{FaultWrongAtHash, "Wrong at_hash", "at_hash does not match the access token.", "at_hash must equal the left half of the hash of the access token", "OIDC Core §3.2.2.9, §3.3.2.11"},
		{FaultWrongAzp, "Wrong azp", "ID tokens carry azp = another-client.", "when azp is present it must equal the client_id", "OIDC Core §3.1.3.7 step 5"},
		{FaultStateMismatch, "State mismatch", "The authorization response carries a different state from the one sent.", "state on the callback must equal the one the client stored", "RFC 6749 §10.12, §4.1.2; RFC 9700 §4.7"},
		{FaultIssMismatchAuthz, "Wrong iss in authorization response", "The authorization response carries iss = https://evil.example.", "the iss response parameter must equal the issuer (mix-up defence)", "RFC 9207 §2.4"},
		{FaultMissingIssAuthz, "Missing iss in authorization response", "The authorization response has no iss parameter although metadata says it is supported.", "when authorization_response_iss_parameter_supported is true, iss is required", "RFC 9207 §2.4"},
		{FaultMetadataIssuer, "Metadata issuer mismatch", "Discovery documents name a different issuer from the URL they were fetched from.", "the issuer in metadata must equal the issuer the client used", "OIDC Discovery §4.3; RFC 8414 §3.3"},
		{FaultSlow, "Slow token endpoint", "The token endpoint waits 3 seconds before answering.", "the client must use timeouts and show progress", "RFC 9700 §4 (availability); client robustness"},
		{FaultServerError, "Token endpoint 500", "The token endpoint answers 500 with a JSON server_error.", "non-2xx token responses are errors; show error and error_description", "RFC 6749 §5.2"},
		{FaultHTMLError, "HTML instead of JSON", "The token endpoint answers 502 with an HTML page, as a broken proxy would.", "check Content-Type before parsing; report a non-JSON response clearly", "RFC 6749 §5.1, §5.2 (application/json)"},
		{FaultDeviceSlowDown, "Device slow_down", "The first poll of each device code gets slow_down, whatever its timing.", "on slow_down add 5 seconds to the polling interval", "RFC 8628 §3.5"},
		{FaultExpiresInString, "expires_in as a string", "Token responses send \"expires_in\": \"3600\" (a string) instead of a number.", "expires_in is a JSON number; tolerate or flag the quirk", "RFC 6749 §5.1"},
		{FaultTokenTypeMissing, "Missing token_type", "Token responses omit token_type.", "token_type is required and must be Bearer (case-insensitive)", "RFC 6749 §5.1, §7.1"},
		{FaultUserinfoWrongSub, "UserInfo sub mismatch", "UserInfo answers with a sub different from the ID token's.", "UserInfo sub must equal the ID token sub", "OIDC Core §5.3.4"},
		{FaultPKCENotVerified, "Server skips PKCE", "The token endpoint ignores code_verifier: a stolen code works without (or with a wrong) verifier.", "nothing on the client: the server must verify PKCE; try editing the verifier before the token request", "RFC 7636 §4.6; RFC 9700 §2.1.1, §4.5 (code injection)"},
		{FaultCodeReplayAllowed, "Server accepts code replay", "Authorization codes can be exchanged more than once, and replay revokes nothing.", "nothing on the client: codes must be single-use; try exchanging the same code twice", "RFC 6749 §4.1.2, §10.5; RFC 9700 §4.5"},
		{FaultRedirectURIPrefix, "Server matches redirect URIs by prefix", "Any redirect_uri that starts with a registered one is accepted, e.g. http://127.0.0.1/callback.evil.example/ or /callback/../steal.", "nothing on the client: exact matching is the server's job; try editing redirect_uri", "RFC 6749 §3.1.2.3; RFC 9700 §2.1, §4.1.1 (open redirector, code leakage)"},
	}
}

func knownFault(f Fault) bool {
	return slices.ContainsFunc(FaultCatalog(), func(i FaultInfo) bool { return i.Name == f })
}

// SetFault switches a fault on or off. It is safe for concurrent use while
// the server is serving requests.
func (s *Server) SetFault(f Fault, on bool) error {
	if !knownFault(f) {
		return fmt.Errorf("mockidp: unknown fault %q", f)
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if on {
		s.faults[f] = true
	} else {
		delete(s.faults, f)
	}
	return nil
}

// ActiveFaults returns the faults that are on, in catalogue order.
func (s *Server) ActiveFaults() []Fault {
	s.faultMu.RLock()
	defer s.faultMu.RUnlock()
	var out []Fault
	for _, i := range FaultCatalog() {
		if s.faults[i.Name] {
			out = append(out, i.Name)
		}
	}
	return out
}

func (s *Server) fault(f Fault) bool {
	s.faultMu.RLock()
	defer s.faultMu.RUnlock()
	return s.faults[f]
}
