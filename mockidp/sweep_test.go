package mockidp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestStoresAreSwept fills every store of the server (pending requests,
// sessions, codes, grants, access and refresh tokens with a rotated chain,
// device codes, PAR request_uris, client-assertion jti values), moves the
// clock past every lifetime and the sweep's grace, and checks that the stores
// empty: through the sweep that insertions trigger, and through a direct one.
func TestStoresAreSwept(t *testing.T) {
	t.Parallel()
	const iss = "http://127.0.0.1:9"
	srv, err := New(Options{KeyCacheDir: testKeyDir, Issuer: iss, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cookie string
	hop := func(method, path, body, basic string) *httptest.ResponseRecorder {
		t.Helper()
		var req *http.Request
		if method == http.MethodPost {
			req = httptest.NewRequest(method, iss+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(method, iss+path, nil)
		}
		if basic != "" {
			req.Header.Set("Authorization", basic)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 400 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if c := rec.Header().Get("Set-Cookie"); c != "" {
			cookie, _, _ = strings.Cut(c, ";")
		}
		return rec
	}
	jsonOf := func(rec *httptest.ResponseRecorder) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %s", rec.Body)
		}
		return m
	}
	machine := basicAuth("machine", "machine-secret")
	clientCredentials := func() {
		hop(http.MethodPost, "/token", "grant_type=client_credentials&scope=api%3Aread", machine)
	}
	sizes := func() map[string]int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.storeSizesLocked()
	}

	const n = 40
	hmacKey := []byte(DemoClientSecretJWTSecret)
	for i := range n {
		// Authorization code + PKCE with offline_access, then one refresh
		// rotation: pending, session, code, grant, access, refresh.
		cookie = ""
		authz := "/authorize?" + url.Values{
			"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {cb},
			"scope": {"openid offline_access"}, "state": {"st"}, "nonce": {"nn"},
			"code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"},
		}.Encode()
		req := pendingID(t, hop(http.MethodGet, authz, "", "").Body.String())
		hop(http.MethodPost, "/login", "req="+req+"&demo_user=alice", "")
		loc := hop(http.MethodPost, "/consent", "req="+req+"&decision=allow", "").Header().Get("Location")
		u, _ := url.Parse(loc)
		tok := jsonOf(hop(http.MethodPost, "/token", url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"redirect_uri": {cb}, "client_id": {"native-app"}, "code_verifier": {rfcVerifier}}.Encode(), ""))
		rt, _ := tok["refresh_token"].(string)
		if rt == "" {
			t.Fatalf("no refresh token: %v", tok)
		}
		hop(http.MethodPost, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"native-app"}}.Encode(), "")
		// An authorization request left at the login page.
		cookie = ""
		hop(http.MethodGet, authz, "", "")
		// Client credentials, a device authorization, a pushed request and a
		// client assertion.
		clientCredentials()
		hop(http.MethodPost, "/device_authorization", "client_id=device-app&scope=openid", "")
		hop(http.MethodPost, "/par", url.Values{"client_id": {"native-app"}, "response_type": {"code"}, "redirect_uri": {cb},
			"scope": {"openid"}, "code_challenge": {rfcChallenge}, "code_challenge_method": {"S256"}}.Encode(), "")
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: hmacKey}, nil)
		assertion, _ := jwt.Signed(sig).Claims(jwt.Claims{Issuer: DemoClientSecretJWTClient, Subject: DemoClientSecretJWTClient,
			Audience: jwt.Audience{iss}, ID: fmt.Sprint("jti-", i), Expiry: jwt.NewNumericDate(srv.Now().Add(time.Minute))}).Serialize()
		hop(http.MethodPost, "/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"},
			"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion}}.Encode(), "")
	}
	before := sizes()
	for name, v := range before {
		if v == 0 {
			t.Errorf("store %s is empty before the sweep: the test does not exercise it (%v)", name, before)
		}
	}
	if before["access"] < 4*n || before["refresh"] < 2*n {
		t.Errorf("before: %v, want at least %d access and %d refresh records", before, 4*n, 2*n)
	}

	// Past every lifetime (refresh tokens: 30 days) and the day of grace.
	srv.Advance(32 * 24 * time.Hour)

	// The sweep that insertions trigger: new client_credentials tokens until
	// the next sweep has run.
	sweeps := func() int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.sweeps
	}
	advanced := srv.Now()
	calls := 0
	for target := sweeps() + 1; sweeps() < target; calls++ {
		clientCredentials()
	}
	after := sizes()
	srv.mu.Lock()
	for _, rec := range srv.access {
		if !rec.expiresAt.After(advanced) { // issued before the clock moved
			t.Errorf("an access token issued before the clock moved survived the sweep: %+v", rec)
		}
	}
	srv.mu.Unlock()
	for name, v := range after {
		switch name {
		case "access", "grants":
			// Only the (live) tokens issued since the clock moved remain.
			if v > calls {
				t.Errorf("after the sweep: %d %s records remain, more than the %d issued since (%v)", v, name, calls, after)
			}
		default:
			if v != 0 {
				t.Errorf("after the sweep: %d %s records remain (%v)", v, name, after)
			}
		}
	}

	// A direct sweep once those expire too leaves nothing.
	srv.Advance(2 * time.Hour)
	srv.mu.Lock()
	srv.sweepLocked(srv.Now().Add(grantMinAge), 0)
	total := srv.storedLocked()
	srv.mu.Unlock()
	if total != 0 {
		t.Errorf("after a sweep with nothing live: %d records remain (%v)", total, sizes())
	}
	t.Logf("records before: %v; after the triggered sweep: %v", before, after)
}

// TestSweepKeepsLiveRecords: a sweep forgets nothing that is still usable.
func TestSweepKeepsLiveRecords(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	st, _, m := d.post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "machine", "machine-secret")
	if st != 200 {
		t.Fatalf("token: %d %v", st, m)
	}
	at := m["access_token"].(string)
	d.srv.Advance(30 * time.Minute) // the access token lives 1 h; its grant is older than grantMinAge
	d.srv.mu.Lock()
	d.srv.sweepLocked(d.srv.Now(), 0)
	d.srv.mu.Unlock()
	st, _, m = d.post("/introspect", url.Values{"token": {at}}, "web-app", "web-app-secret")
	if st != 200 || m["active"] != true {
		t.Errorf("introspection after a sweep: %d %v, want an active token", st, m)
	}
}

// TestSweepDropsGraceUnderLoad: past storeSoftLimit records, the sweep forgets
// what has expired at once instead of keeping it for a day.
func TestSweepDropsGraceUnderLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		records int
		want    int // access records left after the sweep
	}{
		{"under the limit: a day of grace", 100, 100},
		{"over the limit: no grace", storeSoftLimit + 100, 0},
	} {
		srv, err := New(Options{KeyCacheDir: testKeyDir, Now: func() time.Time { return fixedNow }})
		if err != nil {
			t.Fatal(err)
		}
		now := srv.Now()
		srv.mu.Lock()
		for i := range tc.records {
			// Expired a minute ago: within the day of grace.
			srv.access[keyOf(fmt.Sprint("at-", i))] = &accessRecord{grantID: "g", expiresAt: now.Add(-time.Minute)}
		}
		srv.sinceSweep = srv.sweepThresholdLocked() - 1
		srv.noteInsertLocked() // the insertion that triggers a sweep
		got := len(srv.access)
		srv.mu.Unlock()
		if got != tc.want {
			t.Errorf("%s: %d access records left, want %d", tc.name, got, tc.want)
		}
	}
}

// TestIntrospectionReadsTheToken: the store keeps no iat, aud or jti of an
// access token (it is keyed by the token's hash); introspection reads them from
// the token, and gives the values the token carries, for one audience and two.
// A token with the same claims that the server did not issue is not active.
func TestIntrospectionReadsTheToken(t *testing.T) {
	t.Parallel()
	d := newIDP(t, Options{})
	for _, res := range [][]string{nil, {"https://a.example/"}, {"https://a.example/", "https://b.example/"}} {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
		if res != nil {
			form["resource"] = res
		}
		st, _, m := d.post("/token", form, "machine", "machine-secret")
		if st != 200 {
			t.Fatalf("token %v: %d %v", res, st, m)
		}
		at := m["access_token"].(string)
		c := claimsOf(t, at)
		_, _, in := d.post("/introspect", url.Values{"token": {at}}, "web-app", "web-app-secret")
		if in["active"] != true || in["jti"] != c["jti"] || in["iat"] != c["iat"] || in["exp"] != c["exp"] ||
			fmt.Sprint(in["aud"]) != fmt.Sprint(c["aud"]) || in["client_id"] != "machine" || in["sub"] != "machine" {
			t.Errorf("resource %v: introspection %v, token claims %v", res, in, c)
		}
		// Same header and payload, another signature: not a token of this server.
		forged := at[:strings.LastIndexByte(at, '.')+1] + "AAAA"
		if _, _, in := d.post("/introspect", url.Values{"token": {forged}}, "web-app", "web-app-secret"); in["active"] != false {
			t.Errorf("forged token introspected as %v", in)
		}
	}
}

// TestSweepIsAmortised: a sweep walks every record, so the next one waits for
// as many insertions as half the records it left (at least sweepEvery), and
// moving the clock brings it back to sweepEvery.
func TestSweepIsAmortised(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{KeyCacheDir: testKeyDir, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	now := srv.Now()
	const live = 10 * sweepEvery
	srv.mu.Lock()
	for i := range live {
		srv.access[keyOf(fmt.Sprint("at-", i))] = &accessRecord{grantID: "g", expiresAt: now.Add(time.Hour)}
	}
	srv.grants["g"] = &grant{id: "g", created: now}
	for srv.sweeps == 0 {
		srv.noteInsertLocked()
	}
	if got, want := srv.sweepThresholdLocked(), (live+1)/2; got != want {
		t.Errorf("after a sweep that left %d records: next sweep after %d insertions, want %d", srv.sweepLeft, got, want)
	}
	n := 0
	for srv.sweeps == 1 {
		srv.noteInsertLocked()
		n++
	}
	if n != (live+1)/2 {
		t.Errorf("the second sweep came after %d insertions, want %d", n, (live+1)/2)
	}
	srv.mu.Unlock()
	srv.Advance(time.Minute)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if got := srv.sweepThresholdLocked(); got != sweepEvery {
		t.Errorf("after the clock moved: next sweep after %d insertions, want %d", got, sweepEvery)
	}
}
