// Package callback parses the authorization response as it reaches the redirect URI
// (RFC 6749 §4.1.2, §4.2.2; OAuth 2.0 Multiple Response Types §2.1 for the fragment;
// OAuth 2.0 Form Post Response Mode §2 for form_post) into a [record.Callback].
//
// The input is untrusted: anything a browser, a provider or a person pasting a URL can
// send. Parsing is bounded by [MaxSize], rejects a parameter given more than once
// (RFC 6749 §3.1: request and response parameters "MUST NOT be included more than
// once") and returns a [*ParseError] that says what was wrong, wrapping one of the
// sentinel errors below so callers can use errors.Is.
//
// Parsing checks the shape of the response only. Whether the state matches, the
// issuer is right (RFC 9207) or the code is any good are the flow engine's checks.
package callback

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oauthx/oauthx/flows/record"
)

// MaxSize bounds a redirect URL or a form_post body, in bytes. A response carrying an
// ID token and an access token is a few kilobytes; 64 KiB leaves room for large
// tokens and still refuses a hostile megabyte.
const MaxSize = 64 << 10

// Response modes, as recorded in [record.Callback.Mode].
const (
	ModeQuery    = "query"
	ModeFragment = "fragment"
	ModeFormPost = "form_post"
)

// Sentinel errors wrapped by [*ParseError].
var (
	// ErrTooLarge: the URL or body is larger than MaxSize.
	ErrTooLarge = errors.New("callback too large")
	// ErrMalformed: the URL or the parameters could not be parsed.
	ErrMalformed = errors.New("malformed callback")
	// ErrDuplicate: a parameter appears more than once (RFC 6749 §3.1).
	ErrDuplicate = errors.New("parameter repeated")
	// ErrNoResponse: none of code, access_token, id_token or error is present.
	ErrNoResponse = errors.New("no authorization response")
)

// ParseError says what was wrong with a callback. Its message is written for a
// person; Err is one of the sentinel errors of this package.
type ParseError struct {
	Err error
	Msg string
}

func (e *ParseError) Error() string { return e.Msg }

// Unwrap returns the sentinel error, for errors.Is.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(sentinel error, format string, args ...any) error {
	return &ParseError{Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

// responseKeys are the parameters that make a set of parameters an authorization
// response: a code (RFC 6749 §4.1.2), tokens (§4.2.2, OIDC Core §3.2.2.5) or an
// error (§4.1.2.1, §4.2.2.1).
var responseKeys = []string{"code", "access_token", "id_token", "error"}

// queryResponseKeys decide that the query carries the response (see [Parse]). state
// is among them: a query with state and no code is a broken response, not an absent one.
var queryResponseKeys = []string{"code", "access_token", "id_token", "error", "state"}

// Parse parses a redirect URL as the browser received it, with its fragment, into
// a callback received at now.
//
// Which part carries the response: the query when it has any of code, state, error,
// access_token or id_token; otherwise the fragment. The query wins because a fragment
// can be left over without being part of the response: when a 3xx Location has no
// fragment, the browser keeps the fragment of the URL it came from (RFC 9110 §10.2.2),
// so a query response may arrive with a stale "#…" that must not replace it. The
// fragment is used when the query has none of those parameters, which also covers a
// redirect URI registered with its own query (RFC 6749 §3.1.2 allows one, e.g.
// "?tenant=x") receiving an implicit response in the fragment (RFC 6749 §4.2.2).
//
// The chosen part must contain code, access_token, id_token or error, and no parameter
// twice. The URL may be absolute or, as a server sees it, a path with a query.
func Parse(rawURL string, now time.Time) (record.Callback, error) {
	if len(rawURL) > MaxSize {
		return record.Callback{}, parseErr(ErrTooLarge,
			"the redirect URL is %d bytes, more than the %d this tool accepts", len(rawURL), MaxSize)
	}
	raw := strings.TrimSpace(rawURL)
	if raw == "" {
		return record.Callback{}, parseErr(ErrMalformed, "the redirect URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return record.Callback{}, parseErr(ErrMalformed, "the redirect URL cannot be parsed: %s", urlErrReason(err))
	}
	// Decide on a lenient reading which part carries the response, then parse that
	// part strictly: junk in the part that is not the response does not matter.
	lenient, _ := url.ParseQuery(u.RawQuery)
	mode, part, where := ModeQuery, u.RawQuery, "query of the redirect URL"
	if !IsResponse(lenient) && u.Fragment != "" {
		mode, part, where = ModeFragment, u.EscapedFragment(), "fragment of the redirect URL"
	}
	params, err := parseParams(part, where)
	if err != nil {
		return record.Callback{}, err
	}
	if err := requireResponse(params, "redirect URL"); err != nil {
		return record.Callback{}, err
	}
	return record.Callback{Mode: mode, URL: raw, Params: params, ReceivedAt: now}, nil
}

// ParseForm parses a form_post response (OAuth 2.0 Form Post Response Mode §2): body
// is the application/x-www-form-urlencoded body the browser posted to actionURL, the
// redirect URI. The same rules as [Parse] apply to the parameters.
func ParseForm(body, actionURL string, now time.Time) (record.Callback, error) {
	if len(body) > MaxSize {
		return record.Callback{}, parseErr(ErrTooLarge,
			"the form_post body is %d bytes, more than the %d this tool accepts", len(body), MaxSize)
	}
	params, err := parseParams(body, "form_post body")
	if err != nil {
		return record.Callback{}, err
	}
	if err := requireResponse(params, "form_post body"); err != nil {
		return record.Callback{}, err
	}
	return record.Callback{Mode: ModeFormPost, URL: actionURL, Params: params, ReceivedAt: now}, nil
}

// IsResponse reports whether the parameters of a query, fragment or form contain an
// authorization response (code, access_token, id_token, error or state). Receivers use
// it to tell a response from an unrelated request to the same path.
func IsResponse(v url.Values) bool {
	for _, k := range queryResponseKeys {
		if _, ok := v[k]; ok {
			return true
		}
	}
	return false
}

// parseParams parses application/x-www-form-urlencoded parameters strictly: bad
// percent-escapes, invalid UTF-8 and repeated names are errors. Empty pairs ("a=1&&b=2")
// are skipped as browsers do.
func parseParams(raw, where string) (map[string]string, error) {
	params := map[string]string{}
	counts := map[string]int{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, parseErr(ErrMalformed, "the %s contains a semicolon (%q); parameters are separated by & only", where, clip(pair))
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return nil, parseErr(ErrMalformed, "the %s has a badly escaped parameter name %q", where, clip(k))
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, parseErr(ErrMalformed, "the %s has a badly escaped value for %s", where, quoteName(name))
		}
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			return nil, parseErr(ErrMalformed, "parameter %s in the %s is not valid UTF-8", quoteName(name), where)
		}
		counts[name]++
		params[name] = value
	}
	var repeated []string
	for name, n := range counts {
		if n > 1 {
			repeated = append(repeated, fmt.Sprintf("%s appears %s", quoteName(name), times(n)))
		}
	}
	if len(repeated) > 0 {
		sort.Strings(repeated)
		return nil, parseErr(ErrDuplicate,
			"%s in the %s; RFC 6749 §3.1 says a parameter MUST NOT be included more than once, so the response cannot be trusted",
			strings.Join(repeated, ", "), where)
	}
	return params, nil
}

func requireResponse(params map[string]string, where string) error {
	if hasAny(params, responseKeys) {
		return nil
	}
	if len(params) == 0 {
		return parseErr(ErrNoResponse, "no code, token or error parameter in the %s: it has no parameters at all", where)
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, quoteName(k))
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return parseErr(ErrNoResponse, "no code, token or error parameter in the %s (it has only %s)", where, strings.Join(names, ", "))
}

func hasAny(params map[string]string, keys []string) bool {
	for _, k := range keys {
		if _, ok := params[k]; ok {
			return true
		}
	}
	return false
}

func times(n int) string {
	if n == 2 {
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// quoteName shows a parameter name as is when it is plain, quoted otherwise.
func quoteName(name string) string {
	if name == "" {
		return `""`
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Sprintf("%q", clip(name))
		}
	}
	return clip(name)
}

func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func urlErrReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
