package provider

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLoadExampleFile(t *testing.T) {
	ps, err := Load(filepath.Join("testdata", "profiles.toml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := ps.Names(), []string{"api", "gh", "local", "manual", "work"}; !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	if ps.Default != "local" {
		t.Errorf("Default = %q, want local", ps.Default)
	}

	work, err := ps.Lookup("work")
	if err != nil {
		t.Fatal(err)
	}
	r, err := work.Resolve()
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if want := "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"; r.Issuer != want {
		t.Errorf("Issuer = %q, want %q", r.Issuer, want)
	}
	if want := "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"; r.Token != want {
		t.Errorf("Token = %q, want %q", r.Token, want)
	}
	if r.AuthMethod != "client_secret_post" {
		t.Errorf("AuthMethod = %q, want the preset's client_secret_post", r.AuthMethod)
	}
	if !slices.Equal(r.Scopes, []string{"openid", "profile", "api://contoso-api/read"}) {
		t.Errorf("Scopes = %v: the profile's own scopes must win over the preset's", r.Scopes)
	}
	if r.Quirks.IssuerTemplate == "" || !r.Quirks.TolerateStringExpiresIn {
		t.Errorf("Quirks = %+v, want the Entra quirks", r.Quirks)
	}

	cfg := r.FlowConfig("the-secret")
	if cfg.Client.Secret != "the-secret" || cfg.Client.ID != work.ClientID || cfg.Client.RedirectURI != work.RedirectURI {
		t.Errorf("Client = %+v", cfg.Client)
	}
	if cfg.ExtraParams["prompt"] != "select_account" || cfg.ExtraParams["login_hint"] != "alice@contoso.com" {
		t.Errorf("ExtraParams = %v", cfg.ExtraParams)
	}

	gh, _ := ps.Lookup("gh")
	r, err = gh.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	cfg = r.FlowConfig("x")
	if cfg.Provider.Issuer != "" || cfg.Provider.TokenEndpoint != "https://github.com/login/oauth/access_token" {
		t.Errorf("GitHub provider = %+v: no discovery, endpoints by hand", cfg.Provider)
	}
	if !r.Quirks.AcceptJSON || r.Quirks.TokenHeaders()["Accept"] != "application/json" {
		t.Errorf("GitHub quirks = %+v, want Accept: application/json", r.Quirks)
	}
	if !slices.Equal(cfg.Scopes, []string{"read:user", "user:email"}) {
		t.Errorf("Scopes = %v, want the preset's", cfg.Scopes)
	}

	local, _ := ps.Lookup("local")
	r, _ = local.Resolve()
	if r.AuthMethod != "none" || r.Preset != nil || !r.Quirks.IsZero() {
		t.Errorf("local = %+v", r)
	}

	api, _ := ps.Lookup("api")
	r, _ = api.Resolve()
	if r.Issuer != "https://dev-abc123.us.auth0.com/" {
		t.Errorf("Auth0 issuer = %q: the trailing slash is part of it", r.Issuer)
	}
	if r.Params["audience"] != "https://api.example.com/" {
		t.Errorf("Params = %v", r.Params)
	}

	manual, _ := ps.Lookup("manual")
	if manual.ClientSecret == "" || !strings.Contains(manual.SecretSource(), "masked") {
		t.Errorf("manual secret source = %q", manual.SecretSource())
	}
	r, _ = manual.Resolve()
	if r.AuthMethod != "client_secret_basic" {
		t.Errorf("manual auth method = %q, want client_secret_basic by default with a secret", r.AuthMethod)
	}

	if _, err := ps.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "api, gh, local, manual, work") {
		t.Errorf("Lookup(nope) error = %v, want the list of profiles", err)
	}
}

// TestValidation is the checklist of rules a profile must follow. Each case is one
// profile table; it must fail on the named field with a problem containing want, on
// the given line of the file.
func TestValidation(t *testing.T) {
	const header = "[profiles.p]\n" // line 1
	tests := []struct {
		name  string
		body  string // lines after the header
		field string
		want  string
		line  int
	}{
		{"client_id missing", `issuer = "https://idp.example.com"`, "client_id", "required", 0},
		{"no provider at all", `client_id = "c"`, "issuer", "set an issuer", 0},
		{"issuer not a URL", "client_id = \"c\"\nissuer = \"idp.example.com\"", "issuer", "absolute http(s) URL", 3},
		{"issuer with query", "client_id = \"c\"\nissuer = \"https://idp.example.com/?x=1\"", "issuer", "query", 3},
		{"issuer with fragment", "client_id = \"c\"\nissuer = \"https://idp.example.com/#x\"", "issuer", "fragment", 3},
		{"endpoint not a URL", "client_id = \"c\"\ntoken_endpoint = \"/token\"", "token_endpoint", "absolute http(s) URL", 3},
		{"endpoint ftp", "client_id = \"c\"\nissuer = \"https://a.example\"\njwks_uri = \"ftp://a.example/k\"", "jwks_uri", "absolute http(s) URL", 4},
		{"unknown preset", "client_id = \"c\"\npreset = \"gogle\"", "preset", `unknown preset "gogle"`, 3},
		{"preset var missing", "client_id = \"c\"\npreset = \"entra\"", "vars.tenant", "needs {tenant}", 0},
		{"preset var unknown", "client_id = \"c\"\npreset = \"entra\"\nvars = { tenant = \"t\", realm = \"r\" }", "vars.realm", "no placeholder {realm}", 4},
		{"preset var empty", "client_id = \"c\"\npreset = \"keycloak\"\nvars = { base_url = \"https://k.example\", realm = \"\" }", "vars.realm", "non-empty", 4},
		{"vars without preset", "client_id = \"c\"\nissuer = \"https://a.example\"\nvars = { tenant = \"t\" }", "vars", "no preset", 4},
		{"preset issuer becomes bad", "client_id = \"c\"\npreset = \"keycloak\"\nvars = { base_url = \"keycloak\", realm = \"r\" }", "vars", "absolute http(s) URL", 4},
		{"two secret sources", "client_id = \"c\"\nissuer = \"https://a.example\"\nsecret_env = \"X\"\nsecret_prompt = true", "secret_prompt", "choose one place", 0},
		{"secret_env not a name", "client_id = \"c\"\nissuer = \"https://a.example\"\nsecret_env = \"MY-SECRET\"", "secret_env", "not an environment variable name", 4},
		{"auth method unknown", "client_id = \"c\"\nissuer = \"https://a.example\"\nsecret_env = \"S\"\nauth_method = \"basic\"", "auth_method", `unknown method "basic"`, 5},
		{"auth method not yet", "client_id = \"c\"\nissuer = \"https://a.example\"\nauth_method = \"tls_client_auth\"", "auth_method", "not supported yet", 4},
		{"private_key_jwt without a key", "client_id = \"c\"\nissuer = \"https://a.example\"\nauth_method = \"private_key_jwt\"", "private_key_file", "set private_key_file", 0},
		{"client_secret_jwt without a secret", "client_id = \"c\"\nissuer = \"https://a.example\"\nauth_method = \"client_secret_jwt\"", "auth_method", "needs a secret", 4},
		{"none with a secret", "client_id = \"c\"\nissuer = \"https://a.example\"\nsecret_env = \"S\"\nauth_method = \"none\"", "auth_method", "public clients", 5},
		{"basic without a secret", "client_id = \"c\"\nissuer = \"https://a.example\"\nauth_method = \"client_secret_basic\"", "auth_method", "needs a secret", 4},
		{"scope with a space", "client_id = \"c\"\nissuer = \"https://a.example\"\nscopes = [\"openid profile\"]", "scopes[0]", "not one scope token", 4},
		{"scope empty", "client_id = \"c\"\nissuer = \"https://a.example\"\nscopes = [\"openid\", \"\"]", "scopes[1]", "empty scope", 0},
		{"scope twice", "client_id = \"c\"\nissuer = \"https://a.example\"\nscopes = [\"openid\", \"openid\"]", "scopes[1]", "listed twice", 0},
		{"redirect relative", "client_id = \"c\"\nissuer = \"https://a.example\"\nredirect_uri = \"/callback\"", "redirect_uri", "must be an absolute http(s) URL", 4},
		{"redirect custom scheme", "client_id = \"c\"\nissuer = \"https://a.example\"\nredirect_uri = \"com.example.app:/cb\"", "redirect_uri", "must be an absolute http(s) URL", 4},
		{"redirect with fragment", "client_id = \"c\"\nissuer = \"https://a.example\"\nredirect_uri = \"http://127.0.0.1/cb#x\"", "redirect_uri", "fragment", 4},
		{"param reserved state", "client_id = \"c\"\nissuer = \"https://a.example\"\n[profiles.p.params]\nstate = \"fixed\"", "params.state", "generated fresh", 5},
		{"param reserved scope", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { scope = \"openid\" }", "params.scope", "use scopes", 4},
		{"param prompt unknown", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { prompt = \"always\" }", "params.prompt", `unknown value "always"`, 4},
		{"param prompt none combined", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { prompt = \"none login\" }", "params.prompt", "cannot be combined", 4},
		{"param max_age", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { max_age = \"1h\" }", "params.max_age", "number of seconds", 4},
		{"param resource relative", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { resource = \"api\" }", "params.resource", "RFC 8707", 4},
		{"param response_mode", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { response_mode = \"web_message\" }", "params.response_mode", "unknown response mode", 4},
		{"param bad name", "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { \"a b\" = \"x\" }", `params.a b`, "not a parameter name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := header + tt.body + "\n"
			_, err := Parse("profiles.toml", []byte(data))
			if err == nil {
				t.Fatalf("no error for:\n%s", data)
			}
			var found *Error
			for _, e := range Errors(err) {
				if e.Field == tt.field {
					found = e
					break
				}
			}
			if found == nil {
				t.Fatalf("no error on field %q; got: %v", tt.field, err)
			}
			if found.Profile != "p" || found.File != "profiles.toml" {
				t.Errorf("error names profile %q in %q", found.Profile, found.File)
			}
			if !strings.Contains(found.Problem, tt.want) {
				t.Errorf("problem = %q, want it to mention %q", found.Problem, tt.want)
			}
			if tt.line != 0 && found.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", found.Line, tt.line, found)
			}
			if !strings.HasPrefix(found.Error(), "profiles.toml") || !strings.Contains(found.Error(), `profile "p": `+tt.field+": ") {
				t.Errorf("message %q does not name the file, profile and field", found.Error())
			}
		})
	}
}

func TestErrorMessageFormat(t *testing.T) {
	data := "[profiles.work]\nclient_id = \"c\"\nissuer = \"https://a.example\"\nredirect_uri = \"callback\"\n"
	_, err := Parse("profiles.toml", []byte(data))
	want := `profiles.toml:4: profile "work": redirect_uri: must be an absolute http(s) URL (RFC 6749 §3.1.2)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}

func TestValidProfilesPass(t *testing.T) {
	tests := map[string]string{
		"issuer only":         "client_id = \"c\"\nissuer = \"https://a.example\"",
		"loopback http":       "client_id = \"c\"\nissuer = \"http://127.0.0.1:9000\"",
		"dev http issuer":     "client_id = \"c\"\npreset = \"keycloak\"\nvars = { base_url = \"http://keycloak:8080\", realm = \"r\" }",
		"localhost http":      "client_id = \"c\"\nissuer = \"http://localhost:8080/realms/x\"",
		"endpoints only":      "client_id = \"c\"\ntoken_endpoint = \"https://a.example/token\"",
		"preset with default": "client_id = \"c\"\npreset = \"gitlab\"",
		"preset alias":        "client_id = \"c\"\npreset = \"Azure\"\nvars = { tenant = \"common\" }",
		"preset overridden":   "client_id = \"c\"\npreset = \"entra\"\nissuer = \"https://login.microsoftonline.com/x/v2.0\"\nauthorization_endpoint = \"https://a.example/a\"\ntoken_endpoint = \"https://a.example/t\"\njwks_uri = \"https://a.example/k\"\nuserinfo_endpoint = \"https://a.example/u\"",
		"prompt combination":  "client_id = \"c\"\nissuer = \"https://a.example\"\nparams = { prompt = \"login consent\", max_age = \"0\", custom_thing = \"x y\" }",
		"secret file":         "client_id = \"c\"\nissuer = \"https://a.example\"\nsecret_file = \"/run/secrets/c\"\nauth_method = \"client_secret_post\"",
		"scopes with urls":    "client_id = \"c\"\nissuer = \"https://a.example\"\nscopes = [\"openid\", \"https://graph.microsoft.com/User.Read\"]",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			ps, err := Parse("profiles.toml", []byte("[profiles.p]\n"+body+"\n"))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			p, _ := ps.Lookup("p")
			if _, err := p.Resolve(); err != nil {
				t.Fatalf("Resolve: %v", err)
			}
		})
	}
}

func TestUnknownKeysAreErrorsWithLines(t *testing.T) {
	data := `default = "work"
colour = "blue"

[profiles.work]
client_id = "c"
issuer = "https://a.example"
scops = ["openid"]

[profiles.work.params]
prompt = "login"

[profiles.work.extra]
x = "y"
`
	_, err := Parse("/home/a/.config/oauthx/profiles.toml", []byte(data))
	errs := Errors(err)
	if len(errs) < 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	byField := map[string]*Error{}
	for _, e := range errs {
		byField[e.Field] = e
	}
	if e := byField["scops"]; e == nil || e.Line != 7 || e.Profile != "work" || !strings.Contains(e.Problem, `did you mean "scopes"`) {
		t.Errorf("scops error = %v", e)
	}
	if e := byField["colour"]; e == nil || e.Line != 2 || e.Profile != "" {
		t.Errorf("colour error = %v", e)
	}
	if e := byField["extra"]; e == nil || e.Line != 12 {
		t.Errorf("extra error = %v", e)
	}
	if !strings.Contains(err.Error(), "/home/a/.config/oauthx/profiles.toml:7: profile \"work\": scops: unknown key") {
		t.Errorf("message = %v", err)
	}
}

func TestSyntaxAndTypeErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
		field      string
	}{
		{"unterminated string", "[profiles.a]\nclient_id = \"c\nissuer = \"x\"\n", 2, ""},
		{"scopes not an array", "[profiles.a]\nclient_id = \"c\"\nscopes = \"openid profile\"\n", 3, "scopes"},
		{"secret_prompt not a bool", "[profiles.a]\nclient_id = \"c\"\nsecret_prompt = \"yes\"\n", 3, "secret_prompt"},
		{"profile not a table", "profiles = { a = \"x\" }\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("profiles.toml", []byte(tt.data))
			errs := Errors(err)
			if len(errs) == 0 {
				t.Fatalf("want an *Error, got %v", err)
			}
			e := errs[0]
			if e.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", e.Line, tt.line, e)
			}
			if tt.field != "" && e.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", e.Field, tt.field, e)
			}
		})
	}
}

func TestDefaultMustExist(t *testing.T) {
	_, err := Parse("profiles.toml", []byte("default = \"nope\"\n[profiles.a]\nclient_id = \"c\"\nissuer = \"https://a.example\"\n"))
	errs := Errors(err)
	if len(errs) != 1 || errs[0].Field != "default" || errs[0].Line != 1 {
		t.Fatalf("errors = %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "oauthx", "profiles.toml")
	ps := &Profiles{Path: path}
	in := []Profile{
		{Name: "work", Preset: "entra", Vars: map[string]string{"tenant": "contoso"}, ClientID: "c1",
			SecretEnv: "WORK_SECRET", RedirectURI: "http://127.0.0.1:8400/cb",
			Scopes: []string{"openid", "profile"}, Params: map[string]string{"prompt": "login"}},
		{Name: "local", Issuer: "http://127.0.0.1:9000", ClientID: "demo", AuthMethod: "none",
			Endpoints: Endpoints{Token: "http://127.0.0.1:9000/token"}},
	}
	for _, p := range in {
		if err := ps.Put(p); err != nil {
			t.Fatal(err)
		}
	}
	ps.Default = "work"
	if err := Save(path, ps); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, want 0600", st.Mode().Perm())
		}
		dst, _ := os.Stat(filepath.Dir(path))
		if dst.Mode().Perm() != 0o700 {
			t.Errorf("dir mode = %v, want 0700", dst.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only profiles.toml (temporary file left behind?)", len(entries))
	}
	back, err := Load(path)
	if err != nil {
		t.Fatalf("Load after Save: %v", err)
	}
	if back.Default != "work" {
		t.Errorf("Default = %q", back.Default)
	}
	for _, p := range in {
		got, err := back.Lookup(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", p.Name, got, p)
		}
	}

	// Replacing and deleting.
	if err := back.Put(Profile{Name: "local", Issuer: "https://idp.example.com", ClientID: "other"}); err != nil {
		t.Fatal(err)
	}
	if !back.Delete("work") || back.Delete("work") {
		t.Error("Delete reports wrongly")
	}
	back.Default = ""
	if err := Save(path, back); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Names(); !slices.Equal(got, []string{"local"}) {
		t.Errorf("names = %v", got)
	}
	if p, _ := again.Lookup("local"); p.ClientID != "other" {
		t.Errorf("replaced profile = %+v", p)
	}
}

func TestSaveNeverWritesSecretsUnasked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiles.toml")
	ps := &Profiles{}
	p := Profile{Name: "a", Issuer: "https://a.example", ClientID: "c", ClientSecret: "typed-in-the-tui"}
	if err := ps.Put(p); err != nil {
		t.Fatal(err)
	}
	err := Save(path, ps)
	if errs := Errors(err); len(errs) != 1 || errs[0].Field != "client_secret" {
		t.Fatalf("Save = %v, want a refusal on client_secret", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the file was written anyway")
	}

	// Asked explicitly: written.
	if err := ps.Put(p.WithPlainSecret("typed-in-the-tui")); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, ps); err != nil {
		t.Fatalf("Save with WithPlainSecret: %v", err)
	}
	// Read from the file: written back as it was.
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(path, back); err != nil {
		t.Fatalf("re-Save of a secret the person wrote: %v", err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "typed-in-the-tui") {
		t.Errorf("secret lost:\n%s", b)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	env := func(k string) string {
		if k == "SET" {
			return "from-env"
		}
		return ""
	}
	prompt := func(q string) (string, error) { return " typed \n", nil }
	tests := []struct {
		name    string
		p       Profile
		prompt  Prompter
		want    string
		wantErr error
	}{
		{"env", Profile{SecretEnv: "SET"}, nil, "from-env", nil},
		{"env unset", Profile{SecretEnv: "UNSET"}, nil, "", ErrNoSecret},
		{"file first line", Profile{SecretFile: secretFile}, nil, "from-file", nil},
		{"file empty", Profile{SecretFile: empty}, nil, "", ErrNoSecret},
		{"file missing", Profile{SecretFile: filepath.Join(dir, "nope")}, nil, "", fs.ErrNotExist},
		{"prompt", Profile{SecretPrompt: true}, prompt, "typed", nil},
		{"prompt without terminal", Profile{SecretPrompt: true}, nil, "", ErrNoSecret},
		{"plain", Profile{ClientSecret: "plain"}, nil, "plain", nil},
		{"public client", Profile{}, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Name = "p"
			got, err := tt.p.Secret(env, tt.prompt)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("secret = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv(EnvConfig, "/etc/oauthx.toml")
	if p, _ := DefaultPath(); p != "/etc/oauthx.toml" {
		t.Errorf("with %s: %q", EnvConfig, p)
	}
	t.Setenv(EnvConfig, "")
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	if p, _ := DefaultPath(); p != filepath.Join(xdg, "oauthx", "profiles.toml") {
		t.Errorf("with XDG_CONFIG_HOME: %q", p)
	}
	ps, err := LoadDefault()
	if err != nil || ps.Path != filepath.Join(xdg, "oauthx", "profiles.toml") || len(ps.List()) != 0 {
		t.Errorf("LoadDefault with no file = %+v, %v; want an empty set", ps, err)
	}
}

// TestDocsExampleParses keeps the example in docs/providers.md valid.
func TestDocsExampleParses(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "providers.md"))
	if err != nil {
		t.Skip("docs/providers.md not found:", err)
	}
	_, rest, ok := strings.Cut(string(doc), "```toml\n")
	if !ok {
		t.Fatal("no ```toml block in docs/providers.md")
	}
	example, _, _ := strings.Cut(rest, "```")
	ps, err := Parse("docs/providers.md", []byte(example))
	if err != nil {
		t.Fatalf("the documented example is invalid: %v", err)
	}
	for _, p := range ps.List() {
		if _, err := p.Resolve(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if len(ps.List()) != 3 || ps.Default != "work" {
		t.Errorf("example: %v, default %q", ps.Names(), ps.Default)
	}
}
