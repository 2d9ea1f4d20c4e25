package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// Limits on what Decode reads, so a hostile or broken token cannot cost much.
const (
	// MaxTokenSize is the largest token decoded (64 KiB). Real ID and access tokens are
	// a few KiB at most; headers of common servers stop at 8–16 KiB anyway.
	MaxTokenSize = 64 << 10
	// MaxDepth is the deepest JSON nesting accepted in a header or payload.
	MaxDepth = 32
)

// OpaqueNote is what is said of a token that is not a JWT.
const OpaqueNote = "opaque token: a reference only the issuer can interpret; " +
	"a resource server asks the issuer about it with token introspection (RFC 7662)"

// DecodeError says why a token that looks like a JWT could not be decoded. Its
// message names the part and what is wrong with it, e.g. "payload is not valid
// base64url: '+' at position 12 is not a base64url character".
type DecodeError struct {
	// Part is "token", "header", "payload" or "signature".
	Part string
	// Problem is what is wrong, without the part.
	Problem string
}

func (e *DecodeError) Error() string { return e.Part + " " + e.Problem }

// errOpaque reports that a token does not look like a JOSE object at all.
var errOpaque = errors.New("not a JWT")

// parsed is a JWS (or the header of a JWE) split and decoded, without any verification.
type parsed struct {
	parts      []string
	header     map[string]any
	headerKeys []string
	payload    []byte
	claims     map[string]any
	claimKeys  []string
	encrypted  bool // a JWE: only the header is readable
}

// alg returns the header's "alg" when it is a string.
func (p *parsed) alg() string { s, _ := p.header["alg"].(string); return s }

// kid returns the header's "kid" when it is a string.
func (p *parsed) kid() string { s, _ := p.header["kid"].(string); return s }

// typ returns the header's "typ" when it is a string.
func (p *parsed) typ() string { s, _ := p.header["typ"].(string); return s }

// Decode decodes a token for display without verifying it: the result has
// Verified false, and front ends must say "unverified".
//
// A JWS compact serialisation (RFC 7515 §7.1) gives Format jwt, with the header
// parameters and the claims in a stable reading order (the registered ones first, the
// rest sorted by name), each explained with its spec reference; NumericDate claims
// (exp, iat, nbf, auth_time, updated_at) have Time set and a Display such as
// "2026-11-23 10:04:05 UTC (in 59 min)", relative to now. Anything that does not look
// like a JOSE object gives Format opaque (see [OpaqueNote] and [Describe]). A token
// that looks like a JWT but is malformed keeps what could be decoded and says exactly
// what is wrong in DecodeError. Decode never panics; it refuses tokens over
// [MaxTokenSize] and JSON nested deeper than [MaxDepth].
func Decode(raw string, now time.Time) *record.Token {
	raw = strings.TrimSpace(raw)
	p, err := parse(raw)
	if errors.Is(err, errOpaque) {
		t := &record.Token{Format: record.FormatOpaque}
		if raw == "" {
			t.DecodeError = "the token is empty"
		} else if len(raw) > MaxTokenSize {
			t.DecodeError = tooLarge(len(raw))
		}
		return t
	}
	t := &record.Token{Format: record.FormatJWT}
	if p != nil {
		t.Header = claimsOf(p.header, p.headerKeys, headerOrder, ExplainHeader, now, false)
		t.Claims = claimsOf(p.claims, p.claimKeys, claimOrder, ExplainClaim, now, true)
		if len(p.parts) == 3 {
			t.Signature = p.parts[2]
		}
	}
	if err != nil {
		t.DecodeError = err.Error()
	}
	return t
}

// Describe says in one line what a decoded token is, for an artifact's note:
// "unverified JWT signed with RS256 (kid rsa-1)", "JWT verified with RS256 kid=rsa-1",
// [OpaqueNote], or the decode error.
func Describe(t *record.Token) string {
	if t == nil {
		return ""
	}
	if t.Format == record.FormatOpaque {
		if t.DecodeError != "" {
			return "opaque token (" + t.DecodeError + ")"
		}
		return OpaqueNote
	}
	if t.DecodeError != "" {
		return "malformed JWT: " + t.DecodeError
	}
	if t.Verified {
		return "JWT, signature verified with " + t.VerifiedWith
	}
	var alg, kid string
	for _, h := range t.Header {
		switch h.Name {
		case "alg":
			alg = h.Display
		case "kid":
			kid = h.Display
		}
	}
	s := "JWT, signature NOT verified (decoded only)"
	if alg == "none" {
		return "unsecured JWT (alg none): anyone could have written it (RFC 7519 §6)"
	}
	if alg != "" {
		s += "; signed with " + alg
		if kid != "" {
			s += " kid=" + kid
		}
	}
	return s
}

func tooLarge(n int) string {
	return fmt.Sprintf("is %d bytes, over the %d KiB oauthx decodes (real tokens are a few KiB)", n, MaxTokenSize>>10)
}

// looksLikeJOSE reports whether s has the shape of a JOSE compact serialisation: its
// first part, or its second when there is a dot, decodes to the start of a JSON object
// ('{' then '"', '}' or whitespace: every JWT starts "eyJ"). A token whose payload
// looks like JSON but whose header does not is a broken JWT, and is reported as one;
// random opaque tokens almost never start that way.
func looksLikeJOSE(s string) bool {
	first, rest, hasDot := strings.Cut(s, ".")
	if jsonish(first) {
		return true
	}
	second, _, _ := strings.Cut(rest, ".")
	return hasDot && jsonish(second)
}

// jsonish reports whether base64url part s starts with the encoding of '{' followed
// by '"', '}' or JSON whitespace.
func jsonish(s string) bool {
	if len(s) < 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[:min(len(s), 4)])
	if err != nil || len(b) < 2 {
		return false
	}
	return b[0] == '{' && strings.IndexByte("\"} \t\r\n", b[1]) >= 0
}

// parse splits and decodes raw. It returns errOpaque when raw is not JOSE-shaped, and
// otherwise a *DecodeError with whatever could be decoded before it.
func parse(raw string) (*parsed, error) {
	if !looksLikeJOSE(raw) {
		return nil, errOpaque
	}
	if len(raw) > MaxTokenSize {
		return nil, &DecodeError{"token", tooLarge(len(raw))}
	}
	p := &parsed{parts: strings.Split(raw, ".")}
	n := len(p.parts)
	if n != 3 && n != 5 {
		if n == 1 {
			return nil, &DecodeError{"token", "has no dots: a signed JWT (JWS compact serialisation) is header.payload.signature"}
		}
		hint := ""
		if n == 2 {
			hint = " (is the signature part missing? even an unsigned token ends with a dot)"
		}
		return nil, &DecodeError{"token", fmt.Sprintf(
			"has %d parts separated by dots; a signed JWT (JWS compact serialisation) has 3, an encrypted one (JWE) 5%s",
			n, hint)}
	}
	hb, err := decodePart(p.parts[0])
	if err != nil {
		return nil, &DecodeError{"header", err.Error()}
	}
	p.header, p.headerKeys, err = parseObject(hb)
	if err != nil {
		if p.header == nil {
			return nil, &DecodeError{"header", err.Error()}
		}
		return p, &DecodeError{"header", err.Error()}
	}
	alg, isString := p.header["alg"].(string)
	switch {
	case p.header["alg"] == nil:
		return p, &DecodeError{"header", `has no "alg" parameter, which every JWS and JWE must have (RFC 7515 §4.1.1)`}
	case !isString:
		return p, &DecodeError{"header", `"alg" is not a string (RFC 7515 §4.1.1)`}
	}
	if n == 5 {
		p.encrypted = true
		return p, &DecodeError{"token", fmt.Sprintf(
			"is encrypted (JWE, RFC 7516, alg %s): only the header is readable; the claims need the recipient's private key", alg)}
	}
	if _, ok := p.header["enc"]; ok {
		return p, &DecodeError{"header", `has "enc", which belongs to an encrypted token (JWE), but the token has 3 parts like a signed one`}
	}
	if b64, ok := p.header["b64"].(bool); ok && !b64 {
		return p, &DecodeError{"payload", `is not base64url-encoded ("b64": false, RFC 7797); oauthx does not decode unencoded payloads`}
	}
	p.payload, err = decodePart(p.parts[1])
	if err != nil {
		return p, &DecodeError{"payload", err.Error()}
	}
	if cty, _ := p.header["cty"].(string); strings.EqualFold(cty, "JWT") {
		return p, &DecodeError{"payload", `is itself a JWT (nested, "cty": "JWT", RFC 7519 §5.2): decode it on its own`}
	}
	p.claims, p.claimKeys, err = parseObject(p.payload)
	if err != nil {
		return p, &DecodeError{"payload", err.Error()}
	}
	if _, err := decodePart(p.parts[2]); err != nil {
		return p, &DecodeError{"signature", err.Error()}
	}
	if alg == "none" && p.parts[2] != "" {
		return p, &DecodeError{"signature", `must be empty for an unsecured JWT ("alg": "none", RFC 7519 §6.1)`}
	}
	return p, nil
}

// decodePart decodes one base64url part of a compact serialisation (RFC 7515 §2:
// base64url without padding) and says precisely what is wrong when it cannot.
func decodePart(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			continue
		case c == '=':
			return nil, fmt.Errorf("is not valid base64url: it has '=' padding at position %d, which JWS base64url leaves out (RFC 7515 §2)", i)
		case c == '+' || c == '/':
			return nil, fmt.Errorf("is not valid base64url: %q at position %d is standard base64; base64url uses '-' and '_' (RFC 4648 §5)", c, i)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			return nil, fmt.Errorf("is not valid base64url: whitespace at position %d (was the token wrapped or cut when copied?)", i)
		default:
			return nil, fmt.Errorf("is not valid base64url: %q at position %d is not a base64url character", rune(c), i)
		}
	}
	if len(s)%4 == 1 {
		return nil, fmt.Errorf("is not valid base64url: its length %d cannot be base64url (one character too many or missing; was it cut?)", len(s))
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("is not valid base64url: %v", err)
	}
	return b, nil
}

// parseObject parses a JSON object, keeping its member names in order and numbers as
// json.Number. A duplicate member name is an error (RFC 7515 §5.2, RFC 7519 §4); the
// object is still returned, with the last value, so it can be shown.
func parseObject(b []byte) (map[string]any, []string, error) {
	if err := checkDepth(b, MaxDepth); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("is not JSON: %s", jsonProblem(err, b))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("is not a JSON object (it is %s)", jsonKind(b))
	}
	obj := map[string]any{}
	var keys []string
	var dup string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("is not valid JSON: %s", jsonProblem(err, b))
		}
		key, _ := kt.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("is not valid JSON: %s", jsonProblem(err, b))
		}
		if _, seen := obj[key]; seen {
			if dup == "" {
				dup = key
			}
		} else {
			keys = append(keys, key)
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("is not valid JSON: %s", jsonProblem(err, b))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("is not a single JSON object: there is more after its closing brace")
	}
	if dup != "" {
		return obj, keys, fmt.Errorf("has the member %q twice; a JWT with duplicate names must be rejected (RFC 7519 §4, RFC 7515 §5.2)", dup)
	}
	return obj, keys, nil
}

// checkDepth refuses JSON nested deeper than limit before it is decoded.
func checkDepth(b []byte, limit int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > limit {
				return fmt.Errorf("nests JSON more than %d levels deep; refused", limit)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func jsonProblem(err error, b []byte) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d of %d)", se, se.Offset, len(b))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf("it ends too early, after %d bytes (was the token cut?)", len(b))
	}
	return err.Error()
}

// jsonKind names the kind of JSON value b starts with, with an article.
func jsonKind(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "empty"
	}
	switch c := b[0]; {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return "not JSON"
}

// claimsOf orders and explains the members of a header or claims set.
func claimsOf(obj map[string]any, keys, order []string, explain func(string) (string, string), now time.Time, dates bool) []record.Claim {
	if len(keys) == 0 {
		return nil
	}
	type ranked struct {
		name string
		rank int
	}
	sorted := make([]ranked, len(keys))
	for i, k := range keys {
		r := slices.Index(order, k)
		if r < 0 {
			r = len(order)
		}
		sorted[i] = ranked{k, r}
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].rank != sorted[j].rank {
			return sorted[i].rank < sorted[j].rank
		}
		return sorted[i].name < sorted[j].name
	})
	out := make([]record.Claim, 0, len(sorted))
	for _, r := range sorted {
		k := r.name
		v := obj[k]
		c := record.Claim{Name: k, Value: v, Display: display(v)}
		c.Explanation, c.Spec = explain(k)
		if dates && numericDates[k] {
			c.Time, c.Display = numericDate(v, now)
		}
		if !dates && k == "alg" && v == "none" {
			c.Explanation = "none: the token is not signed at all, so anyone could have written it; a client must never accept it"
			c.Spec = "RFC 7519 §6, RFC 8725 §3.1"
		}
		out = append(out, c)
	}
	return out
}

// display renders a JSON value for a person: strings as they are, arrays of strings
// joined with ", ", other values as compact JSON.
func display(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case []any:
		strs := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return compactJSON(v)
			}
			strs = append(strs, s)
		}
		if len(strs) == 0 {
			return "[]"
		}
		return strings.Join(strs, ", ")
	}
	return compactJSON(v)
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// numericDate interprets a NumericDate (RFC 7519 §2: seconds since the epoch, possibly
// fractional) and renders it with a relative time.
func numericDate(v any, now time.Time) (*time.Time, string) {
	num, ok := v.(json.Number)
	if !ok {
		return nil, display(v) + " (not a NumericDate: it must be a number of seconds, RFC 7519 §2)"
	}
	f, err := num.Float64()
	if err != nil || math.IsNaN(f) || f < -1e11 || f > 1e13 {
		return nil, num.String() + " (not a usable NumericDate)"
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	s := FormatTime(t, now)
	if f > 1e11 {
		s += "; this looks like milliseconds, but a NumericDate counts seconds (RFC 7519 §2)"
	}
	if !Representable(t) {
		// Shown, but not kept as a time: no countdown to the year 22474 helps anyone.
		return nil, s
	}
	return &t, s
}

// Representable reports whether t can be kept in a record as a time: records are
// JSON, and encoding/json writes times as RFC 3339, whose years run 0000-9999. A
// provider may send any number of seconds.
func Representable(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

// FormatTime renders t as "2026-11-23 10:04:05 UTC (in 59 min)", relative to now.
func FormatTime(t, now time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC") + " (" + Relative(t, now) + ")"
}

// Relative says how far t is from now: "in 59 min", "3 min ago", "now".
func Relative(t, now time.Time) string {
	// A time.Duration holds about 292 years; past that, t.Sub saturates and
	// would say "292 years" of a date sent in milliseconds (year 22474).
	if years := t.Year() - now.Year(); years > 200 || years < -200 {
		if years > 0 {
			return fmt.Sprintf("in %d years", years)
		}
		return fmt.Sprintf("%d years ago", -years)
	}
	d := t.Sub(now).Truncate(time.Second)
	switch {
	case d == 0:
		return "now"
	case d > 0:
		return "in " + humanDuration(d)
	default:
		return humanDuration(-d) + " ago"
	}
}

// humanDuration renders a positive duration coarsely, as a person says it.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	case d < 2*365*24*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d years", int(d/(365*24*time.Hour)))
}
