package mockidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	"github.com/go-jose/go-jose/v4"
)

// keyCacheFile is the name of the PEM file under Options.KeyCacheDir.
const keyCacheFile = "mockidp-signing-keys.pem"

// signingKey is one private key with its JWK identity.
type signingKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

// keySet holds one signing key per algorithm and the public JWKS document.
type keySet struct {
	byAlg map[string]*signingKey
	jwks  []byte // RFC 7517 §5 JWK Set, served at /jwks
}

// loadOrGenerateKeys reads the keys from dir when possible, else generates
// them (RSA-2048, P-256, Ed25519) and, when dir is set, writes them there
// with mode 0600.
func loadOrGenerateKeys(dir string) (*keySet, error) {
	if dir != "" {
		if ks, err := readKeyCache(filepath.Join(dir, keyCacheFile)); err == nil {
			return ks, nil
		}
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	privs := []crypto.Signer{rsaKey, ecKey, edKey}
	if dir != "" {
		// A cache that cannot be written is not fatal: the keys still work.
		_ = writeKeyCache(dir, privs)
	}
	return newKeySet(privs)
}

func readKeyCache(path string) (*keySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var privs []crypto.Signer
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("not a signing key")
		}
		privs = append(privs, s)
	}
	ks, err := newKeySet(privs)
	if err != nil {
		return nil, err
	}
	if len(ks.byAlg) != len(knownAlgs) {
		return nil, errors.New("key cache incomplete")
	}
	return ks, nil
}

func writeKeyCache(dir string, privs []crypto.Signer) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var out []byte
	for _, p := range privs {
		der, err := x509.MarshalPKCS8PrivateKey(p)
		if err != nil {
			return err
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
	}
	tmp, err := os.CreateTemp(dir, keyCacheFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, keyCacheFile))
}

func newKeySet(privs []crypto.Signer) (*keySet, error) {
	ks := &keySet{byAlg: map[string]*signingKey{}}
	var pub jose.JSONWebKeySet
	for _, p := range privs {
		var alg string
		switch k := p.(type) {
		case *rsa.PrivateKey:
			alg = AlgRS256
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				return nil, errors.New("only P-256 ECDSA keys are supported")
			}
			alg = AlgES256
		case ed25519.PrivateKey:
			alg = AlgEdDSA
		default:
			return nil, fmt.Errorf("unsupported key type %T", p)
		}
		jwk := jose.JSONWebKey{Key: p.Public(), Algorithm: alg, Use: "sig"}
		tp, err := jwk.Thumbprint(crypto.SHA256) // RFC 7638
		if err != nil {
			return nil, err
		}
		jwk.KeyID = fmt.Sprintf("%s-%s", lowerAlg(alg), base64.RawURLEncoding.EncodeToString(tp)[:12])
		ks.byAlg[alg] = &signingKey{alg: alg, kid: jwk.KeyID, priv: p}
		pub.Keys = append(pub.Keys, jwk)
	}
	b, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	ks.jwks = b
	return ks, nil
}

func lowerAlg(a string) string {
	switch a {
	case AlgRS256:
		return "rs256"
	case AlgES256:
		return "es256"
	default:
		return "eddsa"
	}
}

// sign produces a JWS compact serialisation (RFC 7515 §7.1) of claims with
// header {alg, kid, typ}. This is mockidp's own JOSE code on purpose: it must
// not share helpers with the client it is an oracle for.
func (k *signingKey) sign(typ, kid string, claims any) (string, error) {
	hdr := map[string]string{"alg": k.alg, "kid": kid, "typ": typ}
	return signCompact(k, hdr, claims)
}

func signCompact(k *signingKey, hdr map[string]string, claims any) (string, error) {
	hb, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := make([]byte, 0, enc.EncodedLen(len(hb))+enc.EncodedLen(len(cb))+400)
	input = enc.AppendEncode(input, hb)
	input = append(input, '.')
	input = enc.AppendEncode(input, cb)
	if k == nil { // alg none (RFC 7518 §3.6): empty signature
		return string(append(input, '.')), nil
	}
	var sig []byte
	switch p := k.priv.(type) {
	case *rsa.PrivateKey: // RFC 7518 §3.3
		d := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(nil, p, crypto.SHA256, d[:])
	case *ecdsa.PrivateKey: // RFC 7518 §3.4: R || S, 32 bytes each
		d := sha256.Sum256(input)
		r, s, e := ecdsa.Sign(rand.Reader, p, d[:])
		if e != nil {
			return "", e
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case ed25519.PrivateKey: // RFC 8037 §3.1
		sig = ed25519.Sign(p, input)
	}
	if err != nil {
		return "", err
	}
	input = append(input, '.')
	input = enc.AppendEncode(input, sig)
	return string(input), nil
}

// halfHash computes at_hash / c_hash: the base64url of the left half of the
// hash of the ASCII value, with the hash of the ID token's alg (OIDC Core
// §3.1.3.6, §3.3.2.11). EdDSA with Ed25519 uses SHA-512.
func halfHash(alg, v string) string {
	var h hash.Hash
	if alg == AlgEdDSA {
		h = sha512.New()
	} else {
		h = sha256.New()
	}
	h.Write([]byte(v))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// signHS256WithPublicKey is the algorithm confusion attack (RFC 8725 §2.1):
// an HS256 JWS whose HMAC secret is the RSA public key as PEM, which anyone
// can fetch from the JWKS, with the RSA key's kid. A verifier that lets the
// header's alg decide how to use the key would accept it.
func signHS256WithPublicKey(rsaKey *signingKey, claims any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(rsaKey.priv.Public())
	if err != nil {
		return "", err
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	unsigned, err := signCompact(nil, map[string]string{"alg": "HS256", "kid": rsaKey.kid, "typ": "JWT"}, claims)
	if err != nil {
		return "", err
	}
	input := unsigned[:len(unsigned)-1] // drop the trailing "." of the unsigned form
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}
