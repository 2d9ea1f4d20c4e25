// Package record defines the immutable step records the flow engine produces.
//
// Every front end renders these records: the TUI, headless `oauthx run --json`, and
// exports. Because they all read the same values, what the screen shows, what the JSON
// says and what a transcript holds can never disagree (see DESIGN.md, "The engine").
//
// The package is a leaf: it imports only the standard library, so the engine's
// sub-packages (token decoding, the loopback receiver, the built-in user agent) can
// share these types without import cycles.
package record

import (
	"net/http"
	"time"
)

// Status is where a step stands.
type Status string

// Step statuses.
const (
	StatusPending Status = "pending" // not run yet
	StatusRunning Status = "running" // in progress (front ends set this while a Next call runs)
	StatusWaiting Status = "waiting" // waiting on the person or the browser
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Actor is a participant in the flow's sequence diagram.
type Actor string

// The actors of an OAuth 2.0 flow (RFC 6749 §1.1).
const (
	ActorUser     Actor = "user"     // the resource owner
	ActorBrowser  Actor = "browser"  // the user agent
	ActorClient   Actor = "client"   // the application: oauthx itself
	ActorAuthz    Actor = "authz"    // the authorization server (the provider)
	ActorResource Actor = "resource" // the resource server (an API)
)

// Arrow is one message of the sequence diagram, drawn for the step that sends it.
type Arrow struct {
	From  Actor  `json:"from"`
	To    Actor  `json:"to"`
	Label string `json:"label"`
}

// SpecRef points at the section of a specification that explains a step or a check,
// written as people cite it: Spec "RFC 7636", Section "§4.2".
type SpecRef struct {
	Spec    string `json:"spec"`
	Section string `json:"section,omitempty"`
	Title   string `json:"title,omitempty"`
}

// String returns the reference as cited in text, e.g. "RFC 7636 §4.2".
func (s SpecRef) String() string {
	if s.Section == "" {
		return s.Spec
	}
	return s.Spec + " " + s.Section
}

// StepPlan describes a step before it runs: enough to list it and draw the diagram.
type StepPlan struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Arrows []Arrow `json:"arrows,omitempty"`
	// Sends reports whether the step sends a request that can be read and edited first.
	Sends bool `json:"sends,omitempty"`
	// Optional steps may be skipped (for example userinfo when no access token came back).
	Optional bool `json:"optional,omitempty"`
}

// Step is the immutable record of one step of a flow.
type Step struct {
	Flow        string    `json:"flow"`
	Index       int       `json:"index"`
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Status      Status    `json:"status"`
	Explanation string    `json:"explanation"`
	Specs       []SpecRef `json:"specs,omitempty"`
	Arrows      []Arrow   `json:"arrows,omitempty"`
	// Request is the request as sent (after any edits the person made).
	Request *Request `json:"request,omitempty"`
	// Edited lists the parameters the person changed before the request was sent.
	Edited    []Edit     `json:"edited,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
	Redirects []Redirect `json:"redirects,omitempty"`
	Artifacts []Artifact `json:"artifacts,omitempty"`
	Checks    []Check    `json:"checks,omitempty"`
	Warnings  []string   `json:"warnings,omitempty"`
	Error     *Error     `json:"error,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  time.Time  `json:"finished"`
}

// Failed reports whether the step failed.
func (s Step) Failed() bool { return s.Status == StatusFailed }

// Artifact returns the step's artifact with the given name, if any.
func (s Step) Artifact(name string) (Artifact, bool) {
	for _, a := range s.Artifacts {
		if a.Name == name {
			return a, true
		}
	}
	return Artifact{}, false
}

// FailedChecks returns the checks that failed.
func (s Step) FailedChecks() []Check {
	var out []Check
	for _, c := range s.Checks {
		if c.Outcome == OutcomeFail {
			out = append(out, c)
		}
	}
	return out
}

// Edit records one parameter the person changed before a request was sent.
type Edit struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Param is one named value of a request: a query or form parameter.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Secret values (client_secret, password, refresh_token) are masked when shown
	// or exported unless the person asks to reveal them.
	Secret bool `json:"secret,omitempty"`
	// Note explains the parameter in one line, with its spec reference.
	Note string `json:"note,omitempty"`
}

// Request is a request a step is about to send (the pending request) or has sent.
//
// Parameters are ordered as they will be sent. For a GET (the authorization request)
// they go in the query of URL; for a POST they are the form body. Client credentials
// are always listed as the parameters client_id and client_secret, whatever the
// authentication method; the engine places them per AuthMethod (HTTP Basic for
// client_secret_basic, RFC 6749 §2.3.1; the form for client_secret_post).
type Request struct {
	StepID     string  `json:"step_id"`
	Method     string  `json:"method"`
	URL        string  `json:"url"` // the endpoint, without the parameters
	AuthMethod string  `json:"auth_method,omitempty"`
	Params     []Param `json:"params"`
}

// Get returns the value of the first parameter called name, or "".
func (r Request) Get(name string) string {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Has reports whether the request has a parameter called name.
func (r Request) Has(name string) bool {
	for _, p := range r.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// With returns a copy of r with the parameter name set to value (appended when absent).
// The receiver is not changed.
func (r Request) With(name, value string) Request {
	out := r
	out.Params = make([]Param, len(r.Params))
	copy(out.Params, r.Params)
	for i := range out.Params {
		if out.Params[i].Name == name {
			out.Params[i].Value = value
			return out
		}
	}
	out.Params = append(out.Params, Param{Name: name, Value: value})
	return out
}

// Without returns a copy of r without the parameter name.
func (r Request) Without(name string) Request {
	out := r
	out.Params = nil
	for _, p := range r.Params {
		if p.Name != name {
			out.Params = append(out.Params, p)
		}
	}
	return out
}

// Exchange is one HTTP request and its response, captured on the wire by the
// recording transport (never reconstructed).
type Exchange struct {
	Request  HTTPRequest   `json:"request"`
	Response *HTTPResponse `json:"response,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Error is the transport error when no response came back (refused, timeout, TLS).
	Error string `json:"error,omitempty"`
}

// HTTPRequest is a request as sent.
type HTTPRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header,omitempty"`
	Body   string      `json:"body,omitempty"`
}

// HTTPResponse is a response as received. Bodies are kept up to a limit; Truncated
// says when the rest was dropped.
type HTTPResponse struct {
	Status    int         `json:"status"`
	Proto     string      `json:"proto,omitempty"`
	Header    http.Header `json:"header,omitempty"`
	Body      string      `json:"body,omitempty"`
	Truncated bool        `json:"truncated,omitempty"`
}

// Redirect is one hop the user agent followed (a 3xx Location, or a form the
// provider auto-posted), recorded so the person sees every redirect.
type Redirect struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Status int    `json:"status,omitempty"` // 302, 303…; 0 for a form post
	Method string `json:"method,omitempty"` // how To was requested
	Note   string `json:"note,omitempty"`   // e.g. "login form submitted as alice"
}

// Artifact is a value a step produced: state, nonce, code_verifier, code_challenge,
// code, access_token, id_token, refresh_token…
type Artifact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Secret artifacts are masked when shown or exported unless revealed.
	Secret bool `json:"secret,omitempty"`
	// Derivation shows how the value was computed, step by step, e.g. for PKCE S256:
	// "BASE64URL(SHA256(ASCII(code_verifier)))" and the intermediate hex digest.
	Derivation []string `json:"derivation,omitempty"`
	Note       string   `json:"note,omitempty"`
	// Token is the decoded form of a token artifact (JWT or opaque).
	Token *Token `json:"token,omitempty"`
}

// TokenFormat says whether a token could be decoded.
type TokenFormat string

// Token formats.
const (
	FormatJWT    TokenFormat = "jwt"    // a JWS compact serialisation (RFC 7515 §7.1)
	FormatOpaque TokenFormat = "opaque" // a reference only the issuer can interpret
)

// Token is a token decoded for display. Decoding never verifies anything: Verified is
// set only once the signature was checked against the provider's keys.
type Token struct {
	Format    TokenFormat `json:"format"`
	Header    []Claim     `json:"header,omitempty"`
	Claims    []Claim     `json:"claims,omitempty"`
	Signature string      `json:"signature,omitempty"` // base64url as received
	Verified  bool        `json:"verified"`
	// VerifiedWith names the key that verified it, e.g. "RS256 kid=rsa-1".
	VerifiedWith string `json:"verified_with,omitempty"`
	// DecodeError says why a token that looked like a JWT could not be decoded.
	DecodeError string `json:"decode_error,omitempty"`
	// Checks made on this token (signature, iss, aud, exp…), also listed on the step.
	Checks []Check `json:"checks,omitempty"`
}

// Claim is one decoded header parameter or claim.
type Claim struct {
	Name string `json:"name"`
	// Value is the claim's JSON value as received.
	Value any `json:"value"`
	// Display is the value as shown to a person: times as dates, arrays joined.
	Display string `json:"display"`
	// Time is set for NumericDate claims (exp, iat, nbf, auth_time).
	Time *time.Time `json:"time,omitempty"`
	// Explanation says what the claim means, in one line.
	Explanation string `json:"explanation,omitempty"`
	Spec        string `json:"spec,omitempty"`
}

// Outcome is the result of a check.
type Outcome string

// Check outcomes.
const (
	OutcomePass Outcome = "pass"
	OutcomeFail Outcome = "fail"
	OutcomeWarn Outcome = "warn" // allowed, but against best practice
	OutcomeSkip Outcome = "skip" // not applicable here (say why in Reason)
)

// Check is one verification a good client makes, reported on its own.
type Check struct {
	Name     string  `json:"name"`
	Outcome  Outcome `json:"outcome"`
	Expected string  `json:"expected,omitempty"`
	Actual   string  `json:"actual,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	Spec     string  `json:"spec,omitempty"` // e.g. "OIDC Core §3.1.3.7 step 2"
}

// Passed reports whether the check passed (a warning passes).
func (c Check) Passed() bool { return c.Outcome == OutcomePass || c.Outcome == OutcomeWarn }

// ErrorKind classifies why a step failed.
type ErrorKind string

// Error kinds.
const (
	ErrProtocol ErrorKind = "protocol" // the provider answered an OAuth error (RFC 6749 §4.1.2.1, §5.2)
	ErrCheck    ErrorKind = "check"    // a client check failed
	ErrNetwork  ErrorKind = "network"  // no usable answer: refused, timeout, TLS
	ErrResponse ErrorKind = "response" // an answer that is not what the spec requires (HTML, bad JSON)
	ErrConfig   ErrorKind = "config"   // the flow cannot run as configured
	ErrCanceled ErrorKind = "canceled"
)

// Error says why a step failed.
type Error struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
	// Protocol is set when the provider answered an OAuth error.
	Protocol *ProtocolError `json:"protocol,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// ProtocolError is an OAuth 2.0 error response from the provider: an authorization
// error (RFC 6749 §4.1.2.1) or a token endpoint error (RFC 6749 §5.2).
type ProtocolError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	URI         string `json:"error_uri,omitempty"`
	HTTPStatus  int    `json:"http_status,omitempty"`
	// Meaning is what the spec says the code means, in plain words.
	Meaning string `json:"meaning,omitempty"`
	Spec    string `json:"spec,omitempty"`
}

func (e *ProtocolError) Error() string {
	if e.Description != "" {
		return e.Code + ": " + e.Description
	}
	return e.Code
}

// Callback is the authorization response as delivered to the redirect URI.
type Callback struct {
	// Mode is how the response arrived: "query", "fragment" or "form_post".
	Mode string `json:"mode"`
	// URL is the full redirect URL as received (with the fragment for fragment mode).
	URL string `json:"url"`
	// Params are the response parameters (code, state, iss, error…).
	Params map[string]string `json:"params"`
	// From is the remote address that delivered it (loopback receiver only).
	From       string    `json:"from,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}
