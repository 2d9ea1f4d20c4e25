package token

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

const (
	testIssuer = "https://idp.example.test"
	testClient = "oauthx-demo"
	testNonce  = "n-0S6_WzA2Mj"
)

var testNow = time.Date(2026, 11, 23, 9, 4, 5, 0, time.UTC)

// goodClaims are the claims of a valid ID token at testNow.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":   testIssuer,
		"sub":   "248289761001",
		"aud":   testClient,
		"exp":   testNow.Add(time.Hour).Unix(),
		"iat":   testNow.Add(-time.Minute).Unix(),
		"nonce": testNonce,
	}
}

func goodParams() IDTokenParams {
	return IDTokenParams{
		Issuer: testIssuer, ClientID: testClient, Nonce: testNonce,
		Now: testNow, Skew: 60 * time.Second,
	}
}

// check returns the check called name.
func check(t *testing.T, checks []record.Check, name string) record.Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q among %v", name, names(checks))
	return record.Check{}
}

func names(checks []record.Check) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Name+"="+string(c.Outcome))
	}
	return out
}

// TestValidateIDToken walks the OIDC Core §3.1.3.7 checklist: each case breaks one
// thing and asserts which check says so, and why.
func TestValidateIDToken(t *testing.T) {
	t.Parallel()
	rsa1 := newKey(t, "rsa-1", jose.RS256, 0)
	rsaOther := newKey(t, "rsa-1", jose.RS256, 1) // same kid, another key: a forger
	ec1 := newKey(t, "ec-1", jose.ES256)

	tests := []struct {
		name string
		// claims and header change a valid token; token replaces it outright.
		claims func(map[string]any)
		header map[string]any
		key    *testKey
		token  func(t *testing.T) string
		params func(*IDTokenParams)
		// want is the check that must fail (or warn/skip, per outcome), with a piece of
		// its reason. An empty want means every check passes or is skipped.
		want    string
		outcome record.Outcome
		reason  string
		// verified is whether the signature must have verified.
		verified bool
	}{
		{name: "valid", verified: true},
		{name: "invalid issuer", claims: func(c map[string]any) { c["iss"] = "https://evil.example.test" },
			want: "iss", reason: "another issuer", verified: true},
		{name: "issuer differs by a trailing slash", claims: func(c map[string]any) { c["iss"] = testIssuer + "/" },
			want: "iss", reason: "trailing slash", verified: true},
		{name: "iss missing", claims: func(c map[string]any) { delete(c, "iss") },
			want: "iss", reason: "REQUIRED", verified: true},
		{name: "sub missing", claims: func(c map[string]any) { delete(c, "sub") },
			want: "sub", reason: "REQUIRED", verified: true},
		{name: "audience is another client", claims: func(c map[string]any) { c["aud"] = "someone-else" },
			want: "aud", reason: "another client", verified: true},
		{name: "aud not a string", claims: func(c map[string]any) { c["aud"] = 42 },
			want: "aud", reason: "string or an array of strings", verified: true},
		{name: "several audiences without azp", claims: func(c map[string]any) { c["aud"] = []string{testClient, "api"} },
			want: "azp", outcome: record.OutcomeWarn, reason: "no azp", verified: true},
		{name: "azp is another client", claims: func(c map[string]any) { c["aud"] = []string{testClient, "api"}; c["azp"] = "api" },
			want: "azp", reason: "another client", verified: true},
		{name: "expired", claims: func(c map[string]any) { c["exp"] = testNow.Add(-5 * time.Minute).Unix() },
			want: "exp", reason: "expired 5 min ago, beyond the 60 s of clock skew", verified: true},
		{name: "expired within the clock skew", claims: func(c map[string]any) { c["exp"] = testNow.Add(-30 * time.Second).Unix() },
			want: "exp", outcome: record.OutcomeWarn, reason: "thanks to the clock skew", verified: true},
		{name: "exp missing", claims: func(c map[string]any) { delete(c, "exp") },
			want: "exp", reason: "REQUIRED", verified: true},
		{name: "exp not a number", claims: func(c map[string]any) { c["exp"] = "tomorrow" },
			want: "exp", reason: "not a NumericDate", verified: true},
		{name: "iat in the future", claims: func(c map[string]any) { c["iat"] = testNow.Add(10 * time.Minute).Unix() },
			want: "iat", reason: "issued in the future", verified: true},
		{name: "iat missing", claims: func(c map[string]any) { delete(c, "iat") },
			want: "iat", reason: "REQUIRED", verified: true},
		{name: "nbf in future", claims: func(c map[string]any) { c["nbf"] = testNow.Add(10 * time.Minute).Unix() },
			want: "nbf", reason: "not valid yet", verified: true},
		{name: "nonce mismatch", claims: func(c map[string]any) { c["nonce"] = "other" },
			want: "nonce", reason: "not issued for this request", verified: true},
		{name: "nonce missing", claims: func(c map[string]any) { delete(c, "nonce") },
			want: "nonce", reason: "must carry it back", verified: true},
		{name: "alg none refused even if listed",
			token: func(t *testing.T) string {
				return compact(t, map[string]any{"alg": "none", "typ": "JWT"}, goodClaims(), "")
			},
			params: func(p *IDTokenParams) { p.AllowedAlgs = []string{"RS256", "none"} },
			want:   "alg allowed", reason: "even though the provider lists it"},
		{name: "alg not in the allow-list", key: &ec1,
			want: "alg allowed", reason: "does not accept"},
		{name: "ES256 when the provider offers it", key: &ec1,
			params:   func(p *IDTokenParams) { p.AllowedAlgs = []string{"ES256", "RS256"} },
			verified: true},
		{name: "signature tampered",
			token: func(t *testing.T) string {
				tok := sign(t, rsa1, goodClaims(), nil)
				parts := strings.Split(tok, ".")
				c := goodClaims()
				c["sub"] = "admin"
				return compact(t, mustJSON(t, parts[0]), c, parts[2])
			},
			want: "signature", reason: "does not match"},
		{name: "signed by another key with the same kid", key: &rsaOther,
			want: "signature", reason: "does not match"},
		{name: "unknown kid", key: ptr(newKey(t, "who", jose.RS256, 2)),
			want: "kid", reason: `no key with kid "who"`},
		{name: "key type not matching alg",
			token: func(t *testing.T) string {
				// An RS256 token naming the EC key's kid.
				k := rsa1
				k.kid = "ec-1"
				return sign(t, k, goodClaims(), nil)
			},
			want: "kid", reason: "EC P-256 key, and RS256 needs an RSA key"},
		{name: "no kid with a single usable key", key: ptr(testKey{alg: jose.RS256, priv: rsa1.priv}),
			want: "kid", outcome: record.OutcomeWarn, reason: "single key", verified: true},
		{name: "jku in the header is ignored", header: map[string]any{"jku": "https://evil.example.test/jwks"},
			want: "kid", outcome: record.OutcomePass, reason: "jku ignored: keys come only from the provider's metadata", verified: true},
		{name: "access token offered as an ID token", header: map[string]any{"typ": "at+jwt"},
			want: "typ", reason: "token confusion", verified: true},
		{name: "at_hash right",
			claims: func(c map[string]any) { c["at_hash"] = mustHash(t, "RS256", "access-123") },
			params: func(p *IDTokenParams) { p.AccessToken = "access-123"; p.RequireAtHash = true }, verified: true},
		{name: "at_hash wrong",
			claims: func(c map[string]any) { c["at_hash"] = mustHash(t, "RS256", "another-token") },
			params: func(p *IDTokenParams) { p.AccessToken = "access-123" },
			want:   "at_hash", reason: "substituted", verified: true},
		{name: "at_hash missing in implicit id_token token",
			params: func(p *IDTokenParams) { p.AccessToken = "access-123"; p.RequireAtHash = true },
			want:   "at_hash", reason: "REQUIRED", verified: true},
		{name: "at_hash missing in the code flow is optional",
			params: func(p *IDTokenParams) { p.AccessToken = "access-123" },
			want:   "at_hash", outcome: record.OutcomeSkip, reason: "optional", verified: true},
		{name: "c_hash right",
			claims: func(c map[string]any) { c["c_hash"] = mustHash(t, "RS256", "code-xyz") },
			params: func(p *IDTokenParams) { p.Code = "code-xyz" }, verified: true},
		{name: "c_hash missing when code",
			params: func(p *IDTokenParams) { p.Code = "code-xyz" },
			want:   "c_hash", reason: "REQUIRED", verified: true},
		{name: "c_hash wrong",
			claims: func(c map[string]any) { c["c_hash"] = mustHash(t, "RS256", "code-abc") },
			params: func(p *IDTokenParams) { p.Code = "code-xyz" },
			want:   "c_hash", reason: "substituted", verified: true},
		{name: "max_age exceeded",
			claims: func(c map[string]any) { c["auth_time"] = testNow.Add(-2 * time.Hour).Unix() },
			params: func(p *IDTokenParams) { p.MaxAge = time.Hour },
			want:   "auth_time", reason: "log in again", verified: true},
		{name: "auth_time missing with max_age",
			params: func(p *IDTokenParams) { p.MaxAge = time.Hour },
			want:   "auth_time", reason: "REQUIRED", verified: true},
		{name: "encrypted ID token",
			token: func(t *testing.T) string {
				return "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"
			},
			want: "decodes", reason: "does not decrypt"},
		{name: "opaque token", token: func(*testing.T) string { return "2YotnFZFEjr1zCsicMWpAA" },
			want: "decodes", reason: "always a JWT"},
		{name: "malformed payload",
			token: func(*testing.T) string { return "eyJhbGciOiJSUzI1NiJ9.e30+.sig" },
			want:  "decodes", reason: "payload is not valid base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveJWKS(t, rsa1, ec1)
			keys := NewJWKS(srv.url(), srv.Client())
			claims := goodClaims()
			if tt.claims != nil {
				tt.claims(claims)
			}
			key := rsa1
			if tt.key != nil {
				key = *tt.key
			}
			var raw string
			if tt.token != nil {
				raw = tt.token(t)
			} else {
				raw = sign(t, key, claims, tt.header)
			}
			p := goodParams()
			if tt.params != nil {
				tt.params(&p)
			}

			tok, checks := ValidateIDToken(context.Background(), raw, p, keys)

			if tok == nil || len(checks) == 0 {
				t.Fatalf("no token or checks: %v %v", tok, checks)
			}
			if len(tok.Checks) != len(checks) {
				t.Errorf("token has %d checks, returned %d", len(tok.Checks), len(checks))
			}
			if tok.Verified != tt.verified {
				t.Errorf("Verified = %v, want %v (checks %v)", tok.Verified, tt.verified, names(checks))
			}
			if tt.verified && tok.VerifiedWith != string(key.alg)+" kid="+key.kid {
				if key.kid != "" {
					t.Errorf("VerifiedWith = %q", tok.VerifiedWith)
				}
			}
			for _, c := range checks {
				if c.Name == tt.want {
					continue
				}
				if c.Outcome == record.OutcomeFail && !(c.Name == "signature" && !tt.verified) {
					t.Errorf("unexpected failed check %s: %s (expected %q, actual %q)", c.Name, c.Reason, c.Expected, c.Actual)
				}
				if c.Spec == "" || c.Reason == "" {
					t.Errorf("check %s has no spec or reason: %+v", c.Name, c)
				}
			}
			if tt.want == "" {
				if !Valid(checks) {
					t.Errorf("want valid, got %v", names(checks))
				}
				return
			}
			c := check(t, checks, tt.want)
			want := tt.outcome
			if want == "" {
				want = record.OutcomeFail
			}
			if c.Outcome != want {
				t.Errorf("check %s: outcome %s, want %s (%s)", c.Name, c.Outcome, want, c.Reason)
			}
			if !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("check %s: reason %q does not say %q", c.Name, c.Reason, tt.reason)
			}
			if c.Spec == "" {
				t.Errorf("check %s has no spec reference", c.Name)
			}
		})
	}
}

// TestValidateIDTokenSpecReferences pins the OIDC Core step numbers of the checklist.
func TestValidateIDTokenSpecReferences(t *testing.T) {
	t.Parallel()
	k := newKey(t, "rsa-1", jose.RS256)
	srv := serveJWKS(t, k)
	_, checks := ValidateIDToken(context.Background(), sign(t, k, goodClaims(), nil), goodParams(), NewJWKS(srv.url(), srv.Client()))
	want := map[string]string{
		"iss": "OIDC Core §3.1.3.7 step 2", "aud": "OIDC Core §3.1.3.7 step 3",
		"signature": "OIDC Core §3.1.3.7 step 6, RFC 7515 §5.2", "exp": "OIDC Core §3.1.3.7 step 9",
		"nonce": "OIDC Core §3.1.3.7 step 11, §15.5.2",
	}
	for name, spec := range want {
		if got := check(t, checks, name).Spec; got != spec {
			t.Errorf("%s: spec %q, want %q", name, got, spec)
		}
	}
	exp := check(t, checks, "exp")
	if !strings.Contains(exp.Expected, "allowing 60 s of clock skew") || !strings.Contains(exp.Actual, "(in 60 min)") && !strings.Contains(exp.Actual, "(in 1 h)") {
		t.Errorf("exp check does not show the skew and the time: %+v", exp)
	}
}

// TestAtHashCrossCheck signs tokens with go-jose for every algorithm, with an at_hash
// and c_hash computed here independently, and checks that validation agrees; a hash of
// the wrong width must fail.
func TestAtHashCrossCheck(t *testing.T) {
	t.Parallel()
	const at, code = "SlAV32hkKG", "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
	half := func(sum []byte) string { return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) }
	s256 := func(s string) string { h := sha256.Sum256([]byte(s)); return half(h[:]) }
	s384 := func(s string) string { h := sha512.Sum384([]byte(s)); return half(h[:]) }
	s512 := func(s string) string { h := sha512.Sum512([]byte(s)); return half(h[:]) }
	tests := []struct {
		alg          jose.SignatureAlgorithm
		right, wrong func(string) string
	}{
		{jose.RS256, s256, s384}, {jose.RS384, s384, s256}, {jose.RS512, s512, s256},
		{jose.PS256, s256, s512}, {jose.PS384, s384, s512}, {jose.PS512, s512, s384},
		{jose.ES256, s256, s384}, {jose.ES384, s384, s256}, {jose.ES512, s512, s256},
		{jose.EdDSA, s512, s256},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			t.Parallel()
			k := newKey(t, "k-"+string(tt.alg), tt.alg)
			srv := serveJWKS(t, k)
			keys := NewJWKS(srv.url(), srv.Client())
			p := goodParams()
			p.AllowedAlgs = []string{string(tt.alg)}
			p.AccessToken, p.Code, p.RequireAtHash = at, code, true

			c := goodClaims()
			c["at_hash"], c["c_hash"] = tt.right(at), tt.right(code)
			tok, checks := ValidateIDToken(context.Background(), sign(t, k, c, nil), p, keys)
			if !Valid(checks) || !tok.Verified {
				t.Fatalf("valid %s token refused: %v", tt.alg, names(checks))
			}
			if got, _ := HashClaim(string(tt.alg), at); got != tt.right(at) {
				t.Errorf("HashClaim(%s) = %s, independent %s", tt.alg, got, tt.right(at))
			}

			c["at_hash"], c["c_hash"] = tt.wrong(at), tt.wrong(code)
			_, checks = ValidateIDToken(context.Background(), sign(t, k, c, nil), p, keys)
			for _, name := range []string{"at_hash", "c_hash"} {
				if got := check(t, checks, name); got.Outcome != record.OutcomeFail {
					t.Errorf("%s with the wrong hash width: %s", name, got.Outcome)
				}
			}
			if n := srv.fetches.Load(); n != 1 {
				t.Errorf("JWKS fetched %d times for two tokens, want 1", n)
			}
		})
	}
}

func TestValidateIDTokenHS256WithClientSecret(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("s3cret-", 6)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := signJWT(t, signer, goodClaims())
	p := goodParams()
	p.AllowedAlgs = []string{"HS256"}
	p.ClientSecret = secret
	tok, checks := ValidateIDToken(context.Background(), raw, p, nil)
	if !Valid(checks) || !tok.Verified {
		t.Fatalf("HS256 with the client secret: %v", names(checks))
	}
	p.ClientSecret = "wrong"
	_, checks = ValidateIDToken(context.Background(), raw, p, nil)
	if c := check(t, checks, "signature"); c.Outcome != record.OutcomeFail {
		t.Errorf("HS256 with the wrong secret: %+v", c)
	}
}

func TestValidateIDTokenJWKSFailures(t *testing.T) {
	t.Parallel()
	k := newKey(t, "rsa-1", jose.RS256)
	tests := []struct {
		name   string
		setup  func(s *jwksServer)
		reason string
	}{
		{"jwks is HTML", func(s *jwksServer) { s.setBody("<html>login</html>", "text/html") }, "served as text/html"},
		{"jwks has no keys member", func(s *jwksServer) { s.setBody(`{"kty":"RSA"}`, "application/json") }, `no "keys" member`},
		{"jwks keys empty", func(s *jwksServer) { s.setBody(`{"keys":[]}`, "application/json") }, `"keys" is empty`},
		{"jwks 500", func(s *jwksServer) { s.status.Store(500) }, "HTTP 500"},
		{"jwks unreachable", func(s *jwksServer) { s.Close() }, "fetching the key set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveJWKS(t, k)
			tt.setup(srv)
			_, checks := ValidateIDToken(context.Background(), sign(t, k, goodClaims(), nil), goodParams(), NewJWKS(srv.url(), srv.Client()))
			c := check(t, checks, "kid")
			if c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("kid check %s %q, want fail saying %q", c.Outcome, c.Reason, tt.reason)
			}
			if s := check(t, checks, "signature"); s.Outcome != record.OutcomeFail {
				t.Errorf("signature %s without keys", s.Outcome)
			}
		})
	}
}

func mustHash(t *testing.T, alg, v string) string {
	t.Helper()
	h, err := HashClaim(alg, v)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustJSON(t *testing.T, b64 string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// BenchmarkValidateIDToken is the client's cost of validating one ID token once the
// JWKS is cached: decoding, every check, and the signature.
func BenchmarkValidateIDToken(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			k := newKey(b, "k", alg)
			srv := serveJWKS(b, k)
			keys := NewJWKS(srv.url(), srv.Client())
			raw := sign(b, k, goodClaims(), nil)
			p := goodParams()
			p.AllowedAlgs = []string{string(alg)}
			b.ReportAllocs()
			for b.Loop() {
				if tok, _ := ValidateIDToken(context.Background(), raw, p, keys); !tok.Verified {
					b.Fatal("not verified")
				}
			}
		})
	}
}
