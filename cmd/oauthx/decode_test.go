package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// decodeProvider is a stand-in OpenID provider: metadata and a JWKS on httptest.
type decodeProvider struct {
	srv           *httptest.Server
	key           *ecdsa.PrivateKey
	kid           string
	claimedIssuer string // what the metadata says; the server URL unless set
	jwksFetches   atomic.Int32
}

func newDecodeProvider(t *testing.T, tls bool) *decodeProvider {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &decodeProvider{key: k, kid: "ec-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := p.claimedIssuer
		if iss == "" {
			iss = p.srv.URL
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "jwks_uri": p.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksFetches.Add(1)
		w.Write(p.jwksDoc(t))
	})
	if tls {
		p.srv = httptest.NewTLSServer(mux)
	} else {
		p.srv = httptest.NewServer(mux)
	}
	t.Cleanup(p.srv.Close)
	return p
}

func (p *decodeProvider) jwksDoc(t *testing.T) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Use: "sig", Algorithm: "ES256"}}})
	if err != nil {
		t.Error(err)
	}
	return b
}

// token signs claims (iss, sub, aud, exp and iat filled in unless given) with key.
func (p *decodeProvider) token(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	return p.typedToken(t, key, "JWT", claims)
}

// typedToken is token with the given typ header.
func (p *decodeProvider) typedToken(t *testing.T, key *ecdsa.PrivateKey, typ string, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{"iss": p.srv.URL, "sub": "alice", "aud": "cli", "exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecodeCommand(t *testing.T) {
	t.Parallel()
	p := newDecodeProvider(t, false)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := p.token(t, p.key, nil)
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, p.jwksDoc(t), 0o600); err != nil {
		t.Fatal(err)
	}
	b64 := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	none := b64(map[string]any{"alg": "none"}) + "." + b64(map[string]any{"iss": p.srv.URL, "sub": "mallory"}) + "."

	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string // in stdout, in order
		wantErr  string   // in stderr
		notInOut string
	}{
		{name: "unverified decode", args: []string{good}, wantCode: exitOK,
			wantOut:  []string{"Header", "alg  ES256", "kid  ec-1", "Claims", "iss", "issuer: who issued the token", "exp", "(in 59 min)", "Signature NOT verified (no --jwks or --issuer given)"},
			notInOut: "✗"},
		{name: "token on stdin with -", args: []string{"-"}, stdin: "Bearer " + good[:40] + "\n  " + good[40:] + "\n", wantCode: exitOK,
			wantOut: []string{"sub", "alice", "Signature NOT verified"}},
		{name: "token piped without an argument", stdin: good, wantCode: exitOK, wantOut: []string{"alice"}},
		{name: "verified with --jwks URL", args: []string{"--jwks", p.srv.URL + "/jwks", good}, wantCode: exitOK,
			wantOut: []string{"fetched  GET " + p.srv.URL + "/jwks → 200", "Checks", "✓ alg allowed", "✓ kid", "✓ signature", "valid", "✓ exp", "OK: signature verified with ES256 kid=ec-1; every check passed."}},
		{name: "flags after the token", args: []string{good, "--jwks", jwksFile}, wantCode: exitOK,
			wantOut: []string{"OK: signature verified with ES256 kid=ec-1"}},
		{name: "verified with --issuer", args: []string{"--issuer", p.srv.URL, good}, wantCode: exitOK,
			wantOut: []string{"fetched  GET " + p.srv.URL + "/.well-known/openid-configuration → 200", "fetched  GET " + p.srv.URL + "/jwks → 200",
				"✓ signature", "✓ iss", "OK: signature verified"}},
		{name: "signed by another key", args: []string{"--jwks", jwksFile, p.token(t, other, nil)}, wantCode: exitFailure,
			wantOut: []string{"✗ signature", "invalid", "does not match", "FAILED: signature NOT verified"}},
		{name: "expired", args: []string{"--jwks", jwksFile, p.token(t, p.key, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})}, wantCode: exitFailure,
			wantOut: []string{"✓ signature", "✗ exp", "expected: later than", "allowing 60 s of clock skew", "expired 1 h ago", "FAILED: signature verified with ES256 kid=ec-1, but a check failed"}},
		{name: "wrong issuer", args: []string{"--issuer", p.srv.URL, p.token(t, p.key, map[string]any{"iss": "https://evil.test"})}, wantCode: exitFailure,
			wantOut: []string{"✗ iss", "https://evil.test", "expected: " + p.srv.URL}},
		{name: "alg none refused", args: []string{"--jwks", jwksFile, "--alg", "none,ES256", none}, wantCode: exitFailure,
			wantOut: []string{"alg  none", "not signed at all", "✗ alg allowed", "never accepted", "FAILED"}},
		{name: "alg none without keys says unsecured", args: []string{none}, wantCode: exitOK,
			wantOut: []string{"unsecured JWT (alg none)", "Signature NOT verified"}},
		{name: "--alg narrows the allow-list", args: []string{"--jwks", jwksFile, "--alg", "RS256", good}, wantCode: exitFailure,
			wantOut: []string{"✗ alg allowed", "expected: one of RS256"}},
		{name: "as an ID token for another client", args: []string{"--issuer", p.srv.URL, "--client-id", "web", good}, wantCode: exitFailure,
			wantOut: []string{"✓ signature", "✗ aud", "another client"}},
		{name: "as an ID token with the right nonce", args: []string{"--issuer", p.srv.URL, "--client-id", "cli", "--nonce", "n1", p.token(t, p.key, map[string]any{"nonce": "n1"})},
			wantCode: exitOK, wantOut: []string{"✓ aud", "✓ nonce", "OK"}},
		{name: "JWT access token checked per RFC 9068", args: []string{"--issuer", p.srv.URL, "--audience", "https://api.test",
			p.typedToken(t, p.key, "at+jwt", map[string]any{"aud": "https://api.test", "client_id": "cli", "jti": "j1"})},
			wantCode: exitOK, wantOut: []string{"typ  at+jwt", "✓ typ", "✓ required claims", "✓ iss", "✓ aud", "OK"}},
		{name: "JWT access token for another API", args: []string{"--jwks", jwksFile, "--audience", "https://other.test",
			p.typedToken(t, p.key, "at+jwt", map[string]any{"aud": "https://api.test"})},
			wantCode: exitFailure, wantOut: []string{"✗ required claims", "missing client_id, jti", "✗ aud", "another audience"}},
		{name: "not a JWT", args: []string{"2YotnFZFEjr1zCsicMWpAA"}, wantCode: exitUsage, wantErr: "not a JWT. opaque token"},
		{name: "malformed JWT", args: []string{"eyJhbGciOiJSUzI1NiJ9.e30+.x"}, wantCode: exitUsage,
			wantErr: "malformed JWT: payload is not valid base64url"},
		{name: "bad flag", args: []string{"--nope", good}, wantCode: exitUsage, wantErr: "flag provided but not defined"},
		{name: "two tokens", args: []string{good, good}, wantCode: exitUsage, wantErr: "one token at a time"},
		{name: "--jwks neither URL nor file", args: []string{"--jwks", "/no/such/file", good}, wantCode: exitUsage, wantErr: "not a readable file"},
		{name: "--nonce without --client-id", args: []string{"--nonce", "x", good}, wantCode: exitUsage, wantErr: "--nonce needs --client-id"},
		{name: "empty stdin", args: []string{"-"}, stdin: " \n", wantCode: exitUsage, wantErr: "the token is empty"},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantErr: "Usage: oauthx decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := runDecode(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			out := stdout.String()
			rest := out
			for _, w := range tt.wantOut {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks %q (in order)\n%s", w, out)
					break
				}
				rest = rest[i+len(w):]
			}
			if tt.notInOut != "" && strings.Contains(out, tt.notInOut) {
				t.Errorf("stdout has %q:\n%s", tt.notInOut, out)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
}

func TestDecodeCommandIssuerMismatch(t *testing.T) {
	t.Parallel()
	p := newDecodeProvider(t, false)
	p.claimedIssuer = "https://someone-else.test"
	var stdout, stderr bytes.Buffer
	code := runDecode([]string{"--issuer", p.srv.URL, p.token(t, p.key, nil)}, nil, &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), `says its issuer is "https://someone-else.test"`) ||
		!strings.Contains(stderr.String(), "must be identical (OIDC Discovery §4.3)") {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	if n := p.jwksFetches.Load(); n != 0 {
		t.Errorf("keys fetched %d times from a provider whose metadata names another issuer", n)
	}
}

func TestDecodeCommandJSON(t *testing.T) {
	t.Parallel()
	p := newDecodeProvider(t, false)
	var stdout, stderr bytes.Buffer
	code := runDecode([]string{"--json", "--jwks", p.srv.URL + "/jwks", p.token(t, p.key, nil)}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var tok record.Token
	if err := json.Unmarshal(stdout.Bytes(), &tok); err != nil {
		t.Fatalf("stdout is not a token record: %v\n%s", err, stdout.String())
	}
	if tok.Format != record.FormatJWT || !tok.Verified || tok.VerifiedWith != "ES256 kid=ec-1" || len(tok.Checks) == 0 || len(tok.Claims) == 0 {
		t.Errorf("record %+v", tok)
	}
	if p.jwksFetches.Load() != 1 {
		t.Errorf("JWKS fetched %d times", p.jwksFetches.Load())
	}
}

func TestDecodeCommandTLS(t *testing.T) {
	t.Parallel()
	p := newDecodeProvider(t, true)
	tok := p.token(t, p.key, nil)

	var stdout, stderr bytes.Buffer
	code := runDecode([]string{"--jwks", p.srv.URL + "/jwks", tok}, nil, &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stdout.String(), "✗ kid") || !strings.Contains(stdout.String(), "certificate") {
		t.Errorf("untrusted certificate: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	code = runDecode([]string{"--insecure", "--jwks", p.srv.URL + "/jwks", tok}, nil, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stderr.String(), "WARNING: --insecure") {
		t.Errorf("--insecure: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

func TestDecodeListedInHelp(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	usage(&stdout)
	if !strings.Contains(stdout.String(), "decode a JWT (argument or stdin) and verify it with --jwks or --issuer") {
		t.Errorf("help does not list decode:\n%s", stdout.String())
	}
}

// TestDecodeBundledIdPTokens decodes ID tokens the bundled IdP issued in a real
// authorization code flow, with and without its faults, and checks that `oauthx
// decode --issuer --client-id` catches each fault with the right check.
func TestDecodeBundledIdPTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault    mockidp.Fault
		wantCode int
		want     string
	}{
		{"", exitOK, "OK: signature verified with"},
		{mockidp.FaultWrongIss, exitFailure, "✗ iss"},
		{mockidp.FaultWrongAud, exitFailure, "✗ aud"},
		{mockidp.FaultWrongAzp, exitFailure, "✗ azp"},
		{mockidp.FaultExpired, exitFailure, "✗ exp"},
		{mockidp.FaultNotYetValid, exitFailure, "✗ iat"},
		{mockidp.FaultBadSignature, exitFailure, "✗ signature"},
		{mockidp.FaultUnknownKid, exitFailure, "✗ kid"},
		{mockidp.FaultAlgNone, exitFailure, "✗ alg allowed"},
	}
	for _, tt := range tests {
		name := string(tt.fault)
		if name == "" {
			name = "no fault"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := mockidp.Options{}
			if tt.fault != "" {
				opts.Faults = []mockidp.Fault{tt.fault}
			}
			s, err := mockidp.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			f, err := flows.New(flows.KindAuthorizationCode, flows.Config{
				Provider:   flows.Provider{Issuer: ts.URL},
				Client:     flows.Client{ID: "web-app", Secret: "web-app-secret", RedirectURI: "http://127.0.0.1/callback"},
				Scopes:     []string{"openid", "profile"},
				Authorizer: &useragent.Agent{Username: "alice", Password: "alice"},
			})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; !f.Done() && i < 20; i++ {
				f.Next(context.Background(), flows.StepInput{})
			}
			raw := f.Tokens().IDToken
			if raw == "" {
				t.Fatalf("the flow got no ID token: %+v", f.Records())
			}

			var stdout, stderr bytes.Buffer
			code := runDecode([]string{"--issuer", ts.URL, "--client-id", "web-app", raw}, nil, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("exit %d (want %d), stdout lacks %q:\n%s%s", code, tt.wantCode, tt.want, stdout.String(), stderr.String())
			}
		})
	}
}
