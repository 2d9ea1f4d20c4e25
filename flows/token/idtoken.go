package token

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// IDTokenParams is what the client expects of an ID token.
type IDTokenParams struct {
	// Issuer is the issuer identifier from discovery (or configured); iss must equal it.
	Issuer string
	// ClientID must be among the audiences.
	ClientID string
	// Nonce sent in the authentication request; "" when none was sent.
	Nonce string
	// AccessToken that came with the ID token, for at_hash (OIDC Core §3.1.3.8,
	// §3.2.2.9); "" when none.
	AccessToken string
	// Code that came with the ID token from the authorization endpoint (hybrid flow), for
	// c_hash, which is then REQUIRED (OIDC Core §3.3.2.11). Leave it "" for an ID token
	// from the token endpoint.
	Code string
	// RequireAtHash is set for implicit "id_token token", where at_hash is REQUIRED
	// (OIDC Core §3.2.2.10).
	RequireAtHash bool
	// AllowedAlgs comes from id_token_signing_alg_values_supported; empty means RS256
	// (the OIDC default). "none" is never accepted, whatever is listed.
	AllowedAlgs []string
	// ClientSecret keys HS256/384/512 ID tokens (OIDC Core §3.1.3.7 step 8); "" means
	// MAC-signed ID tokens cannot be verified.
	ClientSecret string
	// Now is the time to check against; zero means time.Now().
	Now time.Time
	// Skew is the clock skew allowed on exp, iat, nbf and auth_time, shown in those checks.
	Skew time.Duration
	// MaxAge is the max_age sent in the request; 0 means none, else auth_time is checked.
	MaxAge time.Duration
}

// ValidateIDToken validates an ID token per OIDC Core §3.1.3.7 (and §3.2.2.11 for the
// implicit flow), check by check, each its own [record.Check]: it decodes (a JWS, not a
// JWE), the alg is allowed (and never none, RFC 8725 §3.1), the kid is in the JWKS
// (fetched again once if not), the signature verifies (go-jose v4 with an explicit
// allow-list), typ is not an access token's, iss matches exactly, sub is present, aud
// contains the client_id, azp is present with several audiences and equals the
// client_id when present, exp is in the future, iat is not, nbf has passed (all within
// Skew), the nonce matches, auth_time is recent enough for MaxAge, at_hash and c_hash
// match.
//
// It returns the decoded token, with Verified true only if the signature check passed
// (VerifiedWith names the key, e.g. "RS256 kid=rsa-1") and Checks filled, and the same
// checks. It never panics; a failed JWKS fetch is a failed kid check with the reason.
// The claims checks are made even when the signature fails, to show everything that
// is wrong, but such a token must be rejected: see [Valid].
func ValidateIDToken(ctx context.Context, raw string, p IDTokenParams, keys *JWKS) (tok *record.Token, checks []record.Check) {
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
	add := func(c record.Check) { checks = append(checks, c) }

	// Step 1: a signed JWT (decrypting is not supported).
	decode := record.Check{Name: "decodes", Expected: "a signed JWT (JWS compact serialisation)",
		Spec: "OIDC Core §2, §3.1.3.7 step 1"}
	pr, err := parse(raw)
	switch {
	case err == errOpaque:
		decode.Outcome, decode.Actual = record.OutcomeFail, "not a JWT"
		decode.Reason = "an ID token is always a JWT (OIDC Core §2)"
	case err != nil && pr != nil && pr.encrypted:
		decode.Outcome, decode.Actual = record.OutcomeFail, "an encrypted JWT (JWE)"
		decode.Reason = "oauthx does not decrypt ID tokens; register the client without id_token_encrypted_response_alg"
	case err != nil:
		decode.Outcome, decode.Actual, decode.Reason = record.OutcomeFail, "malformed", err.Error()
	default:
		decode.Outcome, decode.Actual = record.OutcomePass, "a JWS, alg "+pr.alg()
		decode.Reason = "header and claims decoded; nothing is trusted until the checks below pass"
	}
	add(decode)
	if decode.Outcome == record.OutcomeFail {
		tok.Checks = checks
		return tok, checks
	}

	// Steps 6–8: alg, kid, signature.
	sig := verify(ctx, raw, pr, p.AllowedAlgs, keys, p.ClientSecret)
	for _, c := range sig.checks {
		add(c)
	}
	add(typCheck(pr.typ()))

	c := claimReader{pr.claims}
	add(c.issCheck(p.Issuer))
	add(c.subCheck())
	aud, audCheck := c.audCheck(p.ClientID)
	add(audCheck)
	add(c.azpCheck(p.ClientID, aud))
	add(c.expCheck(now, p.Skew))
	add(c.iatCheck(now, p.Skew))
	add(c.nbfCheck(now, p.Skew))
	add(c.nonceCheck(p.Nonce))
	add(c.authTimeCheck(now, p.Skew, p.MaxAge))
	add(c.atHashCheck(pr.alg(), p.AccessToken, p.RequireAtHash))
	add(c.cHashCheck(pr.alg(), p.Code))

	tok.Verified, tok.VerifiedWith = sig.verified, ""
	if sig.verified {
		tok.VerifiedWith = sig.with
	}
	tok.Checks = checks
	return tok, checks
}

// Valid reports whether every check passed (warnings and skips allowed).
func Valid(checks []record.Check) bool {
	for _, c := range checks {
		if c.Outcome == record.OutcomeFail {
			return false
		}
	}
	return len(checks) > 0
}

// typCheck guards against token confusion: an access token offered as an ID token.
func typCheck(typ string) record.Check {
	c := record.Check{Name: "typ", Expected: `absent or "JWT"`, Actual: typ, Spec: "RFC 8725 §3.11, RFC 9068 §2.1"}
	switch t := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "application/")); t {
	case "":
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, "absent", "ID tokens need not be explicitly typed"
	case "jwt":
		c.Outcome, c.Reason = record.OutcomePass, "a plain JWT"
	case "at+jwt":
		c.Outcome = record.OutcomeFail
		c.Reason = "this is a JWT access token (RFC 9068), not an ID token: accepting it would be token confusion"
	default:
		c.Outcome = record.OutcomeWarn
		c.Reason = "an unusual explicit type for an ID token"
	}
	return c
}

// claimReader reads claims of a decoded payload.
type claimReader struct{ claims map[string]any }

// str returns a claim as a string: present reports it exists, ok that it is a string.
func (r claimReader) str(name string) (s string, present, ok bool) {
	v, present := r.claims[name]
	s, ok = v.(string)
	return s, present, ok
}

// time returns a NumericDate claim.
func (r claimReader) time(name string) (t time.Time, present bool, err error) {
	v, present := r.claims[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, fmt.Errorf("%s is %s, not a NumericDate (a number of seconds, RFC 7519 §2)", name, display(v))
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1e13 {
		return time.Time{}, true, fmt.Errorf("%s is %s, not a usable NumericDate", name, n)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

func missing(name, spec string) record.Check {
	return record.Check{Name: name, Outcome: record.OutcomeFail, Actual: "missing",
		Reason: name + " is REQUIRED in an ID token", Spec: spec}
}

func (r claimReader) issCheck(issuer string) record.Check {
	c := record.Check{Name: "iss", Expected: issuer, Spec: "OIDC Core §3.1.3.7 step 2"}
	iss, present, ok := r.str("iss")
	switch {
	case !present:
		m := missing("iss", c.Spec)
		m.Expected = issuer
		return m
	case !ok:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["iss"]), "iss must be a string"
	case issuer == "":
		c.Outcome, c.Actual, c.Reason = record.OutcomeSkip, iss, "no issuer configured to compare with"
	case iss == issuer:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, iss, "exactly the provider's issuer identifier"
	default:
		c.Outcome, c.Actual = record.OutcomeFail, iss
		c.Reason = "iss must exactly match the issuer identifier from discovery"
		if strings.TrimSuffix(iss, "/") == strings.TrimSuffix(issuer, "/") {
			c.Reason += "; they differ only by a trailing slash, which still counts (OIDC Discovery §4.3)"
		} else if strings.EqualFold(iss, issuer) {
			c.Reason += "; they differ only in case, which still counts"
		} else {
			c.Reason += ": another issuer made this token (mix-up, or a misconfigured issuer)"
		}
	}
	return c
}

func (r claimReader) subCheck() record.Check {
	c := record.Check{Name: "sub", Expected: "a non-empty string, at most 255 ASCII characters", Spec: "OIDC Core §2"}
	sub, present, ok := r.str("sub")
	switch {
	case !present:
		m := missing("sub", c.Spec)
		m.Expected = c.Expected
		return m
	case !ok || sub == "":
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["sub"]), "sub must be a non-empty string"
	case len(sub) > 255:
		c.Outcome, c.Actual, c.Reason = record.OutcomeWarn, fmt.Sprintf("%d characters", len(sub)), "sub must not exceed 255 ASCII characters"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, sub, "the stable identifier of the user at this issuer; key accounts on iss + sub"
	}
	return c
}

// audCheck returns the audiences and the check that they include the client.
func (r claimReader) audCheck(clientID string) ([]string, record.Check) {
	c := record.Check{Name: "aud", Expected: "contains " + quote(clientID), Spec: "OIDC Core §3.1.3.7 step 3"}
	v, present := r.claims["aud"]
	if !present {
		m := missing("aud", c.Spec)
		m.Expected = c.Expected
		return nil, m
	}
	var aud []string
	switch v := v.(type) {
	case string:
		aud = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(v), "aud must be a string or an array of strings (RFC 7519 §4.1.3)"
				return nil, c
			}
			aud = append(aud, s)
		}
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(v), "aud must be a string or an array of strings (RFC 7519 §4.1.3)"
		return nil, c
	}
	c.Actual = strings.Join(aud, ", ")
	if len(aud) == 0 {
		c.Actual = "[]"
	}
	var others []string
	found := false
	for _, a := range aud {
		if a == clientID {
			found = true
		} else {
			others = append(others, a)
		}
	}
	switch {
	case !found:
		c.Outcome = record.OutcomeFail
		c.Reason = "the ID token was issued to another client: using it would let that client's tokens log users in here"
	case len(others) > 0:
		c.Outcome = record.OutcomeWarn
		c.Reason = "also issued to " + strings.Join(others, ", ") + "; the spec says to reject it unless the client trusts those audiences"
	default:
		c.Outcome, c.Reason = record.OutcomePass, "issued to this client"
	}
	return aud, c
}

func (r claimReader) azpCheck(clientID string, aud []string) record.Check {
	c := record.Check{Name: "azp", Expected: "equal to " + quote(clientID) + " when present; present with several audiences",
		Spec: "OIDC Core §3.1.3.7 steps 4 and 5"}
	azp, present, ok := r.str("azp")
	switch {
	case present && (!ok || azp != clientID):
		c.Outcome, c.Actual = record.OutcomeFail, display(r.claims["azp"])
		c.Reason = "the authorized party is another client: the token was issued to it, not to this client"
	case present:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, azp, "the authorized party is this client"
	case len(aud) > 1:
		c.Outcome, c.Actual = record.OutcomeWarn, "absent"
		c.Reason = "several audiences but no azp to say which client the token was issued to"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomeSkip, "absent", "a single audience and no azp: nothing to check"
	}
	return c
}

func plainTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func skewNote(skew time.Duration) string {
	return "allowing " + FormatSkew(skew) + " of clock skew"
}

// FormatSkew renders a clock skew: "60 s", "5 min".
func FormatSkew(d time.Duration) string {
	if d < 2*time.Minute || d%time.Minute != 0 {
		return fmt.Sprintf("%d s", int(d/time.Second))
	}
	return fmt.Sprintf("%d min", int(d/time.Minute))
}

func (r claimReader) expCheck(now time.Time, skew time.Duration) record.Check {
	c := record.Check{Name: "exp", Expected: "later than " + plainTime(now.Add(-skew)) + " (now, " + skewNote(skew) + ")",
		Spec: "OIDC Core §3.1.3.7 step 9"}
	exp, present, err := r.time("exp")
	switch {
	case !present:
		m := missing("exp", c.Spec)
		m.Expected = c.Expected
		return m
	case err != nil:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["exp"]), err.Error()
	case now.Before(exp.Add(skew)):
		c.Outcome, c.Actual = record.OutcomePass, FormatTime(exp, now)
		c.Reason = "not expired"
		if !now.Before(exp) {
			c.Outcome = record.OutcomeWarn
			c.Reason = "expired " + Relative(exp, now) + ", accepted only thanks to the clock skew allowed"
		}
	default:
		c.Outcome, c.Actual = record.OutcomeFail, FormatTime(exp, now)
		c.Reason = "the ID token expired " + Relative(exp, now) + ", beyond the " + FormatSkew(skew) + " of clock skew allowed"
	}
	return c
}

func (r claimReader) iatCheck(now time.Time, skew time.Duration) record.Check {
	c := record.Check{Name: "iat", Expected: "present, not after " + plainTime(now.Add(skew)) + " (now, " + skewNote(skew) + ")",
		Spec: "OIDC Core §3.1.3.7 step 10"}
	iat, present, err := r.time("iat")
	switch {
	case !present:
		m := missing("iat", "OIDC Core §2")
		m.Expected = c.Expected
		return m
	case err != nil:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["iat"]), err.Error()
	case iat.After(now.Add(skew)):
		c.Outcome, c.Actual = record.OutcomeFail, FormatTime(iat, now)
		c.Reason = "issued in the future, beyond the " + FormatSkew(skew) + " of clock skew allowed: the provider's clock is wrong, or the token was made up"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, FormatTime(iat, now), "issued "+Relative(iat, now)
	}
	return c
}

func (r claimReader) nbfCheck(now time.Time, skew time.Duration) record.Check {
	c := record.Check{Name: "nbf", Expected: "absent, or not after " + plainTime(now.Add(skew)) + " (now, " + skewNote(skew) + ")",
		Spec: "RFC 7519 §4.1.5"}
	nbf, present, err := r.time("nbf")
	switch {
	case !present:
		c.Outcome, c.Actual, c.Reason = record.OutcomeSkip, "absent", "no not-before time"
	case err != nil:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["nbf"]), err.Error()
	case nbf.After(now.Add(skew)):
		c.Outcome, c.Actual = record.OutcomeFail, FormatTime(nbf, now)
		c.Reason = "not valid yet: it may be used only " + Relative(nbf, now) + ", beyond the " + FormatSkew(skew) + " of clock skew allowed"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, FormatTime(nbf, now), "already valid"
	}
	return c
}

func (r claimReader) nonceCheck(nonce string) record.Check {
	c := record.Check{Name: "nonce", Expected: nonce, Spec: "OIDC Core §3.1.3.7 step 11, §15.5.2"}
	got, present, _ := r.str("nonce")
	switch {
	case nonce == "" && !present:
		c.Outcome, c.Actual, c.Reason = record.OutcomeSkip, "absent", "no nonce was sent in the authentication request"
	case nonce == "":
		c.Outcome, c.Actual, c.Reason = record.OutcomeWarn, display(r.claims["nonce"]), "the ID token has a nonce, but none was sent in the request"
	case !present:
		c.Outcome, c.Actual = record.OutcomeFail, "missing"
		c.Reason = "a nonce was sent in the request, so the ID token must carry it back"
	case got != nonce:
		c.Outcome, c.Actual = record.OutcomeFail, display(r.claims["nonce"])
		c.Reason = "the nonce differs from the one sent: this ID token was not issued for this request (a replayed or injected token)"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, got, "the ID token answers this very request"
	}
	return c
}

func (r claimReader) authTimeCheck(now time.Time, skew, maxAge time.Duration) record.Check {
	c := record.Check{Name: "auth_time", Spec: "OIDC Core §3.1.3.7 step 13, §3.1.2.1"}
	at, present, err := r.time("auth_time")
	if maxAge <= 0 {
		c.Outcome, c.Reason = record.OutcomeSkip, "no max_age was requested"
		c.Actual = "absent"
		if present && err == nil {
			c.Actual = FormatTime(at, now)
		}
		return c
	}
	c.Expected = fmt.Sprintf("the user authenticated within max_age=%d s, %s", int(maxAge/time.Second), skewNote(skew))
	switch {
	case !present:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, "missing", "max_age was requested, so auth_time is REQUIRED"
	case err != nil:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims["auth_time"]), err.Error()
	case now.Sub(at) > maxAge+skew:
		c.Outcome, c.Actual = record.OutcomeFail, FormatTime(at, now)
		c.Reason = "the user last authenticated longer ago than max_age: the provider should have asked them to log in again"
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomePass, FormatTime(at, now), "a recent enough login"
	}
	return c
}

func (r claimReader) atHashCheck(alg, accessToken string, required bool) record.Check {
	c := record.Check{Name: "at_hash", Spec: "OIDC Core §3.1.3.8, §3.2.2.9"}
	if required {
		c.Spec = "OIDC Core §3.2.2.9, §3.2.2.10"
	}
	return r.hashCheck(c, "at_hash", alg, accessToken, "access token", required)
}

func (r claimReader) cHashCheck(alg, code string) record.Check {
	c := record.Check{Name: "c_hash", Spec: "OIDC Core §3.3.2.10, §3.3.2.11"}
	return r.hashCheck(c, "c_hash", alg, code, "authorization code", code != "")
}

func (r claimReader) hashCheck(c record.Check, claim, alg, value, what string, required bool) record.Check {
	got, present, _ := r.str(claim)
	if value == "" {
		if required {
			c.Outcome, c.Reason = record.OutcomeFail, "no "+what+" to check "+claim+" against"
		} else {
			c.Outcome, c.Reason = record.OutcomeSkip, "no "+what+" came with this ID token"
		}
		c.Actual = display(r.claims[claim])
		if !present {
			c.Actual = "absent"
		}
		return c
	}
	want, err := HashClaim(alg, value)
	c.Expected = want
	if err != nil {
		c.Expected = "left half of the hash of the " + what
	}
	switch {
	case !present && required:
		c.Outcome, c.Actual = record.OutcomeFail, "missing"
		c.Reason = claim + " is REQUIRED when the ID token comes with the " + what + " from the authorization endpoint"
	case !present:
		c.Outcome, c.Actual = record.OutcomeSkip, "absent"
		c.Reason = claim + " is optional here; without it the " + what + " is not bound to the ID token"
	case err != nil:
		c.Outcome, c.Actual, c.Reason = record.OutcomeFail, display(r.claims[claim]), err.Error()
	case got != want:
		c.Outcome, c.Actual = record.OutcomeFail, display(r.claims[claim])
		c.Reason = "the " + what + " is not the one this ID token was issued with (substituted or injected)"
	default:
		c.Outcome, c.Actual = record.OutcomePass, got
		c.Reason = fmt.Sprintf("BASE64URL(left half of %s(%s)) matches", hashName(alg), what)
	}
	return c
}

func hashName(alg string) string {
	h, err := hashFor(alg)
	if err != nil {
		return "hash"
	}
	return h.String()
}

func quote(s string) string { return `"` + s + `"` }
