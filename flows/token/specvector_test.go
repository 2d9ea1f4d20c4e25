package token

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// The ID token of OpenID Connect Core 1.0 Appendix A.3 (response_type=id_token token)
// and the RSA key of Appendix A.7 that signed it: an independent vector for the whole
// path (decode, JWKS, go-jose verification, at_hash), made by the spec's authors.
const (
	specA3IDToken = "eyJraWQiOiIxZTlnZGs3IiwiYWxnIjoiUlMyNTYifQ.ewogIml" +
		"zcyI6ICJodHRwOi8vc2VydmVyLmV4YW1wbGUuY29tIiwKICJzdWIiOiAiMjQ" +
		"4Mjg5NzYxMDAxIiwKICJhdWQiOiAiczZCaGRSa3F0MyIsCiAibm9uY2UiOiA" +
		"ibi0wUzZfV3pBMk1qIiwKICJleHAiOiAxMzExMjgxOTcwLAogImlhdCI6IDE" +
		"zMTEyODA5NzAsCiAiYXRfaGFzaCI6ICI3N1FtVVB0alBmeld0RjJBbnBLOVJ" +
		"RIgp9.F9gRev0Dt2tKcrBkHy72cmRqnLdzw9FLCCSebV7mWs7o_sv2O5s6zM" +
		"ky2kmhHTVx9HmdvNnx9GaZ8XMYRFeYk8L5NZ7aYlA5W56nsG1iWOou_-gji0" +
		"ibWIuuf4Owaho3YSoi7EvsTuLFz6tq-dLyz0dKABMDsiCmJ5wqkPUDTE3QTX" +
		"jzbUmOzUDli-gCh5QPuZAq0cNW3pf_2n4zpvTYtbmj12cVcxGIMZby7TMWES" +
		"RjQ9_o3jvhVNcCGcE0KAQXejhA1ocJhNEvQNqMFGlBb6_0RxxKjDZ-Oa329e" +
		"GDidOvvp0h5hoES4a8IuGKS7NOcpp-aFwp0qVMDLI-Xnm-Pg"
	specA7JWKS = `{"keys":[{"kty":"RSA","kid":"1e9gdk7","e":"AQAB","n":"` +
		"w7Zdfmece8iaB0kiTY8pCtiBtzbptJmP28nSWwtdjRu0f2GFpajvWE4VhfJA" +
		"jEsOcwYzay7XGN0b-X84BfC8hmCTOj2b2eHT7NsZegFPKRUQzJ9wW8ipn_aD" +
		"JWMGDuB1XyqT1E7DYqjUCEOD1b4FLpy_xPn6oV_TYOfQ9fZdbE5HGxJUzeku" +
		"GcOKqOQ8M7wfYHhHHLxGpQVgL0apWuP2gDDOdTtpuld4D2LK1MZK99s9gaSj" +
		"RHE8JDb1Z4IGhEcEyzkxswVdPndUWzfvWBBWXWxtSUvQGBRkuy1BHOa4sP6F" +
		`KjWEeeF7gm7UMs2Nm2QUgNZw6xvEDGaLk4KASdIxRQ"}]}`
)

func TestValidateIDTokenSpecExample(t *testing.T) {
	t.Parallel()
	keys, err := NewStaticJWKS([]byte(specA7JWKS))
	if err != nil {
		t.Fatal(err)
	}
	p := IDTokenParams{
		Issuer: "http://server.example.com", ClientID: "s6BhdRkqt3", Nonce: "n-0S6_WzA2Mj",
		AccessToken: "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", RequireAtHash: true,
		Now: time.Unix(1311281000, 0), Skew: time.Minute,
	}
	tok, checks := ValidateIDToken(context.Background(), specA3IDToken, p, keys)
	if !Valid(checks) || !tok.Verified || tok.VerifiedWith != "RS256 kid=1e9gdk7" {
		t.Fatalf("the spec's own example is refused: %v", names(checks))
	}
	if c := check(t, checks, "at_hash"); c.Outcome != record.OutcomePass || c.Actual != "77QmUPtjPfzWtF2AnpK9RQ" {
		t.Errorf("at_hash %+v", c)
	}

	// One changed character of the signature breaks it.
	tampered := strings.TrimSuffix(specA3IDToken, "Pg") + "Pw"
	_, checks = ValidateIDToken(context.Background(), tampered, p, keys)
	if c := check(t, checks, "signature"); c.Outcome != record.OutcomeFail {
		t.Errorf("tampered example: signature %s", c.Outcome)
	}
}
