package token

import (
	"context"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

func accessClaims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": "machine", "aud": "https://api.example.test", "client_id": "machine",
		"exp": testNow.Add(time.Hour).Unix(), "iat": testNow.Unix(), "jti": "j1", "scope": "read",
	}
}

// TestValidateAccessToken follows RFC 9068 §4, the resource server's checklist.
func TestValidateAccessToken(t *testing.T) {
	t.Parallel()
	k := newKey(t, "ec-1", jose.ES256)
	tests := []struct {
		name   string
		claims func(map[string]any)
		typ    string
		params func(*JWTParams)
		want   string // the failing check; "" when valid
		reason string
	}{
		{name: "valid", typ: "at+jwt"},
		{name: "application/at+jwt also", typ: "application/at+jwt"},
		{name: "ID token offered as an access token", typ: "JWT", want: "typ", reason: "an ID token?"},
		{name: "untyped", typ: "", want: "typ", reason: "must say so in typ"},
		{name: "jti and client_id missing", typ: "at+jwt", claims: func(c map[string]any) { delete(c, "jti"); delete(c, "client_id") },
			want: "required claims", reason: "REQUIRED"},
		{name: "audience is another API", typ: "at+jwt", params: func(p *JWTParams) { p.Audience = "https://other.example.test" },
			want: "aud", reason: "another audience"},
		{name: "invalid issuer", typ: "at+jwt", claims: func(c map[string]any) { c["iss"] = "https://evil.test" }, want: "iss", reason: "another issuer"},
		{name: "expired", typ: "at+jwt", claims: func(c map[string]any) { c["exp"] = testNow.Add(-time.Hour).Unix() },
			want: "exp", reason: "the token expired 1 h ago"},
		{name: "nbf in future", typ: "at+jwt", claims: func(c map[string]any) { c["nbf"] = testNow.Add(time.Hour).Unix() },
			want: "nbf", reason: "not valid yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveJWKS(t, k)
			c := accessClaims()
			if tt.claims != nil {
				tt.claims(c)
			}
			opts := map[string]any{}
			if tt.typ != "JWT" {
				opts["typ"] = tt.typ
			}
			raw := sign(t, k, c, opts)
			if tt.typ == "" {
				raw = compact(t, map[string]any{"alg": "ES256", "kid": "ec-1"}, c, strings.Split(raw, ".")[2])
			}
			p := JWTParams{Issuer: testIssuer, Audience: "https://api.example.test", AllowedAlgs: []string{"ES256"}, Now: testNow, Skew: time.Minute}
			if tt.params != nil {
				tt.params(&p)
			}
			tok, checks := ValidateAccessToken(context.Background(), raw, p, NewJWKS(srv.url(), srv.Client()))
			for _, ck := range checks {
				if ck.Outcome == record.OutcomeFail && ck.Name != tt.want && !(tt.typ == "" && ck.Name == "signature") {
					t.Errorf("unexpected failure %s: %s", ck.Name, ck.Reason)
				}
			}
			if tt.want == "" {
				if !Valid(checks) || !tok.Verified {
					t.Errorf("valid access token refused: %v", names(checks))
				}
				return
			}
			ck := check(t, checks, tt.want)
			if ck.Outcome != record.OutcomeFail || !strings.Contains(ck.Reason, tt.reason) || ck.Spec == "" {
				t.Errorf("check %s: %s %q [%s], want fail saying %q", ck.Name, ck.Outcome, ck.Reason, ck.Spec, tt.reason)
			}
		})
	}
}

func TestValidateJWTWithoutKeysVerifiesNothing(t *testing.T) {
	t.Parallel()
	k := newKey(t, "ec-1", jose.ES256)
	tok, checks := ValidateJWT(context.Background(), sign(t, k, accessClaims(), nil), JWTParams{Now: testNow}, nil)
	if tok.Verified {
		t.Error("verified without keys")
	}
	for _, c := range checks {
		if c.Name == "signature" || c.Name == "kid" {
			t.Errorf("signature check without keys: %+v", c)
		}
	}
	if got := check(t, checks, "exp"); got.Outcome != record.OutcomePass {
		t.Errorf("exp %+v", got)
	}
	if tok, checks := ValidateJWT(context.Background(), "opaque", JWTParams{}, nil); tok.Format != record.FormatOpaque || len(checks) != 0 {
		t.Errorf("opaque: %+v %v", tok, checks)
	}
}
