package mockidp

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestMetadataAdvertisesWhatWorks reads the discovery document and, for every
// endpoint that authenticates clients, uses each advertised authentication
// method and each advertised assertion signing algorithm: all must get past
// client authentication (RFC 8414 §2: metadata lists what the server supports).
func TestMetadataAdvertisesWhatWorks(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: ecKey.Public(), KeyID: "ec", Use: "sig"},
		{Key: rsaKey.Public(), KeyID: "rsa", Use: "sig"},
		{Key: edKey.Public(), KeyID: "ed", Use: "sig"},
	}})
	const hsSecret = "metadata-test-secret-of-32-bytes-or-more"
	cfg := &Config{
		Clients: []Client{
			{ID: "m-secret", Secret: "m-secret-pw", AuthMethods: []string{AuthClientSecretBasic, AuthClientSecretPost}, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}},
			{ID: "m-hmac", Secret: hsSecret, AuthMethods: []string{AuthClientSecretJWT}, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}},
			{ID: "m-key", AuthMethods: []string{AuthPrivateKeyJWT}, JWKS: string(pub), GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"api:read"}},
		},
		Users: []User{{Username: "dora", Password: "dora-pw", Claims: map[string]any{"name": "Dora", "locale": "en-GB", "team": "blue"}}},
	}
	d := newIDP(t, Options{Config: cfg})
	resp, err := http.Get(d.iss + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	list := func(name string) []string {
		raw, ok := md[name].([]any)
		if !ok || len(raw) == 0 {
			t.Fatalf("%s missing from metadata", name)
		}
		var out []string
		for _, v := range raw {
			out = append(out, v.(string))
		}
		return out
	}

	// The configured user's extra claims are advertised, after the base list.
	claims := list("claims_supported")
	if !slices.Equal(claims[len(claims)-2:], []string{"locale", "team"}) {
		t.Errorf("claims_supported = %v, want the configured claims locale and team at the end", claims)
	}
	if _, ok := md["pushed_authorization_request_endpoint"].(string); !ok {
		t.Error("pushed_authorization_request_endpoint missing")
	}

	jti := 0
	assertion := func(client, aud string, alg jose.SignatureAlgorithm) string {
		var key any
		kid := ""
		switch alg {
		case jose.HS256:
			key = []byte(hsSecret)
		case jose.ES256:
			key, kid = ecKey, "ec"
		case jose.RS256, jose.PS256:
			key, kid = rsaKey, "rsa"
		case jose.EdDSA:
			key, kid = edKey, "ed"
		default:
			t.Fatalf("advertised alg %s has no test key", alg)
		}
		opts := (&jose.SignerOptions{}).WithType("JWT")
		if kid != "" {
			opts = opts.WithHeader("kid", kid)
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		jti++
		now := d.srv.Now()
		s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: client, Subject: client, Audience: jwt.Audience{aud},
			ID: fmt.Sprint("jti-", jti), Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now)}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// base is a request each endpoint answers without invalid_client once the
	// client is authenticated.
	base := map[string]url.Values{
		"token":         {"grant_type": {"refresh_token"}, "refresh_token": {"no-such-token"}},
		"introspection": {"token": {"no-such-token"}},
		"revocation":    {"token": {"no-such-token"}},
	}
	for _, ep := range []string{"token", "introspection", "revocation"} {
		path := md[ep+"_endpoint"].(string)[len(d.iss):]
		try := func(what string, form url.Values, basicID, basicSecret string) {
			t.Helper()
			for k, v := range base[ep] {
				form[k] = v
			}
			st, _, m := d.post(path, form, basicID, basicSecret)
			if st == http.StatusUnauthorized || m["error"] == "invalid_client" || st >= 500 {
				t.Errorf("%s endpoint, %s (advertised): %d %v", ep, what, st, m)
			}
		}
		for _, method := range list(ep + "_endpoint_auth_methods_supported") {
			switch method {
			case AuthClientSecretBasic:
				try(method, url.Values{}, "m-secret", "m-secret-pw")
			case AuthClientSecretPost:
				try(method, url.Values{"client_id": {"m-secret"}, "client_secret": {"m-secret-pw"}}, "", "")
			case AuthNone:
				try(method, url.Values{"client_id": {"native-app"}}, "", "")
			case AuthClientSecretJWT, AuthPrivateKeyJWT:
				client, alg := "m-hmac", jose.HS256
				if method == AuthPrivateKeyJWT {
					client, alg = "m-key", jose.ES256
				}
				try(method, url.Values{"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion(client, d.iss, alg)}}, "", "")
			default:
				t.Errorf("%s endpoint advertises %q, which this test does not know", ep, method)
			}
		}
		for _, alg := range list(ep + "_endpoint_auth_signing_alg_values_supported") {
			client := "m-key"
			if alg == "HS256" {
				client = "m-hmac"
			}
			try("assertion signed with "+alg, url.Values{"client_assertion_type": {clientAssertionType},
				"client_assertion": {assertion(client, d.iss, jose.SignatureAlgorithm(alg))}}, "", "")
		}
	}
	// The reverse: introspection does not list none, and indeed refuses it.
	if st, _, _ := d.post("/introspect", url.Values{"client_id": {"native-app"}, "token": {"x"}}, "", ""); st != http.StatusUnauthorized {
		t.Errorf("introspection with none: %d, want 401", st)
	}
}

// TestMetadataResponseTypesAndModes: every advertised response_type works in
// every advertised response_mode and returns what its name promises, except
// that query is refused for types that return tokens (Multiple Response Types
// §5). Every advertised code_challenge_method and prompt value is accepted.
func TestMetadataResponseTypesAndModes(t *testing.T) {
	t.Parallel()
	cfg := &Config{Clients: []Client{{ID: "every-type", Secret: "every-type-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
		GrantTypes: []string{GrantAuthorizationCode, GrantImplicit}, ResponseTypes: knownResponseTypes}}}
	d := newIDP(t, Options{Config: cfg})
	resp, err := http.Get(d.iss + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		ResponseTypes []string `json:"response_types_supported"`
		ResponseModes []string `json:"response_modes_supported"`
		PKCEMethods   []string `json:"code_challenge_methods_supported"`
		Prompts       []string `json:"prompt_values_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(md.ResponseTypes) == 0 || len(md.ResponseModes) == 0 || len(md.PKCEMethods) == 0 || len(md.Prompts) == 0 {
		t.Fatalf("metadata lacks a list: %+v", md)
	}
	authURL := func(extra url.Values) string {
		q := url.Values{"client_id": {"every-type"}, "redirect_uri": {cb}, "scope": {"openid profile"},
			"state": {"st"}, "nonce": {"nn"}}
		for k, v := range extra {
			q[k] = v
		}
		return d.iss + "/authorize?" + q.Encode()
	}
	c := browser(t)
	first := true
	login := func() string {
		if first {
			first = false
			return "alice"
		}
		return ""
	}
	combos := 0
	for _, rt := range md.ResponseTypes {
		for _, rm := range md.ResponseModes {
			combos++
			res := browse(t, c, authURL(url.Values{"response_type": {rt}, "response_mode": {rm}}), cb, login(), "allow")
			if rm == "query" && rt != "code" {
				if res.params.Get("error") != "invalid_request" {
					t.Errorf("%s in query: %v, want invalid_request", rt, res.params)
				}
				continue
			}
			if res.mode != rm {
				t.Errorf("%s with response_mode=%s came back by %s", rt, rm, res.mode)
			}
			if e := res.params.Get("error"); e != "" {
				t.Errorf("%s / %s: error %s: %s", rt, rm, e, res.params.Get("error_description"))
				continue
			}
			for _, part := range strings.Fields(rt) {
				name := map[string]string{"code": "code", "token": "access_token", "id_token": "id_token"}[part]
				if res.params.Get(name) == "" {
					t.Errorf("%s / %s: no %s in %v", rt, rm, name, res.params)
				}
			}
			if res.params.Get("iss") != d.iss || res.params.Get("state") != "st" {
				t.Errorf("%s / %s: iss or state missing: %v", rt, rm, res.params)
			}
		}
	}
	t.Logf("%d response type and mode combinations checked", combos)
	for _, m := range md.PKCEMethods {
		challenge := rfcChallenge
		if m == "plain" {
			challenge = rfcVerifier
		}
		res := browse(t, c, authURL(url.Values{"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {m}}), cb, "", "allow")
		if res.params.Get("code") == "" {
			t.Errorf("code_challenge_method %s: %v", m, res.params)
		}
	}
	for _, p := range md.Prompts {
		if p == "login" || p == "select_account" {
			continue // these show the login page again; other tests walk them
		}
		res := browse(t, c, authURL(url.Values{"response_type": {"code"}, "prompt": {p}}), cb, "", "allow")
		if res.params.Get("code") == "" {
			t.Errorf("prompt=%s with a session and consent: %v", p, res.params)
		}
	}
}
