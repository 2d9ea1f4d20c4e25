package token

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxJWKSBody bounds the key set read when the client's transport does not (httprec
// does, at 4 MiB). Real key sets are a few KiB.
const maxJWKSBody = 1 << 20

// JWKS is a provider's JSON Web Key Set (RFC 7517 §5), fetched from its jwks_uri.
//
// It fetches the set once, on first use, and again at most once more when a token names
// a kid the set does not have (the provider may have rotated its keys, OIDC Core
// §10.1.1). So one JWKS per flow costs at most two fetches, whatever the tokens say. It
// records nothing itself: it uses the http.Client it is given, which the engine wraps
// with httprec so the fetches show up in the step's exchanges. A failed fetch is not
// remembered: the next call tries again (and counts as a fetch).
//
// A JWKS is safe for concurrent use.
type JWKS struct {
	url    string
	client *http.Client

	mu        sync.Mutex
	set       *jose.JSONWebKeySet
	notes     []string
	fetches   int
	refetched bool
}

// NewJWKS returns a key set to be fetched from url with client (nil means a client with
// the default transport and a 30 s timeout).
func NewJWKS(url string, client *http.Client) *JWKS {
	return &JWKS{url: url, client: client}
}

// NewStaticJWKS returns a key set that is never fetched, parsed from a JWK Set document
// (for `oauthx decode --jwks FILE` and tests). A kid it lacks is simply unknown.
func NewStaticJWKS(doc []byte) (*JWKS, error) {
	set, notes, err := ParseJWKS(doc)
	if err != nil {
		return nil, err
	}
	return &JWKS{set: set, notes: notes, refetched: true}, nil
}

// URL returns where the set is fetched from ("" for a static set).
func (j *JWKS) URL() string { return j.url }

// Fetches returns how many times the set was fetched so far.
func (j *JWKS) Fetches() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fetches
}

// Notes returns what was noticed while parsing the set: keys skipped because they are
// not signing keys or not usable. The slice is a copy.
func (j *JWKS) Notes() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.notes)
}

// Keys returns the key set, fetching it on first use.
func (j *JWKS) Keys(ctx context.Context) (*jose.JSONWebKeySet, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.set == nil {
		if err := j.fetchLocked(ctx); err != nil {
			return nil, err
		}
	}
	return j.set, nil
}

// Key returns the key that verifies a token signed with alg whose header names kid.
//
// When the set has no key with that kid, it is fetched once more (only once in the
// life of j) in case the provider rotated its keys. An empty kid is accepted only when
// the set has exactly one key usable with alg (OIDC Core §10.1: with several keys the
// kid is required). Errors say what is wrong: the document is not JSON, has no keys, has
// two signing keys with the kid, the key's type does not fit alg, or the kid is still
// unknown after the refetch (listing the kids the set has).
func (j *JWKS) Key(ctx context.Context, kid, alg string) (*jose.JSONWebKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.set == nil {
		if err := j.fetchLocked(ctx); err != nil {
			return nil, err
		}
	}
	if kid == "" {
		return j.onlyKeyLocked(alg)
	}
	if !hasKid(j.set, kid) && !j.refetched {
		j.refetched = true
		if err := j.fetchLocked(ctx); err != nil {
			return nil, fmt.Errorf("kid %q not in the key set, and fetching it again failed: %w", kid, err)
		}
	}
	if !hasKid(j.set, kid) {
		where := "the key set"
		if j.url != "" {
			where = j.url
		}
		again := ""
		if j.url != "" {
			again = ", even after fetching it again (OIDC Core §10.1.1)"
		}
		return nil, fmt.Errorf("no key with kid %q in %s%s; it has %s", kid, where, again, listKids(j.set))
	}
	return pickKey(j.set.Key(kid), kid, alg)
}

// onlyKeyLocked handles a token without a kid.
func (j *JWKS) onlyKeyLocked(alg string) (*jose.JSONWebKey, error) {
	var fit []jose.JSONWebKey
	for _, k := range j.set.Keys {
		if keyFits(k, alg) == nil {
			fit = append(fit, k)
		}
	}
	switch len(fit) {
	case 1:
		return &fit[0], nil
	case 0:
		return nil, fmt.Errorf("the token has no kid and the key set has no key usable with %s; it has %s", alg, listKids(j.set))
	}
	return nil, fmt.Errorf("the token has no kid, but the key set has %d keys usable with %s, so it cannot say which signed it (OIDC Core §10.1)", len(fit), alg)
}

// pickKey chooses among the keys that share a kid the one that fits alg.
func pickKey(keys []jose.JSONWebKey, kid, alg string) (*jose.JSONWebKey, error) {
	var fit []jose.JSONWebKey
	var why error
	for _, k := range keys {
		if err := keyFits(k, alg); err != nil {
			why = err
			continue
		}
		fit = append(fit, k)
	}
	switch len(fit) {
	case 1:
		return &fit[0], nil
	case 0:
		return nil, fmt.Errorf("key kid=%s cannot verify %s: %w", kid, alg, why)
	}
	return nil, fmt.Errorf("the key set has %d signing keys with kid %q that fit %s; a kid must pick one key (RFC 7517 §4.5)", len(fit), kid, alg)
}

// keyFits reports why key k cannot verify a signature made with alg, or nil.
func keyFits(k jose.JSONWebKey, alg string) error {
	if k.Algorithm != "" && k.Algorithm != alg {
		return fmt.Errorf("the key is declared for %s (its \"alg\"), not %s (RFC 7517 §4.4, RFC 8725 §3.1)", k.Algorithm, alg)
	}
	have := keyKind(k.Key)
	want := ""
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		want = "RSA"
	case alg == "ES256":
		want = "EC P-256"
	case alg == "ES384":
		want = "EC P-384"
	case alg == "ES512":
		want = "EC P-521"
	case alg == "EdDSA" || alg == "Ed25519":
		want = "OKP Ed25519"
	case strings.HasPrefix(alg, "HS"):
		want = "oct"
	default:
		return fmt.Errorf("algorithm %q is not one oauthx verifies", alg)
	}
	if have != want {
		return fmt.Errorf("it is an %s key, and %s needs an %s key", have, alg, want)
	}
	return nil
}

// keyKind names a public key's type as JWK does: "RSA", "EC P-256", "OKP Ed25519", "oct".
func keyKind(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + curveName(k.Curve)
	case *ecdsa.PrivateKey:
		return "EC " + curveName(k.Curve)
	case ed25519.PublicKey, ed25519.PrivateKey:
		return "OKP Ed25519"
	case []byte:
		return "oct"
	}
	return fmt.Sprintf("%T", key)
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "unknown curve"
	}
	return c.Params().Name
}

func hasKid(set *jose.JSONWebKeySet, kid string) bool {
	return set != nil && len(set.Key(kid)) > 0
}

func listKids(set *jose.JSONWebKeySet) string {
	if set == nil || len(set.Keys) == 0 {
		return "no keys"
	}
	var kids []string
	for _, k := range set.Keys {
		name := k.KeyID
		if name == "" {
			name = "(no kid)"
		}
		kids = append(kids, fmt.Sprintf("%s [%s]", name, keyKind(k.Key)))
	}
	return "kids " + strings.Join(kids, ", ")
}

// fetchLocked fetches and parses the set; j.mu must be held.
func (j *JWKS) fetchLocked(ctx context.Context) error {
	if j.url == "" {
		return errors.New("no jwks_uri to fetch the provider's keys from")
	}
	j.fetches++
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("bad jwks_uri %q: %w", j.url, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	client := j.client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var t interface{ Timeout() bool }
		if errors.As(err, &t) && t.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("timed out fetching the key set from %s: %w", j.url, err)
		}
		return fmt.Errorf("fetching the key set from %s: %w", j.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return fmt.Errorf("reading the key set from %s: %w", j.url, err)
	}
	if len(body) > maxJWKSBody {
		return fmt.Errorf("the key set at %s is larger than %d KiB; refused", j.url, maxJWKSBody>>10)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching the key set from %s: HTTP %d %s, expected 200 (%s)", j.url, resp.StatusCode, http.StatusText(resp.StatusCode), snippet(body))
	}
	set, notes, err := ParseJWKS(body)
	if err != nil {
		ct := resp.Header.Get("Content-Type")
		if mt, _, _ := mime.ParseMediaType(ct); ct != "" && !strings.Contains(mt, "json") {
			err = fmt.Errorf("%w (served as %s)", err, ct)
		}
		return fmt.Errorf("the key set at %s: %w", j.url, err)
	}
	j.set, j.notes = set, notes
	return nil
}

// ParseJWKS parses a JWK Set document (RFC 7517 §5). Keys that cannot verify
// signatures (encryption keys, private keys published by mistake are reduced to their
// public part, unsupported key types) are skipped and described in notes, so one odd key
// does not make a provider's whole set unusable. It is an error when the document is
// not JSON, has no "keys" array, or has no usable key.
func ParseJWKS(doc []byte) (*jose.JSONWebKeySet, []string, error) {
	if err := checkDepth(doc, MaxDepth); err != nil {
		return nil, nil, fmt.Errorf("the document %w", err)
	}
	var raw struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %s (%s)", jsonProblem(err, doc), snippet(doc))
	}
	if raw.Keys == nil {
		return nil, nil, errors.New(`no "keys" member: a JWK Set is {"keys": [...]} (RFC 7517 §5)`)
	}
	if len(*raw.Keys) == 0 {
		return nil, nil, errors.New(`"keys" is empty: the provider publishes no keys`)
	}
	set := &jose.JSONWebKeySet{}
	var notes []string
	for i, rk := range *raw.Keys {
		var meta struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
			Use string `json:"use"`
		}
		_ = json.Unmarshal(rk, &meta)
		name := fmt.Sprintf("key %d (kid %q, kty %q)", i, meta.Kid, meta.Kty)
		if meta.Use != "" && meta.Use != "sig" {
			notes = append(notes, fmt.Sprintf("%s skipped: \"use\": %q, not a signing key", name, meta.Use))
			continue
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(rk); err != nil {
			notes = append(notes, fmt.Sprintf("%s skipped: %v", name, err))
			continue
		}
		if _, sym := k.Key.([]byte); sym {
			notes = append(notes, name+" skipped: a symmetric key has no place in a public key set")
			continue
		}
		if !k.IsPublic() {
			notes = append(notes, name+" is a PRIVATE key published in a public key set; only its public part is used")
			k = k.Public()
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return nil, notes, fmt.Errorf("no usable signing key: %s", strings.Join(notes, "; "))
	}
	return set, notes, nil
}

// snippet shows the start of a body in an error message.
func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "empty body"
	}
	const max = 80
	s := string(b)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("body starts %q", s)
}
