package token

// entry is one entry of the claims and header parameters table.
type entry struct {
	text string
	spec string
}

// headerOrder is the reading order of JOSE header parameters: what secures the token
// first, then how to find the key, then the rest.
var headerOrder = []string{
	"alg", "typ", "cty", "kid", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64",
	"enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
}

// claimOrder is the reading order of registered claims: who issued it for whom, when,
// how the user authenticated, what binds it to the rest of the flow, then identity.
var claimOrder = []string{
	"iss", "sub", "aud", "azp", "client_id",
	"exp", "iat", "nbf", "auth_time",
	"nonce", "acr", "amr", "sid", "at_hash", "c_hash", "s_hash",
	"scope", "scp", "jti", "typ", "cnf", "act", "may_act",
	"roles", "groups", "entitlements",
	"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
	"zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at",
}

// numericDates are the claims whose value is a NumericDate (seconds since the epoch,
// RFC 7519 §2) and are shown as dates.
var numericDates = map[string]bool{
	"exp": true, "iat": true, "nbf": true, "auth_time": true, "updated_at": true,
}

// headerTable explains JOSE header parameters (RFC 7515 §4.1, RFC 7516 §4.1).
var headerTable = map[string]entry{
	"alg":      {"the algorithm that signs (or MACs) the token; the verifier must check it against its own allow-list, never trust it blindly", "RFC 7515 §4.1.1, RFC 8725 §3.1"},
	"typ":      {"the media type of the whole token, for explicit typing: \"JWT\", or \"at+jwt\" for a JWT access token", "RFC 7515 §4.1.9, RFC 8725 §3.11, RFC 9068 §2.1"},
	"cty":      {"the content type of the payload; \"JWT\" means the payload is itself a (nested) JWT", "RFC 7515 §4.1.10, RFC 7519 §5.2"},
	"kid":      {"key ID: which key of the issuer's key set (JWKS) signed the token", "RFC 7515 §4.1.4, OIDC Core §10.1"},
	"jku":      {"a URL of a key set to verify with; a client must never fetch keys from a URL the token names itself, only from the issuer's metadata", "RFC 7515 §4.1.2, RFC 8725 §3.10"},
	"jwk":      {"a public key embedded in the token; trusting it would let anyone sign, so a client must ignore it for verification", "RFC 7515 §4.1.3, RFC 8725 §3.10"},
	"x5u":      {"a URL of an X.509 certificate chain for the key; like jku, never a source of trust on its own", "RFC 7515 §4.1.5, RFC 8725 §3.10"},
	"x5c":      {"an X.509 certificate chain for the signing key, embedded", "RFC 7515 §4.1.6"},
	"x5t":      {"SHA-1 thumbprint of the X.509 certificate of the signing key", "RFC 7515 §4.1.7"},
	"x5t#S256": {"SHA-256 thumbprint of the X.509 certificate of the signing key", "RFC 7515 §4.1.8"},
	"crit":     {"header parameters the verifier must understand, or reject the token", "RFC 7515 §4.1.11"},
	"b64":      {"false means the payload is not base64url-encoded (unencoded payload option)", "RFC 7797 §3"},
	"enc":      {"the content encryption algorithm of an encrypted token (JWE)", "RFC 7516 §4.1.2"},
	"zip":      {"compression applied before encryption (JWE)", "RFC 7516 §4.1.3"},
	"epk":      {"ephemeral public key for ECDH key agreement (JWE)", "RFC 7518 §4.6.1.1"},
	"apu":      {"agreement PartyUInfo for ECDH key agreement (JWE)", "RFC 7518 §4.6.1.2"},
	"apv":      {"agreement PartyVInfo for ECDH key agreement (JWE)", "RFC 7518 §4.6.1.3"},
	"iv":       {"initialisation vector for AES-GCM key wrapping (JWE)", "RFC 7518 §4.7.1.1"},
	"tag":      {"authentication tag for AES-GCM key wrapping (JWE)", "RFC 7518 §4.7.1.2"},
	"p2s":      {"PBES2 salt (JWE)", "RFC 7518 §4.8.1.1"},
	"p2c":      {"PBES2 iteration count (JWE)", "RFC 7518 §4.8.1.2"},
}

// claimTable explains claims: registered JWT claims (RFC 7519 §4.1), ID token claims
// (OIDC Core §2), standard claims (OIDC Core §5.1) and JWT access token claims
// (RFC 9068 §2.2).
var claimTable = map[string]entry{
	// RFC 7519 §4.1 and OIDC Core §2.
	"iss":       {"issuer: who issued the token; must exactly match the provider's issuer identifier", "RFC 7519 §4.1.1, OIDC Core §2"},
	"sub":       {"subject: the stable, issuer-unique identifier of the user (or of the client, for client credentials)", "RFC 7519 §4.1.2, OIDC Core §2"},
	"aud":       {"audience: who the token is for; an ID token's must contain the client_id, an access token's names the API", "RFC 7519 §4.1.3, OIDC Core §2"},
	"exp":       {"expiry: the token must not be accepted on or after this time", "RFC 7519 §4.1.4"},
	"nbf":       {"not before: the token must not be accepted before this time", "RFC 7519 §4.1.5"},
	"iat":       {"issued at: when the token was issued", "RFC 7519 §4.1.6"},
	"jti":       {"JWT ID: a unique identifier of this token, which lets a receiver detect replays", "RFC 7519 §4.1.7"},
	"auth_time": {"when the user actually authenticated (may be long before iat with single sign-on); required when max_age was requested", "OIDC Core §2"},
	"nonce":     {"the value the client sent in the authentication request, echoed back to bind the ID token to that request and stop replays", "OIDC Core §2, §15.5.2"},
	"acr":       {"authentication context class reference: how strongly the user authenticated", "OIDC Core §2"},
	"amr":       {"authentication methods references: how the user authenticated (pwd, otp, mfa…)", "OIDC Core §2, RFC 8176"},
	"azp":       {"authorized party: the client the ID token was issued to; must be the client_id when present", "OIDC Core §2"},
	"at_hash":   {"access token hash: left half of the hash of the access token, binding it to this ID token", "OIDC Core §3.1.3.8, §3.2.2.9"},
	"c_hash":    {"code hash: left half of the hash of the authorization code, binding it to this ID token", "OIDC Core §3.3.2.11"},
	"s_hash":    {"state hash: left half of the hash of the state value (FAPI)", "FAPI 1.0 Advanced §5.1"},
	"sid":       {"session ID: the provider's session the user logged in with, used for logout", "OIDC Front-Channel Logout §3"},
	"events":    {"security events carried by this token (a logout token)", "OIDC Back-Channel Logout §2.4"},
	// RFC 9068 §2.2 and related.
	"client_id":    {"the client the access token was issued to", "RFC 9068 §2.2, RFC 8693 §4.3"},
	"scope":        {"the scopes the access token grants, space-separated", "RFC 9068 §2.2.3, RFC 8693 §4.2"},
	"scp":          {"the scopes the access token grants (a non-standard spelling some providers use)", "RFC 9068 §2.2.3"},
	"roles":        {"roles of the user or client, for the resource server's authorisation", "RFC 9068 §2.2.3.1, RFC 7643 §4.1.2"},
	"groups":       {"groups the user belongs to", "RFC 9068 §2.2.3.1, RFC 7643 §4.1.2"},
	"entitlements": {"entitlements of the user", "RFC 9068 §2.2.3.1, RFC 7643 §4.1.2"},
	"typ":          {"a token-type claim some providers add (for example Keycloak's \"Bearer\", \"ID\"); not the JOSE typ header", "non-standard"},
	"cnf":          {"confirmation: the key the token is bound to (DPoP or mTLS sender-constrained token)", "RFC 7800 §3.1, RFC 9449 §6"},
	"act":          {"actor: who is acting on behalf of the subject (token exchange)", "RFC 8693 §4.1"},
	"may_act":      {"who is allowed to act on behalf of the subject (token exchange)", "RFC 8693 §4.4"},
	// OIDC Core §5.1 standard claims.
	"name":                  {"the user's full name", "OIDC Core §5.1"},
	"given_name":            {"the user's given (first) name", "OIDC Core §5.1"},
	"family_name":           {"the user's family (last) name", "OIDC Core §5.1"},
	"middle_name":           {"the user's middle name", "OIDC Core §5.1"},
	"nickname":              {"the user's casual name", "OIDC Core §5.1"},
	"preferred_username":    {"the name the user likes to be called; not unique and not stable, so never a key (use sub)", "OIDC Core §5.1, §5.7"},
	"profile":               {"URL of the user's profile page", "OIDC Core §5.1"},
	"picture":               {"URL of the user's picture", "OIDC Core §5.1"},
	"website":               {"URL of the user's web page or blog", "OIDC Core §5.1"},
	"email":                 {"the user's e-mail address; not unique and not stable, so never a key (use sub)", "OIDC Core §5.1, §5.7"},
	"email_verified":        {"whether the provider verified that the user controls the e-mail address", "OIDC Core §5.1"},
	"gender":                {"the user's gender", "OIDC Core §5.1"},
	"birthdate":             {"the user's birthday, YYYY-MM-DD (or YYYY)", "OIDC Core §5.1"},
	"zoneinfo":              {"the user's time zone, e.g. Europe/Paris", "OIDC Core §5.1"},
	"locale":                {"the user's locale, e.g. en-GB", "OIDC Core §5.1"},
	"phone_number":          {"the user's telephone number", "OIDC Core §5.1"},
	"phone_number_verified": {"whether the provider verified the telephone number", "OIDC Core §5.1"},
	"address":               {"the user's postal address (a JSON object)", "OIDC Core §5.1.1"},
	"updated_at":            {"when the user's information was last updated", "OIDC Core §5.1"},
}

// Explain returns what a JWT claim or JOSE header parameter means, in one line, and
// the spec that defines it. It returns two empty strings for a name it does not know.
//
// Names shared by the header and the claims set (only "typ") are explained as the
// header parameter; use [ExplainClaim] for the claim.
func Explain(name string) (explanation, spec string) {
	if e, ok := headerTable[name]; ok {
		return e.text, e.spec
	}
	if e, ok := claimTable[name]; ok {
		return e.text, e.spec
	}
	return "", ""
}

// ExplainClaim is [Explain] for a claim of the payload, as opposed to a header
// parameter.
func ExplainClaim(name string) (explanation, spec string) {
	if e, ok := claimTable[name]; ok {
		return e.text, e.spec
	}
	return "", ""
}

// ExplainHeader is [Explain] for a JOSE header parameter.
func ExplainHeader(name string) (explanation, spec string) {
	if e, ok := headerTable[name]; ok {
		return e.text, e.spec
	}
	return "", ""
}
