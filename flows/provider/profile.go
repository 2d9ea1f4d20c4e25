package provider

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/oauthx/oauthx/flows"
)

// FileName is the profiles file's name inside the oauthx config directory.
const FileName = "profiles.toml"

// EnvConfig names the environment variable that overrides the profiles file's path.
const EnvConfig = "OAUTHX_CONFIG"

// Profile is a named provider configuration the person saved: which provider (a
// preset, an issuer, or endpoints by hand) and which client to act as.
//
// In the file it is a table under [profiles.NAME]:
//
//	[profiles.work]
//	preset = "entra"
//	vars = { tenant = "contoso.onmicrosoft.com" }
//	client_id = "0b1c…"
//	secret_env = "WORK_CLIENT_SECRET"
//	redirect_uri = "http://127.0.0.1:8400/callback"
//	scopes = ["openid", "profile", "offline_access"]
//	params = { prompt = "select_account" }
type Profile struct {
	// Name is the profile's key in the file; not written inside the table.
	Name string `toml:"-" json:"name"`
	// Description is a note for the person.
	Description string `toml:"description,omitempty" json:"description,omitempty"`
	// Preset names a built-in preset (see [Presets]) whose issuer, endpoints, scopes
	// and quirks the profile starts from.
	Preset string `toml:"preset,omitempty" json:"preset,omitempty"`
	// Vars fill the preset's placeholders ({tenant}, {domain}, {realm}…).
	Vars map[string]string `toml:"vars,omitempty" json:"vars,omitempty"`
	// Issuer, when set, is discovered (OIDC Discovery, then RFC 8414 metadata); it
	// overrides the preset's issuer.
	Issuer string `toml:"issuer,omitempty" json:"issuer,omitempty"`
	// Endpoints by hand override discovery and the preset.
	Endpoints
	// ClientID is the OAuth client identifier (RFC 6749 §2.2).
	ClientID string `toml:"client_id" json:"client_id"`
	// Where the client secret comes from: at most one of these.
	// SecretEnv names an environment variable; SecretFile a file whose first line is
	// the secret ("~/" is the home directory); SecretPrompt asks every time.
	SecretEnv    string `toml:"secret_env,omitempty" json:"secret_env,omitempty"`
	SecretFile   string `toml:"secret_file,omitempty" json:"secret_file,omitempty"`
	SecretPrompt bool   `toml:"secret_prompt,omitempty" json:"secret_prompt,omitempty"`
	// ClientSecret is a secret the person wrote in the file themselves. oauthx never
	// writes one unless asked ([Profile.WithPlainSecret]); it is never shown unmasked.
	ClientSecret string `toml:"client_secret,omitempty" json:"-"`
	// Scopes requested (RFC 6749 §3.3); empty means the preset's default scopes.
	Scopes []string `toml:"scopes,omitempty" json:"scopes,omitempty"`
	// RedirectURI registered for the client (RFC 6749 §3.1.2).
	RedirectURI string `toml:"redirect_uri,omitempty" json:"redirect_uri,omitempty"`
	// Listen is the address the loopback receiver binds, host:port, when it differs
	// from the redirect URI's (the far end of an `ssh -L` tunnel on a remote machine).
	// Loopback only: listening wider is asked for on the command line each time.
	Listen string `toml:"listen,omitempty" json:"listen,omitempty"`
	// AuthMethod is the token endpoint authentication method: client_secret_basic,
	// client_secret_post or none. Empty means the preset's recommendation with a
	// secret, and none without one.
	AuthMethod string `toml:"auth_method,omitempty" json:"auth_method,omitempty"`
	// PrivateKeyFile is the client's private key for private_key_jwt (RFC 7523 §2.2):
	// a PEM or JWK file ("~/" is the home directory). KeyID is the kid to put in the
	// assertion's header, when the provider needs one.
	PrivateKeyFile string `toml:"private_key_file,omitempty" json:"private_key_file,omitempty"`
	KeyID          string `toml:"key_id,omitempty" json:"key_id,omitempty"`
	// PAR pushes the authorization request first (RFC 9126).
	PAR bool `toml:"par,omitempty" json:"par,omitempty"`
	// Params are extra authorization request parameters: prompt, acr_values, audience,
	// resource, login_hint, max_age, or any other key = "value".
	Params map[string]string `toml:"params,omitempty" json:"params,omitempty"`

	// plainSecretOK is set when the secret may be written back in plain text: it was
	// read from the file, or the caller asked with WithPlainSecret.
	plainSecretOK bool
}

// WithPlainSecret returns a copy of p holding secret in plain text, to be written by
// [Save] as client_secret. Only call it when the person explicitly asked for it;
// prefer SecretEnv or SecretFile.
func (p Profile) WithPlainSecret(secret string) Profile {
	p.ClientSecret = secret
	p.plainSecretOK = secret != ""
	if secret != "" {
		p.SecretEnv, p.SecretFile, p.SecretPrompt = "", "", false
	}
	return p
}

// HasSecret reports whether the profile says where a client secret comes from.
func (p Profile) HasSecret() bool {
	return p.ClientSecret != "" || p.SecretEnv != "" || p.SecretFile != "" || p.SecretPrompt
}

// SecretSource says in words where the secret comes from, without revealing it.
func (p Profile) SecretSource() string {
	switch {
	case p.SecretEnv != "":
		return "environment variable " + p.SecretEnv
	case p.SecretFile != "":
		return "file " + p.SecretFile
	case p.SecretPrompt:
		return "asked for at the start of each flow"
	case p.ClientSecret != "":
		return "written in the profiles file (masked)"
	}
	return "none (public client)"
}

// Prompter asks the person for a secret without echoing it.
type Prompter func(question string) (string, error)

// ErrNoSecret is returned (wrapped) by [Profile.Secret] when the configured source
// gives no secret.
var ErrNoSecret = errors.New("no client secret")

// Secret returns the client secret from its configured source: the environment
// (getenv; nil means os.Getenv), a file, or prompt. It returns "" and no error for a
// profile without a secret (a public client).
func (p Profile) Secret(getenv func(string) string, prompt Prompter) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case p.SecretEnv != "":
		v := getenv(p.SecretEnv)
		if v == "" {
			return "", fmt.Errorf("profile %q: %w: environment variable %s is not set or empty", p.Name, ErrNoSecret, p.SecretEnv)
		}
		return v, nil
	case p.SecretFile != "":
		path, err := expandHome(p.SecretFile)
		if err != nil {
			return "", fmt.Errorf("profile %q: secret_file: %w", p.Name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("profile %q: secret_file: %w", p.Name, err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSpace(line)
		if line == "" {
			return "", fmt.Errorf("profile %q: %w: secret_file %s is empty", p.Name, ErrNoSecret, path)
		}
		return line, nil
	case p.SecretPrompt:
		if prompt == nil {
			return "", fmt.Errorf("profile %q: %w: secret_prompt is set but there is no terminal to ask on", p.Name, ErrNoSecret)
		}
		v, err := prompt(fmt.Sprintf("Client secret for %s (%s): ", p.Name, p.ClientID))
		if err != nil {
			return "", fmt.Errorf("profile %q: reading the secret: %w", p.Name, err)
		}
		if v = strings.TrimSpace(v); v == "" {
			return "", fmt.Errorf("profile %q: %w: nothing was entered", p.Name, ErrNoSecret)
		}
		return v, nil
	}
	return p.ClientSecret, nil
}

func expandHome(path string) (string, error) {
	if path == "~" || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, path[1:]), nil
	}
	return path, nil
}

// Error is a problem with one profile (or the file), naming the file, the line when
// known, the profile and the field.
type Error struct {
	File    string
	Line    int // 0 when unknown
	Profile string
	Field   string
	Problem string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Profile != "" {
		fmt.Fprintf(&b, ": profile %q", e.Profile)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

// Errors returns every *Error inside err (which may be joined), in order.
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	var pe *Error
	if errors.As(err, &pe) {
		return []*Error{pe}
	}
	return nil
}

// Profiles is the content of a profiles file.
type Profiles struct {
	// Path is the file it was read from (or will be written to).
	Path string
	// Default names the profile used when none is chosen; may be empty.
	Default string
	list    []Profile // sorted by name
}

// List returns the profiles sorted by name.
func (ps *Profiles) List() []Profile {
	if ps == nil {
		return nil
	}
	return slices.Clone(ps.list)
}

// Names returns the profile names, sorted.
func (ps *Profiles) Names() []string {
	var out []string
	if ps != nil {
		for _, p := range ps.list {
			out = append(out, p.Name)
		}
	}
	return out
}

// Lookup returns the profile called name. The error lists the profiles there are.
func (ps *Profiles) Lookup(name string) (Profile, error) {
	if ps != nil {
		for _, p := range ps.list {
			if p.Name == name {
				return p, nil
			}
		}
	}
	path := FileName
	if ps != nil && ps.Path != "" {
		path = ps.Path
	}
	names := ps.Names()
	if len(names) == 0 {
		return Profile{}, fmt.Errorf("%s: no profile %q: the file has no profiles (see docs/providers.md for the format)", path, name)
	}
	return Profile{}, fmt.Errorf("%s: no profile %q (profiles: %s)", path, name, strings.Join(names, ", "))
}

// Put adds p or replaces the profile of the same name. It validates p first.
func (ps *Profiles) Put(p Profile) error {
	if errs := validate(p, ps.Path); len(errs) > 0 {
		return errors.Join(errs...)
	}
	ps.list = slices.DeleteFunc(ps.list, func(q Profile) bool { return q.Name == p.Name })
	ps.list = append(ps.list, p)
	sort.Slice(ps.list, func(i, j int) bool { return ps.list[i].Name < ps.list[j].Name })
	return nil
}

// Delete removes the profile called name; it reports whether there was one.
func (ps *Profiles) Delete(name string) bool {
	n := len(ps.list)
	ps.list = slices.DeleteFunc(ps.list, func(q Profile) bool { return q.Name == name })
	return len(ps.list) != n
}

// DefaultPath returns the profiles file's path: $OAUTHX_CONFIG when set, else
// $XDG_CONFIG_HOME/oauthx/profiles.toml when XDG_CONFIG_HOME is set (on every OS),
// else profiles.toml in the OS's user config directory (os.UserConfigDir).
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "oauthx", FileName), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set %s to the profiles file's path)", err, EnvConfig)
	}
	return filepath.Join(dir, "oauthx", FileName), nil
}

// LoadDefault loads the profiles file at [DefaultPath]. A missing file is no error:
// it returns an empty set with Path set, ready for [Save].
func LoadDefault() (*Profiles, error) {
	path, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	ps, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Profiles{Path: path}, nil
	}
	return ps, err
}

// fileFormat is the TOML layout of the profiles file.
type fileFormat struct {
	Default  string             `toml:"default,omitempty"`
	Profiles map[string]Profile `toml:"profiles"`
}

// Load reads and validates the profiles file at path. Unknown keys, values of the
// wrong type and invalid fields are errors naming the file, the line when known, the
// profile and the field; all problems found are returned together (errors.Join of
// *[Error]). A missing file gives an error wrapping fs.ErrNotExist.
func Load(path string) (*Profiles, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses and validates a profiles file's content; path is used in errors.
func Parse(path string, data []byte) (*Profiles, error) {
	var f fileFormat
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		return nil, decodeError(path, err)
	}
	var errs []error
	lines := strings.Split(string(data), "\n")
	undecoded := md.Undecoded()
	if len(undecoded) > maxReported {
		errs = append(errs, &Error{File: path, Problem: fmt.Sprintf("%d unknown keys; the first %d follow", len(undecoded), maxReported)})
		undecoded = undecoded[:maxReported]
	}
	for _, k := range undecoded {
		e := &Error{File: path, Line: lineOf(lines, k), Problem: "unknown key"}
		switch {
		case len(k) >= 3 && k[0] == "profiles":
			e.Profile, e.Field = k[1], strings.Join(k[2:], ".")
			e.Problem = "unknown key" + suggest(k[2], profileKeys())
		case len(k) == 2 && k[0] == "profiles":
			e.Profile, e.Problem = k[1], "must be a table ([profiles."+k[1]+"])"
		default:
			e.Field = k.String()
			e.Problem = "unknown key (the file has [profiles.NAME] tables and an optional default = \"NAME\")"
		}
		errs = append(errs, e)
	}
	ps := &Profiles{Path: path, Default: f.Default}
	for name, p := range f.Profiles {
		p.Name = name
		p.plainSecretOK = p.ClientSecret != ""
		for _, e := range validate(p, path) {
			if pe, ok := e.(*Error); ok && pe.Line == 0 {
				pe.Line = lineOf(lines, fieldKey(name, pe.Field))
			}
			errs = append(errs, e)
		}
		ps.list = append(ps.list, p)
	}
	sort.Slice(ps.list, func(i, j int) bool { return ps.list[i].Name < ps.list[j].Name })
	if f.Default != "" && !slices.Contains(ps.Names(), f.Default) {
		errs = append(errs, &Error{File: path, Line: lineOf(lines, toml.Key{"default"}), Field: "default",
			Problem: fmt.Sprintf("no profile %q in this file", f.Default)})
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			a, b := errs[i].(*Error), errs[j].(*Error)
			if a.Profile != b.Profile {
				return a.Profile < b.Profile
			}
			return a.Line < b.Line
		})
		return ps, errors.Join(errs...)
	}
	return ps, nil
}

var (
	decodeErrRE = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "((?:[^"\\]|\\.)*)"\): (.*)$`)
	typeErrRE   = regexp.MustCompile(`^incompatible types: TOML value has type (\S+); destination has type (\S+)$`)
	tableErrRE  = regexp.MustCompile(`^type mismatch for \S+: expected table but found (\S+)$`)
)

// maxReported bounds the unknown keys reported from one file.
const maxReported = 50

// decodeError turns a TOML syntax or type error into an *Error with the line.
func decodeError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e := &Error{File: path, Line: pe.Position.Line, Problem: pe.Message}
		setKey(e, pe.LastKey)
		return e
	}
	// Type errors are plain errors: "toml: line 3 (last key "a.b"): incompatible types…".
	if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
		e := &Error{File: path, Problem: m[3]}
		e.Line, _ = strconv.Atoi(m[1])
		setKey(e, strings.ReplaceAll(m[2], `\"`, `"`))
		if t := typeErrRE.FindStringSubmatch(m[3]); t != nil {
			e.Problem = fmt.Sprintf("wrong type: %s where %s is expected", tomlTypeName(t[1]), tomlTypeName(t[2]))
		} else if t := tableErrRE.FindStringSubmatch(m[3]); t != nil {
			e.Problem = fmt.Sprintf("wrong type: %s where a table is expected", tomlTypeName(t[1]))
		}
		return e
	}
	return &Error{File: path, Problem: err.Error()}
}

func setKey(e *Error, lastKey string) {
	if lastKey == "" {
		return
	}
	k := strings.Split(lastKey, ".")
	switch {
	case len(k) >= 3 && k[0] == "profiles":
		e.Profile, e.Field = k[1], strings.Join(k[2:], ".")
	case len(k) == 2 && k[0] == "profiles":
		e.Profile = k[1]
	default:
		e.Field = lastKey
	}
}

func tomlTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "boolean", "bool":
		return "true or false"
	case "int64", "integer", "int":
		return "a number"
	case "float64", "float":
		return "a number"
	case "map", "table", "map[string]interface":
		return "a table"
	}
	return t
}

// fieldKey maps a validation field name back to its TOML key.
func fieldKey(profile, field string) toml.Key {
	k := toml.Key{"profiles", profile}
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i] // scopes[1] is on the scopes line
	}
	if field == "" {
		return k
	}
	return append(k, strings.Split(field, ".")...)
}

// lineOf finds the line of key in a TOML document: the line of its table header, or
// of the "name =" line inside the table (or inside the parent table for inline
// tables). It returns 0 when it cannot tell; TOML's decoder keeps no key positions.
func lineOf(lines []string, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	header := func(k toml.Key) string { return "[" + k.String() + "]" }
	// A table header for the whole key.
	for i, l := range lines {
		if strings.TrimSpace(l) == header(key) {
			return i + 1
		}
	}
	// "last = …" under the header of its parent (or of an ancestor, for inline tables
	// and dotted keys).
	for depth := len(key) - 1; depth >= 0; depth-- {
		parent, rest := key[:depth], key[depth:]
		start := -1
		if depth == 0 {
			start = 0
		} else {
			for i, l := range lines {
				if strings.TrimSpace(l) == header(parent) {
					start = i + 1
					break
				}
			}
		}
		if start < 0 {
			continue
		}
		want := rest[0]
		for i := start; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, "[") {
				break
			}
			name, _, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			name = strings.Trim(strings.TrimSpace(name), `"'`)
			if name == want || strings.HasPrefix(name, want+".") {
				return i + 1
			}
		}
	}
	return 0
}

func profileKeys() []string {
	return []string{"description", "preset", "vars", "issuer", "authorization_endpoint", "token_endpoint",
		"jwks_uri", "userinfo_endpoint", "client_id", "secret_env", "secret_file", "secret_prompt",
		"client_secret", "scopes", "redirect_uri", "listen", "auth_method", "params", "private_key_file", "key_id", "par"}
}

// suggest returns ` (did you mean "x"?)` for a near miss, or the list of keys.
func suggest(key string, keys []string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known keys: " + strings.Join(keys, ", ") + ")"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Save writes profiles to path atomically (a temporary file in the same directory,
// renamed over the old one), readable by the owner only (0600), creating the
// directory (0700) when needed. It refuses to write a client secret in plain text
// unless it came from the file or the caller asked with [Profile.WithPlainSecret].
// Comments in an existing file are not preserved.
func Save(path string, ps *Profiles) error {
	f := fileFormat{Default: ps.Default, Profiles: map[string]Profile{}}
	for _, p := range ps.list {
		if errs := validate(p, path); len(errs) > 0 {
			return errors.Join(errs...)
		}
		if p.ClientSecret != "" && !p.plainSecretOK {
			return &Error{File: path, Profile: p.Name, Field: "client_secret",
				Problem: "refusing to write a client secret in plain text; use secret_env or secret_file"}
		}
		f.Profiles[p.Name] = p
	}
	var buf bytes.Buffer
	buf.WriteString("# oauthx provider profiles; format: docs/providers.md.\n")
	buf.WriteString("# Written by oauthx; comments are not preserved.\n\n")
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("%s: encoding: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".profiles-*.toml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ps.Path = path
	return nil
}

// Validation.

var (
	profileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	paramNameRE   = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

// AuthMethods are the token endpoint authentication methods a profile may name.
var authMethods = []string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}

// futureAuthMethods are registered methods the engine does not run yet.
var futureAuthMethods = []string{"tls_client_auth", "self_signed_tls_client_auth"}

// reservedParams are set by the flow itself; a profile sets them another way.
var reservedParams = map[string]string{
	"response_type":         "set by the flow",
	"client_id":             "use client_id",
	"redirect_uri":          "use redirect_uri",
	"scope":                 "use scopes",
	"state":                 "generated fresh for every flow (RFC 6749 §10.12)",
	"nonce":                 "generated fresh for every flow (OIDC Core §15.5.2)",
	"code_challenge":        "derived from a fresh code_verifier (RFC 7636 §4.2)",
	"code_challenge_method": "set by the flow (S256)",
	"client_secret":         "use secret_env, secret_file or secret_prompt",
}

func validate(p Profile, file string) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &Error{File: file, Profile: p.Name, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if !profileNameRE.MatchString(p.Name) {
		bad("", "a profile name is letters, digits, '.', '_' and '-', starting with a letter or digit")
	}
	var preset Preset
	hasPreset := false
	if p.Preset != "" {
		var ok bool
		if preset, ok = LookupPreset(p.Preset); !ok {
			bad("preset", "unknown preset %q (presets: %s)", p.Preset, presetNames())
		} else {
			hasPreset = true
		}
	}
	// vars fill the preset's placeholders, and only those.
	if len(p.Vars) > 0 && !hasPreset && p.Preset == "" {
		bad("vars", "vars fill a preset's placeholders; this profile has no preset")
	}
	if hasPreset {
		used := preset.Placeholders()
		for _, k := range sortedKeys(p.Vars) {
			if !slices.Contains(used, k) {
				if len(used) == 0 {
					bad("vars."+k, "preset %s has no placeholders", preset.Name)
				} else {
					bad("vars."+k, "preset %s has no placeholder {%s} (it has: %s)", preset.Name, k, strings.Join(used, ", "))
				}
				continue
			}
			if v := p.Vars[k]; strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t\n?#") {
				bad("vars."+k, "must be a non-empty value without spaces, '?' or '#'")
			}
		}
		if p.Issuer == "" || p.Endpoints.isZero() {
			for _, name := range used {
				v, _ := preset.Var(name)
				if _, ok := p.Vars[name]; !ok && v.Default == "" && presetNeedsVar(preset, p, name) {
					hint := ""
					if v.Example != "" {
						hint = fmt.Sprintf(", e.g. vars = { %s = %q }", name, v.Example)
					}
					bad("vars."+name, "preset %s needs {%s}: %s%s", preset.Name, name, v.Description, hint)
				}
			}
		}
	}
	if p.Issuer != "" {
		if err := checkIssuer(p.Issuer); err != nil {
			bad("issuer", "%s", err)
		}
	} else if hasPreset && preset.Issuer != "" {
		if iss, missing := fill(preset.Issuer, presetValues(preset, p.Vars)); len(missing) == 0 {
			if err := checkIssuer(iss); err != nil {
				bad("vars", "the preset's issuer becomes %q, which %s", iss, err)
			}
		}
	}
	for _, f := range p.Endpoints.fields() {
		if f.value == "" {
			continue
		}
		if err := checkHTTPURL(f.value); err != nil {
			bad(f.key, "%s", err)
		}
	}
	if p.Issuer == "" && p.Endpoints.Token == "" && p.Preset == "" {
		bad("issuer", "set an issuer (to discover the endpoints) or token_endpoint and authorization_endpoint, or a preset")
	}
	if strings.TrimSpace(p.ClientID) == "" {
		bad("client_id", "required: the client identifier the provider gave you (RFC 6749 §2.2)")
	}

	// The secret: at most one source.
	var sources []string
	if p.ClientSecret != "" {
		sources = append(sources, "client_secret")
	}
	if p.SecretEnv != "" {
		sources = append(sources, "secret_env")
		if !envNameRE.MatchString(p.SecretEnv) {
			bad("secret_env", "%q is not an environment variable name", p.SecretEnv)
		}
	}
	if p.SecretFile != "" {
		sources = append(sources, "secret_file")
	}
	if p.SecretPrompt {
		sources = append(sources, "secret_prompt")
	}
	if len(sources) > 1 {
		bad(sources[1], "choose one place for the secret, not %s", strings.Join(sources, " and "))
	}

	switch {
	case p.AuthMethod == "":
	case slices.Contains(futureAuthMethods, p.AuthMethod):
		bad("auth_method", "%s is not supported yet (use %s)", p.AuthMethod, strings.Join(authMethods, ", "))
	case !slices.Contains(authMethods, p.AuthMethod):
		bad("auth_method", "unknown method %q (use %s; RFC 8414 §2)", p.AuthMethod, strings.Join(authMethods, ", "))
	case p.AuthMethod == "none" && len(sources) > 0:
		bad("auth_method", "\"none\" is for public clients, which have no secret; remove %s or choose client_secret_basic", sources[0])
	case p.AuthMethod == "private_key_jwt" && p.PrivateKeyFile == "":
		bad("private_key_file", "private_key_jwt signs with the client's private key: set private_key_file (a PEM or JWK file; RFC 7523 §2.2)")
	case p.AuthMethod == "private_key_jwt":
	case p.AuthMethod != "none" && len(sources) == 0:
		bad("auth_method", "%s needs a secret: set secret_env, secret_file or secret_prompt (RFC 6749 §2.3.1)", p.AuthMethod)
	}

	seen := map[string]bool{}
	for i, s := range p.Scopes {
		field := fmt.Sprintf("scopes[%d]", i)
		switch {
		case s == "":
			bad(field, "empty scope")
		case !validScopeToken(s):
			bad(field, "%q is not one scope token: no spaces, quotes or backslashes (RFC 6749 §3.3); list scopes separately", s)
		case seen[s]:
			bad(field, "%q is listed twice", s)
		}
		seen[s] = true
	}

	if p.RedirectURI != "" {
		if err := checkRedirectURI(p.RedirectURI); err != nil {
			bad("redirect_uri", "%s", err)
		}
	}
	if p.Listen != "" {
		host, port, err := net.SplitHostPort(p.Listen)
		switch {
		case err != nil || port == "":
			bad("listen", "want HOST:PORT, e.g. 127.0.0.1:8765")
		case !IsLoopback(host):
			bad("listen", "%s is not a loopback address: a profile binds 127.0.0.1, [::1] or localhost only; "+
				"listening wider is asked for each time (oauthx run --listen ADDR --listen-remote; RFC 8252 §8.3)", host)
		case p.RedirectURI == "":
			bad("listen", "says where the receiver binds when it differs from redirect_uri: set redirect_uri too")
		}
	}

	for _, k := range sortedKeys(p.Params) {
		v := p.Params[k]
		field := "params." + k
		if why, ok := reservedParams[k]; ok {
			bad(field, "cannot be set here: %s", why)
			continue
		}
		if !paramNameRE.MatchString(k) {
			bad(field, "not a parameter name")
			continue
		}
		switch k {
		case "prompt":
			vals := strings.Fields(v)
			if len(vals) == 0 {
				bad(field, "empty")
			}
			for _, x := range vals {
				if !slices.Contains([]string{"none", "login", "consent", "select_account", "create"}, x) {
					bad(field, "unknown value %q (none, login, consent, select_account; OIDC Core §3.1.2.1)", x)
				}
			}
			if slices.Contains(vals, "none") && len(vals) > 1 {
				bad(field, "\"none\" cannot be combined with other values (OIDC Core §3.1.2.1)")
			}
		case "max_age":
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				bad(field, "must be a number of seconds, 0 or more (OIDC Core §3.1.2.1)")
			}
		case "resource":
			if u, err := url.Parse(v); err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(v, "#") {
				bad(field, "must be an absolute URI without a fragment (RFC 8707 §2)")
			}
		case "response_mode":
			if !slices.Contains([]string{"query", "fragment", "form_post"}, v) {
				bad(field, "unknown response mode %q (query, fragment, form_post)", v)
			}
		}
	}
	return errs
}

// presetNeedsVar reports whether the placeholder name is still needed once the
// profile's own issuer and endpoints are taken into account.
func presetNeedsVar(preset Preset, p Profile, name string) bool {
	in := func(s string) bool { return strings.Contains(s, "{"+name+"}") }
	if p.Issuer == "" && in(preset.Issuer) {
		return true
	}
	ep, pp := preset.Endpoints, p.Endpoints
	return (pp.Authorization == "" && in(ep.Authorization)) || (pp.Token == "" && in(ep.Token)) ||
		(pp.JWKS == "" && in(ep.JWKS)) || (pp.Userinfo == "" && in(ep.Userinfo))
}

// presetValues returns the placeholder values: the preset's defaults, overridden by vars.
func presetValues(preset Preset, vars map[string]string) map[string]string {
	vals := map[string]string{}
	for _, v := range preset.Vars {
		if v.Default != "" {
			vals[v.Name] = v.Default
		}
	}
	maps.Copy(vals, vars)
	return vals
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// validScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
			return false
		}
	}
	return s != ""
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	return nil
}

// checkIssuer applies OIDC Discovery §3 / RFC 8414 §2: a URL with no query or
// fragment. Plain http is accepted, so development set-ups (a Keycloak container at
// http://keycloak:8080) can be explored; `oauthx doctor` and the flows report it.
func checkIssuer(raw string) error {
	if err := checkHTTPURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || strings.Contains(raw, "?") {
		return errors.New("must not have a query (OIDC Discovery §3, RFC 8414 §2)")
	}
	return nil
}

// checkRedirectURI applies RFC 6749 §3.1.2: absolute, no fragment. oauthx receives the
// response itself (loopback) or has it pasted back, so http(s) only.
func checkRedirectURI(raw string) error {
	if err := checkHTTPURL(raw); err != nil {
		if strings.Contains(err.Error(), "fragment") {
			return errors.New("must not have a fragment (RFC 6749 §3.1.2)")
		}
		return errors.New("must be an absolute http(s) URL (RFC 6749 §3.1.2)")
	}
	return nil
}

// IsLoopback reports whether host is a loopback name or address (RFC 8252 §7.3,
// §8.3): 127.0.0.0/8, ::1 or localhost.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Resolved is a profile with its preset applied and its placeholders filled: what a
// flow or the doctor needs.
type Resolved struct {
	Name   string
	Preset *Preset // nil without a preset
	Issuer string  // "" when the provider has no discovery
	Endpoints
	ClientID     string
	AuthMethod   string
	RedirectURI  string
	Scopes       []string
	Params       map[string]string
	SecretSource string
	// PrivateKeyFile and KeyID are the private_key_jwt key; see [Resolved.PrivateKey].
	PrivateKeyFile, KeyID string
	// Listen is where the loopback receiver binds when it differs from RedirectURI.
	Listen string
	// PAR pushes the authorization request first (RFC 9126).
	PAR bool
	// Quirks the engine should apply (from the preset).
	Quirks Quirks
	// Explained are the preset's quirks, for people.
	Explained []Quirk
}

// Resolve applies the profile's preset: the issuer and endpoints (the profile's own
// win), default scopes, the recommended auth method and default params, with the
// placeholders filled from Vars and the preset's defaults.
func (p Profile) Resolve() (Resolved, error) {
	if errs := validate(p, FileName); len(errs) > 0 {
		return Resolved{}, errors.Join(errs...)
	}
	r := Resolved{
		Name: p.Name, Issuer: p.Issuer, Endpoints: p.Endpoints, ClientID: p.ClientID,
		AuthMethod: p.AuthMethod, RedirectURI: p.RedirectURI, Scopes: slices.Clone(p.Scopes),
		Params: map[string]string{}, SecretSource: p.SecretSource(),
		PrivateKeyFile: p.PrivateKeyFile, KeyID: p.KeyID, PAR: p.PAR, Listen: p.Listen,
	}
	if p.PrivateKeyFile != "" && p.AuthMethod != "private_key_jwt" {
		return Resolved{}, &Error{File: FileName, Profile: p.Name, Field: "private_key_file", Problem: "only used with auth_method = \"private_key_jwt\""}
	}
	if p.Preset != "" {
		preset, _ := LookupPreset(p.Preset)
		r.Preset = &preset
		vals := presetValues(preset, p.Vars)
		fillInto := func(dst *string, tmpl string) {
			if *dst != "" || tmpl == "" {
				return
			}
			*dst, _ = fill(tmpl, vals)
		}
		fillInto(&r.Issuer, preset.Issuer)
		fillInto(&r.Authorization, preset.Endpoints.Authorization)
		fillInto(&r.Token, preset.Endpoints.Token)
		fillInto(&r.JWKS, preset.Endpoints.JWKS)
		fillInto(&r.Userinfo, preset.Endpoints.Userinfo)
		if len(r.Scopes) == 0 {
			r.Scopes = slices.Clone(preset.Scopes)
		}
		if r.AuthMethod == "" && p.HasSecret() {
			r.AuthMethod = preset.AuthMethod
		}
		maps.Copy(r.Params, preset.Params)
		r.Quirks = preset.Adapt
		r.Explained = slices.Clone(preset.Quirks)
	}
	if r.AuthMethod == "" {
		if p.HasSecret() {
			r.AuthMethod = "client_secret_basic"
		} else {
			r.AuthMethod = "none"
		}
	}
	maps.Copy(r.Params, p.Params)
	return r, nil
}

// FlowConfig fills the parts of a [flows.Config] the engine supports today: the
// provider (issuer and endpoints), the client (with secret, from [Profile.Secret]),
// scopes and extra authorization parameters. The caller adds the authorizer, HTTP
// client, clock and randomness, and for private_key_jwt the key ([Resolved.PrivateKey]).
// r.Quirks become flows.Config.Quirks ([Quirks.FlowQuirks]).
func (r Resolved) FlowConfig(secret string) flows.Config {
	cfg := flows.Config{
		Provider: flows.Provider{
			Name:                  r.Name,
			Issuer:                r.Issuer,
			AuthorizationEndpoint: r.Authorization,
			TokenEndpoint:         r.Token,
			JWKSURI:               r.JWKS,
			UserinfoEndpoint:      r.Userinfo,
		},
		Client: flows.Client{
			ID:          r.ClientID,
			Secret:      secret,
			AuthMethod:  r.AuthMethod,
			RedirectURI: r.RedirectURI,
		},
		Scopes: slices.Clone(r.Scopes),
	}
	if r.Quirks.NoDiscovery {
		cfg.Provider.Issuer = ""
	}
	cfg.Client.KeyID, cfg.PAR = r.KeyID, r.PAR
	if !r.Quirks.IsZero() {
		title := r.Name
		if r.Preset != nil {
			title = r.Preset.Title
		}
		cfg.Quirks = r.Quirks.FlowQuirks(title)
	}
	params := maps.Clone(r.Params)
	if mode, ok := params["response_mode"]; ok {
		cfg.ResponseMode = mode
		delete(params, "response_mode")
	}
	if len(params) > 0 {
		cfg.ExtraParams = params
	}
	return cfg
}
