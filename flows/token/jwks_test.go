package token

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

// TestJWKSFetchedOncePerFlow validates several tokens with one JWKS, as one flow does,
// and counts the fetches the provider saw.
func TestJWKSFetchedOncePerFlow(t *testing.T) {
	t.Parallel()
	k := newKey(t, "rsa-1", jose.RS256)
	srv := serveJWKS(t, k)
	keys := NewJWKS(srv.url(), srv.Client())
	for range 5 {
		_, checks := ValidateIDToken(context.Background(), sign(t, k, goodClaims(), nil), goodParams(), keys)
		if !Valid(checks) {
			t.Fatalf("valid token refused: %v", names(checks))
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for 5 tokens, want 1", n)
	}
	if keys.Fetches() != 1 {
		t.Errorf("Fetches() = %d", keys.Fetches())
	}
}

func TestJWKSUnknownKidTriggersOneRefetchThenFails(t *testing.T) {
	t.Parallel()
	known := newKey(t, "rsa-1", jose.RS256)
	stranger := newKey(t, "rsa-9", jose.RS256, 1)
	srv := serveJWKS(t, known)
	keys := NewJWKS(srv.url(), srv.Client())
	for i := range 3 {
		_, checks := ValidateIDToken(context.Background(), sign(t, stranger, goodClaims(), nil), goodParams(), keys)
		c := check(t, checks, "kid")
		if c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, `no key with kid "rsa-9"`) ||
			!strings.Contains(c.Reason, "even after fetching it again") || !strings.Contains(c.Reason, "rsa-1 [RSA]") {
			t.Fatalf("token %d: kid check %s %q", i, c.Outcome, c.Reason)
		}
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2: once, then once more for the unknown kid, and no more", n)
	}
}

func TestJWKSKidRotatedRefetchFindsIt(t *testing.T) {
	t.Parallel()
	old := newKey(t, "2026-10", jose.RS256)
	rotated := newKey(t, "2026-11", jose.ES256)
	srv := serveJWKS(t, old)
	keys := NewJWKS(srv.url(), srv.Client())
	p := goodParams()
	p.AllowedAlgs = []string{"RS256", "ES256"}
	if _, checks := ValidateIDToken(context.Background(), sign(t, old, goodClaims(), nil), p, keys); !Valid(checks) {
		t.Fatalf("token with the old key: %v", names(checks))
	}
	srv.setKeys(t, old, rotated) // the provider rotates
	tok, checks := ValidateIDToken(context.Background(), sign(t, rotated, goodClaims(), nil), p, keys)
	if !Valid(checks) || tok.VerifiedWith != "ES256 kid=2026-11" {
		t.Fatalf("token with the rotated key: %v, %q", names(checks), tok.VerifiedWith)
	}
	if c := check(t, checks, "kid"); !strings.Contains(c.Reason, "after fetching the key set again") {
		t.Errorf("kid check does not say the set was fetched again: %q", c.Reason)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

func TestJWKSKeyErrors(t *testing.T) {
	t.Parallel()
	rsa1 := newKey(t, "dup", jose.RS256, 0)
	rsa2 := newKey(t, "dup", jose.RS256, 1)
	ec := newKey(t, "ec", jose.ES256)
	ec384 := newKey(t, "ec", jose.ES384)
	tests := []struct {
		name     string
		body     string
		keys     []testKey
		kid, alg string
		want     string
	}{
		{name: "not JSON", body: "<!doctype html>", kid: "a", alg: "RS256", want: "not a JSON object"},
		{name: "no keys", body: `{"keys":[]}`, kid: "a", alg: "RS256", want: `"keys" is empty`},
		{name: "only encryption keys", body: `{"keys":[{"kty":"RSA","use":"enc","kid":"e","n":"AQAB","e":"AQAB"}]}`, kid: "e", alg: "RS256", want: `not a signing key`},
		{name: "duplicate kid", keys: []testKey{rsa1, rsa2}, kid: "dup", alg: "RS256", want: "2 signing keys with kid \"dup\""},
		{name: "same kid, different key types is fine", keys: []testKey{rsa1, {kid: "dup", pub: jose.JSONWebKey{Key: ec.pub.Key, KeyID: "dup"}}}, kid: "dup", alg: "ES256"},
		{name: "key type not matching alg", keys: []testKey{ec}, kid: "ec", alg: "RS256", want: "EC P-256 key, and RS256 needs an RSA key"},
		{name: "curve not matching alg", keys: []testKey{ec384}, kid: "ec", alg: "ES256", want: "EC P-384 key, and ES256 needs an EC P-256 key"},
		{name: "key declared for another alg", body: jwksWithAlg(t, rsa1, "RS512"), kid: "dup", alg: "RS256", want: `declared for RS512`},
		{name: "no kid with several keys", keys: []testKey{rsa1, {kid: "other", pub: jose.JSONWebKey{Key: rsa2.pub.Key, KeyID: "other"}}}, alg: "RS256", want: "cannot say which"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveJWKS(t, tt.keys...)
			if tt.body != "" {
				srv.setBody(tt.body, "application/json")
			}
			_, err := NewJWKS(srv.url(), srv.Client()).Key(context.Background(), tt.kid, tt.alg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Key: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Key error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestJWKSConcurrent proves a JWKS is safe for concurrent use and still fetches once
// (run with -race).
func TestJWKSConcurrent(t *testing.T) {
	t.Parallel()
	k := newKey(t, "ec-1", jose.ES256)
	srv := serveJWKS(t, k)
	keys := NewJWKS(srv.url(), srv.Client())
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := keys.Key(context.Background(), "ec-1", "ES256"); err != nil {
				t.Error(err)
			}
			if _, err := keys.Keys(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestParseJWKSSkipsOddKeys(t *testing.T) {
	t.Parallel()
	k := newKey(t, "ok", jose.ES256)
	good, _ := json.Marshal(k.pub)
	doc := `{"keys":[{"kty":"XYZ","kid":"future"},{"kty":"oct","kid":"hmac","k":"c2VjcmV0"},` + string(good) + `]}`
	set, notes, err := ParseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != "ok" {
		t.Errorf("keys %v", set.Keys)
	}
	if len(notes) != 2 || !strings.Contains(notes[1], "symmetric") {
		t.Errorf("notes %q", notes)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	k := newKey(t, "ed", jose.EdDSA)
	srv := serveJWKS(t, k)
	keys := NewJWKS(srv.url(), srv.Client())
	raw := sign(t, k, map[string]any{"iss": testIssuer, "scope": "read"}, map[string]any{"typ": "at+jwt"})

	kidAlg, payload, c := VerifySignature(context.Background(), raw, []string{"EdDSA"}, keys)
	if c.Outcome != record.OutcomePass || kidAlg != "EdDSA kid=ed" || !strings.Contains(string(payload), `"scope":"read"`) {
		t.Fatalf("VerifySignature = %q, %s, %+v", kidAlg, payload, c)
	}
	_, payload, c = VerifySignature(context.Background(), raw, nil, keys) // RS256 only
	if c.Outcome != record.OutcomeFail || payload != nil || !strings.Contains(c.Reason, "alg allowed") {
		t.Errorf("EdDSA with the default allow-list: %+v", c)
	}
	none := compact(t, map[string]any{"alg": "none"}, map[string]any{"iss": testIssuer}, "")
	_, _, c = VerifySignature(context.Background(), none, []string{"none", "EdDSA"}, keys)
	if c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, "not signed") {
		t.Errorf("alg none: %+v", c)
	}
	_, _, c = VerifySignature(context.Background(), "opaque-token", nil, keys)
	if c.Outcome != record.OutcomeFail || !strings.Contains(c.Reason, "not a JWT") {
		t.Errorf("opaque: %+v", c)
	}
}

func TestStaticJWKS(t *testing.T) {
	t.Parallel()
	k := newKey(t, "rsa-1", jose.RS256)
	doc, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.pub}})
	keys, err := NewStaticJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, _, c := VerifySignature(context.Background(), sign(t, k, goodClaims(), nil), nil, keys)
	if c.Outcome != record.OutcomePass {
		t.Fatalf("static JWKS: %+v", c)
	}
	_, err = keys.Key(context.Background(), "nope", "RS256")
	if err == nil || !strings.Contains(err.Error(), `no key with kid "nope" in the key set; it has kids rsa-1 [RSA]`) {
		t.Errorf("unknown kid in a static set: %v", err)
	}
}

func jwksWithAlg(t *testing.T, k testKey, alg string) string {
	t.Helper()
	pub := k.pub
	pub.Algorithm = alg
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
