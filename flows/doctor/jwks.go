package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oauthx/oauthx/flows/record"
)

// Key is one entry of a JWK Set as the doctor sees it.
type Key struct {
	Index   int    `json:"index"`
	Kid     string `json:"kid,omitempty"`
	Kty     string `json:"kty"`
	Use     string `json:"use,omitempty"`
	Alg     string `json:"alg,omitempty"`
	Crv     string `json:"crv,omitempty"`
	Bits    int    `json:"bits,omitempty"` // RSA modulus size
	Private bool   `json:"private,omitempty"`
	// Err says why the key could not be parsed; the key is unusable.
	Err string `json:"error,omitempty"`
}

func (k Key) label() string {
	s := fmt.Sprintf("key %d", k.Index)
	if k.Kid != "" {
		s += fmt.Sprintf(" (kid %q)", k.Kid)
	}
	return s
}

// signing reports whether the key may be used to verify signatures.
func (k Key) signing() bool { return k.Err == "" && (k.Use == "" || k.Use == "sig") && k.Kty != "oct" }

// ParseJWKS reads a JWK Set document (RFC 7517 §5) key by key. It fails only when
// the document is not a JSON object with a "keys" array; each key's problems are in
// its Err.
func ParseJWKS(body []byte) ([]Key, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v (starts with %s)", err, quoteStart(body))
	}
	if doc.Keys == nil {
		return nil, errors.New(`no "keys" array: a JWK Set is {"keys": [...]}`)
	}
	if len(*doc.Keys) > maxMembers {
		return nil, fmt.Errorf("%d keys is not a key set", len(*doc.Keys))
	}
	var keys []Key
	for i, raw := range *doc.Keys {
		k := Key{Index: i}
		var meta struct {
			Kid any    `json:"kid"`
			Kty string `json:"kty"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			Crv string `json:"crv"`
			D   any    `json:"d"`
			K   any    `json:"k"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			k.Err = "not a JSON object with string members: " + err.Error()
			keys = append(keys, k)
			continue
		}
		k.Kty, k.Use, k.Alg, k.Crv = meta.Kty, meta.Use, meta.Alg, meta.Crv
		switch kid := meta.Kid.(type) {
		case string:
			k.Kid = kid
		case nil:
		default:
			k.Err = "kid is not a string"
		}
		k.Private = meta.D != nil || (meta.Kty == "oct" && meta.K != nil)
		if k.Err == "" {
			var jwk jose.JSONWebKey
			if err := jwk.UnmarshalJSON(raw); err != nil {
				k.Err = err.Error()
			} else {
				switch pk := jwk.Key.(type) {
				case *rsa.PublicKey:
					k.Bits = pk.N.BitLen()
				case *rsa.PrivateKey:
					k.Bits = pk.N.BitLen()
				case *ecdsa.PublicKey:
					k.Crv = pk.Curve.Params().Name
				case *ecdsa.PrivateKey:
					k.Crv = pk.Curve.Params().Name
				case ed25519.PublicKey, ed25519.PrivateKey:
					k.Crv = "Ed25519"
				}
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// algKty gives the key type and curve an algorithm needs (RFC 7518 §3.1, RFC 8037).
func algKty(alg string) (kty, crv string, sig bool) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return "RSA", "", true
	case "ES256":
		return "EC", "P-256", true
	case "ES384":
		return "EC", "P-384", true
	case "ES512":
		return "EC", "P-521", true
	case "ES256K":
		return "EC", "secp256k1", true
	case "EdDSA", "Ed25519":
		return "OKP", "", true
	case "HS256", "HS384", "HS512":
		return "oct", "", true
	case "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512", "RSA1_5":
		return "RSA", "", false
	case "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW":
		return "EC", "", false
	}
	return "", "", false
}

// fits reports whether k can verify alg.
func (k Key) fits(alg string) bool {
	kty, crv, sig := algKty(alg)
	if !sig || !k.signing() || k.Kty != kty {
		return false
	}
	if crv != "" && k.Crv != "" && k.Crv != crv {
		return false
	}
	return k.Alg == "" || k.Alg == alg
}

// keyChecks fetches the JWK Set and checks its keys.
func (r *run) keyChecks(ctx context.Context) {
	if r.meta.JWKSURI == "" {
		r.noKeySet()
		return
	}
	f := r.get(ctx, r.meta.JWKSURI, "application/jwk-set+json, application/json")
	if f.err != nil || f.status != http.StatusOK || looksHTML(f) {
		r.analyzeKeys(nil, f.describe())
		return
	}
	if _, err := ParseJWKS(f.body); err != nil {
		r.analyzeKeys(nil, f.describe()+": "+err.Error())
		return
	}
	r.analyzeKeys(f.body, "")
}

// keyCheckIDs are the key checks, in order.
var keyCheckIDs = []string{"jwks-fetched", "jwks-usable-keys", "jwks-key-consistency", "jwks-rsa-size",
	"jwks-no-private-keys", "jwks-unique-kids", "jwks-alg-coverage"}

const jwksSpec = "OIDC Discovery §3; RFC 7517 §5"

func (r *run) skipKeys(ids []string, reason string) {
	for _, id := range ids {
		r.skip(GroupKeys, id, keyCheckName(id), SeverityError, jwksSpec, reason)
	}
}

func (r *run) noKeySet() {
	if r.variant == "openid" {
		r.skipKeys(keyCheckIDs, "no jwks_uri (reported under required members)")
	} else {
		r.skipKeys(keyCheckIDs, "no jwks_uri: the provider publishes no keys (optional in RFC 8414)")
	}
}

// analyzeKeys checks a fetched key set; fetchProblem says why there is none.
func (r *run) analyzeKeys(body []byte, fetchProblem string) {
	const fetchSpec = jwksSpec
	m := r.meta
	var keys []Key
	if fetchProblem == "" {
		var err error
		if keys, err = ParseJWKS(body); err != nil {
			fetchProblem = err.Error()
		}
	}
	if fetchProblem != "" {
		r.result(GroupKeys, "jwks-fetched", keyCheckName("jwks-fetched"), SeverityError, false, fetchSpec,
			record.Check{Expected: "a JWK Set at " + m.JWKSURI, Actual: "none", Reason: fetchProblem + "; ID token signatures cannot be verified"})
		r.skipKeys(keyCheckIDs[1:], "no key set")
		return
	}
	r.result(GroupKeys, "jwks-fetched", keyCheckName("jwks-fetched"), SeverityError, true, fetchSpec,
		record.Check{Actual: fmt.Sprintf("%d keys from %s", len(keys), m.JWKSURI)})

	// At least one usable signing key.
	var usable, unusable []string
	for _, k := range keys {
		switch {
		case k.Err != "":
			unusable = append(unusable, k.label()+": "+k.Err)
		case k.signing():
			usable = append(usable, describeKey(k))
		}
	}
	r.result(GroupKeys, "jwks-usable-keys", keyCheckName("jwks-usable-keys"), SeverityError, len(usable) > 0, "RFC 7517 §4, §5",
		record.Check{Expected: "at least one signing key", Actual: joinOr(usable, "none"),
			Reason: strings.Join(unusable, "; ")})

	// use, alg and kty agree (RFC 7517 §4.2–4.4, RFC 7518 §3.1).
	var inconsistent []string
	for _, k := range keys {
		if k.Err != "" {
			continue
		}
		if k.Use != "" && k.Use != "sig" && k.Use != "enc" {
			inconsistent = append(inconsistent, fmt.Sprintf("%s: unknown use %q", k.label(), k.Use))
		}
		if k.Alg == "" {
			continue
		}
		kty, crv, sig := algKty(k.Alg)
		switch {
		case kty == "":
			inconsistent = append(inconsistent, fmt.Sprintf("%s: unknown alg %q", k.label(), k.Alg))
		case kty != k.Kty:
			inconsistent = append(inconsistent, fmt.Sprintf("%s: alg %s needs kty %s, the key is %s", k.label(), k.Alg, kty, k.Kty))
		case crv != "" && k.Crv != "" && crv != k.Crv:
			inconsistent = append(inconsistent, fmt.Sprintf("%s: alg %s needs curve %s, the key is on %s", k.label(), k.Alg, crv, k.Crv))
		case sig && k.Use == "enc", !sig && k.Use == "sig":
			inconsistent = append(inconsistent, fmt.Sprintf("%s: alg %s does not go with use %q", k.label(), k.Alg, k.Use))
		}
	}
	r.result(GroupKeys, "jwks-key-consistency", keyCheckName("jwks-key-consistency"), SeverityError, len(inconsistent) == 0,
		"RFC 7517 §4.2–4.4; RFC 7518 §3.1",
		record.Check{Actual: joinOr(inconsistent, "consistent"),
			Reason: unless(len(inconsistent) == 0, "clients reject or mis-select such keys")})

	// RSA ≥ 2048 bits (RFC 7518 §3.3).
	var small []string
	for _, k := range keys {
		if k.Err == "" && k.Kty == "RSA" && k.Bits > 0 && k.Bits < 2048 {
			small = append(small, fmt.Sprintf("%s: %d bits", k.label(), k.Bits))
		}
	}
	r.result(GroupKeys, "jwks-rsa-size", keyCheckName("jwks-rsa-size"), SeverityError, len(small) == 0, "RFC 7518 §3.3",
		record.Check{Expected: "2048 bits or more", Actual: joinOr(small, "all RSA keys large enough"),
			Reason: unless(len(small) == 0, "a key smaller than 2048 bits MUST NOT be used with RS256 and friends; go-jose and others refuse it")})

	// No private key material.
	var private []string
	for _, k := range keys {
		if k.Private {
			private = append(private, k.label())
		}
	}
	r.result(GroupKeys, "jwks-no-private-keys", keyCheckName("jwks-no-private-keys"), SeverityError, len(private) == 0, "RFC 7517 §5; RFC 7518 §6.3.2",
		record.Check{Actual: joinOr(private, "public keys only"),
			Reason: unless(len(private) == 0, "the key set publishes private or symmetric key material: anyone can sign tokens with it; rotate these keys now")})

	// Unique kids; a kid on every key when there are several (RFC 7517 §4.5).
	seen := map[string]int{}
	var dups []string
	noKid := 0
	signing := 0
	for _, k := range keys {
		if k.Err != "" {
			continue
		}
		if k.signing() {
			signing++
		}
		if k.Kid == "" {
			noKid++
			continue
		}
		seen[k.Kid]++
		if seen[k.Kid] == 2 {
			dups = append(dups, fmt.Sprintf("%q", k.Kid))
		}
	}
	sev, ok, reason := SeverityError, len(dups) == 0, ""
	switch {
	case len(dups) > 0:
		reason = "several keys share a kid: clients cannot tell which key signed a token (kids may repeat only for keys of different kty)"
		if sameKidDifferentKty(keys, dups) {
			sev = SeverityWarning
		}
	case noKid > 0 && signing > 1:
		sev, ok = SeverityWarning, false
		reason = fmt.Sprintf("%d keys have no kid: with several keys, clients must try each one", noKid)
	}
	r.result(GroupKeys, "jwks-unique-kids", keyCheckName("jwks-unique-kids"), sev, ok, "RFC 7517 §4.5; OIDC Core §10.1",
		record.Check{Actual: joinOr(dups, "unique"), Reason: reason})

	// Every advertised ID token signing algorithm has a key.
	var uncovered []string
	checked := 0
	for _, alg := range m.IDTokenSigningAlgValuesSupported {
		kty, _, sig := algKty(alg)
		if !sig || kty == "oct" {
			continue // none is checked elsewhere; HS* use the client secret, not the key set
		}
		checked++
		if !slices.ContainsFunc(keys, func(k Key) bool { return k.fits(alg) }) {
			uncovered = append(uncovered, alg)
		}
	}
	if checked == 0 {
		r.skip(GroupKeys, "jwks-alg-coverage", keyCheckName("jwks-alg-coverage"), SeverityError, "OIDC Discovery §3; OIDC Core §10.1",
			"no asymmetric ID token signing algorithms advertised")
		return
	}
	r.result(GroupKeys, "jwks-alg-coverage", keyCheckName("jwks-alg-coverage"), SeverityError, len(uncovered) == 0,
		"OIDC Discovery §3; OIDC Core §10.1",
		record.Check{Expected: strings.Join(m.IDTokenSigningAlgValuesSupported, " "), Actual: joinOr(uncovered, "all covered"),
			Reason: unless(len(uncovered) == 0, "no key in the set can verify "+strings.Join(uncovered, ", ")+": tokens signed so cannot be verified")})
}

func sameKidDifferentKty(keys []Key, dups []string) bool {
	for _, d := range dups {
		ktys := map[string]int{}
		for _, k := range keys {
			if fmt.Sprintf("%q", k.Kid) == d {
				ktys[k.Kty]++
			}
		}
		for _, n := range ktys {
			if n > 1 {
				return false
			}
		}
	}
	return true
}

func describeKey(k Key) string {
	s := k.label() + " " + k.Kty
	if k.Bits > 0 {
		s += fmt.Sprintf(" %d", k.Bits)
	}
	if k.Crv != "" {
		s += " " + k.Crv
	}
	if k.Alg != "" {
		s += " " + k.Alg
	}
	return s
}

func keyCheckName(id string) string {
	switch id {
	case "jwks-fetched":
		return "key set (jwks_uri) fetched"
	case "jwks-usable-keys":
		return "key set has usable signing keys"
	case "jwks-key-consistency":
		return "use, alg and kty of each key agree"
	case "jwks-rsa-size":
		return "RSA keys are 2048 bits or more"
	case "jwks-no-private-keys":
		return "no private key material published"
	case "jwks-unique-kids":
		return "kids are unique"
	case "jwks-alg-coverage":
		return "every ID token signing algorithm has a key"
	}
	return id
}
