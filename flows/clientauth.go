package flows

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// JWT client authentication methods (RFC 7523 §2.2; OIDC Core §9).
const (
	// AuthClientSecretJWT signs the client assertion with HS256 keyed by the client secret.
	AuthClientSecretJWT = "client_secret_jwt"
	// AuthPrivateKeyJWT signs the client assertion with the client's private key
	// (RS256, ES256 or EdDSA); the provider holds the public key.
	AuthPrivateKeyJWT = "private_key_jwt"
	// ClientAssertionType is the client_assertion_type of a JWT assertion (RFC 7523 §2.2).
	ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// assertionLifetime is how long a client assertion is valid: short, since it is sent
// at once and the provider remembers its jti until it expires (RFC 7523 §3).
const assertionLifetime = 60 * time.Second

// isJWTAuth reports whether method authenticates with a client assertion.
func isJWTAuth(method string) bool {
	return method == AuthClientSecretJWT || method == AuthPrivateKeyJWT
}

// ParseClientKey parses a client's private key for private_key_jwt: a PEM block
// (PKCS #8 "PRIVATE KEY", PKCS #1 "RSA PRIVATE KEY" or SEC 1 "EC PRIVATE KEY") or a
// private JWK (RFC 7517). RSA (at least 2048 bits), P-256 and Ed25519 keys are accepted.
func ParseClientKey(data []byte) (*jose.JSONWebKey, error) {
	var key any
	if block, _ := pem.Decode(data); block != nil {
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("a PEM %q block is not a private key (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("the PEM private key does not parse: %v", err)
		}
		jwk := &jose.JSONWebKey{Key: key}
		if _, err := assertionAlg(jwk); err != nil {
			return nil, err
		}
		return jwk, nil
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(data, &jwk); err != nil {
		return nil, fmt.Errorf("neither a PEM private key nor a JWK: %v", err)
	}
	if jwk.IsPublic() {
		return nil, errors.New("the JWK is a public key: private_key_jwt signs with the private key (the provider holds the public one)")
	}
	if _, err := assertionAlg(&jwk); err != nil {
		return nil, err
	}
	return &jwk, nil
}

// assertionAlg picks the signature algorithm for a private key.
func assertionAlg(k *jose.JSONWebKey) (jose.SignatureAlgorithm, error) {
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		if key.N.BitLen() < 2048 {
			return "", fmt.Errorf("an RSA key of %d bits is too small (RFC 7518 §3.3: at least 2048)", key.N.BitLen())
		}
		if k.Algorithm == string(jose.PS256) {
			return jose.PS256, nil
		}
		return jose.RS256, nil
	case *ecdsa.PrivateKey:
		if key.Curve != elliptic.P256() {
			return "", fmt.Errorf("an EC key on %s: only P-256 (ES256) is supported", key.Curve.Params().Name)
		}
		return jose.ES256, nil
	case ed25519.PrivateKey:
		return jose.EdDSA, nil
	}
	return "", fmt.Errorf("a %T key cannot sign a client assertion (RSA, P-256 or Ed25519)", k.Key)
}

// normaliseJWTAuth checks what a JWT client authentication method needs.
func normaliseJWTAuth(cfg *Config) error {
	c := &cfg.Client
	switch c.AuthMethod {
	case AuthClientSecretJWT:
		if c.Secret == "" {
			return configErr("Client.Secret", "client_secret_jwt signs the assertion with the client secret (HS256): give the secret")
		}
	case AuthPrivateKeyJWT:
		if len(c.PrivateKey) == 0 {
			return configErr("Client.PrivateKey", "private_key_jwt signs the assertion with the client's private key: give it (PEM or JWK)")
		}
		if _, err := ParseClientKey(c.PrivateKey); err != nil {
			return configErr("Client.PrivateKey", "%v", err)
		}
	}
	return nil
}

// clientAssertion builds and signs a client assertion for aud (RFC 7523 §3): iss and
// sub are the client_id, aud the endpoint it is sent to, a fresh jti, iat now and a
// short exp.
func (e *engine) clientAssertion(aud string) (string, error) {
	c := e.cfg.Client
	var sk jose.SigningKey
	opts := (&jose.SignerOptions{}).WithType("JWT")
	switch c.AuthMethod {
	case AuthClientSecretJWT:
		sk = jose.SigningKey{Algorithm: jose.HS256, Key: []byte(c.Secret)}
	case AuthPrivateKeyJWT:
		jwk, err := ParseClientKey(c.PrivateKey)
		if err != nil {
			return "", err
		}
		alg, _ := assertionAlg(jwk)
		sk = jose.SigningKey{Algorithm: alg, Key: jwk.Key}
		kid := c.KeyID
		if kid == "" {
			kid = jwk.KeyID
		}
		if kid != "" {
			opts = opts.WithHeader("kid", kid)
		}
	default:
		return "", fmt.Errorf("%s does not use a client assertion", c.AuthMethod)
	}
	jti, err := e.randomValue(16)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		return "", err
	}
	now := e.now()
	claims := jwt.Claims{
		Issuer: c.ID, Subject: c.ID, Audience: jwt.Audience{aud}, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// addAssertion lists the client_id and a fresh client assertion for aud on r
// (RFC 7523 §2.2). If the assertion cannot be built the value is left empty and the
// note says why: the provider's answer then shows what a missing assertion gets.
func (e *engine) addAssertion(r *record.Request, aud string) {
	c := e.cfg.Client
	how := pick(c.AuthMethod == AuthClientSecretJWT, "HS256 keyed with the client secret", "the client's private key")
	r.Params = append(r.Params,
		record.Param{Name: "client_id", Value: c.ID, Note: "identifies the client; the assertion proves it (RFC 7523 §3: iss = sub = client_id)"},
		record.Param{Name: "client_assertion_type", Value: ClientAssertionType, Note: "a JWT bearer assertion (RFC 7523 §2.2)"})
	a, err := e.clientAssertion(aud)
	note := "a JWT signed with " + how + ", for aud " + aud + ", valid " + assertionLifetime.String() + ", single use (RFC 7523 §3)"
	if err != nil {
		note = "could not be built: " + err.Error()
	}
	r.Params = append(r.Params, record.Param{Name: "client_assertion", Value: a, Note: note})
}

// assertionArtifact records the client assertion a request carried, decoded (not
// verified: only the provider holds the key that checks it).
func (e *engine) assertionArtifact(b *builder, req record.Request) {
	a := req.Get("client_assertion")
	if a == "" {
		return
	}
	tok := token.Decode(a, e.now())
	b.artifact(record.Artifact{Name: "client_assertion", Value: a, Token: tok,
		Note: "the client authenticated with " + pick(req.AuthMethod == "", e.cfg.Client.AuthMethod, req.AuthMethod) +
			" (RFC 7523 §2.2): a JWT with iss = sub = client_id, aud = the endpoint, a unique jti and a short exp; " +
			"decoded here, verified by the provider"})
}
