package mockidp

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// TestIDTokenFaults turns each ID token fault on and checks that an
// independent verifier (go-oidc) or the documented client check catches it.
func TestIDTokenFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault    Fault
		implicit bool   // use response_type=id_token token (for at_hash faults)
		wantErr  string // go-oidc Verify error snippet; "" means Verify passes
		check    func(t *testing.T, idt *oidc.IDToken, accessToken string)
	}{
		{fault: FaultWrongIss, wantErr: "different provider"},
		{fault: FaultWrongAud, wantErr: "audience"},
		{fault: FaultExpired, wantErr: "expired"},
		{fault: FaultNotYetValid, wantErr: "before the nbf"},
		{fault: FaultBadSignature, wantErr: "signature"},
		{fault: FaultUnknownKid, wantErr: "verify"},
		{fault: FaultAlgNone, wantErr: "alg"},
		{fault: FaultAlgConfusion, wantErr: "HS256"},
		{fault: FaultNonceMismatch, check: func(t *testing.T, idt *oidc.IDToken, _ string) {
			if idt.Nonce == "nn" {
				t.Error("nonce unchanged")
			}
		}},
		{fault: FaultWrongAzp, check: func(t *testing.T, idt *oidc.IDToken, _ string) {
			var c struct{ Azp string }
			_ = idt.Claims(&c)
			if c.Azp != "another-client" {
				t.Errorf("azp %q", c.Azp)
			}
		}},
		{fault: FaultMissingAtHash, implicit: true, check: func(t *testing.T, idt *oidc.IDToken, at string) {
			if idt.AccessTokenHash != "" || idt.VerifyAccessToken(at) == nil {
				t.Error("at_hash present")
			}
		}},
		{fault: FaultWrongAtHash, implicit: true, check: func(t *testing.T, idt *oidc.IDToken, at string) {
			if idt.VerifyAccessToken(at) == nil {
				t.Error("at_hash matches")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			d := newIDP(t, Options{Faults: []Fault{tc.fault}})
			ctx := context.Background()
			prov := d.oidcProvider(ctx)
			var rawID, at string
			if tc.implicit {
				u := d.authorizeURL("spa-implicit", url.Values{"response_type": {"id_token token"}, "scope": {"openid"}})
				res := browse(t, browser(t), u, cb, "alice", "allow")
				rawID, at = res.params.Get("id_token"), res.params.Get("access_token")
			} else {
				conf := d.oauth2Config("web-app", "web-app-secret", oauth2.AuthStyleInHeader, "openid")
				res := browse(t, browser(t), conf.AuthCodeURL("st", oidc.Nonce("nn")), cb, "alice", "allow")
				tok, err := conf.Exchange(ctx, res.params.Get("code"))
				if err != nil {
					t.Fatal(err)
				}
				rawID, at = tok.Extra("id_token").(string), tok.AccessToken
			}
			idt, err := d.verifier(prov, map[bool]string{true: "spa-implicit", false: "web-app"}[tc.implicit]).Verify(ctx, rawID)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Verify error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			tc.check(t, idt, at)
		})
	}
}

func TestProtocolFaults(t *testing.T) {
	t.Parallel()
	ccForm := url.Values{"grant_type": {"client_credentials"}}
	rawToken := func(t *testing.T, d *testIDP) (int, http.Header, string) {
		req, _ := http.NewRequest("POST", d.iss+"/token", strings.NewReader(ccForm.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basicAuth("machine", "machine-secret"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	tests := []struct {
		fault Fault
		check func(t *testing.T, d *testIDP)
	}{
		{FaultStateMismatch, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
			if res.params.Get("state") == "st" {
				t.Error("state unchanged")
			}
		}},
		{FaultIssMismatchAuthz, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
			if res.params.Get("iss") != "https://evil.example" {
				t.Errorf("iss %q", res.params.Get("iss"))
			}
		}},
		{FaultMissingIssAuthz, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
			if res.params.Has("iss") {
				t.Error("iss present")
			}
		}},
		{FaultMetadataIssuer, func(t *testing.T, d *testIDP) {
			if _, err := oidc.NewProvider(context.Background(), d.iss); err == nil || !strings.Contains(err.Error(), "issuer") {
				t.Errorf("discovery accepted a wrong issuer: %v", err)
			}
		}},
		{FaultSlow, func(t *testing.T, d *testIDP) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", d.iss+"/token", strings.NewReader(ccForm.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("machine", "machine-secret")
			if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("slow token endpoint answered in time: %v", err)
			}
		}},
		{FaultServerError, func(t *testing.T, d *testIDP) {
			st, h, body := rawToken(t, d)
			if st != 500 || h.Get("Content-Type") != "application/json" || !strings.Contains(body, `"server_error"`) {
				t.Errorf("%d %s %s", st, h.Get("Content-Type"), body)
			}
		}},
		{FaultHTMLError, func(t *testing.T, d *testIDP) {
			st, h, body := rawToken(t, d)
			if st != 502 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html>") {
				t.Errorf("%d %s %s", st, h.Get("Content-Type"), body)
			}
		}},
		{FaultExpiresInString, func(t *testing.T, d *testIDP) {
			_, _, body := rawToken(t, d)
			var m map[string]any
			_ = json.Unmarshal([]byte(body), &m)
			if m["expires_in"] != "3600" {
				t.Errorf("expires_in %#v", m["expires_in"])
			}
		}},
		{FaultTokenTypeMissing, func(t *testing.T, d *testIDP) {
			if _, _, body := rawToken(t, d); strings.Contains(body, "token_type") {
				t.Errorf("token_type present: %s", body)
			}
		}},
		{FaultDeviceSlowDown, func(t *testing.T, d *testIDP) {
			_, _, m := d.post("/device_authorization", url.Values{"client_id": {"device-app"}, "scope": {"openid"}}, "", "")
			poll := url.Values{"grant_type": {GrantDeviceCode}, "device_code": {m["device_code"].(string)}, "client_id": {"device-app"}}
			if _, _, e := d.post("/token", poll, "", ""); e["error"] != "slow_down" {
				t.Errorf("first poll %v", e)
			}
			d.srv.Advance(10 * time.Second) // 5 s + 5 s after slow_down
			if _, _, e := d.post("/token", poll, "", ""); e["error"] != "authorization_pending" {
				t.Errorf("second poll %v", e)
			}
		}},
		{FaultPKCENotVerified, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("native-app", url.Values{"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"}}), cb, "alice", "allow")
			if st, m := d.exchange("native-app", "", res.params.Get("code"), url.Values{"code_verifier": {strings.Repeat("w", 43)}}); st != 200 {
				t.Errorf("wrong verifier refused: %d %v", st, m)
			}
		}},
		{FaultCodeReplayAllowed, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
			for i := 0; i < 2; i++ {
				if st, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil); st != 200 {
					t.Errorf("exchange %d refused: %d %v", i+1, st, m)
				}
			}
		}},
		{FaultRedirectURIPrefix, func(t *testing.T, d *testIDP) {
			evil := "http://127.0.0.1/callback.evil.example/steal"
			p := do(t, browser(t), http.MethodGet, d.authorizeURL("web-app", url.Values{"redirect_uri": {evil}}), nil)
			if !isLoginPage(p) {
				t.Errorf("prefix redirect URI refused: %d", p.status)
			}
		}},
		{FaultUserinfoWrongSub, func(t *testing.T, d *testIDP) {
			res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
			_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
			req, _ := http.NewRequest("GET", d.iss+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var ui map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&ui)
			if ui["sub"] == "alice" {
				t.Error("userinfo sub unchanged")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			d := newIDP(t, Options{})
			if err := d.srv.SetFault(tc.fault, true); err != nil {
				t.Fatal(err)
			}
			tc.check(t, d)
		})
	}
}

func TestFaultCatalogAndSwitching(t *testing.T) {
	t.Parallel()
	seen := map[Fault]bool{}
	for _, f := range FaultCatalog() {
		if seen[f.Name] || f.Title == "" || f.Description == "" || f.Catches == "" || f.Spec == "" {
			t.Errorf("catalogue entry %+v duplicated or incomplete", f)
		}
		seen[f.Name] = true
	}
	for _, name := range []Fault{"wrong-iss", "wrong-aud", "expired", "not-yet-valid", "bad-signature", "unknown-kid", "alg-none",
		"nonce-mismatch", "missing-at-hash", "state-mismatch", "slow", "server-error", "html-error", "device-slow-down",
		"expires-in-string", "iss-mismatch-authz"} {
		if !seen[name] {
			t.Errorf("fault %q missing from the catalogue", name)
		}
	}
	if _, err := New(Options{Faults: []Fault{"nope"}}); err == nil {
		t.Error("New accepted an unknown fault")
	}
	d := newIDP(t, Options{Faults: []Fault{FaultSlow}})
	if err := d.srv.SetFault("nope", true); err == nil {
		t.Error("SetFault accepted an unknown fault")
	}
	_ = d.srv.SetFault(FaultWrongIss, true)
	if got := d.srv.ActiveFaults(); len(got) != 2 || got[0] != FaultWrongIss || got[1] != FaultSlow {
		t.Errorf("ActiveFaults = %v", got)
	}
	_ = d.srv.SetFault(FaultSlow, false)
	// Switching while serving is safe (run with -race).
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_ = d.srv.SetFault(FaultExpiresInString, i%2 == 0)
		}()
		go func() {
			defer wg.Done()
			d.post("/token", url.Values{"grant_type": {"client_credentials"}}, "machine", "machine-secret")
		}()
	}
	wg.Wait()
}

// TestAlgConfusionFoolsANaiveVerifier shows the lesson of the alg-confusion
// fault: a verifier that lets the header's alg pick how the JWKS key is used
// (HMAC with the public key's PEM) accepts the forged ID token.
func TestAlgConfusionFoolsANaiveVerifier(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{Faults: []Fault{FaultAlgConfusion}})
	res := browse(t, browser(t), d.authorizeURL("web-app", nil), cb, "alice", "allow")
	_, m := d.exchange("web-app", "web-app-secret", res.params.Get("code"), nil)
	raw := m["id_token"].(string)
	_ = d.srv.WaitKeys(context.Background())
	der, err := x509.MarshalPKIXPublicKey(d.srv.keys.byAlg[AlgRS256].priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.Claims(pemKey, &c); err != nil || c.Subject != "alice" || tok.Headers[0].KeyID != d.srv.keys.byAlg[AlgRS256].kid {
		t.Fatalf("naive HS256 verification: %v %+v", err, c)
	}
}
