// Package flows is the oauthx engine: each OAuth 2.0 / OpenID Connect grant as a
// sequence of observable steps.
//
// The engine is pull-based. [Flow.Next] runs one step and returns its immutable
// [record.Step]; the TUI runs each call inside a tea.Cmd, headless mode loops, tests
// assert on the records. Before a step that sends something, [Flow.Pending] hands out
// the request so a person can read it and edit any parameter; the edited request is
// passed back in [StepInput].
//
// The package has no UI: it imports neither the TUI nor any Charm package, and not the
// bundled provider (mockidp), which stays an independent oracle.
package flows

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// Kind names a flow, as written on the command line (`oauthx run pkce`).
type Kind string

// The flows the engine runs.
const (
	KindAuthorizationCode Kind = "authorization-code" // RFC 6749 §4.1, confidential client
	KindPKCE              Kind = "pkce"               // RFC 6749 §4.1 + RFC 7636, public client
	KindImplicit          Kind = "implicit"           // RFC 6749 §4.2 / OIDC Core §3.2 (deprecated)
	KindClientCredentials Kind = "client-credentials" // RFC 6749 §4.4
	KindDevice            Kind = "device"             // RFC 8628, device authorization grant
)

// KindInfo describes a flow for menus and `oauthx run --help`.
type KindInfo struct {
	Kind    Kind
	Aliases []string
	Title   string
	// Summary is one line on when to use it.
	Summary string
	Spec    string
	// Deprecated explains why current best practice says not to use the flow.
	Deprecated string
	// Browser reports whether the flow needs a user agent (login and consent).
	Browser bool
}

// Kinds lists the flows the engine runs, in the order menus show them.
func Kinds() []KindInfo {
	return []KindInfo{
		{
			Kind: KindAuthorizationCode, Aliases: []string{"code", "authcode"},
			Title:   "Authorization code",
			Summary: "A server-side web app with a client secret signs a user in and gets tokens.",
			Spec:    "RFC 6749 §4.1", Browser: true,
		},
		{
			Kind: KindPKCE, Aliases: []string{"code-pkce", "native"},
			Title:   "Authorization code + PKCE",
			Summary: "A native, CLI or single-page app with no secret; the recommended flow for users.",
			Spec:    "RFC 7636", Browser: true,
		},
		{
			Kind: KindImplicit, Aliases: []string{"token"},
			Title:   "Implicit",
			Summary: "Tokens straight from the authorization endpoint, in the URL fragment. Legacy: learn why not.",
			Spec:    "RFC 6749 §4.2, OIDC Core §3.2",
			Deprecated: "RFC 9700 §2.1.2: the access token is exposed in the URL, can leak through " +
				"history and referrers, and cannot be sender-constrained; use the code flow with PKCE.",
			Browser: true,
		},
		{
			Kind: KindClientCredentials, Aliases: []string{"cc", "machine"},
			Title:   "Client credentials",
			Summary: "A service calls an API as itself, with no user involved.",
			Spec:    "RFC 6749 §4.4",
		},
		{
			Kind: KindDevice, Aliases: []string{"device-code", "tv"},
			Title:   "Device authorization",
			Summary: "A device with no browser (a TV, a CLI over SSH) shows a code; the user approves on another device.",
			Spec:    "RFC 8628",
		},
	}
}

// LookupKind finds a flow by name or alias.
func LookupKind(name string) (KindInfo, bool) {
	for _, k := range Kinds() {
		if string(k.Kind) == name {
			return k, true
		}
		for _, a := range k.Aliases {
			if a == name {
				return k, true
			}
		}
	}
	return KindInfo{}, false
}

// Flow is a grant in progress.
//
// A Flow is driven by one caller at a time: Next must not be called while another Next
// on the same flow is running. The other methods are safe to call concurrently with
// Next and return copies.
type Flow interface {
	// Kind returns which flow this is.
	Kind() Kind
	// Plan returns every step of the flow in order, run or not.
	Plan() []record.StepPlan
	// Records returns the records of the steps run so far, in order.
	Records() []record.Step
	// Pending returns the request the next step will send, when it sends one.
	Pending() (record.Request, bool)
	// Next runs the next step and returns its record. A failed step ends the flow:
	// its record has Status failed and an Error; Next never panics on bad input.
	// A step cancelled through ctx is the exception: its record has an Error of kind
	// canceled, is not added to Records, and the flow stays at that step, so the
	// caller can run it again (say with another Authorizer). Next on a finished flow
	// returns a failed record (Index -1) and changes nothing.
	Next(ctx context.Context, in StepInput) record.Step
	// Done reports whether the flow has finished (all steps run, or one failed).
	Done() bool
	// Tokens returns the tokens obtained so far.
	Tokens() Tokens
}

// StepInput is what a caller may give the next step.
type StepInput struct {
	// Request, when non-nil, is sent instead of the pending request: the person's edits.
	Request *record.Request
	// Authorizer, when non-nil, replaces the flow's Authorizer for this step: the TUI
	// uses it to choose between in-terminal login, the real browser and a pasted URL.
	Authorizer Authorizer
}

// Tokens are the tokens a flow holds.
type Tokens struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	Scope        string
	Expiry       time.Time // zero when the provider did not say
}

// Authorizer takes the authorization request to the provider, lets the user log in and
// consent, and returns the authorization response as delivered to the redirect URI.
//
// Implementations: the built-in user agent (flows/useragent) for the bundled IdP, the
// real browser with the loopback receiver (flows/loopback), and a URL pasted back by
// the person ([PastedURL]).
type Authorizer interface {
	// Authorize delivers req and returns what came back to the redirect URI.
	// It must return when ctx is cancelled.
	Authorize(ctx context.Context, req AuthorizeRequest) (AuthorizeResult, error)
}

// AuthorizeRequest is the authorization request a flow built.
type AuthorizeRequest struct {
	// URL is the full authorization request URL (endpoint and query).
	URL string
	// RedirectURI is the redirect URI sent in the request.
	RedirectURI string
	// ResponseMode is the mode the response is expected in: query, fragment or form_post.
	ResponseMode string
}

// AuthorizeResult is what an Authorizer saw.
type AuthorizeResult struct {
	Callback  record.Callback
	Exchanges []record.Exchange
	Redirects []record.Redirect
	// Notes say what the authorizer did, for the step's record
	// ("opened the browser", "logged in as alice").
	Notes []string
}

// Provider says where the provider is: an issuer to discover, or endpoints by hand.
type Provider struct {
	// Name is shown to the person ("bundled IdP", a profile name).
	Name string
	// Issuer is the issuer identifier; when set, flows begin with discovery
	// (OpenID discovery, falling back to RFC 8414 metadata).
	Issuer string
	// Endpoints given by hand; any set here override discovery.
	AuthorizationEndpoint string
	TokenEndpoint         string
	JWKSURI               string
	UserinfoEndpoint      string
	// PAREndpoint is the pushed authorization request endpoint (RFC 9126 §5) by hand;
	// it overrides pushed_authorization_request_endpoint from the metadata.
	PAREndpoint string
	// DeviceAuthorizationEndpoint (RFC 8628 §3.1), IntrospectionEndpoint (RFC 7662),
	// RevocationEndpoint (RFC 7009) and EndSessionEndpoint (RP-Initiated Logout) are
	// used by the device flow and the follow-ups ([NewFollowUp]).
	DeviceAuthorizationEndpoint string
	IntrospectionEndpoint       string
	RevocationEndpoint          string
	EndSessionEndpoint          string
}

// Client is the OAuth client the flow acts as.
type Client struct {
	ID     string
	Secret string
	// AuthMethod is client_secret_basic, client_secret_post, client_secret_jwt,
	// private_key_jwt or none.
	AuthMethod  string
	RedirectURI string
	// PrivateKey is the client's private key for private_key_jwt (RFC 7523 §2.2): PEM
	// (PKCS #8, PKCS #1 or SEC 1) or a JWK. See [ParseClientKey].
	PrivateKey []byte
	// KeyID is the kid put in the client assertion's header; empty means the JWK's
	// own kid, or none.
	KeyID string
}

// Config configures a flow. Zero values take safe defaults.
type Config struct {
	Provider Provider
	Client   Client
	// Scopes requested; include "openid" for the OpenID Connect variant.
	Scopes []string
	// PKCEMethod is S256 (default) or plain (allowed, with a warning).
	PKCEMethod string
	// ResponseType for the implicit flow: "id_token token" (default) or "id_token".
	ResponseType string
	// ResponseMode requests a response mode (query, fragment, form_post); empty for
	// the flow's default.
	ResponseMode string
	// ExtraParams are added to the authorization request (prompt, login_hint, resource…).
	ExtraParams map[string]string
	// PAR pushes the authorization request to the provider first (RFC 9126), in a step
	// of its own; the authorization request then carries only client_id and request_uri.
	// Code flows only.
	PAR bool
	// Quirks are the provider's known departures from the specs that the engine
	// adapts to (usually filled from a preset by flows/provider). Each one applied is
	// said in the step it changes.
	Quirks Quirks

	// Authorizer gets the authorization response back; required for browser flows.
	Authorizer Authorizer
	// HTTPClient is the base client; the engine wraps its transport with a recorder.
	// Nil means a client with timeouts and TLS verification on.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of state, nonce and verifier; nil means crypto/rand.
	Rand io.Reader
	// ClockSkew tolerated on exp, iat and nbf; default 60 s, shown with the checks.
	ClockSkew time.Duration

	// DeviceApprover approves a device authorization as the user would on another
	// device (the device flow's approve step); nil means the person does it, or the
	// Authorizer when it also implements [DeviceApprover] (the built-in user agent).
	DeviceApprover DeviceApprover
	// Sleep waits between device polls (RFC 8628 §3.4); nil means a timer that
	// returns early with ctx's error. Tests inject one that does not wait.
	Sleep func(ctx context.Context, d time.Duration) error
}
