package flows

import (
	"errors"
	"fmt"

	"github.com/oauthx/oauthx/flows/record"
)

// ConfigError says why [New] cannot build a flow from a [Config]: a missing client id,
// an unknown authentication method, a flow that needs endpoints nobody gave. Front ends
// use errors.As to tell it from other failures (the CLI exits 2 on it).
type ConfigError struct {
	// Field is the configuration field at fault, e.g. "Client.ID" or "PKCEMethod".
	Field string
	// Message says what is wrong and how to fix it.
	Message string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "config: " + e.Message
	}
	return fmt.Sprintf("config: %s: %s", e.Field, e.Message)
}

func configErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// IsConfigError reports whether err is (or wraps) a [ConfigError].
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// Where an OAuth error code came back, which decides the spec section that defines it.
const (
	// AtAuthorization is an error in the authorization response (RFC 6749 §4.1.2.1, §4.2.2.1).
	AtAuthorization = "authorization"
	// AtToken is an error response of the token endpoint (RFC 6749 §5.2).
	AtToken = "token"
)

type errorMeaning struct {
	meaning string
	spec    string
}

// meanings explains each registered error code in plain words. Keys are
// "where:code"; a key with an empty where applies anywhere.
var meanings = map[string]errorMeaning{
	// RFC 6749 §4.1.2.1 / §4.2.2.1: authorization endpoint.
	"authorization:invalid_request":           {"The authorization request is malformed: a required parameter is missing, a value is invalid or repeated (for example a redirect_uri or PKCE challenge the provider rejects).", "RFC 6749 §4.1.2.1"},
	"authorization:unauthorized_client":       {"This client is not allowed to use this response type or grant (check the client's registration).", "RFC 6749 §4.1.2.1"},
	"authorization:access_denied":             {"The user (or the provider's policy) refused the request: consent was denied.", "RFC 6749 §4.1.2.1"},
	"authorization:unsupported_response_type": {"The provider does not support this response_type, or not for this client.", "RFC 6749 §4.1.2.1"},
	"authorization:invalid_scope":             {"A requested scope is unknown, malformed, or not allowed for this client.", "RFC 6749 §4.1.2.1"},
	"authorization:server_error":              {"The provider hit an unexpected error while handling the request (an HTTP 500 it could not send through a redirect).", "RFC 6749 §4.1.2.1"},
	"authorization:temporarily_unavailable":   {"The provider is overloaded or down for maintenance; try again later.", "RFC 6749 §4.1.2.1"},
	// OIDC Core §3.1.2.6.
	"authorization:interaction_required":       {"The provider needs the user to interact, but prompt=none forbade it.", "OIDC Core §3.1.2.6"},
	"authorization:login_required":             {"The user must log in, but prompt=none forbade showing a login page.", "OIDC Core §3.1.2.6"},
	"authorization:account_selection_required": {"The user must choose an account, but prompt=none forbade asking.", "OIDC Core §3.1.2.6"},
	"authorization:consent_required":           {"The user must consent, but prompt=none forbade asking.", "OIDC Core §3.1.2.6"},
	"authorization:invalid_request_uri":        {"The request_uri is invalid or could not be fetched.", "OIDC Core §3.1.2.6"},
	"authorization:invalid_request_object":     {"The request object (JAR) is invalid.", "OIDC Core §3.1.2.6"},
	"authorization:request_not_supported":      {"The provider does not support the request parameter.", "OIDC Core §3.1.2.6"},
	"authorization:request_uri_not_supported":  {"The provider does not support the request_uri parameter.", "OIDC Core §3.1.2.6"},
	"authorization:registration_not_supported": {"The provider does not support the registration parameter.", "OIDC Core §3.1.2.6"},
	// RFC 6749 §5.2: token endpoint.
	"token:invalid_request": {"The token request is malformed: a required parameter is missing (code, redirect_uri, code_verifier…), a value is unsupported or repeated, or the client authenticated in more than one way.", "RFC 6749 §5.2"},
	"token:invalid_client":  {"Client authentication failed: unknown client, wrong secret, or an authentication method the client is not registered for.", "RFC 6749 §5.2"},
	"token:invalid_grant": {"The authorization grant is invalid, expired, revoked or already used, was issued to another client, " +
		"or does not match the redirect URI or PKCE code_verifier of the authorization request.", "RFC 6749 §5.2; RFC 7636 §4.6"},
	"token:unauthorized_client":     {"This client is not allowed to use this grant type.", "RFC 6749 §5.2"},
	"token:unsupported_grant_type":  {"The provider does not support this grant_type.", "RFC 6749 §5.2"},
	"token:invalid_scope":           {"A requested scope is invalid, unknown, or beyond what the grant allows.", "RFC 6749 §5.2"},
	"token:server_error":            {"The provider hit an unexpected error (not a registered token endpoint code, but widely used).", "RFC 6749 §4.1.2.1 (by analogy)"},
	"token:temporarily_unavailable": {"The provider is overloaded or down for maintenance; try again later.", "RFC 6749 §4.1.2.1 (by analogy)"},
	":authorization_pending":        {"The user has not finished the device authorization yet; keep polling.", "RFC 8628 §3.5"},
	":slow_down":                    {"Polling too fast: add 5 seconds to the interval.", "RFC 8628 §3.5"},
	":expired_token":                {"The device code expired before the user finished; start again.", "RFC 8628 §3.5"},
	":invalid_token":                {"The access token is expired, revoked, malformed or invalid.", "RFC 6750 §3.1"},
	":insufficient_scope":           {"The access token lacks the scope this resource needs.", "RFC 6750 §3.1"},
	":unsupported_token_type":       {"The provider cannot revoke this type of token.", "RFC 7009 §2.2.1"},
	":invalid_target":               {"The requested resource (RFC 8707) is invalid or not allowed.", "RFC 8707 §2"},
	":access_denied":                {"The user or the provider refused the request.", "RFC 6749 §4.1.2.1"},
	":invalid_request":              {"The request is malformed.", "RFC 6749 §5.2"},
}

// ErrorMeaning returns what the spec says an OAuth error code means, in plain words,
// and the section that defines it. where is [AtAuthorization] or [AtToken]. Unknown
// codes get an empty meaning.
func ErrorMeaning(where, code string) (meaning, spec string) {
	if m, ok := meanings[where+":"+code]; ok {
		return m.meaning, m.spec
	}
	if m, ok := meanings[":"+code]; ok {
		return m.meaning, m.spec
	}
	for _, w := range []string{AtToken, AtAuthorization} {
		if m, ok := meanings[w+":"+code]; ok {
			return m.meaning, m.spec
		}
	}
	return "", ""
}

// newProtocolError builds a typed protocol error with the meaning of its code.
func newProtocolError(where, code, desc, uri string, status int) *record.ProtocolError {
	pe := &record.ProtocolError{Code: code, Description: desc, URI: uri, HTTPStatus: status}
	pe.Meaning, pe.Spec = ErrorMeaning(where, code)
	if pe.Meaning == "" {
		pe.Meaning = "Not a code registered by RFC 6749 or OpenID Connect: see the provider's documentation."
		if where == AtToken {
			pe.Spec = "RFC 6749 §5.2"
		} else {
			pe.Spec = "RFC 6749 §4.1.2.1"
		}
	}
	return pe
}
