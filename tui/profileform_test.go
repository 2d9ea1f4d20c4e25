package tui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/oauthx/oauthx/flows"
)

// fakeStore is a ProfileStore in memory.
type fakeStore struct {
	mu      sync.Mutex
	saved   []ProfileForm
	get     map[string]ProfileForm
	saveErr error
}

func (s *fakeStore) Get(name string) (ProfileForm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.get[name]
	if !ok {
		return ProfileForm{}, errors.New("no such profile")
	}
	return f, nil
}

func (s *fakeStore) Save(f ProfileForm) (Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		return Provider{}, s.saveErr
	}
	s.saved = append(s.saved, f)
	return Provider{Name: f.Name, Issuer: f.Issuer, Profile: f.Name, Description: "saved profile"}, nil
}

func (s *fakeStore) Path() string { return "/home/ada/.config/oauthx/profiles.toml" }

func (s *fakeStore) Presets() []ProfilePreset {
	return []ProfilePreset{{Name: "entra", Title: "Microsoft Entra ID", Vars: []string{"tenant"}},
		{Name: "google", Title: "Google"}}
}

func (s *fakeStore) last(t *testing.T) ProfileForm {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.saved) == 0 {
		t.Fatal("nothing saved")
	}
	return s.saved[len(s.saved)-1]
}

var (
	ctrlS = tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	right = tea.KeyPressMsg{Code: tea.KeyRight}
	left  = tea.KeyPressMsg{Code: tea.KeyLeft}
)

// profileHarness opens the provider screen with a store and, when given, a saved
// profile "work".
func profileHarness(t *testing.T, store *fakeStore, extra ...Provider) *harness {
	t.Helper()
	h := newHarness(t, true, func(o *Options) {
		o.Profiles = store
		o.Providers = append(o.Providers, extra...)
	})
	h.size(80, 24)
	if h.m.screen != screenProviders {
		h.press("esc") // the flow menu of the bundled IdP: back to the providers
	}
	if h.m.screen != screenProviders {
		t.Fatalf("screen = %v, want providers", h.m.screen)
	}
	return h
}

// openNewProfile moves to "New profile…" and opens the form.
func openNewProfile(t *testing.T, h *harness) {
	t.Helper()
	for range h.m.providers.lastEntry() {
		h.press("down")
	}
	if !strings.Contains(h.screen(), "▸ New profile…") {
		t.Fatalf("cursor not on New profile…:\n%s", h.screen())
	}
	h.press("enter")
	if !h.m.providers.profiles.editing {
		t.Fatalf("form not open:\n%s", h.screen())
	}
}

func TestNewProfileFormSaves(t *testing.T) {
	store := &fakeStore{}
	h := profileHarness(t, store)
	openNewProfile(t, h)
	for _, want := range []string{"New profile", "saved to /home/ada/.config/oauthx/profiles.toml", "name", "issuer",
		"authorize URL", "token URL", "client id", "secret from", "◂ environment variable ▸", "variable", "scopes",
		"redirect URI", "auth method", "◂ default ▸", "extra params"} {
		if !strings.Contains(h.screen(), want) {
			t.Errorf("the form at 80×24 lacks %q:\n%s", want, h.screen())
		}
	}
	h.typeText("work-sso")
	h.press("q", "j", "k") // typed into the name, not quit or moved
	h.press("tab", "tab")  // preset: none
	h.typeText("https://sso.example")
	h.press("tab", "tab", "tab") // authorize URL, token URL: by discovery
	h.typeText("cli")
	h.press("tab") // secret from: environment variable
	h.press("enter")
	h.typeText("WORK_SECRET")
	h.press("down")
	h.typeText("openid,email offline_access")
	h.press("tab")
	h.typeText("http://127.0.0.1:8765/callback")
	h.press("tab")
	h.run(h.send(right)) // auth method: client_secret_basic
	h.run(h.send(right)) // client_secret_post
	h.press("tab")
	h.typeText("prompt=login; audience=https://api.example")
	h.press("enter") // enter on the last field saves
	f := store.last(t)
	if f.Name != "work-ssoqjk" || f.Issuer != "https://sso.example" || f.ClientID != "cli" ||
		f.Secret != SecretEnv || f.SecretValue != "WORK_SECRET" || strings.Join(f.Scopes, " ") != "openid email offline_access" ||
		f.RedirectURI != "http://127.0.0.1:8765/callback" || f.AuthMethod != "client_secret_post" ||
		f.Params["prompt"] != "login" || f.Params["audience"] != "https://api.example" || f.Original != "" {
		t.Fatalf("saved %+v", f)
	}
	if h.m.providers.profiles.editing {
		t.Fatal("the form is still open after saving")
	}
	scr := h.screen()
	if !strings.Contains(scr, "▸ work-ssoqjk") || !strings.Contains(scr, "saved profile work-ssoqjk to /home/ada/") {
		t.Errorf("the new profile is not listed and selected:\n%s", scr)
	}
	if !h.m.keys.Edit.Enabled() {
		t.Error("e (edit profile) is not offered on the new profile")
	}
}

func TestProfileFormChecksNameTheField(t *testing.T) {
	store := &fakeStore{}
	h := profileHarness(t, store)
	openNewProfile(t, h)
	h.typeText("bad name!")
	h.press("tab", "tab")
	h.typeText("ftp://x")
	h.run(h.send(ctrlS))
	if len(store.saved) != 0 {
		t.Fatal("saved a form that fails its own checks")
	}
	scr := h.screen()
	for _, want := range []string{
		"✗ name", "name: letters, digits",
		"issuer: must be an http(s) URL",
		"client id: required",
	} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	if h.m.providers.profiles.form.focus != pfName {
		t.Errorf("focus on field %d, want the first with a problem (name)", h.m.providers.profiles.form.focus)
	}
	// Fixing a field clears its mark.
	for range len("bad name!") {
		h.run(h.send(tea.KeyPressMsg{Code: tea.KeyBackspace}))
	}
	h.typeText("ok")
	if strings.Contains(h.screen(), "✗ name") {
		t.Error("the name is still marked after it was changed")
	}
}

func TestProfileFormShowsTheStoresErrorsByField(t *testing.T) {
	store := &fakeStore{saveErr: &ProfileErrors{Errors: []FieldError{
		{Field: "redirect_uri", Problem: "must not have a fragment (RFC 6749 §3.1.2)"},
		{Field: "params", Problem: "params.prompt: unknown value \"sometimes\""},
	}}}
	h := profileHarness(t, store)
	openNewProfile(t, h)
	h.typeText("w")
	h.press("tab", "tab")
	h.typeText("https://sso.example")
	h.press("tab", "tab", "tab")
	h.typeText("cli")
	h.press("tab", "enter")
	h.typeText("S")
	h.run(h.send(ctrlS))
	scr := h.screen()
	for _, want := range []string{"✗ redirect URI", "redirect URI: must not have a fragment", "✗ extra params", "unknown value \"sometimes\""} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	if f := h.m.providers.profiles.form; f.focus != pfRedirect || !f.inputs[pfRedirect].Focused() {
		t.Errorf("focus on field %d after the store rejected the redirect URI, want it there (%d)", f.focus, pfRedirect)
	}
	if !h.m.providers.profiles.editing {
		t.Error("the form closed although the save failed")
	}
}

func TestProfileFormPlainSecretIsMaskedAndNeverCarried(t *testing.T) {
	store := &fakeStore{}
	h := profileHarness(t, store)
	openNewProfile(t, h)
	h.typeText("w")
	h.press("tab", "tab")
	h.typeText("https://sso.example")
	h.press("tab", "tab", "tab")
	h.typeText("cli")
	h.press("tab")
	for range 3 { // environment variable → a file → ask each time → in the profiles file
		h.run(h.send(right))
	}
	if !strings.Contains(h.screen(), "◂ in the profiles file (plain text) ▸") || !strings.Contains(h.screen(), "written in plain text to") {
		t.Fatalf("the plain-text choice is not said plainly:\n%s", h.screen())
	}
	h.press("tab")
	h.typeText("hunter2")
	if strings.Contains(h.screen(), "hunter2") {
		t.Fatal("the secret is on screen")
	}
	// Back to a file: the secret must not turn into a path.
	h.press("shift+tab")
	h.run(h.send(left))
	if got := h.m.providers.profiles.form.inputs[pfSecretValue].Value(); got != "" {
		t.Fatalf("the secret was carried into the file field: %q", got)
	}
	h.run(h.send(right))
	h.press("tab")
	h.typeText("hunter2")
	h.run(h.send(ctrlS))
	if f := store.last(t); f.Secret != SecretPlain || f.SecretValue != "hunter2" {
		t.Fatalf("saved %+v", f)
	}
}

func TestEditProfileLoadsAndReplaces(t *testing.T) {
	store := &fakeStore{get: map[string]ProfileForm{"work": {
		Original: "work", Name: "work", Preset: "entra", Vars: map[string]string{"tenant": "contoso.onmicrosoft.com"},
		ClientID: "cli", Secret: SecretPlain, HasPlainSecret: true,
		Scopes: []string{"openid"}, Kept: []string{"description", "par"},
	}}}
	h := profileHarness(t, store, Provider{Name: "work", Issuer: "https://login.example", Profile: "work"})
	h.press("down")
	if !h.m.keys.Edit.Enabled() || !strings.Contains(h.screen(), "e edit profile") {
		t.Fatalf("e is not offered on a profile:\n%s", h.screen())
	}
	h.press("e")
	scr := h.screen()
	for _, want := range []string{"Edit profile work", "◂ entra · Microsoft Entra ID ▸", "tenant=contoso.onmicrosoft.com",
		"(from the entra preset)", "◂ in the profiles file (plain text) ▸",
		"(empty keeps the saved secret)", "kept as they are: description, par"} {
		if !strings.Contains(scr, want) {
			t.Errorf("edit form lacks %q:\n%s", want, scr)
		}
	}
	h.typeText("-eu") // rename
	h.run(h.send(ctrlS))
	f := store.last(t)
	if f.Original != "work" || f.Name != "work-eu" || f.SecretValue != "" || !f.HasPlainSecret || f.Preset != "entra" ||
		f.Vars["tenant"] != "contoso.onmicrosoft.com" {
		t.Fatalf("saved %+v", f)
	}
	n := 0
	for _, p := range h.m.providers.providers {
		if p.Profile != "" {
			n++
		}
	}
	if n != 1 || !strings.Contains(h.screen(), "▸ work-eu") {
		t.Errorf("the renamed profile is not in place of the old one (%d profiles):\n%s", n, h.screen())
	}
	// esc discards an edit.
	h.press("e")
	h.press("esc")
	if h.m.providers.profiles.editing || h.m.screen != screenProviders {
		t.Error("esc did not close the form")
	}
}

// The form edits the preset, its placeholders and the private_key_jwt key; the
// fields that do not apply are not shown.
func TestProfileFormPresetAndKey(t *testing.T) {
	store := &fakeStore{}
	h := profileHarness(t, store)
	openNewProfile(t, h)
	if scr := h.screen(); !strings.Contains(scr, "◂ none ▸") || strings.Contains(scr, "preset vars") || strings.Contains(scr, "private key") {
		t.Fatalf("a new form shows vars or a key without a preset or private_key_jwt:\n%s", scr)
	}
	h.typeText("work")
	h.press("tab")
	h.run(h.send(right)) // entra
	scr := h.screen()
	for _, want := range []string{"◂ entra · Microsoft Entra ID ▸", "preset vars", "tenant=…", "(from the entra preset)", "Microsoft Entra ID: issuer"} {
		if !strings.Contains(scr, want) {
			t.Errorf("after choosing entra the form lacks %q:\n%s", want, scr)
		}
	}
	h.press("tab")
	h.typeText("tenant contoso") // not NAME=VALUE
	h.press("tab", "tab", "tab", "tab")
	h.typeText("cli")
	h.press("tab")
	h.run(h.send(left))          // secret from: none (a key, no secret)
	h.press("tab", "tab", "tab") // scopes, redirect URI, auth method
	for range 4 {                // auth method: default → basic → post → client_secret_jwt → private_key_jwt
		h.run(h.send(right))
	}
	if scr := h.screen(); !strings.Contains(scr, "◂ private_key_jwt ▸") || !strings.Contains(scr, "private key") || !strings.Contains(scr, "key id") {
		t.Fatalf("private_key_jwt does not ask for the key:\n%s", scr)
	}
	h.run(h.send(ctrlS))
	if len(store.saved) != 0 {
		t.Fatal("saved with bad vars and no key file")
	}
	scr = h.screen()
	for _, want := range []string{"✗ preset vars", "want NAME=VALUE", "✗ private key", "signs with the client's private key",
		"◂ none (private_key_jwt signs with a key) ▸"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	// Fix both: the focus is on the vars (the first field with a problem).
	for range len("tenant contoso") {
		h.run(h.send(tea.KeyPressMsg{Code: tea.KeyBackspace}))
	}
	h.typeText("tenant=contoso.onmicrosoft.com")
	for h.m.providers.profiles.form.focus != pfKeyFile {
		h.press("tab")
	}
	h.typeText("~/keys/work.pem")
	h.press("tab")
	h.typeText("k1")
	h.run(h.send(ctrlS))
	f := store.last(t)
	if f.Preset != "entra" || f.Vars["tenant"] != "contoso.onmicrosoft.com" || f.AuthMethod != "private_key_jwt" ||
		f.PrivateKeyFile != "~/keys/work.pem" || f.KeyID != "k1" || f.Secret != SecretNone || f.Issuer != "" {
		t.Fatalf("saved %+v", f)
	}
}

func TestProfileAskingForItsSecret(t *testing.T) {
	h := profileHarness(t, &fakeStore{}, Provider{Name: "ask", Issuer: "https://a.example", Profile: "ask", ClientID: "cli", AsksSecret: true})
	h.press("down", "enter")
	if !strings.Contains(h.screen(), "asks for its client secret each time") {
		t.Fatalf("no prompt:\n%s", h.screen())
	}
	h.typeText("s3cr3t")
	if strings.Contains(h.screen(), "s3cr3t") {
		t.Fatal("the secret is on screen")
	}
	h.press("enter")
	if h.m.screen != screenFlows || h.m.choice.ClientSecret != "s3cr3t" || h.m.choice.Provider.Profile != "ask" {
		t.Fatalf("screen %v, choice %+v", h.m.screen, h.m.choice)
	}
}

func TestProfileWithAProblemCannotBeChosen(t *testing.T) {
	h := profileHarness(t, &fakeStore{}, Provider{Name: "broken", Profile: "broken", Problem: "client_id: required"})
	if !strings.Contains(h.screen(), "✗ client_id: required") {
		t.Fatalf("the problem is not listed:\n%s", h.screen())
	}
	h.press("down", "enter")
	if h.m.screen != screenProviders || !strings.Contains(h.screen(), "profile broken cannot be used: client_id: required (e edits it)") {
		t.Fatalf("screen %v:\n%s", h.m.screen, h.screen())
	}
}

func TestInitialProviderOpensTheFlowMenu(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = append(o.Providers, Provider{Name: "work", Issuer: "https://w.example", Profile: "work", ClientID: "cli"})
		o.InitialProvider = "work"
	})
	if h.m.screen != screenFlows || h.m.choice.Provider.Profile != "work" || h.m.choice.ClientID != "cli" {
		t.Fatalf("screen %v, choice %+v", h.m.screen, h.m.choice)
	}
}

func TestNoStoreNoProfileEntries(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = append(o.Providers, Provider{Name: "work", Issuer: "https://w.example", Profile: "work"})
	})
	h.size(80, 24)
	h.press("down")
	if strings.Contains(h.screen(), "New profile…") || h.m.keys.Edit.Enabled() {
		t.Errorf("profile editing offered without a store:\n%s", h.screen())
	}
}

func TestParseParams(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"", nil, ""},
		{"prompt=login consent; acr_values=urn:a b;", map[string]string{"prompt": "login consent", "acr_values": "urn:a b"}, ""},
		{"resource=https://api.example/?a=b", map[string]string{"resource": "https://api.example/?a=b"}, ""},
		{"prompt", nil, "want NAME=VALUE"},
		{"=x", nil, "want NAME=VALUE"},
		{"a=1; a=2", nil, "given twice"},
	} {
		got, err := parseParams(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseParams(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseParams(%q) = %v, %v", tc.in, got, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("parseParams(%q)[%s] = %q, want %q", tc.in, k, got[k], v)
			}
		}
		if formatParams(got) != "" {
			if again, _ := parseParams(formatParams(got)); len(again) != len(got) {
				t.Errorf("formatParams does not round-trip %v", got)
			}
		}
	}
}

func TestInitialProviderAskingForItsSecretWaitsForIt(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Providers = append([]Provider{{Name: "ask", Issuer: "https://a.example", Profile: "ask", ClientID: "cli", AsksSecret: true}}, o.Providers...)
		o.InitialProvider = "ask"
		o.InitialFlow = flows.KindPKCE
	})
	h.size(80, 24)
	if h.m.screen != screenProviders || !h.m.providers.profiles.asking || len(h.flows) != 0 {
		t.Fatalf("screen %v, asking %v, flows started %d", h.m.screen, h.m.providers.profiles.asking, len(h.flows))
	}
	h.typeText("pw")
	h.press("enter")
	if h.m.screen != screenFlows || h.m.choice.ClientSecret != "pw" {
		t.Fatalf("screen %v, choice %+v", h.m.screen, h.m.choice)
	}
}

// TestProfileGolden pins the provider screen with saved profiles (folded at 80×24)
// and the profile form with problems marked, in both sizes and themes.
func TestProfileGolden(t *testing.T) {
	profiles := []Provider{
		{Name: "work", Issuer: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", Profile: "work",
			Description: "saved profile · Microsoft Entra ID preset · client 0b1c2d3e · secret: environment variable WORK_SECRET"},
		{Name: "api", Issuer: "https://dev-abc123.us.auth0.com/", Profile: "api", AsksSecret: true,
			Description: "saved profile · Auth0 preset · client abcDEF123 · secret: asked for at the start of each flow"},
		{Name: "bad", Issuer: "https://idp.example", Profile: "bad",
			Problem: "line 30: redirect_uri: must not have a fragment (RFC 6749 §3.1.2)"},
	}
	bundledClients := []Client{{ID: "web-app", Description: "Confidential server-side web application."},
		{ID: "native-app", Description: "Public native application (PKCE)."}, {ID: "machine", Description: "Client credentials."}}
	scenes := []struct {
		name  string
		setup func(h *harness)
	}{
		{"profiles", func(h *harness) { h.press("down", "down") }},
		{"profile_form", func(h *harness) {
			openNewProfile(t, h)
			h.typeText("work eu")
			h.press("tab")
			h.typeText("https://login.example.com")
			h.run(h.send(ctrlS))
		}},
	}
	for _, sc := range scenes {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			for _, dark := range []bool{true, false} {
				name := fmt.Sprintf("%s_%dx%d_%s", sc.name, sz[0], sz[1], map[bool]string{true: "dark", false: "light"}[dark])
				t.Run(name, func(t *testing.T) {
					h := newHarness(t, dark, func(o *Options) {
						o.Providers[0].Clients = bundledClients
						o.Providers = append(o.Providers, profiles...)
						o.Profiles = &fakeStore{}
					})
					h.size(sz[0], sz[1])
					sc.setup(h)
					got := h.screen()
					checkFits(t, got, sz[0], sz[1])
					checkGolden(t, name, got)
				})
			}
		}
	}
}
