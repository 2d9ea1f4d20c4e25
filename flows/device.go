package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// GrantTypeDeviceCode is the grant type of the device access token request
// (RFC 8628 §3.4).
const GrantTypeDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// DefaultDeviceInterval is the polling interval when the provider gives none
// (RFC 8628 §3.2).
const DefaultDeviceInterval = 5 * time.Second

// SlowDownStep is what every slow_down adds to the polling interval (RFC 8628 §3.5).
const SlowDownStep = 5 * time.Second

// maxDevicePolls bounds the polls of one device flow, whatever the provider says.
const maxDevicePolls = 1000

// DeviceAuthorization is what the device authorization response told the client to
// show the user (RFC 8628 §3.2).
type DeviceAuthorization struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // "" when the provider sent none
	ExpiresIn               time.Duration
}

// DeviceApprover approves (or denies) a device authorization as the user would, on
// another device: open the verification URI, enter or confirm the user code, log in
// and consent (RFC 8628 §3.3). The built-in user agent (flows/useragent) implements it
// for the bundled IdP; without one the person does it in a browser while the flow
// polls.
type DeviceApprover interface {
	// ApproveDevice completes the user's side of the grant. A denial is not an error:
	// the client learns of it by polling (access_denied). It must return when ctx is
	// cancelled. The result's exchanges, redirects and notes go into the step's record.
	ApproveDevice(ctx context.Context, da DeviceAuthorization) (AuthorizeResult, error)
}

// SleepContext waits d, or returns ctx's error when it is cancelled first. It is the
// default [Config.Sleep].
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// deviceState is what the device flow's steps share, beside the engine's state.
type deviceState struct {
	endpoint   string
	deviceCode string
	auth       DeviceAuthorization
	interval   time.Duration
}

// deviceSteps are the steps of the device authorization grant (RFC 8628).
func deviceSteps(e *engine) []step {
	d := &deviceState{}
	var steps []step
	if e.cfg.Provider.Issuer != "" {
		steps = append(steps, discoveryStep(e))
	}
	steps = append(steps,
		step{
			plan: record.StepPlan{ID: "device-authorization", Title: "Request a device code", Sends: true, Arrows: []record.Arrow{
				{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /device_authorization (client_id, scope)"},
				{From: record.ActorAuthz, To: record.ActorClient, Label: "device_code, user_code, verification_uri"},
			}},
			specs: []record.SpecRef{
				{Spec: "RFC 8628", Section: "§3.1", Title: "Device authorization request"},
				{Spec: "RFC 8628", Section: "§3.2", Title: "Device authorization response"},
				{Spec: "RFC 8628", Section: "§3.3.1", Title: "Non-textual verification URI optimization"},
			},
			explanation: "A device with no browser (or no keyboard) asks the provider for a pair of codes: a long " +
				"device_code it keeps to itself, and a short user_code the person types at the verification URI " +
				"on a phone or computer. verification_uri_complete carries the code too, so it can be shown as a QR " +
				"code; the person must still check that the code on the page matches the one on the device (RFC 8628 §5.4: " +
				"remote phishing).",
			pending: func(e *engine) (record.Request, error) { return pendingDeviceAuthorization(e, d) },
			run:     func(ctx context.Context, e *engine, b *builder) { runDeviceAuthorization(ctx, e, b, d) },
		},
		step{
			plan: record.StepPlan{ID: "approve", Title: "User approves on another device", Arrows: []record.Arrow{
				{From: record.ActorUser, To: record.ActorBrowser, Label: "open verification_uri, enter user_code"},
				{From: record.ActorBrowser, To: record.ActorAuthz, Label: "log in, consent"},
			}},
			specs: []record.SpecRef{{Spec: "RFC 8628", Section: "§3.3", Title: "User interaction"}},
			explanation: "The person opens the verification URI on a device with a browser, enters (or confirms) the " +
				"user code, logs in and consents. The device is not told: it learns the outcome by polling.",
			run: func(ctx context.Context, e *engine, b *builder) { runDeviceApprove(ctx, e, b, d) },
		},
		step{
			plan: record.StepPlan{ID: "poll", Title: "Poll the token endpoint", Sends: true, Arrows: []record.Arrow{
				{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (device_code), every interval"},
				{From: record.ActorAuthz, To: record.ActorClient, Label: "authorization_pending… then access_token"},
			}},
			specs: []record.SpecRef{
				{Spec: "RFC 8628", Section: "§3.4", Title: "Device access token request"},
				{Spec: "RFC 8628", Section: "§3.5", Title: "Device access token response"},
				{Spec: "RFC 6749", Section: "§5.1", Title: "Successful response"},
			},
			explanation: "Meanwhile the device polls the token endpoint with the device_code, waiting the interval " +
				"between requests (5 s when the provider gives none). authorization_pending means keep waiting; " +
				"slow_down means add 5 s to the interval, for this and every later poll; access_denied and " +
				"expired_token end the flow. Each poll is one exchange of this step. The token response is then " +
				"checked like any other: token_type, access_token, expires_in, scope" + pick(e.oidc, ", and the ID token's presence", "") + ".",
			pending: func(e *engine) (record.Request, error) { return pendingDevicePoll(e, d) },
			run:     func(ctx context.Context, e *engine, b *builder) { runDevicePoll(ctx, e, b, d) },
		},
	)
	if e.oidc {
		steps = append(steps, idTokenStep(e))
	}
	return steps
}

// lifecycleEndpoint picks an endpoint given by hand over the one in the metadata.
func (e *engine) lifecycleEndpoint(hand, discovered string) string {
	if hand != "" {
		return hand
	}
	return discovered
}

func (e *engine) meta() *Metadata {
	if e.st.meta != nil {
		return e.st.meta
	}
	return &Metadata{}
}

func pendingDeviceAuthorization(e *engine, d *deviceState) (record.Request, error) {
	d.endpoint = e.lifecycleEndpoint(e.cfg.Provider.DeviceAuthorizationEndpoint, e.meta().DeviceAuthorizationEndpoint)
	r := record.Request{Method: "POST", URL: d.endpoint, AuthMethod: e.cfg.Client.AuthMethod}
	if e.st.scopeSent != "" {
		r.Params = append(r.Params, record.Param{Name: "scope", Value: e.st.scopeSent, Note: "the scope asked for (RFC 8628 §3.1, RFC 6749 §3.3)"})
	}
	e.addClientAuth(&r)
	return r, nil
}

func runDeviceAuthorization(ctx context.Context, e *engine, b *builder, d *deviceState) {
	req := b.req
	if req.URL == "" {
		b.fail(record.ErrConfig, "the provider advertises no device_authorization_endpoint (RFC 8628 §4) and none was given by hand")
		return
	}
	if m := e.st.meta; m != nil {
		ok := slices.Contains(m.GrantTypesSupported, GrantTypeDeviceCode)
		b.check(record.Check{Name: "device_code grant supported", Outcome: warnUnless(ok), Expected: GrantTypeDeviceCode,
			Actual: orNone(strings.Join(m.GrantTypesSupported, " ")), Spec: "RFC 8628 §4; RFC 8414 §2",
			Reason: pick(ok, "the provider lists it", "grant_types_supported does not list it: expect an error")})
	}
	b.artifact(record.Artifact{Name: "device_authorization_endpoint", Value: req.URL})
	b.note("The client sends the request itself (net/http): golang.org/x/oauth2's DeviceAuth sends no client authentication and hides the response.")
	_ = e.postForm(ctx, req)
	last, ok := lastResponse(b, ctx, "the device authorization endpoint")
	if !ok {
		return
	}
	da, rerr, checks := parseDeviceAuthResponse(last.Response.Status, last.Response.Header, []byte(last.Response.Body))
	for _, c := range checks {
		b.check(c)
	}
	if rerr != nil {
		b.failErr(rerr)
		return
	}
	if da == nil {
		return // a check failed
	}
	d.deviceCode, d.interval = da.deviceCode, da.interval
	d.auth = DeviceAuthorization{UserCode: da.userCode, VerificationURI: da.verificationURI,
		VerificationURIComplete: da.verificationURIComplete, ExpiresIn: da.expiresIn}
	b.artifact(record.Artifact{Name: "device_code", Value: da.deviceCode, Secret: true,
		Note: "kept by the device and sent when polling; never shown to the user (RFC 8628 §3.2)"})
	b.artifact(record.Artifact{Name: "user_code", Value: da.userCode,
		Note: "the person types it at the verification URI; short and case-insensitive (RFC 8628 §6.1)"})
	b.artifact(record.Artifact{Name: "verification_uri", Value: da.verificationURI,
		Note: "where the person goes on a phone or computer (RFC 8628 §3.2)"})
	if da.verificationURIComplete != "" {
		b.artifact(record.Artifact{Name: "verification_uri_complete", Value: da.verificationURIComplete,
			Note: "the verification URI with the user code in it, for a link or a QR code (RFC 8628 §3.3.1); the page must still show the code to compare (§5.4)"})
		if qrt, err := QRText(da.verificationURIComplete); err == nil {
			b.artifact(record.Artifact{Name: "verification_qr", Value: qrt,
				Note: "verification_uri_complete as a QR code, for a phone camera (RFC 8628 §3.3.1)"})
		} else {
			b.warn("cannot draw the QR code: %v", err)
		}
	}
	b.artifact(record.Artifact{Name: "expires_in", Value: strconv.FormatInt(int64(da.expiresIn/time.Second), 10),
		Note: "the codes expire at " + e.now().Add(da.expiresIn).UTC().Format("15:04:05 UTC")})
	b.artifact(record.Artifact{Name: "interval", Value: strconv.FormatInt(int64(da.interval/time.Second), 10),
		Note: "seconds to wait between polls" + pick(da.intervalGiven, "", " (absent: 5 s, RFC 8628 §3.2)")})
	b.note("Tell the user: open %s and enter the code %s.", da.verificationURI, da.userCode)
}

// lastResponse takes the step's exchanges and returns the last with a response, or
// fails the step saying why there is none.
func lastResponse(b *builder, ctx context.Context, what string) (*record.Exchange, bool) {
	exs := b.takeExchanges()
	for i := len(exs) - 1; i >= 0; i-- {
		if exs[i].Response != nil {
			if exs[i].Response.Truncated {
				b.fail(record.ErrResponse, "the response of %s is too large: %s", what, exs[i].Error)
				return nil, false
			}
			return &exs[i], true
		}
	}
	if ctx.Err() != nil {
		b.fail(record.ErrCanceled, "cancelled during the request to %s: %v", what, ctx.Err())
		return nil, false
	}
	msg := "no response from " + what
	if len(exs) > 0 && exs[len(exs)-1].Error != "" {
		msg += ": " + exs[len(exs)-1].Error
	}
	b.fail(record.ErrNetwork, "%s", msg)
	return nil, false
}

// deviceAuthResponse is a parsed device authorization response (RFC 8628 §3.2).
type deviceAuthResponse struct {
	deviceCode, userCode                     string
	verificationURI, verificationURIComplete string
	expiresIn, interval                      time.Duration
	intervalGiven                            bool
}

// parseDeviceAuthResponse parses a device authorization response, tolerating the
// known provider differences with a warning: verification_url for verification_uri,
// expires_in and interval as strings. An OAuth error response (RFC 8628 §3.2 uses
// RFC 6749 §5.2) is a typed protocol error. It never panics.
func parseDeviceAuthResponse(status int, header http.Header, body []byte) (*deviceAuthResponse, *record.Error, []record.Check) {
	var checks []record.Check
	ctype := header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ctype)
	ok2xx := status >= 200 && status <= 299
	members, _, perr := decodeTokenBody(mt, body)
	if perr != nil {
		if !ok2xx {
			return nil, &record.Error{Kind: record.ErrResponse, Message: "the device authorization endpoint failed: " + describeNonJSON(status, ctype, string(body))}, nil
		}
		return nil, &record.Error{Kind: record.ErrResponse, Message: "the device authorization response is unusable: " + perr.Error()}, nil
	}
	if code, _ := members["error"].(string); code != "" || !ok2xx {
		if code == "" {
			return nil, &record.Error{Kind: record.ErrResponse, Message: fmt.Sprintf(
				"the device authorization endpoint answered HTTP %d without an OAuth error code (RFC 6749 §5.2 requires \"error\")", status)}, nil
		}
		desc, _ := members["error_description"].(string)
		uri, _ := members["error_uri"].(string)
		pe := newProtocolError(AtToken, code, desc, uri, status)
		return nil, &record.Error{Kind: record.ErrProtocol, Message: "the device authorization endpoint answered an error: " + pe.Error(), Protocol: pe}, nil
	}
	checks = append(checks, record.Check{Name: "Content-Type", Outcome: warnUnless(isJSONType(ctype)), Expected: "application/json", Actual: orNone(ctype),
		Spec: "RFC 8628 §3.2", Reason: pick(isJSONType(ctype), "a JSON object as the spec requires", "not declared as JSON; tolerated")})
	r := &deviceAuthResponse{}
	str := func(name string) string {
		s, _ := members[name].(string)
		return s
	}
	r.deviceCode, r.userCode = str("device_code"), str("user_code")
	required := func(name, v string) bool {
		checks = append(checks, record.Check{Name: name + " present", Outcome: outcome(v != ""), Spec: "RFC 8628 §3.2",
			Reason: pick(v != "", "REQUIRED, and there", "REQUIRED in the response: the flow cannot go on without it")})
		return v != ""
	}
	okAll := required("device_code", r.deviceCode)
	okAll = required("user_code", r.userCode) && okAll
	r.verificationURI = str("verification_uri")
	vc := record.Check{Name: "verification_uri", Expected: "a URL in verification_uri", Spec: "RFC 8628 §3.2"}
	switch url := str("verification_url"); {
	case r.verificationURI != "":
		vc.Outcome, vc.Actual, vc.Reason = record.OutcomePass, r.verificationURI, "where the user goes"
	case url != "":
		r.verificationURI = url
		vc.Outcome, vc.Actual = record.OutcomeWarn, "verification_url: "+url
		vc.Reason = "the provider names it verification_url (a draft-era spelling some providers still send); tolerated"
	default:
		vc.Outcome, vc.Actual, vc.Reason = record.OutcomeFail, "(absent)", "REQUIRED: without it the user does not know where to go"
		okAll = false
	}
	checks = append(checks, vc)
	r.verificationURIComplete = str("verification_uri_complete")
	if r.verificationURIComplete == "" {
		r.verificationURIComplete = str("verification_url_complete")
	}
	exp, ec := secondsMember(members, "expires_in", true)
	checks = append(checks, ec)
	r.expiresIn = exp
	iv, ic := secondsMember(members, "interval", false)
	checks = append(checks, ic)
	r.interval, r.intervalGiven = iv, iv > 0
	if iv <= 0 {
		r.interval = DefaultDeviceInterval
	}
	if exp <= 0 {
		okAll = false
	}
	if !okAll {
		return nil, nil, checks
	}
	return r, nil, checks
}

// secondsMember reads a lifetime in seconds: a JSON number, or a string tolerated
// with a warning.
func secondsMember(members map[string]any, name string, required bool) (time.Duration, record.Check) {
	c := record.Check{Name: name, Expected: "a number of seconds", Spec: "RFC 8628 §3.2"}
	var n int64
	var err error
	switch x := members[name].(type) {
	case nil:
		c.Actual = "(absent)"
		if required {
			c.Outcome, c.Reason = record.OutcomeFail, "REQUIRED: the lifetime of the codes"
		} else {
			c.Outcome, c.Reason = record.OutcomePass, "absent: the client waits 5 s between polls (RFC 8628 §3.2)"
		}
		return 0, c
	case json.Number:
		c.Actual = x.String()
		n, err = x.Int64()
		c.Outcome, c.Reason = record.OutcomePass, humanSeconds(n)
	case string:
		c.Actual = strconv.Quote(x)
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		c.Outcome, c.Reason = record.OutcomeWarn, "a JSON string instead of a number (a known provider quirk); tolerated: "+humanSeconds(n)
	default:
		err = fmt.Errorf("not a number")
		c.Actual = jsonKindOf(x)
	}
	if err != nil || n <= 0 || n > 1<<31 {
		if required {
			c.Outcome, c.Reason = record.OutcomeFail, "not a usable number of seconds"
		} else {
			c.Outcome, c.Reason = record.OutcomeWarn, "not a usable number of seconds; the client waits 5 s"
		}
		return 0, c
	}
	return time.Duration(n) * time.Second, c
}

func runDeviceApprove(ctx context.Context, e *engine, b *builder, d *deviceState) {
	approver := e.cfg.DeviceApprover
	if approver == nil {
		if a, ok := b.authorizer.(DeviceApprover); ok {
			approver = a
		}
	}
	where := d.auth.VerificationURI
	if approver == nil {
		b.note("Waiting for the person: open %s on a phone or computer and enter the code %s%s. The next step polls until they have.",
			where, d.auth.UserCode, pick(d.auth.VerificationURIComplete != "", " (or scan the QR code)", ""))
		b.artifact(record.Artifact{Name: "user_code", Value: d.auth.UserCode, Note: "enter it at " + where})
		return
	}
	res, err := approver.ApproveDevice(ctx, d.auth)
	b.rec.Exchanges = append(b.rec.Exchanges, res.Exchanges...)
	b.rec.Redirects = append(b.rec.Redirects, res.Redirects...)
	for _, n := range res.Notes {
		b.note("%s", n)
	}
	if err != nil {
		if ctx.Err() != nil {
			b.fail(record.ErrCanceled, "cancelled while the user approved: %v", err)
			return
		}
		b.fail(authorizerErrKind(err), "the approval did not complete: %v", err)
	}
}

func pendingDevicePoll(e *engine, d *deviceState) (record.Request, error) {
	r := record.Request{Method: "POST", URL: e.st.tokenURL, AuthMethod: e.cfg.Client.AuthMethod}
	r.Params = append(r.Params,
		record.Param{Name: "grant_type", Value: GrantTypeDeviceCode, Note: "RFC 8628 §3.4"},
		record.Param{Name: "device_code", Value: d.deviceCode, Note: "from the device authorization response (RFC 8628 §3.4)"})
	e.addClientAuth(&r)
	return r, nil
}

func runDevicePoll(ctx context.Context, e *engine, b *builder, d *deviceState) {
	req := b.req
	if req.URL == "" {
		b.fail(record.ErrConfig, "no token endpoint")
		return
	}
	interval := d.interval
	if interval <= 0 {
		interval = DefaultDeviceInterval
	}
	var waited time.Duration
	var outcomes []string
	for poll := 1; ; poll++ {
		tr, ok := e.sendTokenRequest(ctx, b, req, func(ctx context.Context) error { return e.postForm(ctx, req) })
		if ok {
			outcomes = append(outcomes, "tokens")
			b.check(record.Check{Name: fmt.Sprintf("poll %d", poll), Outcome: record.OutcomePass, Actual: "tokens", Spec: "RFC 8628 §3.5",
				Reason: "the user approved: the provider answered with tokens"})
			b.artifact(record.Artifact{Name: "polls", Value: strings.Join(outcomes, " → "),
				Note: fmt.Sprintf("%d polls, %s of waiting in all; final interval %s", poll, waited, interval)})
			e.recordTokens(b, tr, tokenExpect{scope: e.st.scopeSent, idToken: e.oidc})
			return
		}
		code := ""
		if b.err != nil && b.err.Protocol != nil {
			code = b.err.Protocol.Code
		}
		name := fmt.Sprintf("poll %d", poll)
		switch code {
		case "authorization_pending":
			b.err = nil
			b.check(record.Check{Name: name, Outcome: record.OutcomePass, Actual: code, Spec: "RFC 8628 §3.5",
				Reason: fmt.Sprintf("the user has not finished yet: wait %s and poll again", interval)})
		case "slow_down":
			b.err = nil
			interval += SlowDownStep
			b.check(record.Check{Name: name, Outcome: record.OutcomeWarn, Actual: code, Expected: "authorization_pending or tokens", Spec: "RFC 8628 §3.5",
				Reason: fmt.Sprintf("polling too fast: the interval grows by 5 s, to %s, for this and every later poll", interval)})
		case "access_denied":
			outcomes = append(outcomes, code)
			b.err.Message = "the user denied the device access (access_denied): the flow ends here, as RFC 8628 §3.5 says"
			b.artifact(record.Artifact{Name: "polls", Value: strings.Join(outcomes, " → ")})
			return
		case "expired_token":
			outcomes = append(outcomes, code)
			b.err.Message = "the device code expired before the user approved (expired_token): start again with a new device authorization request (RFC 8628 §3.5)"
			b.artifact(record.Artifact{Name: "polls", Value: strings.Join(outcomes, " → ")})
			return
		default:
			if len(outcomes) > 0 {
				b.artifact(record.Artifact{Name: "polls", Value: strings.Join(append(outcomes, orNone(code)), " → ")})
			}
			return // sendTokenRequest failed the step and said why
		}
		outcomes = append(outcomes, code)
		if poll >= maxDevicePolls {
			b.fail(record.ErrResponse, "gave up after %d polls", poll)
			return
		}
		if d.auth.ExpiresIn > 0 && waited+interval > d.auth.ExpiresIn {
			b.fail(record.ErrResponse, "the device code expires (after %s) before the next poll: the user did not approve in time; start again", d.auth.ExpiresIn)
			b.artifact(record.Artifact{Name: "polls", Value: strings.Join(outcomes, " → ")})
			return
		}
		if err := e.cfg.Sleep(ctx, interval); err != nil {
			b.fail(record.ErrCanceled, "cancelled while waiting to poll again: %v", err)
			return
		}
		waited += interval
	}
}
