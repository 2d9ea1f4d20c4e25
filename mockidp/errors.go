package mockidp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// ErrorCode is an OAuth 2.0 / OpenID Connect error code as sent in the
// "error" parameter.
type ErrorCode string

// Error codes and where they are defined.
const (
	// ErrorInvalidRequest: RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1.
	ErrorInvalidRequest ErrorCode = "invalid_request"
	// ErrorInvalidClient: RFC 6749 §5.2.
	ErrorInvalidClient ErrorCode = "invalid_client"
	// ErrorInvalidGrant: RFC 6749 §5.2.
	ErrorInvalidGrant ErrorCode = "invalid_grant"
	// ErrorUnauthorizedClient: RFC 6749 §4.1.2.1, §5.2.
	ErrorUnauthorizedClient ErrorCode = "unauthorized_client"
	// ErrorUnsupportedGrantType: RFC 6749 §5.2.
	ErrorUnsupportedGrantType ErrorCode = "unsupported_grant_type"
	// ErrorInvalidScope: RFC 6749 §4.1.2.1, §5.2.
	ErrorInvalidScope ErrorCode = "invalid_scope"
	// ErrorAccessDenied: RFC 6749 §4.1.2.1; RFC 8628 §3.5.
	ErrorAccessDenied ErrorCode = "access_denied"
	// ErrorUnsupportedResponseType: RFC 6749 §4.1.2.1.
	ErrorUnsupportedResponseType ErrorCode = "unsupported_response_type"
	// ErrorServerError: RFC 6749 §4.1.2.1.
	ErrorServerError ErrorCode = "server_error"
	// ErrorTemporarilyUnavailable: RFC 6749 §4.1.2.1.
	ErrorTemporarilyUnavailable ErrorCode = "temporarily_unavailable"
	// ErrorInteractionRequired: OIDC Core §3.1.2.6.
	ErrorInteractionRequired ErrorCode = "interaction_required"
	// ErrorLoginRequired: OIDC Core §3.1.2.6.
	ErrorLoginRequired ErrorCode = "login_required"
	// ErrorConsentRequired: OIDC Core §3.1.2.6.
	ErrorConsentRequired ErrorCode = "consent_required"
	// ErrorRequestNotSupported: OIDC Core §3.1.2.6.
	ErrorRequestNotSupported ErrorCode = "request_not_supported"
	// ErrorRequestURINotSupported: OIDC Core §3.1.2.6.
	ErrorRequestURINotSupported ErrorCode = "request_uri_not_supported"
	// ErrorAuthorizationPending: RFC 8628 §3.5.
	ErrorAuthorizationPending ErrorCode = "authorization_pending"
	// ErrorSlowDown: RFC 8628 §3.5.
	ErrorSlowDown ErrorCode = "slow_down"
	// ErrorExpiredToken: RFC 8628 §3.5.
	ErrorExpiredToken ErrorCode = "expired_token"
	// ErrorInvalidToken: RFC 6750 §3.1.
	ErrorInvalidToken ErrorCode = "invalid_token"
	// ErrorInsufficientScope: RFC 6750 §3.1.
	ErrorInsufficientScope ErrorCode = "insufficient_scope"
	// ErrorUnsupportedTokenType: RFC 7009 §2.2.1.
	ErrorUnsupportedTokenType ErrorCode = "unsupported_token_type"
	// ErrorInvalidTarget: RFC 8707 §2.
	ErrorInvalidTarget ErrorCode = "invalid_target"
)

// oauthError is an error to be sent to the client.
type oauthError struct {
	Code        ErrorCode
	Description string
	Status      int // HTTP status for JSON errors; 0 means 400
}

func (e *oauthError) Error() string { return string(e.Code) + ": " + e.Description }

func errf(code ErrorCode, desc string) *oauthError { return &oauthError{Code: code, Description: desc} }

// writeJSON writes v as JSON with the no-store headers of RFC 6749 §5.1.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	// Encode first so the answer has a Content-Length and goes out in one
	// write: net/http would otherwise switch to chunked encoding for bodies
	// over its 2 KiB buffer (the discovery document is one).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeTokenError writes an RFC 6749 §5.2 error response. invalid_client is
// 401 with a WWW-Authenticate challenge naming the Basic scheme.
func writeTokenError(w http.ResponseWriter, e *oauthError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if e.Code == ErrorInvalidClient {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="oauthx mock IdP", charset="UTF-8"`)
	}
	body := map[string]string{"error": string(e.Code)}
	if e.Description != "" {
		body["error_description"] = e.Description
	}
	writeJSON(w, status, body)
}

// writeBearerError writes an RFC 6750 §3 error: 401 with a WWW-Authenticate
// Bearer challenge (no error code when the request had no token at all, §3.1),
// 403 for insufficient_scope, 400 for invalid_request.
func writeBearerError(w http.ResponseWriter, realm string, code ErrorCode, desc, scope string) {
	desc = headerSafe(desc)
	ch := `Bearer realm="` + realm + `"`
	status := http.StatusUnauthorized
	if code != "" {
		ch += `, error="` + string(code) + `"`
		if desc != "" {
			ch += `, error_description="` + desc + `"`
		}
		switch code {
		case ErrorInsufficientScope:
			status = http.StatusForbidden
			if scope != "" {
				ch += `, scope="` + scope + `"`
			}
		case ErrorInvalidRequest:
			status = http.StatusBadRequest
		}
	}
	w.Header().Set("WWW-Authenticate", ch)
	if code == "" {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, map[string]string{"error": string(code), "error_description": desc})
}

// headerSafe makes an error_description fit RFC 6750 §3: printable ASCII
// without '"' or '\\'.
func headerSafe(s string) string {
	s = strings.ReplaceAll(s, "§", "section ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
