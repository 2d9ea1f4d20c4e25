package tui

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// ProfileStore reads and writes the saved provider profiles for the provider screen's
// "New profile…" and "Edit profile" forms. cmd/oauthx implements it on the profiles
// file; the TUI does no file I/O of its own. Its methods are called inside commands
// and must be safe for concurrent use.
type ProfileStore interface {
	// Get returns the saved profile called name, as the form edits it. The secret
	// itself is never returned: only where it comes from.
	Get(name string) (ProfileForm, error)
	// Save validates f and writes it to the profiles file, replacing the profile
	// called f.Original (renaming it when f.Name differs), and returns the provider
	// entry to list. Problems with fields come back as *[ProfileErrors].
	Save(f ProfileForm) (Provider, error)
	// Path says where the profiles are saved, for the person.
	Path() string
	// Presets lists the built-in presets a profile can be based on.
	Presets() []ProfilePreset
}

// ProfilePreset is a built-in preset as the form offers it.
type ProfilePreset struct {
	Name  string   // "entra"
	Title string   // "Microsoft Entra ID"
	Vars  []string // the placeholders its templates need filled ("tenant")
}

// SecretSource says where a profile's client secret comes from.
type SecretSource string

// The secret sources, in the order the form offers them.
const (
	SecretNone   SecretSource = "none"   // a public client (auth method none)
	SecretEnv    SecretSource = "env"    // an environment variable
	SecretFile   SecretSource = "file"   // a file whose first line is the secret
	SecretPrompt SecretSource = "prompt" // asked for each time the profile is used
	SecretPlain  SecretSource = "plain"  // written in the profiles file: only when the person chooses it
)

var secretSources = []SecretSource{SecretNone, SecretEnv, SecretFile, SecretPrompt, SecretPlain}

func (s SecretSource) label() string {
	switch s {
	case SecretEnv:
		return "environment variable"
	case SecretFile:
		return "a file"
	case SecretPrompt:
		return "ask each time"
	case SecretPlain:
		return "in the profiles file (plain text)"
	}
	return "none (public client)"
}

// ProfileForm is a profile as the form edits it.
type ProfileForm struct {
	// Original is the name of the profile being edited; "" for a new one.
	Original string
	Name     string
	// Issuer is discovered; AuthorizationEndpoint and TokenEndpoint are given by hand
	// for providers without discovery, and override it.
	Issuer                               string
	AuthorizationEndpoint, TokenEndpoint string
	ClientID                             string
	// Secret says where the client secret comes from; SecretValue is the variable's
	// name (env), the file's path (file) or the secret itself (plain; "" keeps the
	// one saved, HasPlainSecret).
	Secret         SecretSource
	SecretValue    string
	HasPlainSecret bool
	Scopes         []string
	RedirectURI    string
	// AuthMethod is the token endpoint authentication method; "" means the default
	// (the preset's, client_secret_basic with a secret, none without).
	AuthMethod string
	// Params are extra authorization request parameters (prompt, acr_values,
	// audience, resource…).
	Params map[string]string
	// Preset names the profile's preset ("" for none); with one the issuer may be
	// empty. Vars fill the preset's placeholders ({tenant}…).
	Preset string
	Vars   map[string]string
	// PrivateKeyFile and KeyID are the client's key for private_key_jwt (RFC 7523
	// §2.2), used when AuthMethod is private_key_jwt.
	PrivateKeyFile, KeyID string
	// Kept lists in words what the form does not edit and saves unchanged.
	Kept []string
}

// FieldError is a problem with one field of the form. Field is one of name, issuer,
// authorization_endpoint, token_endpoint, client_id, secret, scopes, redirect_uri,
// auth_method, params; Problem says what is wrong in words, naming the profile file's
// key when it differs.
type FieldError struct {
	Field   string
	Problem string
}

// ProfileErrors are the problems that stopped a save.
type ProfileErrors struct {
	Errors []FieldError
}

func (e *ProfileErrors) Error() string {
	var parts []string
	for _, f := range e.Errors {
		parts = append(parts, f.Field+": "+f.Problem)
	}
	return strings.Join(parts, "; ")
}

// The form's fields, in order on screen.
const (
	pfName   = iota
	pfPreset // a choice
	pfVars
	pfIssuer
	pfAuthURL
	pfTokenURL
	pfClientID
	pfSecretSource // a choice
	pfSecretValue
	pfScopes
	pfRedirect
	pfAuthMethod // a choice
	pfKeyFile
	pfKeyID
	pfParams
	pfCount
)

// pfKeys are the fields' names in FieldError.
var pfKeys = [pfCount]string{"name", "preset", "vars", "issuer", "authorization_endpoint", "token_endpoint", "client_id",
	"secret", "secret", "scopes", "redirect_uri", "auth_method", "private_key_file", "key_id", "params"}

var pfLabels = [pfCount]string{"name", "preset", "preset vars", "issuer", "authorize URL", "token URL", "client id",
	"secret from", "", "scopes", "redirect URI", "auth method", "private key", "key id", "extra params"}

const pfLabelWidth = 14

var authMethodChoices = []string{"", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}

var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// profileForm is the "New profile…" / "Edit profile" form of the provider screen.
type profileForm struct {
	original       string
	presets        []ProfilePreset // the choices: none first, then the store's
	preset         int             // index in presets
	kept           []string
	hasPlainSecret bool
	inputs         [pfCount]textinput.Model // the text fields; the choices' entries are unused
	secret         int                      // index in secretSources
	authMethod     int                      // index in authMethodChoices
	focus          int
	errs           map[int][]string // problems by field
	err            string           // a problem not tied to a field
	saving         bool
	path           string
}

func newProfileForm(f ProfileForm, path string, presets []ProfilePreset, st Styles) profileForm {
	m := profileForm{original: f.Original, kept: f.Kept, hasPlainSecret: f.HasPlainSecret, path: path}
	m.presets = append([]ProfilePreset{{}}, presets...)
	if f.Preset != "" {
		m.preset = slices.IndexFunc(m.presets, func(p ProfilePreset) bool { return p.Name == f.Preset })
		if m.preset < 0 { // not a preset this oauthx knows: kept, and the store says why on save
			m.presets = append(m.presets, ProfilePreset{Name: f.Preset})
			m.preset = len(m.presets) - 1
		}
	}
	holders := [pfCount]string{
		pfName: "work", pfIssuer: "https://login.example.com", pfAuthURL: "(from discovery)", pfTokenURL: "(from discovery)",
		pfClientID: "my-client", pfScopes: "openid profile email", pfRedirect: "http://127.0.0.1:8765/callback",
		pfKeyFile: "~/.config/oauthx/work-key.pem", pfKeyID: "(the key's own kid, if any)",
		pfParams: "prompt=login; audience=https://api.example.com",
	}
	for i := range m.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = holders[i]
		in.SetStyles(st.Input)
		in.CharLimit = 2048
		m.inputs[i] = in
	}
	m.inputs[pfName].SetValue(f.Name)
	m.inputs[pfIssuer].SetValue(f.Issuer)
	m.inputs[pfAuthURL].SetValue(f.AuthorizationEndpoint)
	m.inputs[pfTokenURL].SetValue(f.TokenEndpoint)
	m.inputs[pfClientID].SetValue(f.ClientID)
	m.inputs[pfScopes].SetValue(strings.Join(f.Scopes, " "))
	m.inputs[pfRedirect].SetValue(f.RedirectURI)
	m.inputs[pfParams].SetValue(formatParams(f.Params))
	m.inputs[pfVars].SetValue(formatParams(f.Vars))
	m.inputs[pfKeyFile].SetValue(f.PrivateKeyFile)
	m.inputs[pfKeyID].SetValue(f.KeyID)
	m.setPresetHolders()
	m.secret = max(slices.Index(secretSources, f.Secret), 0)
	if f.Secret != SecretPlain {
		m.inputs[pfSecretValue].SetValue(f.SecretValue)
	}
	m.authMethod = max(slices.Index(authMethodChoices, f.AuthMethod), 0)
	m.setSecretInput()
	return m
}

func (m *profileForm) setStyles(st Styles) {
	for i := range m.inputs {
		m.inputs[i].SetStyles(st.Input)
	}
}

func (m *profileForm) setWidth(w int) {
	for i := range m.inputs {
		m.inputs[i].SetWidth(max(w-pfLabelWidth-6, 8))
	}
}

func (m profileForm) source() SecretSource { return secretSources[m.secret] }

func (m profileForm) presetName() string { return m.presets[m.preset].Name }

// setPresetHolders makes the placeholders say what a preset provides.
func (m *profileForm) setPresetHolders() {
	iss, scopes, vars := "https://login.example.com", "openid profile email", ""
	if p := m.presets[m.preset]; p.Name != "" {
		iss, scopes = "(from the "+p.Name+" preset)", "(the preset's)"
		var parts []string
		for _, v := range p.Vars {
			parts = append(parts, v+"=…")
		}
		vars = strings.Join(parts, "; ")
	}
	m.inputs[pfIssuer].Placeholder, m.inputs[pfScopes].Placeholder, m.inputs[pfVars].Placeholder = iss, scopes, vars
}

// setSecretInput makes the secret's input fit its source: a password field for the
// secret itself, plain text for a variable name or a path.
func (m *profileForm) setSecretInput() {
	in := &m.inputs[pfSecretValue]
	in.EchoMode = textinput.EchoNormal
	switch m.source() {
	case SecretEnv:
		in.Placeholder = "WORK_CLIENT_SECRET"
	case SecretFile:
		in.Placeholder = "~/.config/oauthx/work.secret"
	case SecretPlain:
		in.EchoMode = textinput.EchoPassword
		in.Placeholder = "the client secret"
		if m.hasPlainSecret {
			in.Placeholder = "(empty keeps the saved secret)"
		}
	}
}

// skipped reports whether field i takes no input now: the secret's value when the
// source needs none, the vars without a preset, the key without private_key_jwt.
func (m profileForm) skipped(i int) bool {
	switch i {
	case pfSecretValue:
		s := m.source()
		return s == SecretNone || s == SecretPrompt
	case pfVars:
		return m.presetName() == ""
	case pfKeyFile, pfKeyID:
		return authMethodChoices[m.authMethod] != "private_key_jwt"
	}
	return false
}

func isChoice(i int) bool { return i == pfPreset || i == pfSecretSource || i == pfAuthMethod }

// move focuses the next (or previous) field that takes input.
func (m profileForm) move(delta int) (profileForm, tea.Cmd) {
	m.inputs[m.focus].Blur()
	for {
		m.focus = (m.focus + delta + pfCount) % pfCount
		if !m.skipped(m.focus) {
			break
		}
	}
	if isChoice(m.focus) {
		return m, nil
	}
	return m, m.inputs[m.focus].Focus()
}

// value returns the form as a ProfileForm.
func (m profileForm) value() ProfileForm {
	v := func(i int) string { return strings.TrimSpace(m.inputs[i].Value()) }
	f := ProfileForm{
		Original: m.original, Name: v(pfName), Issuer: v(pfIssuer), AuthorizationEndpoint: v(pfAuthURL),
		TokenEndpoint: v(pfTokenURL), ClientID: v(pfClientID), Secret: m.source(),
		Scopes:      strings.FieldsFunc(v(pfScopes), func(r rune) bool { return r == ' ' || r == ',' }),
		RedirectURI: v(pfRedirect), AuthMethod: authMethodChoices[m.authMethod],
		HasPlainSecret: m.hasPlainSecret, Preset: m.presetName(), Kept: m.kept,
	}
	if !m.skipped(pfVars) {
		f.Vars, _ = parseParams(v(pfVars))
	}
	if !m.skipped(pfKeyFile) {
		f.PrivateKeyFile, f.KeyID = v(pfKeyFile), v(pfKeyID)
	}
	if !m.skipped(pfSecretValue) {
		f.SecretValue = v(pfSecretValue)
		if f.Secret == SecretPlain {
			f.SecretValue = m.inputs[pfSecretValue].Value() // a secret may have spaces
		}
	}
	f.Params, _ = parseParams(v(pfParams))
	return f
}

// check finds what the form itself can tell is wrong; the store checks the rest
// against the specs when saving.
func (m profileForm) check() map[int][]string {
	errs := map[int][]string{}
	bad := func(i int, format string, a ...any) { errs[i] = append(errs[i], fmt.Sprintf(format, a...)) }
	f := m.value()
	switch {
	case f.Name == "":
		bad(pfName, "required: the name you will choose it by (oauthx --profile NAME)")
	case !profileNameRE.MatchString(f.Name):
		bad(pfName, "letters, digits, '.', '_' and '-', starting with a letter or digit")
	}
	if f.Issuer == "" && f.TokenEndpoint == "" && f.Preset == "" {
		bad(pfIssuer, "give an issuer to discover, or the token URL (and authorize URL) by hand")
	}
	for _, i := range []int{pfIssuer, pfAuthURL, pfTokenURL, pfRedirect} {
		if s := strings.TrimSpace(m.inputs[i].Value()); s != "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			bad(i, "must be an http(s) URL")
		}
	}
	if f.ClientID == "" {
		bad(pfClientID, "required: the client identifier the provider gave you (RFC 6749 §2.2)")
	}
	switch f.Secret {
	case SecretEnv:
		if f.SecretValue == "" {
			bad(pfSecretValue, "name the environment variable that holds the secret")
		}
	case SecretFile:
		if f.SecretValue == "" {
			bad(pfSecretValue, "give the file that holds the secret")
		}
	case SecretPlain:
		if f.SecretValue == "" && !f.HasPlainSecret {
			bad(pfSecretValue, "type the secret, or choose another place for it")
		}
	}
	if f.AuthMethod == "none" && f.Secret != SecretNone {
		bad(pfAuthMethod, "\"none\" is for public clients, which have no secret (RFC 6749 §2.1)")
	}
	if f.AuthMethod == "private_key_jwt" && f.PrivateKeyFile == "" {
		bad(pfKeyFile, "private_key_jwt signs with the client's private key: give its file (PEM or JWK, RFC 7523 §2.2)")
	}
	if !m.skipped(pfVars) {
		if _, err := parseParams(strings.TrimSpace(m.inputs[pfVars].Value())); err != nil {
			bad(pfVars, "%v", err)
		}
	}
	if _, err := parseParams(strings.TrimSpace(m.inputs[pfParams].Value())); err != nil {
		bad(pfParams, "%v", err)
	}
	return errs
}

// profileMsg is the answer of the store: a profile loaded for editing, or saved.
type profileMsg struct {
	saved    bool
	original string
	form     ProfileForm
	provider Provider
	err      error
}

func loadProfile(store ProfileStore, name string) tea.Cmd {
	return func() tea.Msg {
		f, err := store.Get(name)
		return profileMsg{original: name, form: f, err: err}
	}
}

func saveProfile(store ProfileStore, f ProfileForm) tea.Cmd {
	return func() tea.Msg {
		p, err := store.Save(f)
		return profileMsg{saved: true, original: f.Original, form: f, provider: p, err: err}
	}
}

// Update edits the form. save is the form to save when the person asked to (ctrl+s,
// or enter on the last field) and it passed the form's own checks; cancel when they
// left it.
func (m profileForm) Update(msg tea.Msg, km keyMap) (_ profileForm, _ tea.Cmd, save *ProfileForm, cancel bool) {
	k, isKey := msg.(tea.KeyPressMsg)
	if m.saving && isKey && !key.Matches(k, km.Cancel) {
		return m, nil, nil, false
	}
	switch {
	case isKey && key.Matches(k, km.Cancel):
		m.inputs[m.focus].Blur()
		return m, nil, nil, true
	case isKey && (key.Matches(k, km.Save) || key.Matches(k, km.Confirm) && m.focus == pfParams):
		m.errs, m.err = m.check(), ""
		if len(m.errs) > 0 {
			m.inputs[m.focus].Blur()
			m.focus = slices.Min(slices.Collect(maps.Keys(m.errs)))
			if isChoice(m.focus) {
				return m, nil, nil, false
			}
			return m, m.inputs[m.focus].Focus(), nil, false
		}
		f := m.value()
		m.saving = true
		return m, nil, &f, false
	case isKey && (key.Matches(k, km.Confirm) || key.Matches(k, km.NextPane) || key.Matches(k, km.Down)):
		m, cmd := m.move(1)
		return m, cmd, nil, false
	case isKey && (key.Matches(k, km.PrevPane) || key.Matches(k, km.Up)):
		m, cmd := m.move(-1)
		return m, cmd, nil, false
	case isKey && isChoice(m.focus) && (key.Matches(k, km.Left) || key.Matches(k, km.Right) || key.Matches(k, km.Toggle)):
		d := 1
		if key.Matches(k, km.Left) {
			d = -1
		}
		switch m.focus {
		case pfPreset:
			m.preset = (m.preset + d + len(m.presets)) % len(m.presets)
			m.setPresetHolders()
			delete(m.errs, pfIssuer)
		case pfSecretSource:
			prev := m.source()
			m.secret = (m.secret + d + len(secretSources)) % len(secretSources)
			if prev == SecretPlain || m.source() == SecretPlain {
				m.inputs[pfSecretValue].SetValue("") // a secret is never carried into a name or path field, nor back
			}
			m.setSecretInput()
		default:
			m.authMethod = (m.authMethod + d + len(authMethodChoices)) % len(authMethodChoices)
		}
		delete(m.errs, m.focus)
		return m, nil, nil, false
	}
	if isChoice(m.focus) {
		return m, nil, nil, false
	}
	var cmd tea.Cmd
	before := m.inputs[m.focus].Value()
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	if m.inputs[m.focus].Value() != before {
		delete(m.errs, m.focus)
	}
	return m, cmd, nil, false
}

// saved takes the store's answer to a save. It reports whether the form is done.
func (m profileForm) saved(err error) (profileForm, bool) {
	m.saving = false
	if err == nil {
		return m, true
	}
	m.errs = map[int][]string{}
	var pe *ProfileErrors
	if !errors.As(err, &pe) {
		m.err = err.Error()
		return m, false
	}
	for _, fe := range pe.Errors {
		i := slices.Index(pfKeys[:], fe.Field)
		if fe.Field == "secret" && !m.skipped(pfSecretValue) {
			i = pfSecretValue
		}
		if i < 0 {
			m.err = strings.TrimSpace(m.err + " " + fe.Field + ": " + fe.Problem)
			continue
		}
		m.errs[i] = append(m.errs[i], fe.Problem)
	}
	if len(m.errs) > 0 { // to the first field the store rejected
		m.inputs[m.focus].Blur()
		m.focus = slices.Min(slices.Collect(maps.Keys(m.errs)))
	}
	return m, false
}

// hint explains the focused field.
func (m profileForm) hint() string {
	switch m.focus {
	case pfName:
		return "letters, digits, '.', '_' and '-'; choose it on this screen or with oauthx --profile NAME"
	case pfPreset:
		if p := m.presets[m.preset]; p.Name != "" {
			return "←/→ to choose. " + cmp.Or(p.Title, p.Name) + ": issuer, endpoints, scopes and quirks come from the preset; what you type below overrides them"
		}
		return "←/→ to choose a well-known provider (Google, Entra ID, Okta, Keycloak…): it fills in the issuer, endpoints, scopes and quirks"
	case pfVars:
		if vs := m.presets[m.preset].Vars; len(vs) > 0 {
			return "the " + m.presetName() + " preset's placeholders, NAME=VALUE separated by ';': " + strings.Join(vs, ", ")
		}
		return "the preset needs no placeholders; NAME=VALUE separated by ';' fills any it has"
	case pfKeyFile:
		return "the client's private key, a PEM or JWK file (~/ is your home directory); its public key is registered with the provider (RFC 7523 §2.2)"
	case pfKeyID:
		return "the kid put in the assertion's header, when the provider needs one to pick the key; empty uses the key file's own"
	case pfIssuer:
		return "discovered with OpenID Connect Discovery, then RFC 8414 metadata; leave empty for a provider without discovery and give the URLs below"
	case pfAuthURL, pfTokenURL:
		return "by hand, for providers without discovery (GitHub); they override the metadata"
	case pfClientID:
		return "the client identifier the provider gave you (RFC 6749 §2.2)"
	case pfSecretSource:
		if m.source() == SecretPlain {
			return "←/→ to choose. The secret will be written in plain text to " + m.path + ": you asked for it; an environment variable or a file is safer"
		}
		return "←/→ to choose. oauthx never writes the secret itself unless you choose \"in the profiles file\""
	case pfSecretValue:
		switch m.source() {
		case SecretEnv:
			return "the name of the environment variable, not the secret"
		case SecretFile:
			return "a file whose first line is the secret; ~/ is your home directory"
		}
		return "written in plain text to " + m.path + " (readable by you only); an environment variable or a file is safer"
	case pfScopes:
		return "space- or comma-separated (RFC 6749 §3.3); empty for the preset's, or none"
	case pfRedirect:
		return "as registered with the provider; http://127.0.0.1:PORT/callback lets oauthx receive it itself (RFC 8252 §7.3)"
	case pfAuthMethod:
		return "←/→: token endpoint authentication (RFC 8414 §2); default is the preset's, client_secret_basic with a secret, none without"
	case pfParams:
		return "extra authorization parameters NAME=VALUE, separated by ';': prompt, acr_values, audience, resource, login_hint…"
	}
	return ""
}

func (m profileForm) View(st Styles, w int) string {
	d := newDoc(w)
	title := "New profile"
	if m.original != "" {
		title = "Edit profile " + m.original
	}
	d.text(st.Title, "", title)
	d.text(st.Muted, "", "saved to "+m.path+" (readable by you only)")
	for i := 0; i < pfCount; i++ {
		if m.skipped(i) {
			continue
		}
		label := m.label(i)
		lst := st.Muted
		mark := "  "
		switch {
		case len(m.errs[i]) > 0:
			lst, mark = st.Fail, st.Fail.Render("✗ ")
		case i == m.focus:
			lst, mark = st.Selected, st.Selected.Render("▸ ")
		}
		var val string
		switch i {
		case pfSecretSource:
			val = "◂ " + m.source().label() + " ▸"
			if m.source() == SecretNone && authMethodChoices[m.authMethod] == "private_key_jwt" {
				val = "◂ none (private_key_jwt signs with a key) ▸"
			}
			if m.source() == SecretPlain {
				val = st.Warn.Render(val)
			}
		case pfAuthMethod:
			am := authMethodChoices[m.authMethod]
			if am == "" {
				am = "default"
			}
			val = "◂ " + am + " ▸"
		case pfPreset:
			p := m.presets[m.preset]
			name := cmp.Or(p.Name, "none")
			if p.Title != "" {
				name += " · " + p.Title
			}
			val = "◂ " + name + " ▸"
		default:
			val = m.inputs[i].View()
		}
		d.line(mark + lst.Render(padRight(label, pfLabelWidth)) + " " + val)
	}
	d.blank()
	shown := 0
	for i := 0; i < pfCount && shown < 3; i++ {
		for _, e := range m.errs[i] {
			if shown < 3 {
				d.text(st.Fail, "  ", m.label(i)+": "+e)
			}
			shown++
		}
	}
	if m.err != "" {
		d.text(st.Fail, "  ", m.err)
	}
	switch {
	case m.saving:
		d.text(st.Muted, "  ", "saving…")
	case shown == 0 && m.err == "":
		d.text(st.Muted, "  ", m.hint())
		if len(m.kept) > 0 {
			d.text(st.Muted, "  ", "kept as they are: "+strings.Join(m.kept, ", "))
		}
	}
	return d.String()
}

// label names field i on screen.
func (m profileForm) label(i int) string {
	if i != pfSecretValue {
		return pfLabels[i]
	}
	switch m.source() {
	case SecretEnv:
		return "variable"
	case SecretFile:
		return "file"
	}
	return "secret"
}

// parseParams reads "prompt=login; audience=https://api" into a map.
func parseParams(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want NAME=VALUE, separated by ';'", part)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s is given twice", k)
		}
		out[k] = strings.TrimSpace(v)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func formatParams(p map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, "; ")
}

// providerProfiles are the provider screen's saved-profile parts: "New profile…",
// "Edit profile" (e on a profile), and the prompt for the secret of a profile that
// asks for it each time.
type providerProfiles struct {
	store   ProfileStore // nil: profiles cannot be created or edited here
	path    string
	editing bool
	form    profileForm
	asking  bool // the secret prompt is open for the provider under the cursor
	secret  textinput.Model
	status  string
	width   int
	styles  Styles
	// up and down move between the form's fields: the arrows only, since j and k
	// are letters in a text field.
	up, down key.Binding
}

// withProfiles lets the menu create and edit profiles in store (nil: it cannot).
func (m providerMenu) withProfiles(store ProfileStore, st Styles) providerMenu {
	p := &m.profiles
	p.store, p.styles = store, st
	if store != nil {
		p.path = store.Path()
	}
	p.secret = textinput.New()
	p.secret.Prompt = "client secret "
	p.secret.EchoMode = textinput.EchoPassword
	p.secret.SetStyles(st.Input)
	p.up = key.NewBinding(key.WithKeys("up"))
	p.down = key.NewBinding(key.WithKeys("down"))
	return m
}

func (p *providerProfiles) setStyles(st Styles) {
	p.styles = st
	p.secret.SetStyles(st.Input)
	p.form.setStyles(st)
}

func (p *providerProfiles) setWidth(w int) {
	p.width = w
	p.secret.SetWidth(max(w-len(p.secret.Prompt)-6, 8))
	p.form.setWidth(w)
}

// typing reports whether a text input of the provider screen has the keys.
func (m providerMenu) typing() bool { return m.form || m.profiles.editing || m.profiles.asking }

// lastEntry is the cursor's last position: "Another provider…", or "New profile…"
// after it when profiles can be saved.
func (m providerMenu) lastEntry() int {
	if m.profiles.store != nil {
		return len(m.providers) + 1
	}
	return len(m.providers)
}

// enableKeys switches on the provider screen's keys for the profile parts; the
// caller has switched on the menu's or the form's own.
func (m providerMenu) enableKeys(k *keyMap) {
	p := m.profiles
	switch {
	case p.editing:
		k.Save.SetEnabled(true)
		k.Left.SetEnabled(true)
		k.Right.SetEnabled(true)
		k.Left.SetHelp("←/→", "choose (preset, secret from, auth method)")
		k.Confirm.SetHelp("enter", "next (saves on the last)")
		k.NextPane.SetHelp("tab/↓", "next field")
		k.Cancel.SetHelp("esc", "discard")
	case p.asking:
		k.Confirm.SetHelp("enter", "continue")
		k.NextPane.SetEnabled(false)
		k.PrevPane.SetEnabled(false)
	case !m.form:
		onProfile := m.cursor < len(m.providers) && m.providers[m.cursor].Profile != ""
		k.Edit.SetEnabled(p.store != nil && onProfile)
		k.Edit.SetHelp("e", "edit profile")
	}
}

// updateProfiles handles what belongs to the profile parts; handled is false when
// the menu's own Update should take msg.
func (m providerMenu) updateProfiles(msg tea.Msg, km keyMap) (_ providerMenu, _ tea.Cmd, _ *ProviderChoice, handled bool) {
	p := &m.profiles
	if pm, ok := msg.(profileMsg); ok {
		m = m.profileDone(pm)
		cmd := m.focusCmd()
		return m, cmd, nil, true
	}
	k, isKey := msg.(tea.KeyPressMsg)
	switch {
	case p.editing:
		if isKey && key.Matches(k, p.down) {
			var cmd tea.Cmd
			p.form, cmd = p.form.move(1)
			return m, cmd, nil, true
		}
		if isKey && key.Matches(k, p.up) {
			var cmd tea.Cmd
			p.form, cmd = p.form.move(-1)
			return m, cmd, nil, true
		}
		var cmd tea.Cmd
		var save *ProfileForm
		var cancel bool
		p.form, cmd, save, cancel = p.form.Update(msg, km)
		switch {
		case cancel:
			p.editing = false
			p.status = ""
		case save != nil && p.store != nil:
			cmd = saveProfile(p.store, *save)
		}
		return m, cmd, nil, true
	case p.asking:
		switch {
		case isKey && key.Matches(k, km.Cancel):
			p.asking = false
			p.secret.Blur()
			p.secret.SetValue("")
			return m, nil, nil, true
		case isKey && key.Matches(k, km.Confirm):
			prov := m.providers[m.cursor]
			secret := p.secret.Value()
			p.asking = false
			p.secret.Blur()
			p.secret.SetValue("") // kept only in the choice, for this flow
			return m, nil, &ProviderChoice{Provider: prov, ClientID: prov.ClientID, ClientSecret: secret}, true
		}
		var cmd tea.Cmd
		p.secret, cmd = p.secret.Update(msg)
		return m, cmd, nil, true
	case m.form || !isKey:
		return m, nil, nil, false
	case key.Matches(k, km.Edit) && m.cursor < len(m.providers) && m.providers[m.cursor].Profile != "" && p.store != nil:
		m.err, p.status = "", "loading profile "+m.providers[m.cursor].Profile+"…"
		return m, loadProfile(p.store, m.providers[m.cursor].Profile), nil, true
	case key.Matches(k, km.Select) && m.cursor == len(m.providers)+1 && p.store != nil:
		m.err, p.status = "", ""
		m.openForm(ProfileForm{Secret: SecretEnv})
		cmd := m.focusCmd()
		return m, cmd, nil, true
	case key.Matches(k, km.Select) && m.cursor < len(m.providers):
		prov := m.providers[m.cursor]
		switch {
		case prov.Problem != "":
			m.err = prov.Name + " cannot be used: " + prov.Problem
			if prov.Profile != "" {
				m.err = "profile " + m.err
			}
			if p.store != nil && prov.Profile != "" {
				m.err += " (e edits it)"
			}
			return m, nil, nil, true
		case prov.AsksSecret:
			m.err, p.asking = "", true
			return m, p.secret.Focus(), nil, true
		}
	}
	return m, nil, nil, false
}

func (m *providerMenu) openForm(f ProfileForm) {
	p := &m.profiles
	var presets []ProfilePreset
	if p.store != nil {
		presets = p.store.Presets()
	}
	p.form = newProfileForm(f, p.path, presets, p.styles)
	p.form.setWidth(p.width)
	p.editing = true
}

// focusCmd focuses the form's field with the focus when its input is not
// focused yet: the first field when the form just opened, the first field the
// store rejected after a failed save.
func (m *providerMenu) focusCmd() tea.Cmd {
	p := &m.profiles
	if !p.editing || p.form.saving || p.form.inputs[p.form.focus].Focused() || isChoice(p.form.focus) {
		return nil
	}
	return p.form.inputs[p.form.focus].Focus()
}

// profileDone takes the store's answer.
func (m providerMenu) profileDone(msg profileMsg) providerMenu {
	p := &m.profiles
	if !msg.saved {
		p.status = ""
		if msg.err != nil {
			m.err = "profile " + msg.original + ": " + msg.err.Error()
			return m
		}
		m.openForm(msg.form)
		return m
	}
	if !p.editing {
		return m // the form was left while saving
	}
	var done bool
	p.form, done = p.form.saved(msg.err)
	if !done {
		return m
	}
	p.editing = false
	i := slices.IndexFunc(m.providers, func(q Provider) bool {
		return q.Profile != "" && (q.Profile == msg.original || q.Profile == msg.provider.Profile)
	})
	if i < 0 {
		m.providers = append(slices.Clone(m.providers), msg.provider)
		i = len(m.providers) - 1
	} else {
		m.providers = slices.Clone(m.providers)
		m.providers[i] = msg.provider
	}
	m.cursor = i
	p.status = "✓ saved profile " + msg.provider.Profile + " to " + p.path
	return m
}

// entryView adds what the profile parts say under a provider entry.
func (p providerProfiles) entryView(d *doc, st Styles, prov Provider, selected bool) {
	if prov.Problem != "" {
		d.text(st.Fail, "    ", "✗ "+prov.Problem)
	}
	if selected && p.asking {
		d.text(st.Plain, "    ", "this profile asks for its client secret each time; it is kept in memory for this flow only")
		d.line("    " + p.secret.View())
	}
}

// newEntryView adds "New profile…" and the last save's outcome.
func (p providerProfiles) newEntryView(d *doc, st Styles, selected, compact bool) {
	if p.store == nil {
		return
	}
	mark, name := "  ", st.Bold.Render("New profile…")
	if selected {
		mark, name = st.Selected.Render("▸ "), st.Selected.Render("New profile…")
	}
	d.line(mark + name)
	if !compact || selected {
		d.text(st.Muted, "    ", "save a provider to "+p.path+": issuer or endpoints, client, where its secret comes from, scopes")
	}
	if p.status != "" {
		d.blank()
		d.text(st.OK, "  ", p.status)
	}
}

// chooseInitialProvider opens the flow menu against the provider whose profile is
// name (`oauthx --profile NAME`); one that asks for its secret opens the prompt first.
func (m *Model) chooseInitialProvider(name string) {
	i := slices.IndexFunc(m.providers.providers, func(p Provider) bool { return p.Profile == name })
	if i < 0 {
		return
	}
	p := m.providers.providers[i]
	m.providers.cursor = i
	switch {
	case p.Problem != "":
		m.screen = screenProviders
		m.opts.InitialFlow = ""
		m.providers.err = "profile " + name + " cannot be used: " + p.Problem
	case p.AsksSecret:
		// The secret first; --flow cannot start before it is typed in, so the flow
		// menu follows.
		m.screen = screenProviders
		m.opts.InitialFlow = ""
		m.providers.profiles.asking = true
		m.providers.profiles.secret.Focus()
	default:
		m.choice = ProviderChoice{Provider: p, ClientID: p.ClientID, ClientSecret: p.ClientSecret}
		m.screen = screenFlows
	}
}
