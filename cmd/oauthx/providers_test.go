package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/provider"
)

func providersRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runProviders(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

var exampleProfiles = filepath.Join("..", "..", "flows", "provider", "testdata", "profiles.toml")

func TestProvidersList(t *testing.T) {
	t.Setenv("OAUTHX_CONFIG", filepath.Join(t.TempDir(), "none.toml"))
	code, out, errOut := providersRun(t)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, p := range provider.Presets() {
		if !strings.Contains(out, "  "+p.Name+" ") || !strings.Contains(out, p.Title) {
			t.Errorf("preset %s missing:\n%s", p.Name, out)
		}
	}
	for _, want := range []string{"quirks: no-discovery, accept-json", "https://login.microsoftonline.com/{tenant}/v2.0", "No saved profiles in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	code, out, _ = providersRun(t, "--config", exampleProfiles)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"local (default)", "preset entra", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
		"environment variable WORK_CLIENT_SECRET", "written in the profiles file (masked)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret-written-by-hand") {
		t.Error("a client secret was printed")
	}
}

func TestProvidersJSON(t *testing.T) {
	code, out, _ := providersRun(t, "--json", "--config", exampleProfiles)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Presets []struct {
			Name   string
			Quirks []struct{ Name, Explanation, Effect string }
			Adapt  struct {
				AcceptJSON bool `json:"accept_json"`
			}
		}
		Profiles []struct {
			Name         string
			SecretSource string `json:"secret_source"`
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Presets) != len(provider.Presets()) || len(got.Profiles) != 5 {
		t.Errorf("%d presets, %d profiles", len(got.Presets), len(got.Profiles))
	}
	for _, p := range got.Presets {
		if p.Name == "github" && (!p.Adapt.AcceptJSON || len(p.Quirks) == 0) {
			t.Errorf("github: %+v", p)
		}
	}
	if strings.Contains(out, "s3cret-written-by-hand") {
		t.Error("a client secret was printed in JSON")
	}
}

func TestProvidersShow(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"show", "github"}, exitOK, []string{"GitHub (github)", "none: no OpenID Connect", "accept-json [RFC 6749 §5.1]",
			"Accept: application/json", "[profiles.my-github]"}},
		{[]string{"show", "Azure"}, exitOK, []string{"Microsoft Entra ID", "{tenant}", "templated-issuer", `vars = { tenant = "contoso.onmicrosoft.com" }`}},
		{[]string{"show", "cognito"}, exitOK, []string{"pkce-unadvertised", "string-expires-in", "no-iss-parameter"}},
		{[]string{"show", "work", "--config", exampleProfiles}, exitOK, []string{"Profile work", "preset", "Microsoft Entra ID",
			"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", "param prompt", "select_account", "templated-issuer"}},
		{[]string{"show", "manual", "--config", exampleProfiles}, exitOK, []string{"endpoints by hand", "(masked)", "param resource"}},
	}
	for _, tt := range tests {
		code, out, errOut := providersRun(t, tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d (%s)", tt.args, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out)
			}
		}
		if strings.Contains(out, "s3cret-written-by-hand") {
			t.Errorf("%v printed a secret", tt.args)
		}
	}

	code, out, _ := providersRun(t, "show", "work", "--json", "--config", exampleProfiles)
	var prof struct {
		Name     string
		Resolved struct{ Issuer string }
		Adapt    struct {
			IssuerTemplate string `json:"issuer_template"`
		}
	}
	if err := json.Unmarshal([]byte(out), &prof); err != nil || code != exitOK {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if prof.Resolved.Issuer != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" || prof.Adapt.IssuerTemplate == "" {
		t.Errorf("show --json: %+v", prof)
	}
}

func TestProvidersUsageAndBadFiles(t *testing.T) {
	t.Setenv("OAUTHX_CONFIG", filepath.Join(t.TempDir(), "none.toml"))
	for _, args := range [][]string{{"show"}, {"show", "nope"}, {"github"}, {"--bogus"}} {
		if code, _, _ := providersRun(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	path := writeProfiles(t, "[profiles.work]\nclient_id = \"c\"\nissuer = \"https://a.example\"\nredirect_uri = \"callback\"\n")
	code, out, errOut := providersRun(t, "--config", path)
	if code != exitUsage {
		t.Errorf("bad file: exit %d", code)
	}
	if !strings.Contains(errOut, path+`:4: profile "work": redirect_uri: must be an absolute http(s) URL`) {
		t.Errorf("stderr = %q", errOut)
	}
	if !strings.Contains(out, "google") {
		t.Error("presets must still be listed when the profiles file is bad")
	}
}

func TestRealMainKnowsTheCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"help"}, nil, &out, &errb); code != exitOK {
		t.Fatal(code)
	}
	for _, c := range []string{"oauthx doctor", "oauthx providers"} {
		if !strings.Contains(out.String(), c) {
			t.Errorf("help lacks %q", c)
		}
	}
}
