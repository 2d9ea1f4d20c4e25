package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/doctor"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

func doctorRun(t *testing.T, base *http.Client, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runDoctorContext(context.Background(), args, &out, &errb, base)
	return code, out.String(), errb.String()
}

func newMockIDP(t *testing.T) *httptest.Server {
	t.Helper()
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)
	return srv
}

// TestDoctorBundledIdP: the bundled provider passes every error-level check.
func TestDoctorBundledIdP(t *testing.T) {
	srv := newMockIDP(t)
	code, out, errOut := doctorRun(t, srv.Client(), "--issuer", srv.URL, "--json")
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	for _, c := range rep.Checks {
		if c.Outcome == record.OutcomeFail {
			t.Errorf("bundled IdP fails %s (%s): %s; %s", c.ID, c.Severity, c.Actual, c.Reason)
		} else if c.Problem() {
			t.Logf("bundled IdP: %s %s: %s; %s", c.Severity, c.ID, c.Actual, c.Reason)
		}
	}
	if code != exitOK || rep.Failed() {
		t.Errorf("exit %d, summary %+v, stderr %s", code, rep.Summary, errOut)
	}
	if rep.Variant != "openid" || len(rep.Exchanges) < 2 {
		t.Errorf("variant %q, %d exchanges", rep.Variant, len(rep.Exchanges))
	}

	// The human report of the same run.
	code, out, _ = doctorRun(t, srv.Client(), srv.URL)
	if code != exitOK || strings.Contains(out, "✗") || !strings.Contains(out, "✓ issuer equals the URL the metadata came from") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if last := lastLine(out); !strings.HasPrefix(last, "OK") || !strings.Contains(last, "0 errors") {
		t.Errorf("summary line %q", last)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestDoctorBrokenProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>Sign in</title>"))
	}))
	t.Cleanup(srv.Close)
	code, out, _ := doctorRun(t, srv.Client(), "--issuer", srv.URL)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{
		"✗ error: provider metadata fetched",
		"Content-Type text/html; charset=utf-8: an HTML page, not JSON",
		"[OIDC Discovery §4; RFC 8414 §3]",
		"FAILED: 1 passed, 1 error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorWarningsAndGroups(t *testing.T) {
	srv := newMockIDP(t)
	// A proxy in front of the bundled IdP that drops PKCE from the metadata.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := srv.Client().Get(srv.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if r.URL.Path == "/.well-known/openid-configuration" {
			delete(m, "code_challenge_methods_supported")
			m["grant_types_supported"] = append(m["grant_types_supported"].([]any), "password")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(front.Close)
	code, out, _ := doctorRun(t, front.Client(), "--issuer", front.URL)
	// The issuer no longer matches (the IdP names itself), so this fails; the warnings
	// are what this test is about.
	_ = code
	for _, want := range []string{"\nSecurity (RFC 9700 and friends)\n", "! warning: PKCE with S256 advertised", "! warning: password grant not offered", "[RFC 9700 §2.4]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorUsage(t *testing.T) {
	t.Setenv("OAUTHX_CONFIG", filepath.Join(t.TempDir(), "none.toml"))
	tests := [][]string{
		{},
		{"--issuer", "https://a.example", "--profile", "x"},
		{"--nope"},
		{"https://a.example", "extra"},
	}
	for _, args := range tests {
		if code, _, _ := doctorRun(t, nil, args...); code != exitUsage {
			t.Errorf("doctor %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := doctorRun(t, nil, "--help"); code != exitOK {
		t.Errorf("--help: exit %d", code)
	}
}

func writeProfiles(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDoctorProfile(t *testing.T) {
	srv := newMockIDP(t)
	path := writeProfiles(t, `
[profiles.local]
issuer = "`+srv.URL+`"
client_id = "demo-confidential"
secret_env = "LOCAL_SECRET"
auth_method = "client_secret_post"
redirect_uri = "http://localhost:8400/callback"
scopes = ["openid", "api:nonexistent"]

[profiles.gh]
preset = "github"
client_id = "x"

[profiles.broken]
client_id = "x"
issuer = "nope"
`)
	code, out, errOut := doctorRun(t, srv.Client(), "--config", path, "--profile", "local")
	if code != exitOK {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"\nYour client\n", "! warning: client's scopes listed", "found: not listed: api:nonexistent", "i info: client's redirect URI"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `warning: `+path+`:16: profile "broken": issuer`) {
		t.Errorf("a broken other profile should be a warning naming it; stderr:\n%s", errOut)
	}

	// No flags: the file's default profile.
	withDefault := writeProfiles(t, "default = \"local\"\n[profiles.local]\nissuer = \""+srv.URL+"\"\nclient_id = \"native-app\"\n")
	code, out, errOut = doctorRun(t, srv.Client(), "--config", withDefault)
	if code != exitOK || !strings.Contains(errOut, `using the default profile "local"`) || !strings.Contains(out, "oauthx doctor: "+srv.URL) {
		t.Errorf("default profile: exit %d\n%s\n%s", code, out, errOut)
	}

	code, _, errOut = doctorRun(t, nil, "--config", path, "--profile", "gh")
	if code != exitUsage || !strings.Contains(errOut, "no issuer") || !strings.Contains(errOut, "GitHub has no discovery") {
		t.Errorf("github profile: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = doctorRun(t, nil, "--config", path, "--profile", "broken")
	if code != exitUsage || !strings.Contains(errOut, `profile "broken": issuer: must be an absolute http(s) URL`) {
		t.Errorf("broken profile: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = doctorRun(t, nil, "--config", path, "--profile", "nope")
	if code != exitUsage || !strings.Contains(errOut, "broken, gh, local") {
		t.Errorf("unknown profile: exit %d, stderr %s", code, errOut)
	}
}

func TestDoctorInsecure(t *testing.T) {
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(idp)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	t.Cleanup(srv.Close)

	code, out, _ := doctorRun(t, nil, "--issuer", srv.URL)
	if code != exitFailure || !strings.Contains(out, "TLS certificate not trusted") {
		t.Errorf("untrusted certificate: exit %d\n%s", code, out)
	}
	code, out, errOut := doctorRun(t, nil, "--issuer", srv.URL, "--insecure")
	if !strings.Contains(errOut, "WARNING: --insecure") {
		t.Errorf("--insecure must warn on stderr: %q", errOut)
	}
	if code != exitOK {
		t.Errorf("with --insecure: exit %d\n%s", code, out)
	}
}

// TestDoctorKnownQuirkFromPreset: a profile on the entra preset turns Entra's
// templated issuer from an error into a warning that names the quirk.
func TestDoctorKnownQuirkFromPreset(t *testing.T) {
	srv := newMockIDP(t)
	const template = "https://login.microsoftonline.com/{tenantid}/v2.0"
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := srv.Client().Get(srv.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		m["issuer"] = template
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(front.Close)

	// Without the preset: an error.
	code, out, _ := doctorRun(t, front.Client(), "--issuer", front.URL)
	if code != exitFailure || !strings.Contains(out, "✗ error: issuer equals the URL") || !strings.Contains(out, "template") {
		t.Errorf("plain issuer: exit %d\n%s", code, out)
	}

	path := writeProfiles(t, `
[profiles.entra]
preset = "entra"
vars = { tenant = "common" }
issuer = "`+front.URL+`"
client_id = "c"
`)
	code, out, errOut := doctorRun(t, front.Client(), "--config", path, "--profile", "entra")
	if code != exitOK {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "! warning: issuer equals the URL the metadata came from") || !strings.Contains(out, "known quirk of Microsoft Entra ID") {
		t.Errorf("output:\n%s", out)
	}
}
