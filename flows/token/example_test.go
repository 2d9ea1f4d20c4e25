package token_test

import (
	"fmt"
	"time"

	"github.com/oauthx/oauthx/flows/token"
)

// Decode shows a token without verifying it: claims in reading order, explained,
// times as dates relative to now.
func ExampleDecode() {
	// {"alg":"none"} . {"sub":"alice","iss":"https://idp.example","exp":1795424645} .
	raw := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaWRwLmV4YW1wbGUiLCJleHAiOjE3OTU0MjQ2NDV9."
	now := time.Date(2026, 11, 23, 8, 5, 5, 0, time.UTC)
	tok := token.Decode(raw, now)
	fmt.Println(tok.Format, "verified:", tok.Verified)
	for _, c := range tok.Claims {
		fmt.Printf("%s = %s  [%s]\n", c.Name, c.Display, c.Spec)
	}
	fmt.Println(token.Describe(tok))
	// Output:
	// jwt verified: false
	// iss = https://idp.example  [RFC 7519 §4.1.1, OIDC Core §2]
	// sub = alice  [RFC 7519 §4.1.2, OIDC Core §2]
	// exp = 2026-11-23 09:04:05 UTC (in 59 min)  [RFC 7519 §4.1.4]
	// unsecured JWT (alg none): anyone could have written it (RFC 7519 §6)
}

// Malformed tokens say which part is wrong and how.
func ExampleDecode_malformed() {
	tok := token.Decode("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJh+In0.c2ln", time.Now())
	fmt.Println(tok.DecodeError)
	// Output:
	// payload is not valid base64url: '+' at position 12 is standard base64; base64url uses '-' and '_' (RFC 4648 §5)
}

// The at_hash of the access token in OpenID Connect Core 1.0, Appendix A.3.
func ExampleHashClaim() {
	h, _ := token.HashClaim("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y")
	fmt.Println(h)
	// Output: 77QmUPtjPfzWtF2AnpK9RQ
}
