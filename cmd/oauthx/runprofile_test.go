package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

func stepOf(steps []record.Step, id string) *record.Step {
	for i := range steps {
		if steps[i].ID == id {
			return &steps[i]
		}
	}
	return nil
}

func hasArtifact(s *record.Step, name string) bool {
	if s == nil {
		return false
	}
	for _, a := range s.Artifacts {
		if a.Name == name && (a.Token != nil || name != "client_assertion") {
			return true
		}
	}
	return false
}

func TestRunJWTClientAuthAndPAR(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"client-credentials", "--auth-method", "private_key_jwt", "--json"}, "discovery:done token:done"},
		{[]string{"cc", "--auth-method", "client_secret_jwt", "--json"}, "discovery:done token:done"},
		{[]string{"authorization-code", "--auth-method", "client_secret_jwt", "--par", "--json"},
			"discovery:done prepare:done par:done authorize:done login:done callback:done token:done id-token:done"},
		{[]string{"pkce", "--par", "--json"},
			"discovery:done prepare:done par:done authorize:done login:done callback:done token:done id-token:done"},
	}
	for _, tc := range cases {
		code, steps, _, stderr := runCLI(t, nil, tc.args...)
		if code != exitOK || ids(steps) != tc.want {
			t.Errorf("%v: exit %d, steps %s, want %s\n%s", tc.args, code, ids(steps), tc.want, stderr)
			continue
		}
		if strings.Contains(strings.Join(tc.args, " "), "_jwt") && !hasArtifact(stepOf(steps, "token"), "client_assertion") {
			t.Errorf("%v: no decoded client_assertion on the token step", tc.args)
		}
		if p := stepOf(steps, "par"); p != nil && !hasArtifact(p, "request_uri") {
			t.Errorf("%v: no request_uri", tc.args)
		}
	}
	if code, _, _, stderr := runCLI(t, nil, "cc", "--par"); code != exitUsage || !strings.Contains(stderr, "code flows") {
		t.Errorf("--par on client credentials: exit %d\n%s", code, stderr)
	}
}

func writeRunProfiles(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunProfile runs flows from a profiles file (OAUTHX_CONFIG) against an IdP
// started by the test, flags overriding the profile's fields.
func TestRunProfile(t *testing.T) {
	idp, err := mockidp.New(mockidp.Options{KeyCacheDir: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(idp)
	t.Cleanup(ts.Close)
	keyFile := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(keyFile, []byte(mockidp.DemoClientKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OAUTHX_CONFIG", writeRunProfiles(t, `
[profiles.local]
issuer = "`+ts.URL+`"
client_id = "web-app"
secret_env = "LOCAL_SECRET"
redirect_uri = "http://127.0.0.1/callback"
scopes = ["openid", "profile"]

[profiles.signed]
issuer = "`+ts.URL+`"
client_id = "web-app-jwt"
auth_method = "private_key_jwt"
private_key_file = "`+keyFile+`"
key_id = "web-app-jwt-1"
redirect_uri = "http://127.0.0.1/callback"
scopes = ["openid"]
par = true

[profiles.broken]
issuer = "`+ts.URL+`"
client_id = "web-app"
redirect_uri = "/callback"
`))
	t.Setenv("LOCAL_SECRET", "web-app-secret")

	code, steps, _, stderr := runCLI(t, nil, "authorization-code", "--profile", "local", "--user", "alice", "--json")
	if code != exitOK || !strings.Contains(stderr, "Profile local") {
		t.Fatalf("--profile local: exit %d, %s\n%s", code, ids(steps), stderr)
	}
	if tok := stepOf(steps, "token"); tok == nil || tok.Request.AuthMethod != "client_secret_basic" {
		t.Errorf("token request: %+v", tok)
	}

	code, steps, _, stderr = runCLI(t, nil, "authorization-code", "--profile", "signed", "--user", "bob", "--json")
	if code != exitOK || stepOf(steps, "par") == nil || !hasArtifact(stepOf(steps, "token"), "client_assertion") {
		t.Fatalf("--profile signed: exit %d, %s\n%s", code, ids(steps), stderr)
	}

	// Flags override the profile: another client, and post instead of basic.
	code, steps, _, stderr = runCLI(t, nil, "cc", "--profile", "local", "--client-id", "machine", "--auth-method", "client_secret_post",
		"--scope", "api:read", "--json")
	t.Setenv("MACHINE_SECRET", "machine-secret")
	if code != exitFailure { // web-app's secret is not machine's
		t.Errorf("override without the secret: exit %d, %s\n%s", code, ids(steps), stderr)
	}
	code, steps, _, stderr = runCLI(t, nil, "cc", "--profile", "local", "--client-id", "machine", "--client-secret-env", "MACHINE_SECRET",
		"--auth-method", "client_secret_post", "--scope", "api:read", "--json")
	if code != exitOK || stepOf(steps, "token").Request.AuthMethod != "client_secret_post" {
		t.Errorf("override: exit %d, %s\n%s", code, ids(steps), stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pkce", "--profile", "broken"}, `profile "broken": redirect_uri`},
		{[]string{"pkce", "--profile", "nope"}, `"nope"`},
		{[]string{"pkce", "--profile", "local", "--fault", "wrong-aud"}, "profile local"},
	} {
		code, _, _, stderr := runCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 naming %q\n%s", tc.args, code, tc.want, stderr)
		}
	}
	t.Setenv("LOCAL_SECRET", "")
	if code, _, _, stderr := runCLI(t, nil, "authorization-code", "--profile", "local"); code != exitUsage || !strings.Contains(stderr, `profile "local"`) {
		t.Errorf("secret missing: exit %d\n%s", code, stderr)
	}
}
