package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// AsymmetricAlgs lists the public-key algorithms oauthx verifies: the allow-list for a
// JWT of unknown kind when nothing narrower is known. Never "none", never a MAC.
func AsymmetricAlgs() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// JWTParams is what is expected of a JWT of any kind (`oauthx decode`). Empty fields
// are not checked.
type JWTParams struct {
	// Issuer, when set, must equal iss exactly.
	Issuer string
	// Audience, when set, must be among aud.
	Audience string
	// AllowedAlgs is the allow-list; empty means [AsymmetricAlgs]. "none" is never accepted.
	AllowedAlgs []string
	// Now is the time to check against; zero means time.Now().
	Now time.Time
	// Skew is the clock skew allowed on exp, iat and nbf.
	Skew time.Duration
	// AccessToken validates the token as a JWT access token (RFC 9068 §4): typ must be
	// at+jwt, and iss, exp, aud, sub, client_id, iat and jti must be present (§2.2).
	AccessToken bool
}

// ValidateJWT decodes any JWT and makes the checks that apply to every JWT
// (RFC 7519 §7.2, RFC 8725 §3): when keys is not nil, the alg, kid and signature (as
// [ValidateIDToken] does); exp, nbf and iat when present (an ID token's are required,
// a JWT's are not); iss and aud when expected. It is what `oauthx decode` shows. With
// keys nil nothing is verified and the token says so (Verified false).
func ValidateJWT(ctx context.Context, raw string, p JWTParams, keys *JWKS) (tok *record.Token, checks []record.Check) {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	raw = strings.TrimSpace(raw)
	defer func() {
		if v := recover(); v != nil {
			checks = append(checks, record.Check{Name: "validation", Outcome: record.OutcomeFail,
				Reason: fmt.Sprintf("internal error while validating: %v", v)})
			if tok == nil {
				tok = &record.Token{Format: record.FormatOpaque}
			}
			tok.Verified, tok.VerifiedWith, tok.Checks = false, "", checks
		}
	}()
	tok = Decode(raw, now)
	pr, err := parse(raw)
	if err != nil {
		return tok, nil
	}
	algs := p.AllowedAlgs
	if len(algs) == 0 {
		algs = AsymmetricAlgs()
	}
	if keys != nil {
		sig := verify(ctx, raw, pr, algs, keys, "")
		for i := range sig.checks {
			switch sig.checks[i].Name {
			case "alg allowed":
				sig.checks[i].Spec = "RFC 8725 §3.1"
			case "signature":
				sig.checks[i].Spec = "RFC 7515 §5.2"
			}
		}
		checks = append(checks, sig.checks...)
		if sig.verified {
			tok.Verified, tok.VerifiedWith = true, sig.with
		}
	}
	c := claimReader{pr.claims}
	if p.AccessToken {
		checks = append(checks, atTypCheck(pr.typ()), c.requiredCheck(
			[]string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"}, "RFC 9068 §2.2"))
	}
	if p.Issuer != "" {
		ck := c.issCheck(p.Issuer)
		ck.Spec = "RFC 7519 §4.1.1, RFC 8725 §3.8"
		if p.AccessToken {
			ck.Spec = "RFC 9068 §4"
		}
		checks = append(checks, ck)
	}
	if p.Audience != "" {
		_, aud := c.audCheck(p.Audience)
		aud.Spec = "RFC 7519 §4.1.3, RFC 8725 §3.9"
		if p.AccessToken {
			aud.Spec = "RFC 9068 §4"
		}
		if aud.Outcome == record.OutcomeFail {
			aud.Reason = "the token is meant for another audience; accepting it would let tokens for one API be replayed at another"
		} else if aud.Outcome == record.OutcomeWarn {
			aud.Outcome, aud.Reason = record.OutcomePass, "issued for this audience (among others)"
		}
		checks = append(checks, aud)
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if _, present := pr.claims[name]; !present {
			continue
		}
		var ck record.Check
		switch name {
		case "exp":
			ck = c.expCheck(now, p.Skew)
			ck.Spec = "RFC 7519 §4.1.4"
			ck.Reason = strings.Replace(ck.Reason, "the ID token", "the token", 1)
		case "nbf":
			ck = c.nbfCheck(now, p.Skew)
		case "iat":
			ck = c.iatCheck(now, p.Skew)
			ck.Spec = "RFC 7519 §4.1.6"
		}
		checks = append(checks, ck)
	}
	tok.Checks = checks
	return tok, checks
}

// ValidateAccessToken validates a JWT access token as a resource server must
// (RFC 9068 §4): [ValidateJWT] with AccessToken set.
func ValidateAccessToken(ctx context.Context, raw string, p JWTParams, keys *JWKS) (*record.Token, []record.Check) {
	p.AccessToken = true
	return ValidateJWT(ctx, raw, p, keys)
}

// atTypCheck requires explicit typing of a JWT access token (RFC 9068 §4, §2.1).
func atTypCheck(typ string) record.Check {
	c := record.Check{Name: "typ", Expected: "at+jwt (or application/at+jwt)", Actual: typ, Spec: "RFC 9068 §4, §2.1"}
	switch strings.ToLower(typ) {
	case "at+jwt", "application/at+jwt":
		c.Outcome, c.Reason = record.OutcomePass, "explicitly typed as a JWT access token"
	case "":
		c.Outcome, c.Actual = record.OutcomeFail, "absent"
		c.Reason = "a JWT access token must say so in typ, so that an ID token cannot be passed off as one"
	default:
		c.Outcome = record.OutcomeFail
		c.Reason = "not typed as a JWT access token: it may be another kind of JWT (an ID token?) offered as one"
	}
	return c
}

// requiredCheck reports claims that must be present.
func (r claimReader) requiredCheck(names []string, spec string) record.Check {
	c := record.Check{Name: "required claims", Expected: strings.Join(names, ", "), Spec: spec}
	var absent []string
	for _, n := range names {
		if _, ok := r.claims[n]; !ok {
			absent = append(absent, n)
		}
	}
	if len(absent) > 0 {
		c.Outcome, c.Actual = record.OutcomeFail, "missing "+strings.Join(absent, ", ")
		c.Reason = "these claims are REQUIRED in a JWT access token"
		return c
	}
	c.Outcome, c.Actual, c.Reason = record.OutcomePass, "all present", "every claim RFC 9068 requires is there"
	return c
}
