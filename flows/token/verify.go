package token

import (
	"context"
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

// DefaultAlg is the ID token signing algorithm a client expects when the provider's
// metadata says nothing (OIDC Core §3.1.3.7 step 7; Discovery §3 makes RS256 mandatory
// to support).
const DefaultAlg = "RS256"

// verifiable maps the algorithms oauthx verifies to go-jose's names.
var verifiable = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"EdDSA": jose.EdDSA,
	"HS256": jose.HS256, "HS384": jose.HS384, "HS512": jose.HS512,
}

// AllowList turns the algorithms a provider advertises (id_token_signing_alg_values_supported)
// into the list a client accepts: RS256 when the list is empty, and never "none"
// (RFC 8725 §3.1), whatever is listed. Dropped names come back so a check can say so.
func AllowList(advertised []string) (allowed, dropped []string) {
	if len(advertised) == 0 {
		return []string{DefaultAlg}, nil
	}
	for _, a := range advertised {
		if _, ok := verifiable[a]; ok && !slices.Contains(allowed, a) {
			allowed = append(allowed, a)
		} else if !ok {
			dropped = append(dropped, a)
		}
	}
	return allowed, dropped
}

// HashClaim computes an at_hash or c_hash (OIDC Core §3.1.3.6, §3.2.2.9, §3.3.2.11):
// the base64url encoding of the left-most half of the hash of the ASCII value, with the
// hash of the token's alg (SHA-256 for RS256, ES256, PS256 and HS256; SHA-384 and
// SHA-512 likewise; SHA-512 for EdDSA with Ed25519).
func HashClaim(alg, value string) (string, error) {
	h, err := hashFor(alg)
	if err != nil {
		return "", err
	}
	d := h.New()
	d.Write([]byte(value))
	sum := d.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}

func hashFor(alg string) (crypto.Hash, error) {
	switch {
	case alg == "none" || alg == "":
		return 0, fmt.Errorf("alg %q has no hash: at_hash and c_hash need a signed token", alg)
	case alg == "EdDSA" || alg == "Ed25519":
		return crypto.SHA512, nil
	case alg == "ES256K":
		return crypto.SHA256, nil
	case len(alg) == 5 && strings.Contains("RS PS ES HS", alg[:2]):
		switch alg[2:] {
		case "256":
			return crypto.SHA256, nil
		case "384":
			return crypto.SHA384, nil
		case "512":
			return crypto.SHA512, nil
		}
	}
	return 0, fmt.Errorf("no hash is defined for at_hash/c_hash with alg %q", alg)
}

// sigResult is the outcome of the alg, kid and signature checks.
type sigResult struct {
	alg, kid string
	checks   []record.Check // alg, kid, signature, in that order
	payload  []byte
	verified bool
	with     string // "RS256 kid=rsa-1"
}

// verify checks alg against the allow-list, finds the key and verifies the signature
// with go-jose and an explicit allow-list. secret, when not empty, is the client secret
// for HS256/384/512 (OIDC Core §3.1.3.7 step 8).
func verify(ctx context.Context, raw string, p *parsed, advertised []string, keys *JWKS, secret string) sigResult {
	r := sigResult{alg: p.alg(), kid: p.kid()}
	allowed, _ := AllowList(advertised)
	algCheck := record.Check{
		Name:     "alg allowed",
		Expected: "one of " + strings.Join(allowed, ", "),
		Actual:   r.alg,
		Spec:     "OIDC Core §3.1.3.7 step 7, RFC 8725 §3.1",
	}
	kidCheck := record.Check{
		Name:     "kid",
		Expected: "a key of the provider's JWKS",
		Actual:   "kid=" + r.kid,
		Spec:     "OIDC Core §10.1, §10.1.1",
	}
	if r.kid == "" {
		kidCheck.Actual = "no kid in the header"
	}
	if keys != nil && keys.URL() != "" {
		kidCheck.Expected = "a key of the JWKS at " + keys.URL()
	}
	sigCheck := record.Check{
		Name:     "signature",
		Expected: "a valid " + r.alg + " signature by the provider's key",
		Spec:     "OIDC Core §3.1.3.7 step 6, RFC 7515 §5.2",
	}
	done := func() sigResult {
		r.checks = []record.Check{algCheck, kidCheck, sigCheck}
		return r
	}
	notVerified := func(why string) {
		sigCheck.Outcome, sigCheck.Actual, sigCheck.Reason = record.OutcomeFail, "not verified", why
	}

	switch {
	case r.alg == "none":
		algCheck.Outcome = record.OutcomeFail
		algCheck.Reason = `"none" means the token is not signed: anyone could have written it; it is never accepted`
		if slices.Contains(advertised, "none") {
			algCheck.Reason += `, even though the provider lists it`
		}
	case !slices.Contains(allowed, r.alg):
		algCheck.Outcome = record.OutcomeFail
		algCheck.Reason = fmt.Sprintf("the token is signed with %s, which the client does not accept: the allow-list comes from the provider's metadata (id_token_signing_alg_values_supported), RS256 when it says nothing", r.alg)
	default:
		algCheck.Outcome = record.OutcomePass
		algCheck.Reason = "the client checks alg against its own allow-list; it never lets the token choose"
	}
	if algCheck.Outcome == record.OutcomeFail {
		kidCheck.Outcome, kidCheck.Reason = record.OutcomeSkip, "no key looked up: the algorithm is refused"
		notVerified("the algorithm is refused")
		return done()
	}

	var key any
	if strings.HasPrefix(r.alg, "HS") {
		kidCheck.Outcome = record.OutcomeSkip
		kidCheck.Reason = r.alg + " is a MAC keyed with the client secret (OIDC Core §3.1.3.7 step 8), not a key of the JWKS"
		if secret == "" {
			notVerified(r.alg + " needs the client secret, and there is none here")
			return done()
		}
		key = []byte(secret)
		r.with = r.alg + " with the client secret"
	} else {
		if keys == nil {
			kidCheck.Outcome, kidCheck.Reason = record.OutcomeSkip, "no key set to look the kid up in"
			notVerified("no JWKS given: the signature cannot be checked")
			return done()
		}
		k, err := keys.Key(ctx, r.kid, r.alg)
		if err != nil {
			kidCheck.Outcome, kidCheck.Reason = record.OutcomeFail, err.Error()
			notVerified("no key to verify with: " + err.Error())
			return done()
		}
		kidCheck.Outcome = record.OutcomePass
		if r.kid == "" {
			kidCheck.Outcome = record.OutcomeWarn
			kidCheck.Reason = "no kid, but the key set has a single key usable with " + r.alg + ", so it was used (OIDC Core §10.1)"
			kidCheck.Actual = "no kid; used the only " + keyKind(k.Key) + " key kid=" + k.KeyID
		} else {
			kidCheck.Reason = "found a " + keyKind(k.Key) + " key with this kid"
			if n := keys.Fetches(); n > 1 {
				kidCheck.Reason += fmt.Sprintf(" (after fetching the key set again: %d fetches)", n)
			}
		}
		var named []string
		for _, h := range []string{"jku", "jwk", "x5u", "x5c"} {
			if _, ok := p.header[h]; ok {
				named = append(named, h)
			}
		}
		if len(named) > 0 {
			kidCheck.Reason += "; the header's " + strings.Join(named, ", ") +
				" ignored: keys come only from the provider's metadata, never from the token (RFC 8725 §3.10)"
		}
		key = k
		r.with = r.alg + " kid=" + k.KeyID
	}
	sigCheck.Expected = "a valid signature: " + r.with

	algs := make([]jose.SignatureAlgorithm, 0, len(allowed))
	for _, a := range allowed {
		algs = append(algs, verifiable[a])
	}
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(raw), algs)
	if err != nil {
		notVerified("go-jose could not parse the token: " + err.Error())
		return done()
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.Algorithm != r.alg {
		notVerified("go-jose read a different header than the decoder (duplicate or odd members?)")
		return done()
	}
	payload, err := jws.Verify(key)
	if err != nil {
		sigCheck.Outcome, sigCheck.Actual = record.OutcomeFail, "invalid"
		sigCheck.Reason = "the signature does not match the header and payload under this key: the token was altered, or signed by another key (" + err.Error() + ")"
		return done()
	}
	sigCheck.Outcome, sigCheck.Actual = record.OutcomePass, "valid"
	sigCheck.Reason = "verified with go-jose against an explicit algorithm allow-list"
	r.payload, r.verified = payload, true
	return done()
}

// VerifySignature verifies any JWS compact serialisation against the key set: the alg
// must be in allowedAlgs (RS256 when empty; never "none", RFC 8725 §3.1), the kid must
// name a key of the set (fetched again once for an unknown kid), and the signature must
// verify with go-jose v4. It is what `oauthx decode --jwks` and JWT access tokens
// (RFC 9068 §4) use.
//
// kidAlg names the key, e.g. "RS256 kid=rsa-1", when one was found; payload is the
// verified payload, nil unless the check passed. The check is named "signature" and
// its Reason says which step failed.
func VerifySignature(ctx context.Context, raw string, allowedAlgs []string, keys *JWKS) (kidAlg string, payload []byte, check record.Check) {
	defer func() {
		if v := recover(); v != nil {
			kidAlg, payload = "", nil
			check = record.Check{Name: "signature", Outcome: record.OutcomeFail, Actual: "not verified",
				Reason: fmt.Sprintf("internal error while verifying: %v", v), Spec: "RFC 7515 §5.2"}
		}
	}()
	p, err := parse(strings.TrimSpace(raw))
	if err != nil {
		reason := "not a JWT: " + OpaqueNote
		if err != errOpaque {
			reason = "cannot be decoded: " + err.Error()
		}
		return "", nil, record.Check{Name: "signature", Outcome: record.OutcomeFail, Actual: "not verified",
			Reason: reason, Spec: "RFC 7515 §5.2"}
	}
	r := verify(ctx, raw, p, allowedAlgs, keys, "")
	sig := r.checks[2]
	for _, c := range r.checks[:2] {
		if c.Outcome == record.OutcomeFail {
			sig.Reason = c.Name + ": " + c.Reason
			break
		}
	}
	return r.with, r.payload, sig
}
