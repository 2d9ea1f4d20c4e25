package callback

// ErrorMeaning returns what the specification says an authorization error code means
// (RFC 6749 §4.1.2.1 and §4.2.2.1; OpenID Connect Core §3.1.2.6 for the OIDC codes),
// and the section it comes from. Unknown codes return "", "".
func ErrorMeaning(code string) (meaning, spec string) {
	if m, ok := authzErrors[code]; ok {
		return m.meaning, m.spec
	}
	return "", ""
}

type errorInfo struct{ meaning, spec string }

var authzErrors = map[string]errorInfo{
	"invalid_request": {"The request is missing a required parameter, includes an invalid parameter value, " +
		"includes a parameter more than once, or is otherwise malformed.", "RFC 6749 §4.1.2.1"},
	"unauthorized_client": {"The client is not authorized to request an authorization code (or token) " +
		"using this method.", "RFC 6749 §4.1.2.1"},
	"access_denied": {"The resource owner or authorization server denied the request.", "RFC 6749 §4.1.2.1"},
	"unsupported_response_type": {"The authorization server does not support obtaining an authorization code " +
		"(or token) using this method.", "RFC 6749 §4.1.2.1"},
	"invalid_scope": {"The requested scope is invalid, unknown, or malformed.", "RFC 6749 §4.1.2.1"},
	"server_error": {"The authorization server encountered an unexpected condition that prevented it from " +
		"fulfilling the request (a 500 cannot be returned to the client through a redirect).", "RFC 6749 §4.1.2.1"},
	"temporarily_unavailable": {"The authorization server is currently unable to handle the request due to " +
		"a temporary overloading or maintenance of the server.", "RFC 6749 §4.1.2.1"},
	"interaction_required": {"The authorization server needs the user to interact with it, and the request " +
		"said prompt=none.", "OIDC Core §3.1.2.6"},
	"login_required": {"The authorization server needs the user to log in, and the request said prompt=none.",
		"OIDC Core §3.1.2.6"},
	"account_selection_required": {"The user must choose one of several sessions, and the request said prompt=none.",
		"OIDC Core §3.1.2.6"},
	"consent_required": {"The authorization server needs the user's consent, and the request said prompt=none.",
		"OIDC Core §3.1.2.6"},
	"invalid_request_uri":        {"The request_uri in the request returns an error or contains invalid data.", "OIDC Core §3.1.2.6"},
	"invalid_request_object":     {"The request parameter contains an invalid Request Object.", "OIDC Core §3.1.2.6"},
	"request_not_supported":      {"The provider does not support the request parameter.", "OIDC Core §3.1.2.6"},
	"request_uri_not_supported":  {"The provider does not support the request_uri parameter.", "OIDC Core §3.1.2.6"},
	"registration_not_supported": {"The provider does not support the registration parameter.", "OIDC Core §3.1.2.6"},
}
