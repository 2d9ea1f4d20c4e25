package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/provider"
	"github.com/oauthx/oauthx/mockidp"
)

// runProfileOptions are the flags of `oauthx run` for profiles, JWT client
// authentication and PAR.
type runProfileOptions struct {
	profile, configPath    string
	clientKey, clientKeyID string
	par                    bool
}

func addRunProfileFlags(fs *flag.FlagSet, o *runProfileOptions) {
	fs.StringVar(&o.profile, "profile", "", "run against the saved profile `NAME` (flags given as well override its fields); see oauthx providers")
	fs.StringVar(&o.configPath, "config", "", "profiles file (default $OAUTHX_CONFIG, else the user config directory's oauthx/profiles.toml)")
	fs.StringVar(&o.clientKey, "client-key", "", "private_key_jwt: the client's private key, a PEM or JWK `FILE` (bundled IdP: web-app-jwt's demo key)")
	fs.StringVar(&o.clientKeyID, "client-key-id", "", "private_key_jwt: the kid to put in the client assertion's header")
	fs.BoolVar(&o.par, "par", false, "push the authorization request first (RFC 9126 PAR); code flows only")
}

// applyRunProfile starts from the profile (when --profile is given) and lays the
// flags that were set over it, then adds the client key and PAR. Errors name the
// profile and the field; the caller exits 2.
func applyRunProfile(fs *flag.FlagSet, o *runOptions, cfg *flows.Config, stdin io.Reader, stderr io.Writer) error {
	po := &o.prof
	if po.profile != "" {
		p, err := loadProfile(po.configPath, po.profile, stderr)
		if err != nil {
			return err
		}
		r, err := p.Resolve()
		if err != nil {
			return err
		}
		secret := ""
		if o.clientSecretEnv == "" {
			if secret, err = p.Secret(nil, terminalPrompt(stdin, stderr)); err != nil {
				return err // it names the profile
			}
		}
		pc := r.FlowConfig(secret)
		if key, err := r.PrivateKey(); err != nil {
			return err
		} else if key != nil {
			pc.Client.PrivateKey = key
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if r.Listen != "" && o.remote.listen == "" && !o.paste && (o.user == "" || o.browser) &&
			(!set["redirect-uri"] || cfg.Client.RedirectURI == r.RedirectURI) {
			o.remote.listen = r.Listen // the profile's receiver address, unless the flags moved the redirect URI
		}
		over := func(flag string, dst *string, v string) {
			if set[flag] {
				*dst = v
			}
		}
		over("issuer", &pc.Provider.Issuer, cfg.Provider.Issuer)
		over("auth-url", &pc.Provider.AuthorizationEndpoint, cfg.Provider.AuthorizationEndpoint)
		over("token-url", &pc.Provider.TokenEndpoint, cfg.Provider.TokenEndpoint)
		over("jwks-url", &pc.Provider.JWKSURI, cfg.Provider.JWKSURI)
		over("client-id", &pc.Client.ID, cfg.Client.ID)
		over("client-secret-env", &pc.Client.Secret, cfg.Client.Secret)
		over("auth-method", &pc.Client.AuthMethod, cfg.Client.AuthMethod)
		over("redirect-uri", &pc.Client.RedirectURI, cfg.Client.RedirectURI)
		over("response-mode", &pc.ResponseMode, cfg.ResponseMode)
		if set["scope"] {
			pc.Scopes = cfg.Scopes
		}
		pc.PKCEMethod, pc.ResponseType, pc.HTTPClient = cfg.PKCEMethod, cfg.ResponseType, cfg.HTTPClient
		params := maps.Clone(pc.ExtraParams)
		if params == nil {
			params = map[string]string{}
		}
		maps.Copy(params, cfg.ExtraParams)
		pc.ExtraParams = params
		pc.PAR = pc.PAR || po.par
		if pc.Provider.Name == "" {
			pc.Provider.Name = p.Name
		}
		*cfg = pc
	}
	if po.clientKey != "" {
		b, err := os.ReadFile(po.clientKey)
		if err != nil {
			return fmt.Errorf("--client-key: %v", err)
		}
		if _, err := flows.ParseClientKey(b); err != nil {
			return fmt.Errorf("--client-key %s: %v", po.clientKey, err)
		}
		cfg.Client.PrivateKey = b
		if cfg.Client.AuthMethod == "" {
			cfg.Client.AuthMethod = flows.AuthPrivateKeyJWT
		}
	}
	if po.clientKeyID != "" {
		cfg.Client.KeyID = po.clientKeyID
	}
	if po.par {
		cfg.PAR = true
	}
	return nil
}

// bundledAuthDefaults picks the bundled IdP's demo JWT client when a JWT client
// authentication method is asked for without a client id.
func bundledAuthDefaults(cfg *flows.Config, o *runOptions) {
	if o.clientID != "" {
		return
	}
	switch cfg.Client.AuthMethod {
	case flows.AuthPrivateKeyJWT:
		cfg.Client.ID, cfg.Client.Secret = mockidp.DemoPrivateKeyJWTClient, ""
		if len(cfg.Client.PrivateKey) == 0 {
			cfg.Client.PrivateKey = []byte(mockidp.DemoClientKeyPEM)
			cfg.Client.KeyID = mockidp.DemoClientKeyID
		}
	case flows.AuthClientSecretJWT:
		cfg.Client.ID, cfg.Client.Secret = mockidp.DemoClientSecretJWTClient, mockidp.DemoClientSecretJWTSecret
	}
}

// profileNote says which profile a run uses, for stderr.
func profileNote(o *runOptions, cfg flows.Config) string {
	if o.prof.profile == "" {
		return ""
	}
	where := cfg.Provider.Issuer
	if where == "" {
		where = cfg.Provider.TokenEndpoint
	}
	var extra []string
	if !cfg.Quirks.IsZero() {
		extra = append(extra, "with "+cfg.Quirks.Provider+"'s known quirks")
	}
	if cfg.PAR {
		extra = append(extra, "PAR")
	}
	s := fmt.Sprintf("Profile %s: %s as %s", o.prof.profile, where, cfg.Client.ID)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// terminalPrompt asks for a profile's secret (secret_prompt = true) on the terminal,
// without echo. Without a terminal on stdin it says how to give the secret instead:
// a secret is never read from a pipe that may be a script's input.
func terminalPrompt(stdin io.Reader, stderr io.Writer) provider.Prompter {
	return func(question string) (string, error) {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(f.Fd()) {
			return "", fmt.Errorf("secret_prompt: stdin is not a terminal to ask on; use --client-secret-env, or secret_env or secret_file in the profile")
		}
		fmt.Fprintf(stderr, "%s (not echoed): ", strings.TrimSuffix(strings.TrimSpace(question), ":"))
		b, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("reading the secret: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
}
