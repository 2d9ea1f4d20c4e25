// Package mockidp is the bundled OAuth 2.0 / OpenID Connect provider of oauthx.
//
// A [Server] is an [http.Handler] with no package-level state, so any number of
// them run in one process. It is strict by default, like a certified provider:
// exact redirect URI matching (any port for loopback URIs, RFC 8252 §7.3),
// single-use codes bound to the client, redirect URI, PKCE challenge and nonce,
// refresh token rotation with reuse detection, client authentication checked
// against what each client registered, and RFC 6749 §5.2 errors. It also has
// the conveniences of a mock: built-in demo users and clients, a TOML config
// file, switchable [Fault]s that make it misbehave on purpose for teaching,
// and a clock that can be moved forward with [Server.Advance].
//
// Endpoints (relative to the issuer):
//
//	/.well-known/openid-configuration     OpenID Connect Discovery 1.0 §4
//	/.well-known/oauth-authorization-server RFC 8414 §3
//	/jwks                                 RFC 7517 §5
//	/authorize                            RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2
//	/login, /consent                      HTML forms of the authorization step
//	/token                                RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 8628 §3.4
//	/userinfo                             OIDC Core §5.3
//	/introspect                           RFC 7662 §2
//	/revoke                               RFC 7009 §2
//	/device_authorization                 RFC 8628 §3.1
//	/device                               RFC 8628 §3.3 (user code entry)
//	/end_session                          OpenID Connect RP-Initiated Logout 1.0 §2
//
// mockidp never imports the flow engine: it is the independent oracle the
// engine is tested against, so it has its own PKCE and JWT code.
package mockidp
