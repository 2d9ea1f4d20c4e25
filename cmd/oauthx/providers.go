package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/oauthx/oauthx/flows/provider"
)

// runProviders runs `oauthx providers`: the presets and saved profiles, without
// network; `oauthx providers show NAME` shows one in full.
func runProviders(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oauthx providers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	configPath := fs.String("config", "", "profiles file (default $"+provider.EnvConfig+", else the user config directory's oauthx/profiles.toml)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx providers [--json] [--config FILE]")
		fmt.Fprintln(stderr, "       oauthx providers show NAME [--json] [--config FILE]")
		fmt.Fprintln(stderr, "\nList the built-in provider presets with their quirks, and your saved profiles.")
		fmt.Fprintln(stderr, "`show NAME` shows a profile or a preset in full. Nothing here uses the network.")
		fmt.Fprintln(stderr, "The profile file format is in docs/providers.md.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	var show string
	if len(args) > 0 && args[0] == "show" {
		if len(args) < 2 || strings.HasPrefix(args[1], "-") {
			fmt.Fprintln(stderr, "oauthx providers show: which one? Give a preset or profile name.")
			return exitUsage
		}
		show, args = args[1], args[2:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "oauthx providers: unexpected argument %q (did you mean `oauthx providers show %s`?)\n", fs.Arg(0), fs.Arg(0))
		return exitUsage
	}

	ps, path, loadErr := loadProfiles(*configPath)
	code := exitOK
	if loadErr != nil {
		// Presets are still listed; the file's problems go to stderr.
		fmt.Fprintln(stderr, "oauthx providers:", loadErr)
		code = exitUsage
	}

	if show != "" {
		if ps != nil {
			if p, err := ps.Lookup(show); err == nil {
				if c := showProfile(stdout, stderr, p, *asJSON); c != exitOK {
					return c
				}
				return code
			}
		}
		preset, ok := provider.LookupPreset(show)
		if !ok {
			fmt.Fprintf(stderr, "oauthx providers show: no preset or profile %q (presets: %s; profiles: %s)\n",
				show, strings.Join(presetNameList(), ", "), noneIfEmpty(strings.Join(ps.Names(), ", ")))
			return exitUsage
		}
		if *asJSON {
			writeIndentedJSON(stdout, preset)
			return code
		}
		printPreset(stdout, preset)
		return code
	}

	if *asJSON {
		type profileJSON struct {
			provider.Profile
			SecretSource string `json:"secret_source"`
		}
		out := struct {
			Presets      []provider.Preset `json:"presets"`
			ProfilesPath string            `json:"profiles_path"`
			Profiles     []profileJSON     `json:"profiles"`
		}{Presets: provider.Presets(), ProfilesPath: path, Profiles: []profileJSON{}}
		for _, p := range ps.List() {
			out.Profiles = append(out.Profiles, profileJSON{p, p.SecretSource()})
		}
		writeIndentedJSON(stdout, out)
		return code
	}

	fmt.Fprintln(stdout, "Presets (`oauthx providers show NAME` explains each quirk):")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, p := range provider.Presets() {
		where := p.Issuer
		if where == "" {
			where = p.Endpoints.Authorization + " (no discovery)"
		}
		var quirks []string
		for _, q := range p.Quirks {
			quirks = append(quirks, q.Name)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Name, p.Title, where)
		fmt.Fprintf(tw, "  \t\tquirks: %s\n", strings.Join(quirks, ", "))
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	switch names := ps.Names(); {
	case len(names) == 0:
		fmt.Fprintf(stdout, "No saved profiles in %s (the format is in docs/providers.md).\n", path)
	default:
		fmt.Fprintf(stdout, "Profiles in %s:\n", path)
		tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, p := range ps.List() {
			def := ""
			if p.Name == ps.Default {
				def = " (default)"
			}
			var where string
			if r, err := p.Resolve(); err == nil {
				where = r.Issuer
				if where == "" {
					where = r.Token
				}
			} else {
				where = "INVALID (see above)"
			}
			kind := "-"
			if p.Preset != "" {
				kind = "preset " + p.Preset
			}
			fmt.Fprintf(tw, "  %s%s\t%s\t%s\tclient %s\tsecret: %s\n", p.Name, def, kind, where, p.ClientID, p.SecretSource())
		}
		tw.Flush()
	}
	return code
}

// loadProfiles reads the profiles file at path, or at the default path when empty.
// A missing file is an empty set. The set is returned even when some profiles are
// invalid, with the error.
func loadProfiles(path string) (*provider.Profiles, string, error) {
	if path == "" {
		p, err := provider.DefaultPath()
		if err != nil {
			return &provider.Profiles{}, "", err
		}
		path = p
	}
	ps, err := provider.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &provider.Profiles{Path: path}, path, nil
	}
	if ps == nil {
		ps = &provider.Profiles{Path: path}
	}
	return ps, path, err
}

// loadProfile finds one profile. Problems in other profiles of the file are reported
// on stderr as warnings; problems with this one (or the file) are the error.
func loadProfile(path, name string, stderr io.Writer) (provider.Profile, error) {
	ps, path, err := loadProfiles(path)
	var own []error
	for _, e := range provider.Errors(err) {
		if e.Profile == name || e.Profile == "" {
			own = append(own, e)
		} else {
			fmt.Fprintln(stderr, "warning:", e)
		}
	}
	if err != nil && len(provider.Errors(err)) == 0 {
		own = append(own, err)
	}
	if len(own) > 0 {
		return provider.Profile{}, errors.Join(own...)
	}
	if _, statErr := ps.Lookup(name); statErr != nil && len(ps.Names()) == 0 {
		return provider.Profile{}, fmt.Errorf("no profile %q: %s has no profiles (create it; format in docs/providers.md)", name, path)
	}
	return ps.Lookup(name)
}

func presetNameList() []string {
	var out []string
	for _, p := range provider.Presets() {
		out = append(out, p.Name)
	}
	return out
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func writeIndentedJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func printPreset(w io.Writer, p provider.Preset) {
	fmt.Fprintf(w, "%s (%s)\n", p.Title, p.Name)
	if len(p.Aliases) > 0 {
		fmt.Fprintf(w, "  also: %s\n", strings.Join(p.Aliases, ", "))
	}
	fmt.Fprintf(w, "  %s\n\n", p.Description)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if p.Issuer != "" {
		fmt.Fprintf(tw, "  issuer\t%s\n", p.Issuer)
	} else {
		fmt.Fprintf(tw, "  issuer\tnone: no OpenID Connect or RFC 8414 discovery\n")
	}
	for _, e := range []struct{ k, v string }{
		{"authorization_endpoint", p.Endpoints.Authorization}, {"token_endpoint", p.Endpoints.Token},
		{"jwks_uri", p.Endpoints.JWKS}, {"userinfo_endpoint", p.Endpoints.Userinfo},
	} {
		if e.v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", e.k, e.v)
		}
	}
	fmt.Fprintf(tw, "  OpenID Connect\t%s\n", map[bool]string{true: "yes", false: "no (OAuth 2.0 only)"}[p.OIDC])
	fmt.Fprintf(tw, "  default scopes\t%s\n", strings.Join(p.Scopes, " "))
	fmt.Fprintf(tw, "  auth method\t%s (recommended for confidential clients)\n", p.AuthMethod)
	if p.Docs != "" {
		fmt.Fprintf(tw, "  docs\t%s\n", p.Docs)
	}
	tw.Flush()
	if len(p.Vars) > 0 {
		fmt.Fprintln(w, "\nPlaceholders (set them in the profile's vars):")
		for _, v := range p.Vars {
			fmt.Fprintf(w, "  {%s}  %s", v.Name, v.Description)
			if v.Default != "" {
				fmt.Fprintf(w, "; default %q", v.Default)
			}
			if v.Example != "" {
				fmt.Fprintf(w, "; e.g. %q", v.Example)
			}
			fmt.Fprintln(w)
		}
	}
	printQuirks(w, p.Quirks)
	fmt.Fprintln(w, "\nExample profile (in profiles.toml):")
	fmt.Fprint(w, indentLines(exampleProfile(p), "  "))
}

func printQuirks(w io.Writer, quirks []provider.Quirk) {
	if len(quirks) == 0 {
		return
	}
	fmt.Fprintln(w, "\nQuirks:")
	for _, q := range quirks {
		spec := ""
		if q.Spec != "" {
			spec = " [" + q.Spec + "]"
		}
		fmt.Fprintf(w, "  %s%s\n", q.Name, spec)
		fmt.Fprint(w, indentLines(wrapWords(q.Explanation, 74), "      "))
		fmt.Fprint(w, indentLines(wrapWords("→ "+q.Effect, 74), "      "))
	}
}

func exampleProfile(p provider.Preset) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[profiles.my-%s]\n", p.Name)
	fmt.Fprintf(&b, "preset = %q\n", p.Name)
	var vars []string
	for _, name := range p.Placeholders() {
		v, _ := p.Var(name)
		if v.Default != "" {
			continue
		}
		vars = append(vars, fmt.Sprintf("%s = %q", name, v.Example))
	}
	if len(vars) > 0 {
		fmt.Fprintf(&b, "vars = { %s }\n", strings.Join(vars, ", "))
	}
	b.WriteString("client_id = \"YOUR_CLIENT_ID\"\n")
	fmt.Fprintf(&b, "secret_env = \"%s_CLIENT_SECRET\"\n", strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")))
	b.WriteString("redirect_uri = \"http://127.0.0.1:8400/callback\"\n")
	return b.String()
}

func showProfile(stdout, stderr io.Writer, p provider.Profile, asJSON bool) int {
	r, err := p.Resolve()
	if err != nil {
		fmt.Fprintln(stderr, "oauthx providers show:", err)
		return exitUsage
	}
	if asJSON {
		writeIndentedJSON(stdout, struct {
			provider.Profile
			SecretSource string           `json:"secret_source"`
			Resolved     resolvedJSON     `json:"resolved"`
			Quirks       []provider.Quirk `json:"quirks,omitempty"`
			Adapt        provider.Quirks  `json:"adapt,omitzero"`
		}{p, p.SecretSource(), toResolvedJSON(r), r.Explained, r.Quirks})
		return exitOK
	}
	fmt.Fprintf(stdout, "Profile %s\n", p.Name)
	if p.Description != "" {
		fmt.Fprintf(stdout, "  %s\n", p.Description)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	if r.Preset != nil {
		fmt.Fprintf(tw, "  preset\t%s (%s)\n", r.Preset.Name, r.Preset.Title)
	}
	if r.Issuer != "" {
		fmt.Fprintf(tw, "  issuer\t%s\n", r.Issuer)
	} else {
		fmt.Fprintf(tw, "  issuer\tnone: endpoints by hand, no discovery\n")
	}
	for _, e := range []struct{ k, v string }{
		{"authorization_endpoint", r.Authorization}, {"token_endpoint", r.Token},
		{"jwks_uri", r.JWKS}, {"userinfo_endpoint", r.Userinfo},
	} {
		if e.v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", e.k, e.v)
		}
	}
	fmt.Fprintf(tw, "  client_id\t%s\n", r.ClientID)
	fmt.Fprintf(tw, "  secret\t%s\n", r.SecretSource)
	fmt.Fprintf(tw, "  auth method\t%s\n", r.AuthMethod)
	if r.RedirectURI != "" {
		fmt.Fprintf(tw, "  redirect_uri\t%s\n", r.RedirectURI)
	}
	if r.Listen != "" {
		fmt.Fprintf(tw, "  listen\t%s (the receiver binds here; the provider sees redirect_uri)\n", r.Listen)
	}
	fmt.Fprintf(tw, "  scopes\t%s\n", noneIfEmpty(strings.Join(r.Scopes, " ")))
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "  param %s\t%s\n", k, r.Params[k])
	}
	tw.Flush()
	printQuirks(stdout, r.Explained)
	return exitOK
}

type resolvedJSON struct {
	Issuer     string             `json:"issuer,omitempty"`
	Endpoints  provider.Endpoints `json:"endpoints,omitzero"`
	AuthMethod string             `json:"auth_method"`
	Scopes     []string           `json:"scopes"`
	Params     map[string]string  `json:"params,omitempty"`
}

func toResolvedJSON(r provider.Resolved) resolvedJSON {
	return resolvedJSON{Issuer: r.Issuer, Endpoints: r.Endpoints, AuthMethod: r.AuthMethod,
		Scopes: slices.Clone(r.Scopes), Params: r.Params}
}

// wrap breaks s into lines of at most width runes, at spaces.
func wrapWords(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		if i > 0 {
			if line+1+n > width {
				b.WriteByte('\n')
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += n
	}
	b.WriteByte('\n')
	return b.String()
}

func indentLines(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		if l != "\n" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}
