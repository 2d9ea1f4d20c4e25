// Package provider holds what oauthx knows about real providers: presets for the
// well-known ones, with the ways they differ from the specs (quirks), and the person's
// own named profiles, kept in a TOML file in the user's config directory.
//
// Nothing here touches the network: presets are data, and profiles are read from and
// written to a local file. A [Profile] becomes a [flows.Config] through
// [Profile.Resolve] and [Resolved.FlowConfig]; the quirks the engine cannot apply yet
// travel alongside as [Quirks].
package provider

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Quirk is one way a provider departs from the specs or from what a client expects,
// explained where it changes behaviour.
type Quirk struct {
	// Name is a short identifier, e.g. "accept-json".
	Name string `json:"name"`
	// Explanation says what the provider does, in plain words.
	Explanation string `json:"explanation"`
	// Effect says what oauthx does about it (or what the person must do).
	Effect string `json:"effect"`
	// Spec is the specification the provider departs from, e.g. "RFC 6749 §5.1".
	Spec string `json:"spec,omitempty"`
}

// Quirks is the machine-readable side of a preset's quirks: the switches the engine
// applies so a flow against the provider works and its checks stay meaningful.
// The zero value means "the provider follows the specs".
type Quirks struct {
	// AcceptJSON: send "Accept: application/json" on token requests; without it the
	// provider answers application/x-www-form-urlencoded (GitHub).
	AcceptJSON bool `json:"accept_json,omitempty"`
	// ExtraTokenHeaders are sent with every token endpoint request.
	ExtraTokenHeaders map[string]string `json:"extra_token_headers,omitempty"`
	// TolerateStringExpiresIn: accept "expires_in": "3600" (a JSON string) where
	// RFC 6749 §5.1 says a number; record a warning instead of failing.
	TolerateStringExpiresIn bool `json:"tolerate_string_expires_in,omitempty"`
	// PKCESupportedUnadvertised: the provider supports PKCE (S256) although its
	// metadata has no code_challenge_methods_supported; use PKCE anyway.
	PKCESupportedUnadvertised bool `json:"pkce_supported_unadvertised,omitempty"`
	// IssuerTemplate, when set, is the issuer the metadata announces with a
	// placeholder filled per token from a claim: "{tenantid}" from the "tid" claim
	// (Entra ID multi-tenant endpoints). The ID token's iss must equal the template
	// with the placeholder replaced, instead of the metadata issuer verbatim.
	IssuerTemplate string `json:"issuer_template,omitempty"`
	// IssuerAliases are other spellings of the issuer accepted in the ID token's iss
	// claim (Google: "accounts.google.com" without the scheme).
	IssuerAliases []string `json:"issuer_aliases,omitempty"`
	// NoDiscovery: the provider publishes no metadata; endpoints come from the preset.
	NoDiscovery bool `json:"no_discovery,omitempty"`
	// ErrorsWithStatus200: the token endpoint reports errors with HTTP 200 and an
	// "error" member (GitHub); look for "error" whatever the status.
	ErrorsWithStatus200 bool `json:"errors_with_status_200,omitempty"`
	// ScopeSeparator is how the token response's "scope" is separated when it is not a
	// space (GitHub: ",").
	ScopeSeparator string `json:"scope_separator,omitempty"`
	// AccessTokenClientIDClaim names the claim that carries the client id in access
	// tokens that have no "aud" (Cognito: "client_id").
	AccessTokenClientIDClaim string `json:"access_token_client_id_claim,omitempty"`
}

// IsZero reports whether q asks for no adaptation at all.
func (q Quirks) IsZero() bool {
	return !q.AcceptJSON && len(q.ExtraTokenHeaders) == 0 && !q.TolerateStringExpiresIn &&
		!q.PKCESupportedUnadvertised && q.IssuerTemplate == "" && len(q.IssuerAliases) == 0 &&
		!q.NoDiscovery && !q.ErrorsWithStatus200 && q.ScopeSeparator == "" && q.AccessTokenClientIDClaim == ""
}

// TokenHeaders returns the headers to add to token endpoint requests.
func (q Quirks) TokenHeaders() map[string]string {
	h := map[string]string{}
	for k, v := range q.ExtraTokenHeaders {
		h[k] = v
	}
	if q.AcceptJSON {
		h["Accept"] = "application/json"
	}
	return h
}

// Var is a placeholder in a preset's issuer or endpoint templates, written {name}.
type Var struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Example     string `json:"example,omitempty"`
	// Default is used when the profile leaves the placeholder unset; empty means the
	// profile must set it.
	Default string `json:"default,omitempty"`
}

// Endpoints are endpoint URLs given by hand (templates in a preset).
type Endpoints struct {
	Authorization string `json:"authorization_endpoint,omitempty" toml:"authorization_endpoint,omitempty"`
	Token         string `json:"token_endpoint,omitempty" toml:"token_endpoint,omitempty"`
	JWKS          string `json:"jwks_uri,omitempty" toml:"jwks_uri,omitempty"`
	Userinfo      string `json:"userinfo_endpoint,omitempty" toml:"userinfo_endpoint,omitempty"`
}

func (e Endpoints) isZero() bool { return e == Endpoints{} }

// fields returns the endpoints with their profile key names, in a stable order.
func (e Endpoints) fields() []struct{ key, value string } {
	return []struct{ key, value string }{
		{"authorization_endpoint", e.Authorization},
		{"token_endpoint", e.Token},
		{"jwks_uri", e.JWKS},
		{"userinfo_endpoint", e.Userinfo},
	}
}

// Preset describes a well-known provider: where it lives, how to talk to it and what
// it does differently.
type Preset struct {
	// Name is the identifier used in profiles and on the command line ("entra").
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// Title is the provider's name as people say it ("Microsoft Entra ID").
	Title       string `json:"title"`
	Description string `json:"description"`
	// Issuer is the issuer template, e.g. "https://login.microsoftonline.com/{tenant}/v2.0".
	// Empty for providers without OpenID Connect or RFC 8414 metadata.
	Issuer string `json:"issuer,omitempty"`
	// Endpoints by hand (templates); set when the provider has no discovery, and
	// otherwise only for information.
	Endpoints Endpoints `json:"endpoints,omitzero"`
	// Vars are the placeholders of Issuer and Endpoints.
	Vars []Var `json:"vars,omitempty"`
	// OIDC reports whether the provider is an OpenID Provider (ID tokens, "openid" scope).
	OIDC bool `json:"oidc"`
	// Scopes are the default scopes of a profile based on this preset.
	Scopes []string `json:"scopes"`
	// AuthMethod is the recommended token endpoint authentication method for a
	// confidential client (RFC 8414 §2, token_endpoint_auth_methods_supported).
	AuthMethod string `json:"auth_method"`
	// Params are default extra authorization parameters.
	Params map[string]string `json:"params,omitempty"`
	// Quirks explain the provider's departures from the specs, for people.
	Quirks []Quirk `json:"quirks,omitempty"`
	// Adapt is the same knowledge as data, for the engine.
	Adapt Quirks `json:"adapt,omitzero"`
	// Docs is where the provider documents its OAuth endpoints.
	Docs string `json:"docs,omitempty"`
	// HostSuffixes recognise the provider's issuer when its host is a placeholder
	// (".okta.com"); see [MatchIssuer]. Custom domains are not recognised.
	HostSuffixes []string `json:"host_suffixes,omitempty"`
}

// Placeholders returns the names of the placeholders used in the preset's templates,
// in order of first appearance.
func (p Preset) Placeholders() []string {
	var out []string
	for _, s := range append([]string{p.Issuer}, p.Endpoints.Authorization, p.Endpoints.Token, p.Endpoints.JWKS, p.Endpoints.Userinfo) {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// Var returns the placeholder called name.
func (p Preset) Var(name string) (Var, bool) {
	for _, v := range p.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill replaces the {name} placeholders of tmpl with vals; it returns the names it
// found no value for.
func fill(tmpl string, vals map[string]string) (string, []string) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vals[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	return out, missing
}

// Presets returns the built-in presets, sorted by name. The slice is a fresh copy.
func Presets() []Preset {
	ps := presets()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// LookupPreset finds a preset by name or alias, ignoring case.
func LookupPreset(name string) (Preset, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, p := range presets() {
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, true
		}
	}
	return Preset{}, false
}

// MatchIssuer finds the preset whose issuer template matches issuer, so quirks can be
// recognised when only an issuer URL is given. Templates that are a bare placeholder
// ({base_url}, {issuer}) match nothing: they could be any URL.
func MatchIssuer(issuer string) (Preset, bool) {
	for _, p := range Presets() {
		t := p.Issuer
		if t == "" || strings.HasPrefix(t, "{") {
			continue
		}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, loc := range placeholderRE.FindAllStringIndex(t, -1) {
			re.WriteString(regexp.QuoteMeta(t[last:loc[0]]))
			re.WriteString(`[^/?#]+`)
			last = loc[1]
		}
		re.WriteString(regexp.QuoteMeta(t[last:]))
		re.WriteString("$")
		if !regexp.MustCompile(re.String()).MatchString(issuer) {
			continue
		}
		if hostIsPlaceholder(t) {
			u, err := url.Parse(issuer)
			if err != nil || !slices.ContainsFunc(p.HostSuffixes, func(sfx string) bool { return strings.HasSuffix(u.Hostname(), sfx) }) {
				continue
			}
		}
		return p, true
	}
	return Preset{}, false
}

// hostIsPlaceholder reports whether a template's host is one placeholder, as in
// "https://{domain}/".
func hostIsPlaceholder(tmpl string) bool {
	_, rest, _ := strings.Cut(tmpl, "://")
	host, _, _ := strings.Cut(rest, "/")
	return placeholderRE.FindString(host) == host
}

// presetNames lists the preset names for error messages.
func presetNames() string {
	var names []string
	for _, p := range Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// Quirks shared by several presets.
var (
	quirkNoIssParam = Quirk{
		Name: "no-iss-parameter",
		Explanation: "The authorization response carries no \"iss\" parameter and the metadata does not " +
			"announce authorization_response_iss_parameter_supported.",
		Effect: "The client cannot tell which provider a response came from by the response alone; oauthx " +
			"relies on state, and on a distinct redirect URI per provider, as the mix-up defence.",
		Spec: "RFC 9207 §2; RFC 9700 §4.4",
	}
)

// presets builds the preset table. It is a function, not a package variable, so no
// caller can change the table another sees.
func presets() []Preset {
	return []Preset{
		{
			Name: "google", Title: "Google",
			Description: "Google accounts (Google Identity / Google Cloud OAuth clients).",
			Issuer:      "https://accounts.google.com",
			OIDC:        true,
			Scopes:      []string{"openid", "email", "profile"},
			AuthMethod:  "client_secret_post",
			Docs:        "https://developers.google.com/identity/openid-connect/openid-connect",
			Quirks: []Quirk{
				{
					Name: "iss-without-scheme",
					Explanation: "ID tokens may carry iss \"accounts.google.com\" (no https://) as well as " +
						"\"https://accounts.google.com\"; Google documents both as valid.",
					Effect: "The iss check accepts both spellings for this provider (and says so).",
					Spec:   "OIDC Core §3.1.3.7 step 2",
				},
				{
					Name: "refresh-needs-offline-access",
					Explanation: "Google returns a refresh token only when the authorization request has " +
						"access_type=offline, and only on first consent unless prompt=consent is sent.",
					Effect: "Add params access_type = \"offline\" (and prompt = \"consent\") to the profile " +
						"to see a refresh token; the offline_access scope is not used by Google.",
					Spec: "RFC 6749 §1.5",
				},
				{
					Name: "desktop-secret-required",
					Explanation: "\"Desktop app\" clients still get a client secret, and the token endpoint " +
						"requires it even with PKCE, although such a secret cannot be kept secret.",
					Effect: "Configure the secret (secret_env) and client_secret_post even for a native client.",
					Spec:   "RFC 8252 §8.5",
				},
			},
			Adapt: Quirks{IssuerAliases: []string{"accounts.google.com"}},
		},
		{
			Name: "entra", Aliases: []string{"azure", "azuread", "microsoft", "aad"},
			Title:       "Microsoft Entra ID",
			Description: "Microsoft identity platform v2.0 endpoints (work, school and personal Microsoft accounts).",
			Issuer:      "https://login.microsoftonline.com/{tenant}/v2.0",
			Endpoints: Endpoints{
				Authorization: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
				Token:         "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
				JWKS:          "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
				Userinfo:      "https://graph.microsoft.com/oidc/userinfo",
			},
			Vars: []Var{{
				Name: "tenant", Example: "contoso.onmicrosoft.com",
				Description: "the directory: a tenant id (GUID) or domain, or common, organizations or consumers",
			}},
			OIDC:       true,
			Scopes:     []string{"openid", "profile", "email", "offline_access"},
			AuthMethod: "client_secret_post",
			Docs:       "https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc",
			Quirks: []Quirk{
				{
					Name: "templated-issuer",
					Explanation: "For the multi-tenant endpoints (tenant common, organizations or consumers) the " +
						"discovery document's issuer is literally \"https://login.microsoftonline.com/{tenantid}/v2.0\": " +
						"it neither matches the URL it came from nor any token's iss.",
					Effect: "oauthx reports the issuer mismatch, then checks each ID token's iss against the " +
						"template with {tenantid} replaced by the token's tid claim. Use a specific tenant to avoid it.",
					Spec: "OIDC Discovery §4.3",
				},
				{
					Name: "graph-tokens-not-verifiable",
					Explanation: "Access tokens for Microsoft Graph carry a nonce in their JWT header and are " +
						"hashed before signing; no one but Graph can verify them.",
					Effect: "oauthx decodes Graph access tokens for display and does not try to verify them; " +
						"request a scope of your own API (api://…/scope) to get a token you can verify.",
					Spec: "RFC 9068 §4",
				},
				{
					Name: "one-resource-per-request",
					Explanation: "Scopes for different resources (Graph and your own API) cannot be mixed in one " +
						"request; the access token is for one resource only.",
					Effect: "Request one API's scopes at a time; oauthx shows the aud of the access token.",
					Spec:   "RFC 8707 §2",
				},
				{
					Name:        "string-expires-in",
					Explanation: "The v1.0 endpoints answer expires_in (and ext_expires_in) as JSON strings.",
					Effect:      "A string expires_in is accepted with a warning instead of failing the token step.",
					Spec:        "RFC 6749 §5.1",
				},
			},
			Adapt: Quirks{
				IssuerTemplate:          "https://login.microsoftonline.com/{tenantid}/v2.0",
				TolerateStringExpiresIn: true,
			},
		},
		{
			Name: "github", Title: "GitHub",
			Description: "GitHub OAuth apps and GitHub Apps (user access tokens). OAuth 2.0 only: no OpenID " +
				"Connect, no ID token, no discovery.",
			Endpoints: Endpoints{
				Authorization: "https://github.com/login/oauth/authorize",
				Token:         "https://github.com/login/oauth/access_token",
				Userinfo:      "https://api.github.com/user",
			},
			Scopes:     []string{"read:user", "user:email"},
			AuthMethod: "client_secret_post",
			Docs:       "https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
			Quirks: []Quirk{
				{
					Name: "no-discovery",
					Explanation: "GitHub publishes neither OpenID Connect discovery nor RFC 8414 metadata, and " +
						"issues no ID tokens; the \"openid\" scope means nothing there.",
					Effect: "The endpoints come from the preset; the flow skips discovery, JWKS and ID token checks.",
					Spec:   "RFC 8414 §3",
				},
				{
					Name: "accept-json",
					Explanation: "The token endpoint answers application/x-www-form-urlencoded " +
						"(access_token=…&scope=…) unless the request says \"Accept: application/json\".",
					Effect: "oauthx sends Accept: application/json on every token request to GitHub.",
					Spec:   "RFC 6749 §5.1",
				},
				{
					Name: "errors-with-200",
					Explanation: "Token endpoint errors (bad_verification_code, incorrect_client_credentials…) " +
						"come back with HTTP 200 and an \"error\" member instead of HTTP 400.",
					Effect: "A 200 answer with an \"error\" member is treated as the error response it is.",
					Spec:   "RFC 6749 §5.2",
				},
				{
					Name:        "comma-separated-scope",
					Explanation: "The token response's scope is separated by commas (\"read:user,user:email\"), not spaces.",
					Effect:      "The granted scope is split on commas before it is compared with the request.",
					Spec:        "RFC 6749 §3.3",
				},
				{
					Name: "pkce-unadvertised",
					Explanation: "GitHub accepts PKCE (S256 only, since July 2025) but, having no metadata, cannot advertise it; OAuth " +
						"app access tokens do not expire and come without expires_in or refresh token.",
					Effect: "PKCE is used anyway; a missing expires_in is shown as \"no expiry announced\".",
					Spec:   "RFC 7636 §4.2",
				},
			},
			Adapt: Quirks{
				AcceptJSON:                true,
				NoDiscovery:               true,
				ErrorsWithStatus200:       true,
				ScopeSeparator:            ",",
				PKCESupportedUnadvertised: true,
			},
		},
		{
			Name: "gitlab", Title: "GitLab",
			Description: "GitLab.com or a self-managed GitLab instance (OpenID Connect provider).",
			Issuer:      "{base_url}",
			Vars: []Var{{
				Name: "base_url", Default: "https://gitlab.com", Example: "https://gitlab.example.com",
				Description: "the GitLab instance, without a trailing slash",
			}},
			OIDC:       true,
			Scopes:     []string{"openid", "profile", "email"},
			AuthMethod: "client_secret_basic",
			Docs:       "https://docs.gitlab.com/integration/openid_connect_provider/",
			Quirks: []Quirk{
				{
					Name: "refresh-token-rotation",
					Explanation: "Every refresh returns a new refresh token and invalidates the old one; access " +
						"tokens live two hours.",
					Effect: "oauthx keeps the newest refresh token and shows the rotation in the refresh step.",
					Spec:   "RFC 9700 §4.14.2",
				},
				{
					Name: "api-scopes",
					Explanation: "scopes_supported mixes OpenID Connect scopes with GitLab API scopes (api, " +
						"read_user, read_api…); the OIDC scopes alone give an access token good only for userinfo.",
					Effect: "Add read_user or api to the profile's scopes to call the GitLab API.",
					Spec:   "OIDC Core §5.4",
				},
			},
		},
		{
			Name: "auth0", Title: "Auth0",
			Description: "An Auth0 tenant (or its custom domain).",
			Issuer:      "https://{domain}/",
			Vars: []Var{{
				Name: "domain", Example: "dev-abc123.us.auth0.com",
				Description: "the tenant domain or custom domain, without scheme",
			}},
			OIDC:         true,
			Scopes:       []string{"openid", "profile", "email"},
			AuthMethod:   "client_secret_post",
			Docs:         "https://auth0.com/docs/get-started/authentication-and-authorization-flow",
			HostSuffixes: []string{".auth0.com"},
			Quirks: []Quirk{
				{
					Name: "issuer-trailing-slash",
					Explanation: "The issuer ends with a slash (\"https://tenant.auth0.com/\"), and iss in every " +
						"token does too; \"https://tenant.auth0.com\" does not match it.",
					Effect: "The preset's issuer keeps the slash; write it the same way when giving an issuer by hand.",
					Spec:   "OIDC Discovery §4.3",
				},
				{
					Name: "audience-for-api-tokens",
					Explanation: "Without an audience parameter the access token is only good for /userinfo (it is " +
						"not a JWT you can verify); with audience=<API identifier> it is a JWT for that API.",
					Effect: "Set params audience = \"https://your.api/\" in the profile to get an API access token.",
					Spec:   "RFC 8707 §2",
				},
				{
					Name:        "offline-access",
					Explanation: "A refresh token needs the offline_access scope and \"Allow Offline Access\" on the API.",
					Effect:      "Add offline_access to the scopes to see the refresh step.",
					Spec:        "OIDC Core §11",
				},
			},
		},
		{
			Name: "okta", Title: "Okta (custom authorization server)",
			Description: "An Okta org's custom authorization server: \"default\" or one you created. Its " +
				"access tokens are meant for your own APIs.",
			Issuer: "https://{domain}/oauth2/{authorization_server}",
			Vars: []Var{
				{Name: "domain", Example: "dev-123456.okta.com", Description: "the Okta org domain, without scheme"},
				{Name: "authorization_server", Default: "default", Example: "aus1a2b3c4d5e6f7g8h9",
					Description: "the custom authorization server id"},
			},
			OIDC:         true,
			Scopes:       []string{"openid", "profile", "email"},
			AuthMethod:   "client_secret_basic",
			Docs:         "https://developer.okta.com/docs/concepts/auth-servers/",
			HostSuffixes: []string{".okta.com", ".oktapreview.com", ".okta-emea.com"},
			Quirks: []Quirk{
				{
					Name: "org-vs-custom-server",
					Explanation: "An Okta org has two kinds of authorization server with different issuers: the " +
						"org server (https://{domain}) and custom servers (https://{domain}/oauth2/{id}). Tokens of one " +
						"do not validate against the other's keys.",
					Effect: "Use this preset for tokens your API validates; use okta-org for Okta's own APIs and SSO.",
					Spec:   "RFC 8414 §3.3",
				},
			},
		},
		{
			Name: "okta-org", Title: "Okta (org authorization server)",
			Description:  "An Okta org's built-in authorization server: SSO into Okta and access to Okta's own APIs.",
			Issuer:       "https://{domain}",
			Vars:         []Var{{Name: "domain", Example: "dev-123456.okta.com", Description: "the Okta org domain, without scheme"}},
			OIDC:         true,
			Scopes:       []string{"openid", "profile", "email"},
			AuthMethod:   "client_secret_basic",
			Docs:         "https://developer.okta.com/docs/concepts/auth-servers/",
			HostSuffixes: []string{".okta.com", ".oktapreview.com", ".okta-emea.com"},
			Quirks: []Quirk{
				{
					Name: "org-access-tokens-opaque-to-you",
					Explanation: "Access tokens from the org authorization server are for Okta's APIs; Okta " +
						"says they must not be validated by your own resource servers.",
					Effect: "oauthx decodes them for display but does not verify them; use the okta preset " +
						"(custom server) for your APIs.",
					Spec: "RFC 9068 §4",
				},
			},
		},
		{
			Name: "keycloak", Title: "Keycloak",
			Description: "A Keycloak realm (Keycloak 17 or later; older versions put /auth before /realms).",
			Issuer:      "{base_url}/realms/{realm}",
			Vars: []Var{
				{Name: "base_url", Example: "http://127.0.0.1:8080", Description: "the Keycloak server, without a trailing slash (add /auth for Keycloak 16 and older)"},
				{Name: "realm", Example: "myrealm", Description: "the realm name"},
			},
			OIDC:       true,
			Scopes:     []string{"openid", "profile", "email"},
			AuthMethod: "client_secret_basic",
			Docs:       "https://www.keycloak.org/docs/latest/server_admin/#con-oidc_server_administration_guide",
			Quirks: []Quirk{
				{
					Name: "hostname-in-issuer",
					Explanation: "Unless the hostname is configured, Keycloak builds the issuer from the URL each " +
						"request came in on: tokens fetched through localhost and through a container name carry " +
						"different iss values.",
					Effect: "Use the same base_url as the browser and your API; the doctor's issuer check shows a mismatch.",
					Spec:   "OIDC Discovery §4.3",
				},
				{
					Name:        "legacy-auth-prefix",
					Explanation: "Keycloak 16 and older serve realms under /auth/realms/{realm}.",
					Effect:      "Put /auth at the end of base_url for those versions.",
				},
			},
		},
		{
			Name: "cognito", Aliases: []string{"aws", "aws-cognito"},
			Title:       "AWS Cognito",
			Description: "An Amazon Cognito user pool with a hosted UI (managed login) domain.",
			Issuer:      "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}",
			Endpoints: Endpoints{
				Authorization: "https://{domain}/oauth2/authorize",
				Token:         "https://{domain}/oauth2/token",
				JWKS:          "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}/.well-known/jwks.json",
				Userinfo:      "https://{domain}/oauth2/userInfo",
			},
			Vars: []Var{
				{Name: "region", Example: "eu-west-1", Description: "the AWS region of the user pool"},
				{Name: "user_pool_id", Example: "eu-west-1_AbCdEfGhI", Description: "the user pool id"},
				{Name: "domain", Example: "myapp.auth.eu-west-1.amazoncognito.com",
					Description: "the user pool's domain (Cognito prefix domain or custom domain), without scheme"},
			},
			OIDC:       true,
			Scopes:     []string{"openid", "email", "profile"},
			AuthMethod: "client_secret_basic",
			Docs:       "https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints.html",
			Quirks: []Quirk{
				{
					Name: "endpoints-on-another-host",
					Explanation: "The issuer is on cognito-idp.{region}.amazonaws.com, but the authorization, " +
						"token and userinfo endpoints live on the user pool's domain; without a domain the " +
						"metadata lists none of them.",
					Effect: "The preset fills the endpoints from the domain, so the flow works even when discovery lacks them.",
					Spec:   "OIDC Discovery §3",
				},
				quirkNoIssParam,
				{
					Name:        "string-expires-in",
					Explanation: "expires_in may come back as a JSON string rather than a number.",
					Effect:      "A string expires_in is accepted with a warning instead of failing the token step.",
					Spec:        "RFC 6749 §5.1",
				},
				{
					Name: "pkce-unadvertised",
					Explanation: "Cognito supports PKCE with S256 but its metadata has no " +
						"code_challenge_methods_supported.",
					Effect: "PKCE is used anyway, and the doctor's PKCE warning is expected for this provider.",
					Spec:   "RFC 7636 §4.2; RFC 8414 §2",
				},
				{
					Name: "access-token-without-aud",
					Explanation: "Access tokens have no aud claim; the client is named in a client_id claim, and " +
						"token_use says \"access\" or \"id\".",
					Effect: "The access token's audience is read from client_id for this provider.",
					Spec:   "RFC 9068 §2.2",
				},
			},
			Adapt: Quirks{
				TolerateStringExpiresIn:   true,
				PKCESupportedUnadvertised: true,
				AccessTokenClientIDClaim:  "client_id",
			},
		},
		{
			Name: "dex", Title: "Dex",
			Description: "A Dex federated OpenID Connect provider.",
			Issuer:      "{issuer}",
			Vars: []Var{{
				Name: "issuer", Default: "http://127.0.0.1:5556/dex", Example: "https://dex.example.com",
				Description: "the issuer set in Dex's configuration (issuer:), exactly",
			}},
			OIDC:       true,
			Scopes:     []string{"openid", "profile", "email"},
			AuthMethod: "client_secret_basic",
			Docs:       "https://dexidp.io/docs/guides/using-dex/",
			Quirks: []Quirk{
				{
					Name: "offline-access",
					Explanation: "A refresh token needs the offline_access scope; the groups scope adds the " +
						"user's groups from the upstream connector.",
					Effect: "Add offline_access (and groups) to the scopes to see them.",
					Spec:   "OIDC Core §11",
				},
				{
					Name: "issuer-exactly-as-configured",
					Explanation: "Dex announces exactly the issuer string of its configuration, including any " +
						"path (/dex) and the http scheme in local set-ups.",
					Effect: "Write the issuer exactly as Dex's config has it; http is accepted for loopback only.",
					Spec:   "OIDC Discovery §4.3",
				},
			},
		},
	}
}
