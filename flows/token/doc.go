// Package token decodes, explains and verifies the tokens a flow produces.
//
// Decoding is for display and never verifies anything: [Decode] turns a JWS compact
// serialisation (RFC 7515 §7.1) into a [record.Token] with its header and claims in a
// stable reading order, each explained with its spec reference, and NumericDate claims
// shown as dates and relative times. It is its own small base64url + JSON step, because
// go-jose refuses to parse algorithms outside an allow-list (and "alg": "none" is
// exactly what a learner needs to see).
//
// Verifying is separate. [ValidateIDToken] follows OpenID Connect Core §3.1.3.7 (and
// §3.2.2.11 for the implicit flow) check by check, each reported as its own
// [record.Check]; [VerifySignature] checks any JWS against a provider's key set with
// go-jose v4 and an explicit algorithm allow-list ("none" is never accepted,
// RFC 8725 §3.1). A [JWKS] fetches the key set once and at most once more when a token
// names an unknown kid (OIDC Core §10.1.1).
//
// The package records no HTTP itself: it uses the http.Client it is given, which the
// engine wraps with httprec so every fetch shows up in the step's exchanges.
package token
