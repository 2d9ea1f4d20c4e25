package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testKey is a signing key generated for one test.
type testKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv any
	pub  jose.JSONWebKey
}

var (
	rsaOnce sync.Once
	rsaPool []*rsa.PrivateKey
)

// rsaKey returns one of a few RSA-2048 keys generated once per test binary: RSA key
// generation costs ~45 ms, and tests that need a distinct key ask for a distinct index.
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaPool = append(rsaPool, k)
		}
	})
	return rsaPool[i%len(rsaPool)]
}

// newKey generates a key for alg. RSA keys come from a small per-binary pool (index
// n); EC and Ed25519 keys are fresh each time.
func newKey(t testing.TB, kid string, alg jose.SignatureAlgorithm, n ...int) testKey {
	t.Helper()
	var priv, pub any
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		i := 0
		if len(n) > 0 {
			i = n[0]
		}
		k := rsaKey(t, i)
		priv, pub = k, &k.PublicKey
	case jose.ES256, jose.ES384, jose.ES512:
		curve := map[jose.SignatureAlgorithm]elliptic.Curve{jose.ES256: elliptic.P256(), jose.ES384: elliptic.P384(), jose.ES512: elliptic.P521()}[alg]
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	case jose.EdDSA:
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, p
	default:
		t.Fatalf("newKey: no %s", alg)
	}
	return testKey{kid: kid, alg: alg, priv: priv, pub: jose.JSONWebKey{Key: pub, KeyID: kid, Use: "sig"}}
}

// sign signs claims with k through go-jose, with extra header parameters.
func sign(t testing.TB, k testKey, claims map[string]any, extra map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for name, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	key := jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}
	if k.kid == "" {
		key.Key = k.priv
	}
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// compact builds a compact serialisation by hand, for tokens go-jose will not make
// (alg none, odd headers).
func compact(t testing.TB, header, claims any, sig string) string {
	t.Helper()
	enc := func(v any) string {
		b, ok := v.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + "." + sig
}

// jwksServer serves a JWK Set that a test can change, and counts the fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32
	body    atomic.Pointer[[]byte]
	ctype   atomic.Pointer[string]
	status  atomic.Int32
}

func serveJWKS(t testing.TB, keys ...testKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.setKeys(t, keys...)
	ct := "application/json"
	s.ctype.Store(&ct)
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		s.fetches.Add(1)
		w.Header().Set("Content-Type", *s.ctype.Load())
		w.WriteHeader(int(s.status.Load()))
		w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) url() string { return s.URL + "/jwks" }

func (s *jwksServer) setKeys(t testing.TB, keys ...testKey) {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.pub)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store(&b)
}

func (s *jwksServer) setBody(body, ctype string) {
	b := []byte(body)
	s.body.Store(&b)
	s.ctype.Store(&ctype)
}

func signJWT(t testing.TB, signer jose.Signer, claims map[string]any) string {
	t.Helper()
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
