package token

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

// FuzzParseJWKS: a provider's key set is untrusted input. No document makes ParseJWKS
// panic, and it either returns at least one key or an error that says why.
func FuzzParseJWKS(f *testing.F) {
	ec := newKey(f, "ec", jose.ES256)
	rs := newKey(f, "rs", jose.RS256)
	good, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ec.pub, rs.pub}})
	for _, s := range []string{
		string(good), specA7JWKS, `{"keys":[]}`, `{}`, `[]`, `null`, `<html>`, `{"keys":[{"kty":"EC"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"}]}`, `{"keys":` + strings.Repeat("[", 64) + `}`,
		`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + strings.Repeat("A", 43) + `"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		set, _, err := ParseJWKS(doc)
		switch {
		case err != nil && err.Error() == "":
			t.Fatal("empty error")
		case err == nil && (set == nil || len(set.Keys) == 0):
			t.Fatal("no error and no keys")
		case err == nil:
			for _, k := range set.Keys {
				if !k.IsPublic() {
					t.Fatalf("a private key kept: %s", k.KeyID)
				}
			}
		}
	})
}

// FuzzValidateIDToken runs the whole checklist on arbitrary input against the key set
// of OIDC Core Appendix A.7: it never panics, always reports checks, and never calls an
// unverified token verified.
func FuzzValidateIDToken(f *testing.F) {
	keys, err := NewStaticJWKS([]byte(specA7JWKS))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add(specA3IDToken)
	p := IDTokenParams{Issuer: "http://server.example.com", ClientID: "s6BhdRkqt3", Nonce: "n-0S6_WzA2Mj",
		AccessToken: "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", AllowedAlgs: []string{"RS256", "none", "HS256"}}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, checks := ValidateIDToken(context.Background(), raw, p, keys)
		if tok == nil || len(checks) == 0 {
			t.Fatal("no token or no checks")
		}
		sig := record.Check{}
		for _, c := range checks {
			if c.Name == "signature" {
				sig = c
			}
			if c.Name == "validation" {
				t.Fatalf("internal error: %s", c.Reason)
			}
		}
		if tok.Verified != (sig.Outcome == record.OutcomePass) {
			t.Fatalf("Verified %v but signature check %q", tok.Verified, sig.Outcome)
		}
		if tok.Verified && !sameJWS(strings.TrimSpace(raw), specA3IDToken) {
			t.Fatalf("verified a token the A.7 key never signed: %q", raw)
		}
	})
}

// sameJWS reports whether a and b have the same signing input and the same signature
// bytes (base64url's unused trailing bits may differ: RFC 4648 §3.5).
func sameJWS(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != 3 || len(pb) != 3 || pa[0] != pb[0] || pa[1] != pb[1] {
		return false
	}
	sa, errA := decodePart(pa[2])
	sb, errB := decodePart(pb[2])
	return errA == nil && errB == nil && string(sa) == string(sb)
}
