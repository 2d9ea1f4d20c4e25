package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

func TestDecodeJWT(t *testing.T) {
	t.Parallel()
	k := newKey(t, "rsa-1", jose.RS256)
	claims := map[string]any{
		"zeta": "last", "email": "alice@example.test", "nonce": "n", "aud": []string{"a", "b"},
		"iat": testNow.Add(-3 * time.Minute).Unix(), "exp": testNow.Add(59*time.Minute + 30*time.Second).Unix(),
		"sub": "alice", "iss": testIssuer, "alpha": map[string]any{"x": 1}, "auth_time": 1.5e9,
	}
	tok := Decode(sign(t, k, claims, nil), testNow)

	if tok.Format != record.FormatJWT || tok.DecodeError != "" || tok.Verified {
		t.Fatalf("Decode = %+v", tok)
	}
	var order []string
	for _, c := range tok.Claims {
		order = append(order, c.Name)
	}
	want := "iss sub aud exp iat auth_time nonce email alpha zeta"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("claims order\n got %s\nwant %s", got, want)
	}
	var header []string
	for _, h := range tok.Header {
		header = append(header, h.Name)
		if h.Explanation == "" || h.Spec == "" {
			t.Errorf("header %s not explained", h.Name)
		}
	}
	if got := strings.Join(header, " "); got != "alg typ kid" {
		t.Errorf("header order %s", got)
	}
	byName := map[string]record.Claim{}
	for _, c := range tok.Claims {
		byName[c.Name] = c
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "email"} {
		if byName[name].Explanation == "" || byName[name].Spec == "" {
			t.Errorf("claim %s not explained: %+v", name, byName[name])
		}
	}
	if byName["zeta"].Explanation != "" {
		t.Errorf("unknown claim explained: %+v", byName["zeta"])
	}
	if got := byName["exp"].Display; got != "2026-11-23 10:03:35 UTC (in 59 min)" {
		t.Errorf("exp display %q", got)
	}
	if got := byName["iat"].Display; got != "2026-11-23 09:01:05 UTC (3 min ago)" {
		t.Errorf("iat display %q", got)
	}
	if byName["exp"].Time == nil || !byName["exp"].Time.Equal(testNow.Add(59*time.Minute+30*time.Second)) {
		t.Errorf("exp time %v", byName["exp"].Time)
	}
	if got := byName["aud"].Display; got != "a, b" {
		t.Errorf("aud display %q", got)
	}
	if got := byName["alpha"].Display; got != `{"x":1}` {
		t.Errorf("object display %q", got)
	}
	if got := byName["auth_time"].Display; !strings.HasPrefix(got, "2017-07-14 02:40:00 UTC (") {
		t.Errorf("auth_time display %q", got)
	}
	// The record must survive JSON, numbers intact.
	b, err := json.Marshal(tok)
	if err != nil || !strings.Contains(string(b), `"value":1795428215`) {
		t.Errorf("JSON %s, %v", b, err)
	}
	if d := Describe(tok); !strings.Contains(d, "NOT verified") || !strings.Contains(d, "RS256 kid=rsa-1") {
		t.Errorf("Describe = %q", d)
	}
}

func TestDecodeAlgNone(t *testing.T) {
	t.Parallel()
	tok := Decode(compact(t, map[string]any{"alg": "none"}, map[string]any{"sub": "x"}, ""), testNow)
	if tok.Format != record.FormatJWT || tok.DecodeError != "" || tok.Verified {
		t.Fatalf("alg none: %+v", tok)
	}
	if !strings.Contains(tok.Header[0].Explanation, "not signed") {
		t.Errorf("alg none explanation %q", tok.Header[0].Explanation)
	}
	if d := Describe(tok); !strings.Contains(d, "unsecured") {
		t.Errorf("Describe = %q", d)
	}
}

func TestDecodeOpaque(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"2YotnFZFEjr1zCsicMWpAA",                   // RFC 6749 §4.1.4 example
		"ya29.a0AfH6SMBx-not.a-jwt",                // dots, but not JOSE
		"gho_16C7e42F292c6912E7710c838347Ae178B4a", // GitHub
		"  mF_9.B5f-4.1JqM  ",
		"ey8AbCdEfGhIjKlMnOpQrStUvWxYz.x", // starts "ey", but not with the encoding of `{"`
	} {
		tok := Decode(raw, testNow)
		if tok.Format != record.FormatOpaque || tok.DecodeError != "" || len(tok.Claims) != 0 {
			t.Errorf("Decode(%q) = %+v", raw, tok)
		}
		if Describe(tok) != OpaqueNote || !strings.Contains(OpaqueNote, "RFC 7662") {
			t.Errorf("Describe(%q) = %q", raw, Describe(tok))
		}
	}
	if tok := Decode("", testNow); tok.Format != record.FormatOpaque || tok.DecodeError != "the token is empty" {
		t.Errorf("empty: %+v", tok)
	}
}

// TestDecodeMalformed: every malformed JWT says which part is wrong and how.
func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	hdr := b64(`{"alg":"RS256"}`)
	body := b64(`{"sub":"a"}`)
	tests := []struct {
		name, raw, want string
	}{
		{"two parts", hdr + "." + body, "has 2 parts separated by dots; a signed JWT (JWS compact serialisation) has 3, an encrypted one (JWE) 5 (is the signature part missing?"},
		{"one part", hdr, "token has no dots: a signed JWT (JWS compact serialisation) is header.payload.signature"},
		{"four parts", hdr + "." + body + ".s.t", "has 4 parts"},
		{"payload not base64url", hdr + ".e30+.sig", "payload is not valid base64url: '+' at position 3 is standard base64; base64url uses '-' and '_'"},
		{"payload padded", hdr + "." + base64.URLEncoding.EncodeToString([]byte(`{"a":1}`)) + ".sig", "payload is not valid base64url: it has '=' padding"},
		{"payload cut", hdr + "." + body[:len(body)-3] + ".sig", "payload is not"},
		{"payload with a space", hdr + ".eyJ zdWIiOiJhIn0.sig", "payload is not valid base64url: whitespace at position 3"},
		{"header not JSON", b64("alg=RS256") + "." + body + ".sig", "header is not JSON"},
		{"header cut short", "eyJ" + "." + body + ".sig", "header is not valid JSON: it ends too early, after 2 bytes"},
		{"header length impossible", "eyJhb" + "." + body + ".sig", "header is not valid base64url: its length 5 cannot be base64url"},
		{"header is an array", b64(`["alg","RS256"]`) + "." + body + ".sig", "header is not a JSON object (it is an array)"},
		{"header without alg", b64(`{"typ":"JWT"}`) + "." + body + ".sig", `header has no "alg" parameter`},
		{"header alg not a string", b64(`{"alg":256}`) + "." + body + ".sig", `header "alg" is not a string`},
		{"header with trailing data", b64(`{"alg":"RS256"}{}`) + "." + body + ".sig", "header is not a single JSON object"},
		{"payload is a JSON string", hdr + "." + b64(`"hello"`) + ".sig", "payload is not a JSON object (it is a string)"},
		{"payload not JSON", hdr + "." + b64(`hello`) + ".sig", "payload is not JSON"},
		{"payload duplicate claim", hdr + "." + b64(`{"sub":"a","sub":"admin"}`) + ".sig", `payload has the member "sub" twice`},
		{"payload nested too deep", hdr + "." + b64(`{"a":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`) + ".sig", "payload nests JSON more than 32 levels deep"},
		{"signature not base64url", hdr + "." + body + ".ab/c", "signature is not valid base64url"},
		{"alg none with a signature", b64(`{"alg":"none"}`) + "." + body + ".c2ln", "signature must be empty"},
		{"encrypted", b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", "token is encrypted (JWE, RFC 7516, alg RSA-OAEP)"},
		{"nested", b64(`{"alg":"RS256","cty":"JWT"}`) + "." + b64("eyJhbGciOiJub25lIn0.e30.") + ".sig", "payload is itself a JWT"},
		{"too large", hdr + "." + body + strings.Repeat("A", MaxTokenSize) + ".sig", fmt.Sprintf("token is %d bytes, over the 64 KiB", len(hdr)+len(body)+MaxTokenSize+5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := Decode(tt.raw, testNow)
			if tok.Format != record.FormatJWT {
				t.Fatalf("format %s for %q", tok.Format, tt.raw)
			}
			if !strings.Contains(tok.DecodeError, tt.want) {
				t.Errorf("DecodeError\n got %q\nwant %q", tok.DecodeError, tt.want)
			}
		})
	}
}

func TestRelative(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "now"}, {500 * time.Millisecond, "now"}, {42 * time.Second, "in 42 s"}, {-3 * time.Minute, "3 min ago"},
		{59*time.Minute + 59*time.Second, "in 59 min"}, {time.Hour, "in 1 h"}, {-(26*time.Hour + 5*time.Minute), "26 h 5 min ago"},
		{10 * 24 * time.Hour, "in 10 days"}, {-3 * 365 * 24 * time.Hour, "3 years ago"},
	}
	for _, tt := range tests {
		if got := Relative(testNow.Add(tt.d), testNow); got != tt.want {
			t.Errorf("Relative(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestNumericDateOddities(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tok := Decode(b64(`{"alg":"none"}`)+"."+b64(`{"exp":1795856645000,"iat":"yesterday","nbf":1e300}`)+".", testNow)
	got := map[string]string{}
	for _, c := range tok.Claims {
		got[c.Name] = c.Display
	}
	if !strings.Contains(got["exp"], "looks like milliseconds") {
		t.Errorf("exp in ms: %q", got["exp"])
	}
	if !strings.Contains(got["iat"], "not a NumericDate") {
		t.Errorf("iat as a string: %q", got["iat"])
	}
	if !strings.Contains(got["nbf"], "not a usable NumericDate") {
		t.Errorf("nbf huge: %q", got["nbf"])
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "nonce", "acr", "amr", "azp",
		"at_hash", "c_hash", "client_id", "scope", "alg", "kid", "typ", "jku", "x5u", "jwk", "email", "updated_at"} {
		if e, s := Explain(name); e == "" || s == "" {
			t.Errorf("Explain(%q) = %q, %q", name, e, s)
		}
	}
	if e, s := Explain("no-such-claim"); e != "" || s != "" {
		t.Errorf("unknown: %q %q", e, s)
	}
	if _, s := ExplainClaim("typ"); s != "non-standard" {
		t.Errorf("typ claim spec %q", s)
	}
}

// fuzzSeeds are the seed corpus of FuzzDecode and the sizes of BenchmarkDecode.
func fuzzSeeds(t testing.TB) []string {
	k := newKey(t, "rsa-1", jose.RS256)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return []string{
		sign(t, k, goodClaims(), nil),
		compact(t, map[string]any{"alg": "none"}, goodClaims(), ""),
		"not a token at all",
		"eyJ.eyJ.eyJ",
		"eyJhbGciOiJSUzI1NiJ9..",
		b64(`{"alg":"RS256"}`) + "." + b64(`{"a":`+strings.Repeat(`{"b":`, 40)+`1`+strings.Repeat("}", 41)) + ".",
		b64(`{"alg":"RS256"}`) + "." + strings.Repeat("A", MaxTokenSize+10) + ".x",
		b64(`{"alg":"RSA-OAEP"}`) + ".a.b.c.d",
		b64(`{"alg":"RS256","alg":"none"}`) + ".e30.",
		b64("{\"alg\":\"RS256\",\"x\":\"\xff\"}") + ".e30.",
	}
}

// FuzzDecode: no input makes Decode panic, and malformed JWTs say what is wrong.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok := Decode(raw, testNow)
		if tok == nil || tok.Verified {
			t.Fatalf("Decode(%q) = %+v", raw, tok)
		}
		switch tok.Format {
		case record.FormatOpaque:
			if len(tok.Claims) != 0 {
				t.Fatalf("opaque token with claims")
			}
		case record.FormatJWT:
			if tok.DecodeError == "" && len(strings.Split(strings.TrimSpace(raw), ".")) != 3 {
				t.Fatalf("decoded a JWT without 3 parts: %q", raw)
			}
			if e := tok.DecodeError; e != "" && !strings.HasPrefix(e, "token ") && !strings.HasPrefix(e, "header ") &&
				!strings.HasPrefix(e, "payload ") && !strings.HasPrefix(e, "signature ") {
				t.Fatalf("DecodeError does not name the part: %q", e)
			}
		default:
			t.Fatalf("format %q", tok.Format)
		}
		if _, err := json.Marshal(tok); err != nil {
			t.Fatalf("record does not marshal: %v", err)
		}
		_ = Describe(tok)
		for _, c := range tok.Claims {
			if !utf8.ValidString(c.Display) && utf8.ValidString(raw) {
				// Display comes from decoded bytes; invalid UTF-8 there is replaced by
				// encoding/json, so Display is always valid.
				t.Fatalf("invalid UTF-8 in display of %s", c.Name)
			}
		}
	})
}

// BenchmarkDecode decodes a ~10 KB signed token (a big access token with many roles).
func BenchmarkDecode(b *testing.B) {
	k := newKey(b, "rsa-1", jose.RS256)
	claims := goodClaims()
	var roles []string
	for i := range 400 {
		roles = append(roles, "role-"+strings.Repeat("x", i%10))
	}
	claims["roles"] = roles
	claims["resource_access"] = map[string]any{"api": map[string]any{"roles": roles[:100]}}
	raw := sign(b, k, claims, nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if tok := Decode(raw, testNow); tok.DecodeError != "" {
			b.Fatal(tok.DecodeError)
		}
	}
	b.ReportMetric(float64(len(raw)), "token-bytes")
}

// BenchmarkDecodeWorstCase decodes a token just under MaxTokenSize made of thousands
// of small claims: the most work a single Decode call can be made to do.
func BenchmarkDecodeWorstCase(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; sb.Len() < (MaxTokenSize*3/4)-40; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"c%d":[1]`, i)
	}
	sb.WriteString("}")
	raw := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(sb.String())) + "."
	if len(raw) > MaxTokenSize {
		b.Fatalf("token %d bytes", len(raw))
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if tok := Decode(raw, testNow); tok.DecodeError != "" {
			b.Fatal(tok.DecodeError)
		}
	}
	b.ReportMetric(float64(len(raw)), "token-bytes")
}
