package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/provider"
	"github.com/oauthx/oauthx/tui"
)

// copyProfiles copies testdata/profiles/NAME to a fresh directory and returns its path.
func copyProfiles(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "profiles", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profiles.toml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func entryOf(ps []tui.Provider, profile string) tui.Provider {
	for _, p := range ps {
		if p.Profile == profile {
			return p
		}
	}
	return tui.Provider{}
}

func TestProfileStoreListsProfilesAndTheirProblems(t *testing.T) {
	t.Parallel()
	s, err := newProfileStore(copyProfiles(t, "mixed.toml"))
	ps := s.providers(err)
	if bad := entryOf(ps, "bad"); !strings.Contains(bad.Problem, "redirect_uri") || !strings.Contains(bad.Problem, "line ") {
		t.Errorf("the broken profile is not listed with its field and line: %+v", bad)
	}
	if api := entryOf(ps, "api"); !api.AsksSecret || api.Problem != "" {
		t.Errorf("api should ask for its secret: %+v", api)
	}
	work := entryOf(ps, "work")
	if work.Issuer != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" ||
		!strings.Contains(work.Description, "preset") || !strings.Contains(work.Description, "OAUTHX_TEST_WORK_SECRET") {
		t.Errorf("work = %+v", work)
	}
	if local := entryOf(ps, "local"); !strings.Contains(local.Description, "none (public client)") {
		t.Errorf("local = %+v", local)
	}
}

func TestProfileStoreSavesANewProfile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oauthx", "profiles.toml") // neither file nor directory yet
	s, err := newProfileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := s.Save(tui.ProfileForm{Name: "sso", Issuer: "https://sso.example", ClientID: "cli",
		Secret: tui.SecretEnv, SecretValue: "SSO_SECRET", Scopes: []string{"openid", "email"},
		RedirectURI: "http://127.0.0.1:8765/callback", AuthMethod: "client_secret_post",
		Params: map[string]string{"prompt": "login", "audience": "https://api.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if entry.Profile != "sso" || entry.Issuer != "https://sso.example" {
		t.Errorf("entry = %+v", entry)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file %v, mode %v", err, fi.Mode())
	}
	ps, err := provider.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ps.Lookup("sso")
	if p.SecretEnv != "SSO_SECRET" || p.ClientSecret != "" || p.AuthMethod != "client_secret_post" ||
		p.Params["audience"] != "https://api.example" || strings.Join(p.Scopes, " ") != "openid email" {
		t.Errorf("saved %+v", p)
	}
	// The flows of this session use what was saved.
	if _, err := s.lookup("sso"); err != nil {
		t.Errorf("lookup after save: %v", err)
	}
	// A second profile of the same name is refused, naming the field.
	_, err = s.Save(tui.ProfileForm{Name: "sso", Issuer: "https://other.example", ClientID: "c", Secret: tui.SecretNone})
	var pe *tui.ProfileErrors
	if !errors.As(err, &pe) || pe.Errors[0].Field != "name" || !strings.Contains(pe.Errors[0].Problem, "already has a profile") {
		t.Errorf("duplicate name: %v", err)
	}
}

func TestProfileStoreWritesASecretOnlyWhenAskedAndNeverReadsItBack(t *testing.T) {
	t.Parallel()
	path := copyProfiles(t, "mixed.toml")
	// The broken profile must be fixed first: the file is saved whole.
	s, _ := newProfileStore(path)
	f, err := s.Get("bad")
	if err != nil {
		t.Fatal(err)
	}
	f.RedirectURI = "http://127.0.0.1:8400/callback"
	f.Secret, f.SecretValue = tui.SecretPlain, "hunter2" // the person chose plain text
	f.AuthMethod = ""
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte(`client_secret = "hunter2"`)) {
		t.Fatalf("the secret the person chose to write is not in the file:\n%s", b)
	}
	// Reading it back for the form never returns the secret.
	g, err := s.Get("bad")
	if err != nil {
		t.Fatal(err)
	}
	if g.Secret != tui.SecretPlain || !g.HasPlainSecret || g.SecretValue != "" {
		t.Fatalf("Get = %+v", g)
	}
	// Saving again without retyping keeps it; choosing a variable removes it.
	if _, err := s.Save(g); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte("hunter2")) {
		t.Fatal("the saved secret was lost when the form left it empty")
	}
	g.Secret, g.SecretValue = tui.SecretEnv, "BAD_SECRET"
	if _, err := s.Save(g); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("hunter2")) || !bytes.Contains(b, []byte(`secret_env = "BAD_SECRET"`)) {
		t.Fatalf("the plain secret stayed after moving it to a variable:\n%s", b)
	}
}

func TestProfileStoreEditKeepsWhatTheFormDoesNotShow(t *testing.T) {
	t.Parallel()
	path := copyProfiles(t, "mixed.toml")
	s, _ := newProfileStore(path)
	// Fix the broken one first (the file is validated whole).
	bad, _ := s.Get("bad")
	bad.RedirectURI = "http://127.0.0.1:8400/callback"
	if _, err := s.Save(bad); err != nil {
		t.Fatal(err)
	}
	f, err := s.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	if f.Preset != "entra" || f.Vars["tenant"] != "contoso.onmicrosoft.com" || len(f.Kept) != 0 ||
		f.Secret != tui.SecretEnv || f.SecretValue != "OAUTHX_TEST_WORK_SECRET" || f.Params["prompt"] != "select_account" {
		t.Fatalf("Get(work) = %+v", f)
	}
	if l, _ := s.Get("local"); !slices.Contains(l.Kept, "description") {
		t.Errorf("Get(local).Kept = %v, want the description the form does not edit", l.Kept)
	}
	f.Name = "work-eu"
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	ps, err := provider.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Lookup("work"); err == nil {
		t.Error("the old name is still in the file after renaming")
	}
	p, err := ps.Lookup("work-eu")
	if err != nil || p.Preset != "entra" || p.Vars["tenant"] != "contoso.onmicrosoft.com" {
		t.Errorf("renamed profile %+v, %v", p, err)
	}
	// Renaming the default profile moves the default with it.
	l, _ := s.Get("local")
	l.Name = "bundled"
	if _, err := s.Save(l); err != nil {
		t.Fatal(err)
	}
	if ps, _ := provider.Load(path); ps.Default != "bundled" {
		t.Errorf("default = %q after renaming local", ps.Default)
	}
}

// problemsByField is a save's problems, joined by form field.
func problemsByField(t *testing.T, err error) map[string]string {
	t.Helper()
	var pe *tui.ProfileErrors
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]string{}
	for _, e := range pe.Errors {
		fields[e.Field] += e.Problem + " | "
	}
	return fields
}

func TestProfileStoreErrorsNameTheFormField(t *testing.T) {
	t.Parallel()
	s, _ := newProfileStore(filepath.Join(t.TempDir(), "profiles.toml"))
	_, err := s.Save(tui.ProfileForm{Name: "x", Issuer: "https://idp.example?tenant=1", ClientID: "c",
		Secret: tui.SecretEnv, SecretValue: "not a name", Scopes: []string{`a"b`},
		RedirectURI: "http://127.0.0.1/cb#frag", Params: map[string]string{"prompt": "sometimes", "state": "x"}})
	fields := problemsByField(t, err)
	for field, want := range map[string]string{
		"issuer":       "must not have a query",
		"secret":       "secret_env",
		"scopes":       "scopes[0]",
		"redirect_uri": "fragment",
		"params":       "params.prompt",
	} {
		if !strings.Contains(fields[field], want) {
			t.Errorf("field %s: %q, want it to say %q (all: %v)", field, fields[field], want, fields)
		}
	}
	if !strings.Contains(fields["params"], "params.state") {
		t.Errorf("reserved parameter not reported: %v", fields)
	}
}

// The form's preset, vars and private_key_jwt key reach the file, and their
// problems come back on their own fields.
func TestProfileStorePresetVarsAndKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "profiles.toml")
	s, _ := newProfileStore(path)
	if ps := s.Presets(); !slices.ContainsFunc(ps, func(p tui.ProfilePreset) bool {
		return p.Name == "entra" && p.Title != "" && slices.Contains(p.Vars, "tenant")
	}) {
		t.Fatalf("Presets() = %+v, want entra with its tenant placeholder", ps)
	}
	_, err := s.Save(tui.ProfileForm{Name: "bad", Preset: "nope", ClientID: "c", Secret: tui.SecretNone,
		AuthMethod: "private_key_jwt"})
	fields := problemsByField(t, err)
	if !strings.Contains(fields["preset"], "nope") || !strings.Contains(fields["private_key_file"], "private_key_jwt") {
		t.Errorf("problems by field: %v", fields)
	}
	f := tui.ProfileForm{Name: "work", Preset: "entra", Vars: map[string]string{"tenant": "contoso.onmicrosoft.com"},
		ClientID: "c", Secret: tui.SecretNone, AuthMethod: "private_key_jwt", PrivateKeyFile: "~/keys/work.pem", KeyID: "k1"}
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	ps, err := provider.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.Lookup("work")
	if err != nil || p.Preset != "entra" || p.Vars["tenant"] != "contoso.onmicrosoft.com" ||
		p.PrivateKeyFile != "~/keys/work.pem" || p.KeyID != "k1" || p.AuthMethod != "private_key_jwt" {
		t.Fatalf("saved %+v, %v", p, err)
	}
	got, err := s.Get("work")
	if err != nil || got.Preset != "entra" || got.Vars["tenant"] != "contoso.onmicrosoft.com" || got.PrivateKeyFile != "~/keys/work.pem" || got.KeyID != "k1" {
		t.Errorf("Get(work) = %+v, %v", got, err)
	}
	// Switching to a secret drops the key.
	got.AuthMethod, got.Secret, got.SecretValue, got.PrivateKeyFile, got.KeyID = "", tui.SecretEnv, "WORK_SECRET", "", ""
	if _, err := s.Save(got); err != nil {
		t.Fatal(err)
	}
	if ps, _ := provider.Load(path); ps != nil {
		if p, _ := ps.Lookup("work"); p.PrivateKeyFile != "" || p.KeyID != "" || p.SecretEnv != "WORK_SECRET" {
			t.Errorf("after switching to a secret: %+v", p)
		}
	}
}

func TestProfileStoreLeavesAnUnreadableFileAlone(t *testing.T) {
	t.Parallel()
	path := copyProfiles(t, "unreadable.toml")
	before, _ := os.ReadFile(path)
	s, loadErr := newProfileStore(path)
	if loadErr == nil {
		t.Fatal("a broken file loaded without error")
	}
	if ps := s.providers(loadErr); len(ps) != 1 || ps[0].Problem == "" || !strings.Contains(ps[0].Problem, "line ") {
		t.Errorf("providers = %+v", ps)
	}
	_, err := s.Save(tui.ProfileForm{Name: "new", Issuer: "https://idp.example", ClientID: "c", Secret: tui.SecretNone})
	if err == nil || !strings.Contains(err.Error(), "fix it by hand first") {
		t.Fatalf("err = %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the unreadable file was overwritten")
	}
}

func TestRunTUIBadProfileIsAUsageError(t *testing.T) {
	path := copyProfiles(t, "mixed.toml")
	t.Setenv("OAUTHX_TEST_WORK_SECRET", "")
	for _, tc := range []struct {
		profile string
		want    []string
	}{
		{"bad", []string{`profile "bad"`, "redirect_uri", "fragment"}},
		{"nope", []string{`no profile "nope"`}},
		{"work", []string{`profile "work"`, "OAUTHX_TEST_WORK_SECRET"}},
	} {
		var stdout, stderr bytes.Buffer
		code := runTUI([]string{"--profile", tc.profile, "--config", path}, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("--profile %s: exit %d, want 2\n%s", tc.profile, code, stderr.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("--profile %s: stderr %q lacks %q", tc.profile, stderr.String(), w)
			}
		}
		if stdout.Len() != 0 {
			t.Errorf("--profile %s: the terminal was written to: %q", tc.profile, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := runTUI([]string{"--profile", "local", "--issuer", "https://x.example", "--client-id", "c"}, strings.NewReader(""), &stdout, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "choose --profile or --issuer") {
		t.Errorf("--profile with --issuer: exit %d, %s", code, stderr.String())
	}
}

func TestMoveFirst(t *testing.T) {
	t.Parallel()
	ps := []tui.Provider{{Name: "Bundled"}, {Name: "a", Profile: "a"}, {Name: "b", Profile: "b"}}
	got := moveFirst(ps, "b")
	if got[0].Profile != "b" || got[1].Name != "Bundled" || got[2].Profile != "a" || len(got) != 3 {
		t.Errorf("moveFirst = %+v", got)
	}
	if got := moveFirst(ps, ""); got[0].Name != "Bundled" {
		t.Errorf("moveFirst(\"\") changed the order: %+v", got)
	}
}
