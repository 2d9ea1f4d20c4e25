package mockidp

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/go-jose/go-jose/v4"
)

// Grant types (RFC 6749 §4, RFC 8628 §3.4).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantImplicit          = "implicit"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// Client authentication methods (RFC 6749 §2.3.1, OIDC Core §9, RFC 8414 §2).
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthNone              = "none"
)

// Signing algorithms the server has keys for (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

var (
	knownGrants      = []string{GrantAuthorizationCode, GrantImplicit, GrantClientCredentials, GrantRefreshToken, GrantDeviceCode}
	knownAuthMethods = []string{AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT, AuthNone}
	// introspectionAuthMethods are those the introspection endpoint accepts:
	// every method but none (RFC 7662 §2.1).
	introspectionAuthMethods = []string{AuthClientSecretBasic, AuthClientSecretPost, AuthClientSecretJWT, AuthPrivateKeyJWT}
	knownResponseTypes       = []string{"code", "id_token", "id_token token", "code id_token", "token", "code token", "code id_token token"}
	knownAlgs                = []string{AlgRS256, AlgES256, AlgEdDSA}
	builtinScopes            = []string{"openid", "profile", "email", "offline_access", "api:read", "api:write"}
)

// User is an end user who can sign in at the login page.
type User struct {
	Username string `toml:"username"`
	Password string `toml:"password"`
	// Claims are OIDC Core §5.1 standard claims (name, email, email_verified, …).
	// "sub" defaults to the username.
	Claims map[string]any `toml:"claims"`
	// Roles go into access tokens as the "roles" claim (RFC 9068 §2.2.3.1).
	Roles []string `toml:"roles"`
	// Demo users get a one-click button on the login page.
	Demo bool `toml:"demo"`
}

// Subject returns the user's "sub" claim (OIDC Core §2).
func (u User) Subject() string {
	if s, ok := u.Claims["sub"].(string); ok && s != "" {
		return s
	}
	return u.Username
}

// Client is a registered OAuth 2.0 client (RFC 6749 §2).
type Client struct {
	ID          string `toml:"id"`
	Secret      string `toml:"secret"`
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// Public clients cannot keep a secret (RFC 6749 §2.1); they authenticate
	// with "none" and must use PKCE.
	Public       bool     `toml:"public"`
	RedirectURIs []string `toml:"redirect_uris"`
	// PostLogoutRedirectURIs are where end_session may send the browser back
	// (OpenID Connect RP-Initiated Logout 1.0 §3).
	PostLogoutRedirectURIs []string `toml:"post_logout_redirect_uris"`
	GrantTypes             []string `toml:"grant_types"`
	ResponseTypes          []string `toml:"response_types"`
	AuthMethods            []string `toml:"auth_methods"`
	// Scopes the client may request; empty means every scope the server knows.
	Scopes []string `toml:"scopes"`
	// PKCERequired makes PKCE mandatory for a confidential client too; it is
	// always mandatory for public clients (RFC 9700 §2.1.1).
	PKCERequired bool `toml:"pkce_required"`
	// IDTokenAlg is id_token_signed_response_alg (OIDC Dynamic Client
	// Registration §2); empty means the server default.
	IDTokenAlg string `toml:"id_token_signed_response_alg"`
	// JWKS is the client's public JWK Set (RFC 7517 §5, as JSON), needed for
	// the private_key_jwt authentication method (RFC 7523 §2.2).
	JWKS string `toml:"jwks"`
	// FirstParty marks a client the provider's administrator trusts, like
	// the provider's own web application: its users are not asked to
	// consent, the "previous administrative consent" of OIDC Core §3.1.2.4.
	// prompt=consent still asks. Only confidential clients may be first
	// party: a public client's identity cannot be assured, so it is always
	// asked (RFC 8252 §8.6, RFC 6749 §10.2).
	FirstParty bool `toml:"first_party"`
}

func (c *Client) allowsGrant(g string) bool        { return slices.Contains(c.GrantTypes, g) }
func (c *Client) allowsAuthMethod(m string) bool   { return slices.Contains(c.AuthMethods, m) }
func (c *Client) allowsResponseType(t string) bool { return slices.Contains(c.ResponseTypes, t) }
func (c *Client) pkceRequired() bool               { return c.Public || c.PKCERequired }

// ConsentAsked says in a few words when this client's users see the consent
// page of an authorization request, as the server decides it (prompt=consent
// aside; the device flow always asks, RFC 8628 §5.4).
func (c *Client) ConsentAsked() string {
	browser := c.allowsGrant(GrantAuthorizationCode) || c.allowsGrant(GrantImplicit)
	switch {
	case !browser && !c.allowsGrant(GrantDeviceCode):
		return "-" // no user
	case !browser:
		return "every time (device)"
	case c.FirstParty:
		return "never (first party)"
	case c.Public && slices.ContainsFunc(c.RedirectURIs, nativeRedirect):
		return "every time (public)"
	}
	return "once a session"
}

// Lifetimes are how long artefacts live. Zero fields take the defaults
// shown in [DefaultLifetimes].
type Lifetimes struct {
	Code           time.Duration // authorization code, RFC 6749 §4.1.2 ("10 minutes maximum"); default 60 s
	AccessToken    time.Duration // default 1 h
	IDToken        time.Duration // default 1 h
	RefreshToken   time.Duration // default 30 days
	DeviceCode     time.Duration // RFC 8628 §3.2 expires_in; default 10 min
	DeviceInterval time.Duration // RFC 8628 §3.2 interval; default 5 s
	Session        time.Duration // login session cookie; default 12 h
}

// DefaultLifetimes returns the lifetimes used when a config leaves them zero.
func DefaultLifetimes() Lifetimes {
	return Lifetimes{
		Code:           60 * time.Second,
		AccessToken:    time.Hour,
		IDToken:        time.Hour,
		RefreshToken:   30 * 24 * time.Hour,
		DeviceCode:     10 * time.Minute,
		DeviceInterval: 5 * time.Second,
		Session:        12 * time.Hour,
	}
}

// Config describes the users and clients of a [Server] and how it signs.
type Config struct {
	// Issuer, when set, is used unless Options.Issuer is set.
	Issuer string
	// ReplaceDefaults drops the built-in demo users and clients. When false,
	// Users and Clients extend them, replacing any with the same name or id.
	ReplaceDefaults bool
	Users           []User
	Clients         []Client
	Lifetimes       Lifetimes
	// IDTokenAlg is the default ID token signing algorithm (RS256, ES256 or
	// EdDSA); empty means RS256, which OIDC Core §15.1 requires providers to support.
	IDTokenAlg string
	// AccessTokenAlg signs the RFC 9068 JWT access tokens; empty means ES256.
	AccessTokenAlg string
}

// DemoUsers returns the built-in demo users: alice (admin, reader) and bob (reader).
func DemoUsers() []User {
	return []User{
		{
			Username: "alice", Password: "alice", Demo: true,
			Claims: map[string]any{
				"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
				"preferred_username": "alice", "email": "alice@example.com", "email_verified": true,
			},
			Roles: []string{"admin", "reader"},
		},
		{
			Username: "bob", Password: "bob", Demo: true,
			Claims: map[string]any{
				"name": "Bob Builder", "given_name": "Bob", "family_name": "Builder",
				"preferred_username": "bob", "email": "bob@example.com", "email_verified": true,
			},
			Roles: []string{"reader"},
		},
	}
}

// DemoClients returns the built-in demo clients.
func DemoClients() []Client {
	redirects := []string{"http://127.0.0.1/callback", "http://localhost/callback"}
	logout := []string{"http://127.0.0.1/logged-out", "http://localhost/logged-out"}
	userScopes := []string{"openid", "profile", "email", "offline_access", "api:read", "api:write"}
	return append([]Client{
		{
			ID: "web-app", Secret: "web-app-secret", Name: "Web app",
			Description:  "Confidential server-side web application (authorization code, optional PKCE).",
			RedirectURIs: redirects, PostLogoutRedirectURIs: logout,
			GrantTypes:    []string{GrantAuthorizationCode, GrantRefreshToken},
			ResponseTypes: []string{"code", "code id_token"},
			AuthMethods:   []string{AuthClientSecretBasic, AuthClientSecretPost},
			Scopes:        userScopes,
		},
		{
			ID: "native-app", Name: "Native app", Public: true,
			Description:  "Public native application (authorization code + PKCE, loopback redirect).",
			RedirectURIs: redirects, PostLogoutRedirectURIs: logout,
			GrantTypes:    []string{GrantAuthorizationCode, GrantRefreshToken},
			ResponseTypes: []string{"code"},
			AuthMethods:   []string{AuthNone},
			Scopes:        userScopes,
		},
		{
			ID: "spa-implicit", Name: "Legacy SPA (implicit)", Public: true,
			Description:  "Public browser app using the implicit grant, not recommended (RFC 9700 §2.1.2).",
			RedirectURIs: redirects, PostLogoutRedirectURIs: logout,
			GrantTypes:    []string{GrantImplicit},
			ResponseTypes: []string{"id_token", "id_token token"},
			AuthMethods:   []string{AuthNone},
			Scopes:        []string{"openid", "profile", "email", "api:read"},
		},
		{
			ID: "machine", Secret: "machine-secret", Name: "Machine client",
			Description: "Confidential service calling an API on its own behalf (client credentials).",
			GrantTypes:  []string{GrantClientCredentials},
			AuthMethods: []string{AuthClientSecretBasic, AuthClientSecretPost},
			Scopes:      []string{"api:read", "api:write"},
		},
		{
			ID: "device-app", Name: "TV app (device)", Public: true,
			Description: "Public input-constrained device (device authorization grant).",
			GrantTypes:  []string{GrantDeviceCode, GrantRefreshToken},
			AuthMethods: []string{AuthNone},
			Scopes:      []string{"openid", "profile", "email", "offline_access", "api:read"},
		},
	}, demoJWTClients(redirects, logout, userScopes)...)
}

// fileConfig is the TOML layout of a config file.
type fileConfig struct {
	Issuer          string        `toml:"issuer"`
	ReplaceDefaults bool          `toml:"replace_defaults"`
	IDTokenAlg      string        `toml:"id_token_signing_alg"`
	AccessTokenAlg  string        `toml:"access_token_signing_alg"`
	Lifetimes       fileLifetimes `toml:"lifetimes"`
	Users           []User        `toml:"users"`
	Clients         []Client      `toml:"clients"`
}

type fileLifetimes struct {
	Code           string `toml:"code"`
	AccessToken    string `toml:"access_token"`
	IDToken        string `toml:"id_token"`
	RefreshToken   string `toml:"refresh_token"`
	DeviceCode     string `toml:"device_code"`
	DeviceInterval string `toml:"device_interval"`
	Session        string `toml:"session"`
}

// LoadConfig reads a TOML config file. Errors name the file, the field and
// what is wrong, e.g. "idp.toml: clients[2].redirect_uris[0]: must be an absolute URL".
func LoadConfig(path string) (*Config, error) {
	var fc fileConfig
	md, err := toml.DecodeFile(path, &fc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: %s: unknown field", path, und[0].String())
	}
	cfg := &Config{
		Issuer:          fc.Issuer,
		ReplaceDefaults: fc.ReplaceDefaults,
		IDTokenAlg:      fc.IDTokenAlg,
		AccessTokenAlg:  fc.AccessTokenAlg,
		Users:           fc.Users,
		Clients:         fc.Clients,
	}
	lt := []struct {
		name string
		s    string
		d    *time.Duration
	}{
		{"code", fc.Lifetimes.Code, &cfg.Lifetimes.Code},
		{"access_token", fc.Lifetimes.AccessToken, &cfg.Lifetimes.AccessToken},
		{"id_token", fc.Lifetimes.IDToken, &cfg.Lifetimes.IDToken},
		{"refresh_token", fc.Lifetimes.RefreshToken, &cfg.Lifetimes.RefreshToken},
		{"device_code", fc.Lifetimes.DeviceCode, &cfg.Lifetimes.DeviceCode},
		{"device_interval", fc.Lifetimes.DeviceInterval, &cfg.Lifetimes.DeviceInterval},
		{"session", fc.Lifetimes.Session, &cfg.Lifetimes.Session},
	}
	for _, l := range lt {
		if l.s == "" {
			continue
		}
		d, err := time.ParseDuration(l.s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s: lifetimes.%s: %q is not a positive duration such as \"90s\" or \"1h\"", path, l.name, l.s)
		}
		*l.d = d
	}
	if _, err := cfg.resolve(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// resolved is a validated config with defaults applied and indexes built.
type resolved struct {
	issuer         string
	users          []User
	clients        []Client
	userByName     map[string]*User
	clientByID     map[string]*Client
	clientKeys     map[string]*jose.JSONWebKeySet // private_key_jwt keys by client_id
	lifetimes      Lifetimes
	idTokenAlg     string
	accessTokenAlg string
	scopes         []string
	claims         []string // claims_supported: protocol claims, then the users' claims
}

// baseClaims are the claims_supported of the demo configuration: those the ID
// token always or sometimes carries (OIDC Core §2) and the demo users' claims.
var baseClaims = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "c_hash", "sid",
	"name", "given_name", "family_name", "preferred_username", "email", "email_verified"}

// supportedClaims lists baseClaims and then, sorted, every other claim a
// configured user has: the claims the provider can release (OIDC Discovery §3).
func supportedClaims(users []User) []string {
	var extra []string
	for _, u := range users {
		for k := range u.Claims {
			if !slices.Contains(baseClaims, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	return append(slices.Clone(baseClaims), extra...)
}

// resolve validates c (nil means the demo config), merges it with the demo
// users and clients and fills defaults.
func (c *Config) resolve() (*resolved, error) {
	if c == nil {
		c = &Config{}
	}
	r := &resolved{
		issuer:         c.Issuer,
		lifetimes:      c.Lifetimes,
		idTokenAlg:     c.IDTokenAlg,
		accessTokenAlg: c.AccessTokenAlg,
		userByName:     map[string]*User{},
		clientByID:     map[string]*Client{},
		clientKeys:     map[string]*jose.JSONWebKeySet{},
	}
	if r.issuer != "" {
		if err := checkIssuer(r.issuer); err != nil {
			return nil, fmt.Errorf("issuer: %w", err)
		}
	}
	if r.idTokenAlg == "" {
		r.idTokenAlg = AlgRS256
	} else if !slices.Contains(knownAlgs, r.idTokenAlg) {
		return nil, fmt.Errorf("id_token_signing_alg: %q is not one of %s", r.idTokenAlg, strings.Join(knownAlgs, ", "))
	}
	if r.accessTokenAlg == "" {
		r.accessTokenAlg = AlgES256
	} else if !slices.Contains(knownAlgs, r.accessTokenAlg) {
		return nil, fmt.Errorf("access_token_signing_alg: %q is not one of %s", r.accessTokenAlg, strings.Join(knownAlgs, ", "))
	}
	def := DefaultLifetimes()
	for _, p := range []struct{ v, d *time.Duration }{
		{&r.lifetimes.Code, &def.Code}, {&r.lifetimes.AccessToken, &def.AccessToken},
		{&r.lifetimes.IDToken, &def.IDToken}, {&r.lifetimes.RefreshToken, &def.RefreshToken},
		{&r.lifetimes.DeviceCode, &def.DeviceCode}, {&r.lifetimes.DeviceInterval, &def.DeviceInterval},
		{&r.lifetimes.Session, &def.Session},
	} {
		if *p.v < 0 {
			return nil, errors.New("lifetimes: must not be negative")
		}
		if *p.v == 0 {
			*p.v = *p.d
		}
	}

	var users []User
	var clients []Client
	if !c.ReplaceDefaults {
		users = DemoUsers()
		clients = DemoClients()
	}
	seenU := map[string]bool{}
	for i, u := range c.Users {
		f := fmt.Sprintf("users[%d]", i)
		if u.Username == "" {
			return nil, fmt.Errorf("%s.username: is required", f)
		}
		if strings.ContainsAny(u.Username, " \t\r\n") {
			return nil, fmt.Errorf("%s.username: %q must not contain spaces", f, u.Username)
		}
		if seenU[u.Username] {
			return nil, fmt.Errorf("%s.username: %q is defined twice", f, u.Username)
		}
		seenU[u.Username] = true
		if u.Password == "" {
			return nil, fmt.Errorf("%s.password: is required", f)
		}
		u.Claims = cloneClaims(u.Claims)
		u.Roles = slices.Clone(u.Roles)
		users = slices.DeleteFunc(users, func(x User) bool { return x.Username == u.Username })
		users = append(users, u)
	}
	seenC := map[string]bool{}
	for i, cl := range c.Clients {
		f := fmt.Sprintf("clients[%d]", i)
		if err := normaliseClient(&cl, f); err != nil {
			return nil, err
		}
		if seenC[cl.ID] {
			return nil, fmt.Errorf("%s.id: %q is defined twice", f, cl.ID)
		}
		seenC[cl.ID] = true
		clients = slices.DeleteFunc(clients, func(x Client) bool { return x.ID == cl.ID })
		clients = append(clients, cl)
	}
	if len(clients) == 0 {
		return nil, errors.New("clients: at least one client is required when replace_defaults is true")
	}
	r.users, r.clients = users, clients
	scopes := slices.Clone(builtinScopes)
	for i := range r.users {
		r.userByName[r.users[i].Username] = &r.users[i]
	}
	for i := range r.clients {
		r.clientByID[r.clients[i].ID] = &r.clients[i]
		if j := r.clients[i].JWKS; j != "" {
			set, err := parseClientJWKS(j)
			if err != nil {
				return nil, fmt.Errorf("clients[%s].jwks: %v", r.clients[i].ID, err)
			}
			r.clientKeys[r.clients[i].ID] = set
		}
		for _, s := range r.clients[i].Scopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	r.scopes = scopes
	r.claims = supportedClaims(r.users)
	for i := range r.clients {
		if len(r.clients[i].Scopes) == 0 {
			r.clients[i].Scopes = slices.Clone(scopes)
		}
	}
	return r, nil
}

func cloneClaims(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// normaliseClient checks one configured client and fills its defaults.
// f is the field path used in errors, e.g. "clients[2]".
func normaliseClient(c *Client, f string) error {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.AuthMethods = slices.Clone(c.AuthMethods)
	c.Scopes = slices.Clone(c.Scopes)
	if c.ID == "" {
		return fmt.Errorf("%s.id: is required", f)
	}
	if strings.ContainsAny(c.ID, " \t\r\n") {
		return fmt.Errorf("%s.id: %q must not contain spaces", f, c.ID)
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	if c.Public && c.FirstParty {
		return fmt.Errorf("%s.first_party: a public client cannot be first party: anyone can use its client_id, so its users must always be asked to consent (RFC 8252 §8.6); remove first_party or make the client confidential", f)
	}
	if c.Public {
		if c.Secret != "" {
			return fmt.Errorf("%s.secret: a public client has no secret (RFC 6749 §2.1); remove it or set public = false", f)
		}
		if len(c.AuthMethods) == 0 {
			c.AuthMethods = []string{AuthNone}
		}
	} else {
		onlyKeys := len(c.AuthMethods) > 0 && !slices.ContainsFunc(c.AuthMethods, func(m string) bool { return m != AuthPrivateKeyJWT })
		if c.Secret == "" && !onlyKeys {
			return fmt.Errorf("%s.secret: is required for a confidential client (or set public = true)", f)
		}
		if len(c.AuthMethods) == 0 {
			c.AuthMethods = []string{AuthClientSecretBasic}
		}
	}
	for j, m := range c.AuthMethods {
		if !slices.Contains(knownAuthMethods, m) {
			return fmt.Errorf("%s.auth_methods[%d]: %q is not one of %s", f, j, m, strings.Join(knownAuthMethods, ", "))
		}
		if m == AuthClientSecretJWT && len(c.Secret) < 32 {
			return fmt.Errorf("%s.secret: client_secret_jwt (HS256) needs a secret of at least 32 bytes (RFC 7518 §3.2)", f)
		}
		if m == AuthPrivateKeyJWT {
			if c.JWKS == "" {
				return fmt.Errorf("%s.jwks: private_key_jwt needs the client's public keys as a JWK Set", f)
			}
			if _, err := parseClientJWKS(c.JWKS); err != nil {
				return fmt.Errorf("%s.jwks: %v", f, err)
			}
		}
		if c.Public != (m == AuthNone) {
			if c.Public {
				return fmt.Errorf("%s.auth_methods[%d]: a public client can only use \"none\"", f, j)
			}
			return fmt.Errorf("%s.auth_methods[%d]: a confidential client cannot use \"none\"", f, j)
		}
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantAuthorizationCode}
	}
	for j, g := range c.GrantTypes {
		if !slices.Contains(knownGrants, g) {
			return fmt.Errorf("%s.grant_types[%d]: %q is not one of %s", f, j, g, strings.Join(knownGrants, ", "))
		}
		if g == GrantClientCredentials && c.Public {
			return fmt.Errorf("%s.grant_types[%d]: client_credentials needs a confidential client (RFC 6749 §4.4)", f, j)
		}
	}
	if len(c.ResponseTypes) == 0 {
		if c.allowsGrant(GrantAuthorizationCode) {
			c.ResponseTypes = append(c.ResponseTypes, "code")
		}
		if c.allowsGrant(GrantImplicit) {
			c.ResponseTypes = append(c.ResponseTypes, "id_token", "id_token token")
		}
	}
	for j, rt := range c.ResponseTypes {
		n := normaliseResponseType(rt)
		if !slices.Contains(knownResponseTypes, n) {
			return fmt.Errorf("%s.response_types[%d]: %q is not one of %s", f, j, rt, strings.Join(knownResponseTypes, ", "))
		}
		c.ResponseTypes[j] = n
		if strings.Contains(n, "code") && !c.allowsGrant(GrantAuthorizationCode) {
			return fmt.Errorf("%s.response_types[%d]: %q needs grant type authorization_code", f, j, rt)
		}
		if !strings.Contains(n, "code") && !c.allowsGrant(GrantImplicit) {
			return fmt.Errorf("%s.response_types[%d]: %q needs grant type implicit", f, j, rt)
		}
	}
	needsRedirect := c.allowsGrant(GrantAuthorizationCode) || c.allowsGrant(GrantImplicit)
	if needsRedirect && len(c.RedirectURIs) == 0 {
		return fmt.Errorf("%s.redirect_uris: at least one is required for the %s grant (RFC 6749 §3.1.2.2)", f, c.GrantTypes[0])
	}
	for j, u := range c.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("%s.redirect_uris[%d]: %w", f, j, err)
		}
	}
	for j, u := range c.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("%s.post_logout_redirect_uris[%d]: %w", f, j, err)
		}
	}
	for j, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			return fmt.Errorf("%s.scopes[%d]: %q is not a valid scope token (RFC 6749 §3.3)", f, j, s)
		}
	}
	if c.IDTokenAlg != "" && !slices.Contains(knownAlgs, c.IDTokenAlg) {
		return fmt.Errorf("%s.id_token_signed_response_alg: %q is not one of %s", f, c.IDTokenAlg, strings.Join(knownAlgs, ", "))
	}
	return nil
}

// checkRedirectURI applies RFC 6749 §3.1.2: absolute, no fragment.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return errors.New("must not contain a fragment (RFC 6749 §3.1.2)")
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file":
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	}
	return nil
}

func checkIssuer(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must use http or https")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") {
		return errors.New("must have no query, fragment or trailing slash (RFC 8414 §2)")
	}
	return nil
}

// normaliseResponseType sorts the space-separated values of a response_type
// into the canonical order used in metadata ("code id_token token"); OAuth 2.0
// Multiple Response Types §3 says the order does not matter.
func normaliseResponseType(rt string) string {
	parts := strings.Fields(rt)
	rank := map[string]int{"code": 0, "id_token": 1, "token": 2}
	sort.SliceStable(parts, func(i, j int) bool {
		ri, ok1 := rank[parts[i]]
		rj, ok2 := rank[parts[j]]
		if !ok1 || !ok2 {
			return parts[i] < parts[j]
		}
		return ri < rj
	})
	return strings.Join(parts, " ")
}
