package mockidp

// The demo clients that authenticate with a JWT (RFC 7523 §2.2), so client_secret_jwt
// and private_key_jwt work against the bundled IdP with no set-up.

// Demo JWT client identifiers and the HS256 secret of web-app-hmac.
const (
	// DemoPrivateKeyJWTClient authenticates with private_key_jwt, signing with
	// [DemoClientKeyPEM] (ES256, kid [DemoClientKeyID]).
	DemoPrivateKeyJWTClient = "web-app-jwt"
	// DemoClientSecretJWTClient authenticates with client_secret_jwt (HS256 keyed
	// with [DemoClientSecretJWTSecret]).
	DemoClientSecretJWTClient = "web-app-hmac"
	// DemoClientSecretJWTSecret is web-app-hmac's secret: 32 bytes or more, as HS256
	// needs (RFC 7518 §3.2).
	DemoClientSecretJWTSecret = "web-app-hmac-secret-0123456789abcdef"
	// DemoClientKeyID is the kid of web-app-jwt's registered key.
	DemoClientKeyID = "web-app-jwt-1"
)

// DemoClientKeyPEM is web-app-jwt's private key (P-256, PKCS #8). Like the demo
// secrets, it is public: it exists so private_key_jwt can be explored offline. Never
// register it with a real provider.
const DemoClientKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSMWcjAzmSICBnVPO
4uODkU+G7IbnhMq0s3HZTqpvc+ChRANCAAQcS9A6avWK5KBvzNz/NRquXsgyb4XQ
sHIPVsRKZJWis8g02NJfWLbhKjimxx0CMvJ8McQKJp3wvLQNAqtAyKZx
-----END PRIVATE KEY-----
`

// demoClientJWKS is the public half of DemoClientKeyPEM, registered for web-app-jwt.
const demoClientJWKS = `{"keys":[{"use":"sig","kty":"EC","kid":"web-app-jwt-1","crv":"P-256","alg":"ES256",` +
	`"x":"HEvQOmr1iuSgb8zc_zUarl7IMm-F0LByD1bESmSVorM","y":"yDTY0l9YtuEqOKbHHQIy8nwxxAomnfC8tA0Cq0DIpnE"}]}`

// assertionSigningAlgs are advertised as token_endpoint_auth_signing_alg_values_supported.
var assertionSigningAlgs = []string{"HS256", "RS256", "PS256", "ES256", "EdDSA"}

// demoJWTClients are the built-in clients that authenticate with a client assertion:
// confidential web apps for the code flows (and client credentials).
func demoJWTClients(redirects, logout, scopes []string) []Client {
	grants := []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}
	return []Client{
		{
			ID: DemoPrivateKeyJWTClient, Name: "Web app (private_key_jwt)",
			Description:  "Confidential web app that authenticates with a JWT signed by its own key (RFC 7523, private_key_jwt).",
			RedirectURIs: redirects, PostLogoutRedirectURIs: logout,
			GrantTypes: grants, ResponseTypes: []string{"code"},
			AuthMethods: []string{AuthPrivateKeyJWT},
			JWKS:        demoClientJWKS,
			Scopes:      scopes,
		},
		{
			ID: DemoClientSecretJWTClient, Secret: DemoClientSecretJWTSecret, Name: "Web app (client_secret_jwt)",
			Description:  "Confidential web app that authenticates with a JWT MACed with its secret (RFC 7523, client_secret_jwt).",
			RedirectURIs: redirects, PostLogoutRedirectURIs: logout,
			GrantTypes: grants, ResponseTypes: []string{"code"},
			AuthMethods: []string{AuthClientSecretJWT},
			Scopes:      scopes,
		},
	}
}
