package provider

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPresetTable checks the preset table as data: every field a front end shows is
// filled, names are unique, placeholders are declared, quirks are explained.
func TestPresetTable(t *testing.T) {
	seen := map[string]string{}
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			for _, n := range append([]string{p.Name}, p.Aliases...) {
				if other, dup := seen[n]; dup {
					t.Errorf("name %q also used by %s", n, other)
				}
				seen[n] = p.Name
				if got, ok := LookupPreset(strings.ToUpper(n)); !ok || got.Name != p.Name {
					t.Errorf("LookupPreset(%q) = %v, %v", n, got.Name, ok)
				}
			}
			if p.Title == "" || p.Description == "" || p.Docs == "" {
				t.Error("title, description and docs are required")
			}
			if p.Issuer == "" && p.Endpoints.Token == "" {
				t.Error("a preset needs an issuer or a token endpoint")
			}
			if p.Issuer == "" != p.Adapt.NoDiscovery {
				t.Errorf("issuer %q but NoDiscovery %v", p.Issuer, p.Adapt.NoDiscovery)
			}
			if p.OIDC != slices.Contains(p.Scopes, "openid") {
				t.Errorf("OIDC %v but scopes %v", p.OIDC, p.Scopes)
			}
			if !slices.Contains(authMethods, p.AuthMethod) {
				t.Errorf("auth method %q", p.AuthMethod)
			}
			for _, name := range p.Placeholders() {
				v, ok := p.Var(name)
				if !ok {
					t.Errorf("placeholder {%s} not declared in Vars", name)
					continue
				}
				if v.Description == "" || (v.Example == "" && v.Default == "") {
					t.Errorf("var %s needs a description and an example or default", name)
				}
			}
			for _, v := range p.Vars {
				if !slices.Contains(p.Placeholders(), v.Name) {
					t.Errorf("var %s declared but unused", v.Name)
				}
			}
			if len(p.Quirks) == 0 {
				t.Error("every preset explains at least one quirk")
			}
			for _, q := range p.Quirks {
				if q.Name == "" || q.Explanation == "" || q.Effect == "" {
					t.Errorf("quirk %+v incomplete", q)
				}
			}
		})
	}
	if len(Presets()) < 9 {
		t.Errorf("%d presets, want Google, Entra, GitHub, GitLab, Auth0, Okta, Keycloak, Cognito, Dex", len(Presets()))
	}
}

// TestPresetProfiles resolves testdata/presets.toml, one profile per preset, and
// checks the filled issuer and endpoints are URLs without leftover placeholders.
func TestPresetProfiles(t *testing.T) {
	ps, err := Load(filepath.Join("testdata", "presets.toml"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, p := range ps.List() {
		r, err := p.Resolve()
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		covered[r.Preset.Name] = true
		for _, u := range []string{r.Issuer, r.Authorization, r.Token, r.JWKS, r.Userinfo} {
			if u == "" {
				continue
			}
			if strings.ContainsAny(u, "{}") {
				t.Errorf("%s: %q still has a placeholder", p.Name, u)
			}
			if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
				t.Errorf("%s: %q is not an absolute URL", p.Name, u)
			}
		}
		if len(r.Scopes) == 0 {
			t.Errorf("%s: no scopes", p.Name)
		}
		if p.HasSecret() && r.AuthMethod != r.Preset.AuthMethod {
			t.Errorf("%s: auth method %q, want the preset's %q", p.Name, r.AuthMethod, r.Preset.AuthMethod)
		}
		if !p.HasSecret() && r.AuthMethod != "none" {
			t.Errorf("%s: no secret, auth method %q, want none", p.Name, r.AuthMethod)
		}
	}
	for _, p := range Presets() {
		if !covered[p.Name] {
			t.Errorf("testdata/presets.toml has no profile for preset %s", p.Name)
		}
	}
}

func TestPresetQuirksAsData(t *testing.T) {
	gh, _ := LookupPreset("github")
	if !gh.Adapt.AcceptJSON || !gh.Adapt.NoDiscovery || !gh.Adapt.PKCESupportedUnadvertised || gh.Adapt.ScopeSeparator != "," {
		t.Errorf("github adapt = %+v", gh.Adapt)
	}
	entra, _ := LookupPreset("azure")
	if entra.Adapt.IssuerTemplate != "https://login.microsoftonline.com/{tenantid}/v2.0" {
		t.Errorf("entra issuer template = %q", entra.Adapt.IssuerTemplate)
	}
	cog, _ := LookupPreset("cognito")
	if !cog.Adapt.TolerateStringExpiresIn || !cog.Adapt.PKCESupportedUnadvertised {
		t.Errorf("cognito adapt = %+v", cog.Adapt)
	}
	g, _ := LookupPreset("google")
	if !slices.Contains(g.Adapt.IssuerAliases, "accounts.google.com") {
		t.Errorf("google adapt = %+v", g.Adapt)
	}
	// The table is rebuilt on every call: a caller cannot change what another sees.
	ps := Presets()
	ps[0].Quirks[0].Name = "changed"
	if Presets()[0].Quirks[0].Name == "changed" {
		t.Error("Presets shares its table between callers")
	}
}

func TestFill(t *testing.T) {
	got, missing := fill("https://{domain}/oauth2/{authorization_server}", map[string]string{"domain": "x.okta.com"})
	if got != "https://x.okta.com/oauth2/{authorization_server}" || !slices.Equal(missing, []string{"authorization_server"}) {
		t.Errorf("fill = %q, %v", got, missing)
	}
}

func TestMatchIssuer(t *testing.T) {
	tests := map[string]string{
		"https://login.microsoftonline.com/common/v2.0":             "entra",
		"https://accounts.google.com":                               "google",
		"https://dev-abc.us.auth0.com/":                             "auth0",
		"https://dev-1.okta.com/oauth2/default":                     "okta",
		"https://dev-1.okta.com":                                    "okta-org",
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC": "cognito",
		"https://idp.example.com":                                   "",
		"https://login.microsoftonline.com/common/v2.0/extra":       "",
		"https://dev-abc.us.auth0.com":                              "", // no slash: not Auth0's issuer
		"https://auth.example.com/":                                 "", // a custom domain is not recognised
	}
	for iss, want := range tests {
		p, ok := MatchIssuer(iss)
		if (want == "") == ok || p.Name != want {
			t.Errorf("MatchIssuer(%q) = %q, %v; want %q", iss, p.Name, ok, want)
		}
	}
}
