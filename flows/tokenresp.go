package flows

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// tokenResponse is a token endpoint response (RFC 6749 §5.1) or the tokens of an
// implicit authorization response (RFC 6749 §4.2.2), as parsed.
type tokenResponse struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	Scope        string
	HasScope     bool
	// ExpiresIn is the lifetime in seconds; HasExpiresIn says whether it was usable.
	ExpiresIn    int64
	HasExpiresIn bool
}

// sendTokenRequest sends a token request and parses the response from the wire. An
// unedited request goes through golang.org/x/oauth2 (via); an edited one, which
// x/oauth2 may not be able to express, is sent as written with net/http. Either way
// the recorder captured the exchange, and the response is read from it.
func (e *engine) sendTokenRequest(ctx context.Context, b *builder, req record.Request, via func(ctx context.Context) error) (*tokenResponse, bool) {
	if req.URL == "" {
		b.fail(record.ErrConfig, "no token endpoint")
		return nil, false
	}
	var err error
	if b.edited() {
		b.note("The request was edited, so the client sent it as written (net/http) rather than through golang.org/x/oauth2.")
		err = e.postForm(ctx, req)
	} else if isJWTAuth(req.AuthMethod) {
		b.note("golang.org/x/oauth2 has no JWT client authentication (RFC 7523), so the client sent the request itself (net/http).")
		err = e.postForm(ctx, req)
	} else {
		err = via(context.WithValue(ctx, oauth2.HTTPClient, e.tokenHTTPClient()))
	}
	exs := b.takeExchanges()
	var last *record.Exchange
	for i := len(exs) - 1; i >= 0; i-- {
		if exs[i].Response != nil {
			last = &exs[i]
			break
		}
	}
	if last == nil {
		if ctx.Err() != nil {
			b.fail(record.ErrCanceled, "cancelled during the token request: %v", ctx.Err())
			return nil, false
		}
		msg := "no response from the token endpoint"
		switch {
		case err != nil: // the client's error says "timeout" where the transport's says "canceled"
			msg += ": " + httprec.Describe(err)
		case len(exs) > 0 && exs[len(exs)-1].Error != "":
			msg += ": " + exs[len(exs)-1].Error
		}
		b.fail(record.ErrNetwork, "%s", msg)
		return nil, false
	}
	if last.Response.Truncated {
		b.fail(record.ErrResponse, "the token endpoint's response is too large: %s", last.Error)
		return nil, false
	}
	if last.Error != "" { // the body broke off (reset, timeout): do not parse a fragment
		b.fail(record.ErrNetwork, "the token endpoint's response broke off: %s", last.Error)
		return nil, false
	}
	if s := last.Response.Status; s >= 300 && s <= 399 && err != nil {
		b.fail(record.ErrResponse, "the token endpoint redirected (HTTP %d to %s) and the client gave up: %s",
			s, orNone(last.Response.Header.Get("Location")), httprec.Describe(err))
		return nil, false
	}
	tr, rerr, checks := parseTokenResponse(last.Response.Status, last.Response.Header, []byte(last.Response.Body))
	for _, c := range checks {
		b.check(c)
	}
	if rerr == nil && tr == nil {
		rerr = &record.Error{Kind: record.ErrResponse, Message: "the token endpoint's response could not be read"}
	}
	if rerr != nil {
		// x/oauth2 may have recognised an error form we did not (e.g. text/plain).
		var re *oauth2.RetrieveError
		if rerr.Protocol == nil && errors.As(err, &re) && re.ErrorCode != "" {
			rerr = &record.Error{Kind: record.ErrProtocol, Protocol: protocolFromRetrieve(re)}
			rerr.Message = "the token endpoint answered an error: " + rerr.Protocol.Error()
		}
		b.failErr(rerr)
		return nil, false
	}
	return tr, true
}

// protocolFromRetrieve maps golang.org/x/oauth2's error to the engine's typed error.
func protocolFromRetrieve(re *oauth2.RetrieveError) *record.ProtocolError {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return newProtocolError(AtToken, re.ErrorCode, re.ErrorDescription, re.ErrorURI, status)
}

// postForm sends a form POST exactly as the request lists it: parameters in their
// order, client credentials placed per AuthMethod (RFC 6749 §2.3.1).
func (e *engine) postForm(ctx context.Context, req record.Request) error {
	var form []record.Param
	id, secret := req.Get("client_id"), req.Get("client_secret")
	basic := req.AuthMethod == AuthClientSecretBasic
	for _, p := range req.Params {
		if basic && (p.Name == "client_id" || p.Name == "client_secret") {
			continue
		}
		form = append(form, p)
	}
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	hr, err := http.NewRequestWithContext(ctx, method, req.URL, strings.NewReader(encodeParams(form)))
	if err != nil {
		return &record.Error{Kind: record.ErrConfig, Message: "cannot build the request: " + err.Error()}
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Accept", "application/json")
	e.addQuirkHeaders(hr)
	if basic && (req.Has("client_id") || req.Has("client_secret")) {
		// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
		cred := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
		hr.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	resp, err := e.client.Do(hr)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// maxTokenMembers bounds how much of a hostile response is looked at.
const maxTokenMembers = 1000

// parseTokenResponse parses a token endpoint response (RFC 6749 §5.1, §5.2). It
// returns the tokens, or the error to fail the step with (a typed protocol error for
// an OAuth error response, a response error for anything that is not the JSON the
// spec requires), and the checks on the response's form. It never panics.
func parseTokenResponse(status int, header http.Header, body []byte) (*tokenResponse, *record.Error, []record.Check) {
	var checks []record.Check
	ctype := header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ctype)
	ok2xx := status >= 200 && status <= 299

	members, form, perr := decodeTokenBody(mt, body)
	if perr != nil {
		if !ok2xx {
			return nil, &record.Error{Kind: record.ErrResponse, Message: fmt.Sprintf("the token endpoint failed: %s", describeNonJSON(status, ctype, string(body)))}, checks
		}
		return nil, &record.Error{Kind: record.ErrResponse, Message: "the token response is unusable: " + perr.Error()}, checks
	}
	if code, _ := members["error"].(string); code != "" || !ok2xx {
		if code == "" {
			return nil, &record.Error{Kind: record.ErrResponse, Message: fmt.Sprintf(
				"the token endpoint answered HTTP %d without an OAuth error code (RFC 6749 §5.2 requires \"error\")", status)}, checks
		}
		desc, _ := members["error_description"].(string)
		uri, _ := members["error_uri"].(string)
		pe := newProtocolError(AtToken, code, desc, uri, status)
		if ok2xx {
			checks = append(checks, record.Check{Name: "error status", Outcome: record.OutcomeWarn, Expected: "HTTP 400 (or 401 for invalid_client)",
				Actual: fmt.Sprintf("HTTP %d", status), Spec: "RFC 6749 §5.2", Reason: "an error response must not use a success status"})
		}
		return nil, &record.Error{Kind: record.ErrProtocol, Message: "the token endpoint answered an error: " + pe.Error(), Protocol: pe}, checks
	}

	// A successful response (RFC 6749 §5.1).
	if form {
		checks = append(checks, record.Check{Name: "Content-Type", Outcome: record.OutcomeWarn, Expected: "application/json", Actual: ctype,
			Spec: "RFC 6749 §5.1", Reason: "a form-encoded token response is a legacy quirk; tolerated"})
	} else {
		checks = append(checks, record.Check{Name: "Content-Type", Outcome: warnUnless(isJSONType(ctype)), Expected: "application/json", Actual: orNone(ctype),
			Spec: "RFC 6749 §5.1", Reason: pick(isJSONType(ctype), "a JSON object as the spec requires", "JSON with another Content-Type; tolerated")})
	}
	cc := strings.ToLower(header.Get("Cache-Control"))
	checks = append(checks, record.Check{Name: "Cache-Control: no-store", Outcome: warnUnless(strings.Contains(cc, "no-store")),
		Expected: "no-store", Actual: orNone(header.Get("Cache-Control")), Spec: "RFC 6749 §5.1",
		Reason: pick(strings.Contains(cc, "no-store"), "caches must not keep tokens", "responses carrying tokens must not be cached")})

	tr := &tokenResponse{}
	str := func(name string) (string, bool) {
		v, present := members[name]
		if !present || v == nil {
			return "", true
		}
		s, ok := v.(string)
		if !ok {
			checks = append(checks, record.Check{Name: name + " type", Outcome: record.OutcomeFail, Expected: "a JSON string",
				Actual: jsonKindOf(v), Spec: "RFC 6749 §5.1"})
			return "", false
		}
		return s, true
	}
	tr.AccessToken, _ = str("access_token")
	tr.TokenType, _ = str("token_type")
	tr.RefreshToken, _ = str("refresh_token")
	tr.IDToken, _ = str("id_token")
	if v, present := members["scope"]; present && v != nil {
		tr.Scope, _ = str("scope")
		tr.HasScope = true
	}
	checks = append(checks, accessTokenCheck(tr.AccessToken), tokenTypeCheck(tr.TokenType))
	checks = append(checks, expiresInCheck(members["expires_in"], !form, tr))
	return tr, nil, checks
}

// decodeTokenBody reads the members of a JSON object, or of a form-encoded body for
// the legacy providers that send one (form reports that).
func decodeTokenBody(mt string, body []byte) (map[string]any, bool, error) {
	trimmed := bytes.TrimSpace(body)
	if (mt == "application/x-www-form-urlencoded" || mt == "text/plain") && len(trimmed) > 0 && trimmed[0] != '{' {
		vals, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return nil, true, fmt.Errorf("a form-encoded body that does not parse: %v", err)
		}
		if len(vals) > maxTokenMembers {
			return nil, true, errors.New("too many members")
		}
		m := make(map[string]any, len(vals))
		for k, v := range vals {
			m[k] = v[0]
		}
		return m, true, nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, false, fmt.Errorf("invalid JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, false, errors.New("invalid JSON: data after the object")
	}
	if len(m) > maxTokenMembers {
		return nil, false, errors.New("too many members")
	}
	return m, false, nil
}

func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func accessTokenCheck(at string) record.Check {
	return record.Check{Name: "access_token present", Outcome: outcome(at != ""), Spec: "RFC 6749 §5.1",
		Reason: pick(at != "", "the provider issued an access token", "access_token is REQUIRED in a successful response")}
}

func tokenTypeCheck(tt string) record.Check {
	c := record.Check{Name: "token_type", Expected: "Bearer (case-insensitive)", Actual: orNone(tt), Spec: "RFC 6749 §5.1, §7.1; RFC 6750"}
	switch {
	case tt == "":
		c.Outcome, c.Reason = record.OutcomeFail, "token_type is REQUIRED: the client cannot know how to use the token"
	case strings.EqualFold(tt, "Bearer"):
		c.Outcome, c.Reason = record.OutcomePass, "a bearer token: whoever holds it can use it (RFC 6750)"
	case strings.EqualFold(tt, "DPoP"):
		c.Outcome, c.Reason = record.OutcomeWarn, "a DPoP-bound token (RFC 9449): it needs a proof on every use, which oauthx does not make yet"
	default:
		c.Outcome, c.Reason = record.OutcomeWarn, "a token type this client does not know how to use"
	}
	return c
}

// expiresInCheck reads expires_in: a JSON number (RFC 6749 §5.1), a string tolerated
// with a warning when numberWanted (in a fragment, every value is a string).
func expiresInCheck(v any, numberWanted bool, tr *tokenResponse) record.Check {
	c := record.Check{Name: "expires_in", Expected: "a number of seconds", Spec: "RFC 6749 §5.1"}
	set := func(n int64) {
		tr.ExpiresIn, tr.HasExpiresIn = n, true
	}
	switch x := v.(type) {
	case nil:
		c.Outcome, c.Actual = record.OutcomeWarn, "(absent)"
		c.Reason = "RECOMMENDED: without it the client cannot tell when the token expires"
	case json.Number:
		c.Actual = x.String()
		if n, err := x.Int64(); err == nil && n >= 0 {
			set(n)
			c.Outcome, c.Reason = record.OutcomePass, "expires in "+humanSeconds(n)
		} else if f, err := x.Float64(); err == nil && f >= 0 && f < math.MaxInt32 {
			set(int64(f))
			c.Outcome, c.Reason = record.OutcomeWarn, "not a whole number of seconds; rounded down"
		} else {
			c.Outcome, c.Reason = record.OutcomeWarn, "not a usable lifetime; ignored"
		}
	case string:
		c.Actual = strconv.Quote(x)
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		switch {
		case err != nil || n < 0:
			c.Outcome, c.Reason = record.OutcomeWarn, "not a number; ignored"
		case numberWanted:
			set(n)
			c.Outcome, c.Reason = record.OutcomeWarn, "a JSON string instead of a number (a known provider quirk); tolerated: expires in "+humanSeconds(n)
		default:
			set(n)
			c.Outcome, c.Reason = record.OutcomePass, "expires in "+humanSeconds(n)
		}
	default:
		c.Outcome, c.Actual, c.Reason = record.OutcomeWarn, jsonKindOf(v), "not a number; ignored"
	}
	return c
}

func humanSeconds(n int64) string {
	d := time.Duration(n) * time.Second
	switch {
	case n < 120:
		return fmt.Sprintf("%d s", n)
	case d < 2*time.Hour:
		return fmt.Sprintf("%d s (%d min)", n, n/60)
	default:
		return fmt.Sprintf("%d s (%.1f h)", n, d.Hours())
	}
}

// tokenExpect is what the flow asked for, to compare the response with.
type tokenExpect struct {
	scope   string // the scope sent ("" when none)
	idToken bool   // an ID token is required (OIDC code flow)
	// implicit tokens came in the authorization response
	implicit bool
}

// recordTokens checks the granted scope and the ID token's presence, records the
// tokens as artifacts (decoded, unverified) and keeps them as the flow's Tokens.
func (e *engine) recordTokens(b *builder, tr *tokenResponse, want tokenExpect) {
	now := e.now()
	b.check(scopeCheck(want.scope, tr))
	if want.idToken {
		b.check(record.Check{Name: "id_token present", Outcome: outcome(tr.IDToken != ""), Spec: "OIDC Core §3.1.3.3",
			Reason: pick(tr.IDToken != "", "an OpenID Connect token response carries the ID token", "scope openid was asked: the response must carry an id_token")})
	}
	if tr.AccessToken != "" {
		tok := token.Decode(tr.AccessToken, now)
		note := token.OpaqueNote
		if tok.Format == record.FormatJWT {
			note = "a JWT access token (RFC 9068), decoded but not verified: it is meant for the resource server, which validates it; the client treats it as opaque"
		}
		b.artifact(record.Artifact{Name: "access_token", Value: tr.AccessToken, Token: tok, Note: note})
	}
	if tr.TokenType != "" {
		b.artifact(record.Artifact{Name: "token_type", Value: tr.TokenType})
	}
	var expiry time.Time
	if tr.HasExpiresIn {
		expiry = now.Add(time.Duration(tr.ExpiresIn) * time.Second)
		b.artifact(record.Artifact{Name: "expires_in", Value: strconv.FormatInt(tr.ExpiresIn, 10),
			Note: "the access token expires at " + token.FormatTime(expiry, now)})
	}
	if tr.HasScope {
		b.artifact(record.Artifact{Name: "scope", Value: tr.Scope})
	}
	if tr.RefreshToken != "" {
		b.artifact(record.Artifact{Name: "refresh_token", Value: tr.RefreshToken, Secret: true,
			Note: "a long-lived credential to get new access tokens (RFC 6749 §6); kept secret"})
	}
	if tr.IDToken != "" {
		tok := token.Decode(tr.IDToken, now)
		b.artifact(record.Artifact{Name: "id_token", Value: tr.IDToken, Token: tok,
			Note: "decoded, not yet verified: " + token.Describe(tok)})
	}
	scope := tr.Scope
	if !tr.HasScope {
		scope = want.scope
	}
	e.st.tokens = Tokens{AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken,
		IDToken: tr.IDToken, Scope: scope, Expiry: expiry}
}

// scopeCheck compares the granted scope with the requested one (RFC 6749 §3.3, §5.1).
func scopeCheck(requested string, tr *tokenResponse) record.Check {
	c := record.Check{Name: "scope granted", Expected: orNone(requested), Spec: "RFC 6749 §3.3, §5.1"}
	if !tr.HasScope {
		c.Outcome, c.Actual = record.OutcomePass, "(omitted)"
		c.Reason = "omitted: the scope granted is the one requested (RFC 6749 §5.1)"
		if requested == "" {
			c.Reason = "no scope asked and none stated: the provider's default applies"
		}
		return c
	}
	c.Actual = orNone(tr.Scope)
	req, got := strings.Fields(requested), strings.Fields(tr.Scope)
	var missing, extra []string
	for _, s := range req {
		if !slices.Contains(got, s) {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !slices.Contains(req, s) {
			extra = append(extra, s)
		}
	}
	switch {
	case requested == "":
		c.Outcome, c.Reason = record.OutcomePass, "no scope asked: the provider granted its default"
	case len(missing) == 0 && len(extra) == 0:
		c.Outcome, c.Reason = record.OutcomePass, "granted as requested"
	default:
		c.Outcome = record.OutcomeWarn
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "not granted: "+strings.Join(missing, " "))
		}
		if len(extra) > 0 {
			parts = append(parts, "granted beyond the request: "+strings.Join(extra, " "))
		}
		c.Reason = "the provider changed the scope (" + strings.Join(parts, "; ") + "); the client must use what was granted"
	}
	return c
}
