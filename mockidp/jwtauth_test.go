package mockidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestJWTClientAuthentication(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ecKey.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	const hsSecret = "a-client-secret-of-at-least-32-bytes!"
	cfg := &Config{Clients: []Client{
		{ID: "jwt-secret", Secret: hsSecret, AuthMethods: []string{AuthClientSecretJWT}, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}},
		{ID: "jwt-key", AuthMethods: []string{AuthPrivateKeyJWT}, JWKS: string(pub), GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}},
	}}
	d := newIDP(t, Options{Config: cfg})
	now := d.srv.Now()
	assertion := func(alg jose.SignatureAlgorithm, key any, kid string, c jwt.Claims) string {
		opts := (&jose.SignerOptions{}).WithType("JWT")
		if kid != "" {
			opts = opts.WithHeader("kid", kid)
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := jwt.Signed(sig).Claims(c).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(client, aud, jti string, exp time.Time) jwt.Claims {
		return jwt.Claims{Issuer: client, Subject: client, Audience: jwt.Audience{aud}, ID: jti,
			Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now)}
	}
	tokenURL := d.iss + "/token"
	later := now.Add(time.Minute)
	tests := []struct {
		name       string
		path       string
		form       url.Values
		basic      bool
		wantStatus int
		wantError  string
	}{
		{"client_secret_jwt", "/token", url.Values{"client_assertion": {assertion(jose.HS256, []byte(hsSecret), "", claims("jwt-secret", tokenURL, "j1", later))}}, false, 200, ""},
		{"private_key_jwt", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "j2", later))}}, false, 200, ""},
		{"private_key_jwt without kid", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "", claims("jwt-key", tokenURL, "j3", later))}}, false, 200, ""},
		{"replayed jti", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "j2", later))}}, false, 401, "invalid_client"},
		{"wrong audience", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", "https://other.example", "j4", later))}}, false, 401, "invalid_client"},
		{"expired", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "j5", now.Add(-time.Minute)))}}, false, 401, "invalid_client"},
		{"no jti", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "", later))}}, false, 401, "invalid_client"},
		{"unregistered key", "/token", url.Values{"client_assertion": {assertion(jose.ES256, otherKey, "k1", claims("jwt-key", d.iss, "j6", later))}}, false, 401, "invalid_client"},
		{"method not registered", "/token", url.Values{"client_assertion": {assertion(jose.HS256, []byte(hsSecret), "", claims("jwt-key", d.iss, "j7", later))}, "client_id": {"jwt-key"}}, false, 401, "invalid_client"},
		{"iss is not the client", "/token", url.Values{"client_id": {"jwt-key"}, "client_assertion": {assertion(jose.ES256, ecKey, "k1", jwt.Claims{Issuer: "someone", Subject: "jwt-key", Audience: jwt.Audience{d.iss}, ID: "j8", Expiry: jwt.NewNumericDate(later)})}}, false, 401, "invalid_client"},
		{"wrong assertion type", "/token", url.Values{"client_assertion_type": {"urn:example:saml"}, "client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "j9", later))}}, false, 401, "invalid_client"},
		{"assertion and Basic", "/token", url.Values{"client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss, "j10", later))}}, true, 400, "invalid_request"},
		{"introspection endpoint as audience", "/introspect", url.Values{"token": {"x"}, "client_assertion": {assertion(jose.ES256, ecKey, "k1", claims("jwt-key", d.iss+"/introspect", "j11", later))}}, false, 200, ""},
	}
	for _, tc := range tests {
		f := tc.form
		if !f.Has("client_assertion_type") {
			f.Set("client_assertion_type", clientAssertionType)
		}
		if tc.path == "/token" {
			f.Set("grant_type", "client_credentials")
		}
		id := ""
		if tc.basic {
			id = "machine"
		}
		st, _, m := d.post(tc.path, f, id, "machine-secret")
		if st != tc.wantStatus || tc.wantError != "" && m["error"] != tc.wantError {
			t.Errorf("%s: %d %v", tc.name, st, m)
		}
	}

	for _, tc := range []struct{ name, toml, want string }{
		{"short secret", `[[clients]]
id = "a"
secret = "short"
auth_methods = ["client_secret_jwt"]
grant_types = ["client_credentials"]`, "at least 32 bytes"},
		{"no jwks", `[[clients]]
id = "a"
auth_methods = ["private_key_jwt"]
grant_types = ["client_credentials"]`, "clients[0].jwks: private_key_jwt needs"},
		{"private jwks", `[[clients]]
id = "a"
auth_methods = ["private_key_jwt"]
grant_types = ["client_credentials"]
jwks = '` + privateJWKS(t, ecKey) + `'`, "is a private key"},
	} {
		_, err := LoadConfig(writeFile(t, "idp.toml", tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func privateJWKS(t *testing.T, k *ecdsa.PrivateKey) string {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k, KeyID: "k1", Algorithm: "ES256"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
