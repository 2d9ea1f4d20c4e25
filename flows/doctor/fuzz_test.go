package doctor

import (
	"strings"
	"testing"
)

// FuzzParseMetadata: any bytes give a document or an error, never a panic, and a
// parsed document's problems name members it has.
func FuzzParseMetadata(f *testing.F) {
	for _, seed := range []string{
		`{"issuer":"https://a.example","response_types_supported":["code"]}`,
		`{"issuer":1,"scopes_supported":"openid","authorization_response_iss_parameter_supported":"yes"}`,
		`{"code_challenge_methods_supported":[null,1,{}]}`,
		`<!DOCTYPE html><html></html>`,
		`[]`, `{`, ``, `null`, `{"a":{"b":[[[[[]]]]]}}`,
		"\xef\xbb\xbf{}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMetadata(body)
		if err != nil {
			if m != nil || !strings.Contains(err.Error(), "not a JSON object") {
				t.Fatalf("error %v with metadata %v", err, m)
			}
			return
		}
		for _, p := range m.Problems {
			if !m.Present[p.Member] || m.Has(p.Member) {
				t.Fatalf("problem on %q, which is not reported present-but-unusable", p.Member)
			}
		}
	})
}

// FuzzParseJWKS: any bytes give keys or an error, never a panic.
func FuzzParseJWKS(f *testing.F) {
	for _, seed := range []string{
		`{"keys":[{"kty":"RSA","kid":"a","n":"0vx7","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"f83O","y":"x_FE"}]}`,
		`{"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kid":5},7,null]}`,
		`{"keys":{}}`, `{}`, `not json`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := ParseJWKS(body)
		if err != nil {
			return
		}
		for _, k := range keys {
			_ = k.signing()
			_ = k.fits("RS256")
			_ = describeKey(k)
		}
	})
}
