package doctor

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// metadataChecks: the document's types, its issuer and its members.
func (r *run) metadataChecks() {
	m := r.meta
	var probs []string
	for _, p := range m.Problems {
		probs = append(probs, p.String())
	}
	r.result(GroupMetadata, "member-types", "members have the types the spec gives them", SeverityError,
		len(probs) == 0, "OIDC Discovery §3; RFC 8414 §2",
		record.Check{Actual: strings.Join(probs, "; "),
			Reason: unless(len(probs) == 0, "clients that decode metadata into typed fields reject the whole document; the doctor treats these members as absent")})

	spec := "OIDC Discovery §4.3"
	if r.variant == "oauth" {
		spec = "RFC 8414 §3.3"
	}
	issCheck := record.Check{Expected: r.opts.Issuer, Actual: m.Issuer, Reason: issuerMismatch(r.opts.Issuer, m.Issuer)}
	sev := SeverityError
	if k := r.opts.Known; k.IssuerTemplate != "" && m.Issuer == k.IssuerTemplate {
		sev = SeverityWarning
		issCheck.Reason = "known quirk of " + orNone(k.Provider) + ": " + issCheck.Reason
	}
	r.result(GroupMetadata, "issuer-match", "issuer equals the URL the metadata came from", sev,
		m.Issuer == r.opts.Issuer, spec, issCheck)

	required := []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
		"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"}
	spec = "OIDC Discovery §3"
	if r.variant == "oauth" {
		required = []string{"issuer", "authorization_endpoint", "token_endpoint", "response_types_supported"}
		spec = "RFC 8414 §2"
		if len(m.GrantTypesSupported) > 0 && !slices.Contains(m.GrantTypesSupported, "authorization_code") &&
			!slices.Contains(m.GrantTypesSupported, "implicit") {
			required = slices.DeleteFunc(required, func(s string) bool { return s == "authorization_endpoint" })
		}
	}
	if r.implicitOnly() {
		required = slices.DeleteFunc(required, func(s string) bool { return s == "token_endpoint" })
	}
	var missing []string
	for _, name := range required {
		if !m.Has(name) || (strings.HasSuffix(name, "_supported") && len(r.list(name)) == 0) {
			missing = append(missing, name)
		}
	}
	r.result(GroupMetadata, "required-members", "required members present", SeverityError, len(missing) == 0, spec,
		record.Check{Expected: strings.Join(required, ", "), Actual: missingText(missing),
			Reason: unless(len(missing) == 0, "clients cannot run the flows without them")})

	recommended := []string{"userinfo_endpoint", "scopes_supported", "claims_supported"}
	spec = "OIDC Discovery §3"
	if r.variant == "oauth" {
		recommended = []string{"scopes_supported"}
		spec = "RFC 8414 §2"
	}
	missing = nil
	for _, name := range recommended {
		if !m.Has(name) {
			missing = append(missing, name)
		}
	}
	r.result(GroupMetadata, "recommended-members", "recommended members present", SeverityInfo, len(missing) == 0, spec,
		record.Check{Expected: strings.Join(recommended, ", "), Actual: missingText(missing)})
}

func missingText(missing []string) string {
	if len(missing) == 0 {
		return "all present"
	}
	return "missing: " + strings.Join(missing, ", ")
}

// issuerMismatch explains how two issuers differ.
func issuerMismatch(want, got string) string {
	switch {
	case want == got:
		return ""
	case got == "":
		return "the document has no usable issuer"
	case strings.Contains(got, "{tenantid}") || strings.Contains(got, "{tenant}"):
		return "the issuer is a template (Entra ID multi-tenant endpoint): it matches no URL and no token; " +
			"clients must check each ID token's iss against the template filled with the token's tid claim"
	case strings.TrimSuffix(want, "/") == strings.TrimSuffix(got, "/"):
		return "they differ only by a trailing slash, and the comparison is exact: use the issuer exactly as the document writes it"
	case strings.EqualFold(want, got):
		return "they differ only in case, and the comparison is exact (simple string comparison)"
	}
	wu, err1 := url.Parse(want)
	gu, err2 := url.Parse(got)
	if err1 == nil && err2 == nil && wu.Host != gu.Host {
		return fmt.Sprintf("a different host (%s, not %s): a proxy or a hostname setting may be rewriting it, "+
			"and ID tokens will carry an iss clients reject", gu.Host, wu.Host)
	}
	return "the issuer must be identical to the URL the metadata was fetched from, or an attacker's metadata could impersonate it"
}

// list returns the metadata list member called name.
func (r *run) list(name string) []string {
	m := r.meta
	switch name {
	case "response_types_supported":
		return m.ResponseTypesSupported
	case "subject_types_supported":
		return m.SubjectTypesSupported
	case "id_token_signing_alg_values_supported":
		return m.IDTokenSigningAlgValuesSupported
	case "scopes_supported":
		return m.ScopesSupported
	}
	return nil
}

// implicitOnly reports whether the provider only issues tokens from the authorization
// endpoint, so it needs no token endpoint (OIDC Discovery §3).
func (r *run) implicitOnly() bool {
	m := r.meta
	if len(m.ResponseTypesSupported) == 0 {
		return false
	}
	for _, rt := range m.ResponseTypesSupported {
		if slices.Contains(strings.Fields(rt), "code") {
			return false
		}
	}
	for _, g := range m.GrantTypesSupported {
		if g != "implicit" {
			return false
		}
	}
	return true
}

// endpointChecks: every endpoint over https, loopback excepted.
func (r *run) endpointChecks() {
	m := r.meta
	endpoints := []struct{ name, url string }{
		{"issuer", m.Issuer},
		{"authorization_endpoint", m.AuthorizationEndpoint},
		{"token_endpoint", m.TokenEndpoint},
		{"userinfo_endpoint", m.UserinfoEndpoint},
		{"jwks_uri", m.JWKSURI},
		{"registration_endpoint", m.RegistrationEndpoint},
		{"introspection_endpoint", m.IntrospectionEndpoint},
		{"revocation_endpoint", m.RevocationEndpoint},
		{"device_authorization_endpoint", m.DeviceAuthorizationEndpoint},
		{"end_session_endpoint", m.EndSessionEndpoint},
		{"pushed_authorization_request_endpoint", m.PushedAuthorizationRequestEndpoint},
	}
	var bad, loopback []string
	checked := 0
	for _, e := range endpoints {
		if e.url == "" {
			continue
		}
		checked++
		u, err := url.Parse(e.url)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			bad = append(bad, fmt.Sprintf("%s %q is not an absolute URL", e.name, e.url))
		case u.Fragment != "" || strings.Contains(e.url, "#"):
			bad = append(bad, fmt.Sprintf("%s %q has a fragment", e.name, e.url))
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
			loopback = append(loopback, e.name)
		default:
			bad = append(bad, fmt.Sprintf("%s uses %s: %s", e.name, u.Scheme, e.url))
		}
	}
	reason := ""
	if len(bad) > 0 {
		reason = "credentials, codes and tokens would cross the network in clear text, or clients cannot use the URL"
	} else if len(loopback) > 0 {
		reason = "plain http on loopback only (" + strings.Join(loopback, ", ") + "): accepted for a local provider"
	}
	r.result(GroupEndpoints, "endpoints-https", "endpoints use https (loopback excepted)", SeverityError, len(bad) == 0,
		"RFC 6749 §3.1, §3.2; RFC 8414 §2; RFC 8252 §8.3",
		record.Check{Expected: "https URLs", Actual: joinOr(bad, fmt.Sprintf("%d URLs checked", checked)), Reason: reason})
}

func prefixed(prefix string, list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return []string{prefix + strings.Join(list, " ")}
}

func joinOr(list []string, otherwise string) string {
	if len(list) == 0 {
		return otherwise
	}
	return strings.Join(list, "; ")
}

// isLoopback reports whether host is a loopback name or address (RFC 8252 §8.3).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// securityChecks: what RFC 9700 and RFC 8725 say about the advertised features.
func (r *run) securityChecks() {
	m := r.meta
	codeFlow := false
	for _, rt := range m.ResponseTypesSupported {
		if slices.Contains(strings.Fields(rt), "code") {
			codeFlow = true
		}
	}

	// PKCE (RFC 7636 §4.2; RFC 9700 §2.1.1).
	const pkceSpec = "RFC 7636 §4.2; RFC 9700 §2.1.1"
	methods := m.CodeChallengeMethodsSupported
	switch {
	case !codeFlow && len(m.ResponseTypesSupported) > 0:
		r.skip(GroupSecurity, "pkce-s256", "PKCE with S256 advertised", SeverityWarning, pkceSpec, "the provider offers no code flow")
	case slices.Contains(methods, "S256"):
		r.result(GroupSecurity, "pkce-s256", "PKCE with S256 advertised", SeverityWarning, true, pkceSpec,
			record.Check{Expected: "S256", Actual: strings.Join(methods, " ")})
	case len(methods) == 0:
		r.result(GroupSecurity, "pkce-s256", "PKCE with S256 advertised", SeverityWarning, false, pkceSpec,
			record.Check{Expected: "S256", Actual: "code_challenge_methods_supported absent",
				Reason: pkceAbsentReason(r.opts.Known)})
	default:
		r.result(GroupSecurity, "pkce-s256", "PKCE with S256 advertised", SeverityError, false, pkceSpec,
			record.Check{Expected: "S256", Actual: strings.Join(methods, " "),
				Reason: "only plain is offered: the code_verifier travels in the authorization request, so an intercepted request defeats PKCE"})
	}

	// Implicit (RFC 9700 §2.1.2).
	var implicit []string
	for _, rt := range m.ResponseTypesSupported {
		if slices.Contains(strings.Fields(rt), "token") {
			implicit = append(implicit, fmt.Sprintf("%q", rt))
		}
	}
	if len(implicit) > 0 {
		implicit = []string{"response types " + strings.Join(implicit, ", ")}
	}
	if slices.Contains(m.GrantTypesSupported, "implicit") {
		implicit = append(implicit, `grant type "implicit"`)
	}
	r.result(GroupSecurity, "no-implicit", "implicit grant not offered", SeverityWarning, len(implicit) == 0, "RFC 9700 §2.1.2",
		record.Check{Actual: joinOr(implicit, "not offered"),
			Reason: unless(len(implicit) == 0, "access tokens in the URL fragment leak through history, referrers and logs and cannot be sender-constrained; clients should use the code flow with PKCE")})

	// Resource owner password credentials (RFC 9700 §2.4).
	ropc := slices.Contains(m.GrantTypesSupported, "password")
	r.result(GroupSecurity, "no-password-grant", "password grant not offered", SeverityWarning, !ropc, "RFC 9700 §2.4",
		record.Check{Actual: map[bool]string{true: `grant type "password" offered`, false: "not offered"}[ropc],
			Reason: unless(!ropc, "the client sees the user's password, and multi-factor and federated logins cannot work; RFC 9700 says it MUST NOT be used")})

	// RFC 9207 iss parameter (mix-up defence, RFC 9700 §4.4).
	iss := m.AuthorizationResponseIssParameterSupported
	r.result(GroupSecurity, "iss-parameter", "authorization responses carry iss", SeverityInfo, iss, "RFC 9207 §3; RFC 9700 §4.4",
		record.Check{Expected: "authorization_response_iss_parameter_supported: true",
			Actual: map[bool]string{true: "true", false: "absent or false"}[iss],
			Reason: unless(iss, "clients that talk to more than one provider cannot detect mix-up attacks from the response; they must use a distinct redirect URI per provider")})

	// alg "none" (RFC 8725 §3.1).
	var none []string
	for _, x := range []struct {
		name string
		algs []string
	}{
		{"id_token_signing_alg_values_supported", m.IDTokenSigningAlgValuesSupported},
		{"userinfo_signing_alg_values_supported", m.UserinfoSigningAlgValuesSupported},
		{"token_endpoint_auth_signing_alg_values_supported", m.TokenEndpointAuthSigningAlgsSupported},
	} {
		if slices.ContainsFunc(x.algs, func(a string) bool { return strings.EqualFold(a, "none") }) {
			none = append(none, x.name)
		}
	}
	r.result(GroupSecurity, "no-alg-none", `"none" not among signing algorithms`, SeverityError, len(none) == 0, "RFC 8725 §3.1; RFC 7518 §3.6",
		record.Check{Actual: joinOr(none, "not offered"),
			Reason: unless(len(none) == 0, "unsigned tokens can be forged by anyone; a client that honours \"none\" accepts them")})

	// RS256 (OIDC Discovery §3: "The algorithm RS256 MUST be included").
	if r.variant == "openid" && len(m.IDTokenSigningAlgValuesSupported) > 0 {
		ok := slices.Contains(m.IDTokenSigningAlgValuesSupported, "RS256")
		r.result(GroupSecurity, "rs256-offered", "RS256 offered for ID tokens", SeverityWarning, ok, "OIDC Discovery §3",
			record.Check{Expected: "RS256", Actual: strings.Join(m.IDTokenSigningAlgValuesSupported, " "),
				Reason: unless(ok, "the spec requires RS256 in id_token_signing_alg_values_supported; clients limited to RS256 cannot verify these tokens")})
	}

	// Response modes (OAuth 2.0 Multiple Response Types; Form Post Response Mode).
	modes := m.ResponseModesSupported
	modeNote := ""
	if len(modes) == 0 {
		modes = []string{"query", "fragment"}
		modeNote = "absent: the default is query and fragment"
	}
	if !slices.Contains(modes, "form_post") {
		modeNote = strings.TrimPrefix(modeNote+"; no form_post", "; ")
	}
	r.result(GroupSecurity, "response-modes", "response modes offered", SeverityInfo, true,
		"OIDC Discovery §3; OAuth 2.0 Form Post Response Mode",
		record.Check{Actual: strings.Join(modes, " "), Reason: modeNote})

	// Token endpoint authentication methods (RFC 8414 §2: default client_secret_basic).
	auth := m.TokenEndpointAuthMethodsSupported
	authNote := ""
	if len(auth) == 0 {
		auth = []string{"client_secret_basic"}
		authNote = "absent: the default is client_secret_basic"
	}
	r.result(GroupSecurity, "token-auth-methods", "token endpoint authentication methods", SeverityInfo, true,
		"RFC 8414 §2; OIDC Core §9", record.Check{Actual: strings.Join(auth, " "), Reason: authNote})

	if r.variant == "openid" && len(m.ScopesSupported) > 0 {
		ok := slices.Contains(m.ScopesSupported, "openid")
		r.result(GroupSecurity, "openid-scope", `scopes_supported includes "openid"`, SeverityWarning, ok, "OIDC Discovery §3",
			record.Check{Expected: "openid", Actual: strings.Join(m.ScopesSupported, " "),
				Reason: unless(ok, "an OpenID Provider must support the openid scope")})
	}

	if m.RequirePushedAuthorizationRequests {
		r.result(GroupSecurity, "par-required", "pushed authorization requests required", SeverityInfo, false, "RFC 9126 §5",
			record.Check{Actual: "require_pushed_authorization_requests: true",
				Reason: "authorization requests must first be pushed to " + orNone(m.PushedAuthorizationRequestEndpoint)})
	}
}

func pkceAbsentReason(k KnownQuirks) string {
	if k.PKCESupportedUnadvertised {
		return "known quirk of " + orNone(k.Provider) + ": PKCE with S256 works although the metadata does not say so; oauthx uses it anyway"
	}
	return "PKCE may still work (some providers support it without saying so), but a client cannot know; RFC 9700 requires PKCE for public clients and recommends it for all"
}

// clientChecks: what the configured client would trip over.
func (r *run) clientChecks() {
	c := r.opts.Client
	if c == nil {
		return
	}
	m := r.meta

	if c.AuthMethod != "" {
		methods := m.TokenEndpointAuthMethodsSupported
		defaulted := len(methods) == 0
		if defaulted {
			methods = []string{"client_secret_basic"}
		}
		ok := slices.Contains(methods, c.AuthMethod)
		sev, reason := SeverityError, "the token endpoint will reject the client's authentication (invalid_client)"
		if c.AuthMethod == "none" {
			sev, reason = SeverityWarning, "\"none\" (a public client) is not listed; many providers accept public clients with PKCE all the same"
		}
		if defaulted {
			reason += "; the provider lists no methods, so only the default client_secret_basic is certain"
		}
		r.result(GroupClient, "client-auth-method", "client's authentication method offered", sev, ok, "RFC 8414 §2; OIDC Discovery §3",
			record.Check{Expected: c.AuthMethod, Actual: strings.Join(methods, " "), Reason: unless(ok, reason)})
	}

	rt := c.ResponseType
	if rt == "" {
		rt = "code"
	}
	if len(m.ResponseTypesSupported) > 0 {
		ok := slices.ContainsFunc(m.ResponseTypesSupported, func(s string) bool { return sameWords(s, rt) })
		r.result(GroupClient, "client-response-type", "client's response type offered", SeverityError, ok, "OIDC Discovery §3; RFC 8414 §2",
			record.Check{Expected: rt, Actual: strings.Join(m.ResponseTypesSupported, ", "),
				Reason: unless(ok, "the authorization endpoint will answer unsupported_response_type (RFC 6749 §4.1.2.1)")})
	}

	if c.ResponseMode != "" {
		modes := m.ResponseModesSupported
		if len(modes) == 0 {
			modes = []string{"query", "fragment"}
		}
		ok := slices.Contains(modes, c.ResponseMode)
		r.result(GroupClient, "client-response-mode", "client's response mode offered", SeverityError, ok, "OIDC Discovery §3",
			record.Check{Expected: c.ResponseMode, Actual: strings.Join(modes, " "),
				Reason: unless(ok, "the provider will ignore or reject the response_mode")})
	}

	if len(c.GrantTypes) > 0 {
		grants := m.GrantTypesSupported
		if len(grants) == 0 {
			grants = []string{"authorization_code", "implicit"}
		}
		var missing []string
		for _, g := range c.GrantTypes {
			if !slices.Contains(grants, g) {
				missing = append(missing, g)
			}
		}
		r.result(GroupClient, "client-grant-types", "client's grant types offered", SeverityWarning, len(missing) == 0, "RFC 8414 §2",
			record.Check{Expected: strings.Join(c.GrantTypes, " "), Actual: strings.Join(grants, " "),
				Reason: unless(len(missing) == 0, "not listed: "+strings.Join(missing, ", ")+"; the token endpoint may answer unsupported_grant_type")})
	}

	if len(c.Scopes) > 0 {
		if len(m.ScopesSupported) == 0 {
			r.skip(GroupClient, "client-scopes", "client's scopes listed", SeverityWarning, "OIDC Discovery §3",
				"the provider does not list its scopes")
		} else {
			var missing []string
			for _, s := range c.Scopes {
				if !slices.Contains(m.ScopesSupported, s) {
					missing = append(missing, s)
				}
			}
			r.result(GroupClient, "client-scopes", "client's scopes listed", SeverityWarning, len(missing) == 0,
				"OIDC Discovery §3; RFC 6749 §3.3",
				record.Check{Expected: strings.Join(c.Scopes, " "), Actual: joinOr(prefixed("not listed: ", missing), "all listed"),
					Reason: unless(len(missing) == 0, "scopes_supported need not list every scope, but these may be refused (invalid_scope) or silently dropped")})
		}
	}

	if c.RedirectURI != "" {
		sev, ok, reason, spec := redirectCheck(c.RedirectURI)
		r.result(GroupClient, "client-redirect-uri", "client's redirect URI", sev, ok, spec,
			record.Check{Actual: c.RedirectURI, Reason: reason})
	}
}

// redirectCheck looks at a client's redirect URI.
func redirectCheck(raw string) (sev Severity, ok bool, reason, spec string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return SeverityError, false, "not an absolute URI", "RFC 6749 §3.1.2"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return SeverityError, false, "a redirect URI must not have a fragment", "RFC 6749 §3.1.2"
	case u.Scheme == "http" && u.Hostname() == "localhost":
		return SeverityInfo, false, "loopback redirects should use 127.0.0.1 or [::1]: \"localhost\" may resolve elsewhere and is NOT RECOMMENDED", "RFC 8252 §8.3"
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return SeverityWarning, false, "plain http off loopback: the code travels in clear text", "RFC 6749 §3.1.2.1; RFC 9700 §2.1"
	}
	return SeverityWarning, true, "", "RFC 6749 §3.1.2; RFC 8252 §7.3"
}

// sameWords compares space-separated lists regardless of order ("id_token code" is
// "code id_token", OAuth 2.0 Multiple Response Types §2).
func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
