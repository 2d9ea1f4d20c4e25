package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/oauthx/oauthx/flows/provider"
	"github.com/oauthx/oauthx/tui"
)

// profileStore is the explorer's [tui.ProfileStore] on the profiles file: the TUI
// edits profiles through it and does no file I/O of its own. Every call reads the file
// afresh (another oauthx, or an editor, may have changed it) and Save writes it
// atomically (provider.Save: 0600, temporary file renamed). The profiles last read
// are what the explorer's flows use (current).
type profileStore struct {
	path string // "" until resolved: provider.DefaultPath

	mu      sync.Mutex
	current *provider.Profiles
}

// newProfileStore reads the profiles file at path ("" for the default) for the
// explorer. A file that cannot be read or parsed is no error here: its problems are
// listed on the provider screen, by profile and field.
func newProfileStore(path string) (*profileStore, error) {
	ps, path, err := loadProfiles(path)
	s := &profileStore{path: path, current: ps}
	return s, err
}

// Path implements tui.ProfileStore.
func (s *profileStore) Path() string { return s.path }

// Presets implements tui.ProfileStore: the built-in presets, with the
// placeholders each needs.
func (s *profileStore) Presets() []tui.ProfilePreset {
	var out []tui.ProfilePreset
	for _, p := range provider.Presets() {
		out = append(out, tui.ProfilePreset{Name: p.Name, Title: p.Title, Vars: p.Placeholders()})
	}
	return out
}

// lookup returns a saved profile for a flow.
func (s *profileStore) lookup(name string) (provider.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.Lookup(name)
}

// providers lists the saved profiles for the provider screen, each with what it
// needs: a broken one with its problem, one that asks for its secret flagged.
// loadErr is what reading the file reported.
func (s *profileStore) providers(loadErr error) []tui.Provider {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tui.Provider
	byProfile := map[string][]string{}
	for _, e := range provider.Errors(loadErr) {
		byProfile[e.Profile] = append(byProfile[e.Profile], fieldProblem(e))
	}
	for _, p := range s.current.List() {
		out = append(out, profileEntry(p, byProfile[p.Name]))
	}
	if file := byProfile[""]; len(file) > 0 || loadErr != nil && len(provider.Errors(loadErr)) == 0 {
		if len(file) == 0 {
			file = []string{loadErr.Error()}
		}
		out = append(out, tui.Provider{Name: "profiles file", Issuer: s.path,
			Problem: strings.Join(file, "; "), Description: "the profiles file cannot be read as a whole"})
	}
	return out
}

// fieldProblem says an error's field and problem, without the file and profile.
func fieldProblem(e *provider.Error) string {
	s := e.Problem
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// profileEntry is a profile as the provider screen lists it.
func profileEntry(p provider.Profile, problems []string) tui.Provider {
	e := tui.Provider{Name: p.Name, Profile: p.Name, ClientID: p.ClientID, AsksSecret: p.SecretPrompt}
	if len(problems) > 0 {
		e.Problem = strings.Join(problems, "; ")
		e.Issuer = p.Issuer
		return e
	}
	r, err := p.Resolve()
	if err != nil {
		var msgs []string
		for _, pe := range provider.Errors(err) {
			msgs = append(msgs, fieldProblem(pe))
		}
		if len(msgs) == 0 {
			msgs = []string{err.Error()}
		}
		e.Problem = strings.Join(msgs, "; ")
		return e
	}
	e.Issuer = r.Issuer
	if e.Issuer == "" {
		e.Issuer = r.Token
	}
	var parts []string
	if r.Preset != nil {
		parts = append(parts, r.Preset.Title+" preset")
	}
	parts = append(parts, "client "+r.ClientID, "secret: "+orNoneSecret(r.SecretSource))
	if p.Description != "" {
		parts = append(parts, p.Description)
	}
	e.Description = "saved profile · " + strings.Join(parts, " · ")
	return e
}

func orNoneSecret(s string) string {
	if s == "" {
		return "none (public client)"
	}
	return s
}

// Get implements tui.ProfileStore.
func (s *profileStore) Get(name string) (tui.ProfileForm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, _, err := loadProfiles(s.path)
	if ps == nil || len(ps.Names()) == 0 && err != nil {
		return tui.ProfileForm{}, err
	}
	p, lerr := ps.Lookup(name)
	if lerr != nil {
		return tui.ProfileForm{}, lerr
	}
	return profileForm(p), nil
}

// Save implements tui.ProfileStore.
func (s *profileStore) Save(f tui.ProfileForm) (tui.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, path, err := loadProfiles(s.path)
	for _, e := range provider.Errors(err) {
		if e.Profile == "" {
			return tui.Provider{}, fmt.Errorf("%s cannot be read (%s); fix it by hand first, oauthx will not overwrite it", path, fieldProblem(e))
		}
	}
	if err != nil && len(provider.Errors(err)) == 0 {
		return tui.Provider{}, fmt.Errorf("%s cannot be read: %v", path, err)
	}
	var p provider.Profile
	if f.Original != "" {
		if p, err = ps.Lookup(f.Original); err != nil {
			return tui.Provider{}, fmt.Errorf("profile %q is no longer in %s (changed since it was opened?)", f.Original, path)
		}
	}
	if f.Name != f.Original && slices.Contains(ps.Names(), f.Name) {
		return tui.Provider{}, &tui.ProfileErrors{Errors: []tui.FieldError{{Field: "name",
			Problem: fmt.Sprintf("%s already has a profile called %q", path, f.Name)}}}
	}
	p = applyProfileForm(p, f)
	if err := ps.Put(p); err != nil {
		return tui.Provider{}, formErrors(err, p.Name)
	}
	if _, err := p.Resolve(); err != nil {
		return tui.Provider{}, formErrors(err, p.Name)
	}
	if f.Original != "" && f.Original != p.Name {
		ps.Delete(f.Original)
		if ps.Default == f.Original {
			ps.Default = p.Name
		}
	}
	if err := provider.Save(path, ps); err != nil {
		return tui.Provider{}, formErrors(err, p.Name)
	}
	s.current = ps
	return profileEntry(p, nil), nil
}

// profileForm is a saved profile as the form edits it; the secret itself stays out.
func profileForm(p provider.Profile) tui.ProfileForm {
	f := tui.ProfileForm{
		Original: p.Name, Name: p.Name, Issuer: p.Issuer, AuthorizationEndpoint: p.Endpoints.Authorization,
		TokenEndpoint: p.Endpoints.Token, ClientID: p.ClientID, Scopes: slices.Clone(p.Scopes),
		RedirectURI: p.RedirectURI, AuthMethod: p.AuthMethod, Params: p.Params, Preset: p.Preset,
		Vars: maps.Clone(p.Vars), PrivateKeyFile: p.PrivateKeyFile, KeyID: p.KeyID,
		HasPlainSecret: p.ClientSecret != "",
	}
	switch {
	case p.SecretEnv != "":
		f.Secret, f.SecretValue = tui.SecretEnv, p.SecretEnv
	case p.SecretFile != "":
		f.Secret, f.SecretValue = tui.SecretFile, p.SecretFile
	case p.SecretPrompt:
		f.Secret = tui.SecretPrompt
	case p.ClientSecret != "":
		f.Secret = tui.SecretPlain
	default:
		f.Secret = tui.SecretNone
	}
	kept := []struct {
		set  bool
		name string
	}{
		{p.Description != "", "description"},
		{p.Endpoints.JWKS != "", "jwks_uri"}, {p.Endpoints.Userinfo != "", "userinfo_endpoint"},
		{p.PAR, "par"}, {p.Listen != "", "listen"},
	}
	for _, k := range kept {
		if k.set {
			f.Kept = append(f.Kept, k.name)
		}
	}
	return f
}

// applyProfileForm lays the form over p, keeping what the form does not edit.
func applyProfileForm(p provider.Profile, f tui.ProfileForm) provider.Profile {
	p.Name, p.Issuer, p.ClientID = f.Name, f.Issuer, f.ClientID
	p.Endpoints.Authorization, p.Endpoints.Token = f.AuthorizationEndpoint, f.TokenEndpoint
	p.Scopes, p.RedirectURI, p.AuthMethod = f.Scopes, f.RedirectURI, f.AuthMethod
	p.Params = f.Params
	p.Preset, p.Vars = f.Preset, f.Vars
	p.PrivateKeyFile, p.KeyID = f.PrivateKeyFile, f.KeyID
	keepPlain := f.Secret == tui.SecretPlain && f.SecretValue == "" && p.ClientSecret != ""
	p.SecretEnv, p.SecretFile, p.SecretPrompt = "", "", false
	if !keepPlain {
		p = p.WithPlainSecret("") // drops a secret written before: the person chose another place
	}
	switch f.Secret {
	case tui.SecretEnv:
		p.SecretEnv = f.SecretValue
	case tui.SecretFile:
		p.SecretFile = f.SecretValue
	case tui.SecretPrompt:
		p.SecretPrompt = true
	case tui.SecretPlain:
		if f.SecretValue != "" {
			p = p.WithPlainSecret(f.SecretValue) // the person chose plain text in the form
		}
	}
	return p
}

// formErrors turns the profile package's errors into the form's fields.
func formErrors(err error, name string) error {
	pes := provider.Errors(err)
	if len(pes) == 0 {
		return err
	}
	out := &tui.ProfileErrors{}
	for _, e := range pes {
		fe := tui.FieldError{Field: formField(e.Field), Problem: e.Problem}
		switch {
		case e.Profile != "" && e.Profile != name:
			fe = tui.FieldError{Field: "profile " + e.Profile, Problem: fieldProblem(e) + " (fix it first: the file is saved whole)"}
		case fe.Field != e.Field && e.Field != "":
			fe.Problem = e.Field + ": " + e.Problem
		}
		out.Errors = append(out.Errors, fe)
	}
	return out
}

// formField names the form field a profile key belongs to.
func formField(key string) string {
	switch {
	case key == "":
		return "name"
	case key == "preset":
		return "preset"
	case strings.HasPrefix(key, "vars"):
		return "vars"
	case key == "secret_env", key == "secret_file", key == "secret_prompt", key == "client_secret":
		return "secret"
	case strings.HasPrefix(key, "scopes"):
		return "scopes"
	case strings.HasPrefix(key, "params"):
		return "params"
	}
	return key // authorization_endpoint, token_endpoint, client_id, redirect_uri, auth_method
}

// checkTUIProfile checks the profile `oauthx --profile NAME` opens before the
// terminal is taken over: the file, the profile and, unless it asks for it in the
// explorer, its secret. The error names the profile and the field.
func checkTUIProfile(path, name string, stderr io.Writer) error {
	p, err := loadProfile(path, name, stderr)
	if err != nil {
		return err
	}
	if _, err := p.Resolve(); err != nil {
		return err
	}
	if !p.SecretPrompt {
		if _, err := p.Secret(os.Getenv, nil); err != nil {
			return err // it names the profile and where the secret should come from
		}
	}
	return nil
}

// moveFirst puts the provider of profile name first, so --flow starts against it.
func moveFirst(ps []tui.Provider, name string) []tui.Provider {
	i := slices.IndexFunc(ps, func(p tui.Provider) bool { return p.Profile == name })
	if i <= 0 {
		return ps
	}
	out := append([]tui.Provider{ps[i]}, ps[:i]...)
	return append(out, ps[i+1:]...)
}
