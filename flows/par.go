package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// requestURIPrefix starts the request_uri values RFC 9126 §2.2 suggests.
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// normalisePAR checks the PAR configuration (RFC 9126).
func normalisePAR(kind Kind, cfg *Config) error {
	if u := cfg.Provider.PAREndpoint; u != "" {
		if err := checkURL(u, false); err != nil {
			return configErr("Provider.PAREndpoint", "%v", err)
		}
	}
	if cfg.PAR && kind != KindAuthorizationCode && kind != KindPKCE {
		return configErr("PAR", "pushed authorization requests (RFC 9126) are for the code flows (%s, %s), not %s", KindAuthorizationCode, KindPKCE, kind)
	}
	return nil
}

// parEndpoint is the PAR endpoint: given by hand, else from the metadata.
func (e *engine) parEndpoint() string {
	if u := e.cfg.Provider.PAREndpoint; u != "" {
		return u
	}
	if e.st.meta != nil {
		return e.st.meta.PushedAuthorizationRequestEndpoint
	}
	return ""
}

// withPAR inserts the push step before the authorization request, which then
// carries only client_id and request_uri (RFC 9126 §4).
func (e *engine) withPAR(steps []step) []step {
	out := make([]step, 0, len(steps)+1)
	for _, s := range steps {
		if s.plan.ID != "authorize" {
			out = append(out, s)
			continue
		}
		out = append(out, parStep(e))
		s.plan.Arrows = []record.Arrow{{From: record.ActorClient, To: record.ActorBrowser, Label: "302 to /authorize?client_id&request_uri"}}
		s.specs = append([]record.SpecRef{{Spec: "RFC 9126", Section: "§4", Title: "Authorization request"}}, s.specs...)
		s.explanation = "The client sends the user's browser to the authorization endpoint with only its client_id and " +
			"the request_uri the provider handed out: the parameters themselves were pushed in the back channel, so " +
			"they cannot be read or changed in the browser, and the provider already checked them. The request_uri is " +
			"single use and short lived (RFC 9126 §2.2, §4). Edit it to see what a reused or forged one gets."
		s.pending = pendingAuthorizePAR
		s.run = runAuthorizePAR
		out = append(out, s)
	}
	return out
}

func parStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "par", Title: "Push the authorization request", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /par (authorization parameters, client auth)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "201 request_uri, expires_in"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 9126", Section: "§2.1", Title: "Pushed authorization request"},
			{Spec: "RFC 9126", Section: "§2.2", Title: "Successful response"},
			{Spec: "RFC 9126", Section: "§2.3", Title: "Error response"},
		},
		explanation: "Instead of putting the authorization request in the browser's URL, the client POSTs it straight " +
			"to the provider's pushed authorization request endpoint, authenticating as it would at the token endpoint (" +
			e.cfg.Client.AuthMethod + "). The provider checks the parameters at once (an error comes back here, not in a " +
			"redirect) and answers with a request_uri, a one-time reference to the stored request (RFC 9126 §2).",
		pending: pendingPAR,
		run:     runPAR,
	}
}

// pendingPAR is the authorization request as a form to push, with client authentication.
func pendingPAR(e *engine) (record.Request, error) {
	u := e.parEndpoint()
	if u == "" {
		return record.Request{}, &record.Error{Kind: record.ErrConfig, Message: "PAR was asked for, but the provider has no pushed " +
			"authorization request endpoint: its metadata has no pushed_authorization_request_endpoint (RFC 9126 §5) and none " +
			"was given by hand. Run the flow without PAR, or give the endpoint"}
	}
	ar, err := pendingAuthorize(e)
	if err != nil {
		return record.Request{}, err
	}
	r := ar.Without("client_id")
	r.Method, r.URL, r.AuthMethod = "POST", u, e.cfg.Client.AuthMethod
	for i := range r.Params {
		r.Params[i].Note = strings.Replace(r.Params[i].Note, "in the authorization request", "in the pushed request", 1)
	}
	e.addClientAuth(&r)
	return r, nil
}

func runPAR(ctx context.Context, e *engine, b *builder) {
	req := b.req
	err := e.postForm(ctx, req)
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
			b.fail(record.ErrCanceled, "cancelled during the pushed authorization request: %v", ctx.Err())
			return
		}
		msg := "no response from the PAR endpoint"
		if err != nil {
			msg += ": " + err.Error()
		}
		b.fail(record.ErrNetwork, "%s", msg)
		return
	}
	resp := last.Response
	ctype := resp.Header.Get("Content-Type")
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.UseNumber()
	if jerr := dec.Decode(&m); jerr != nil || m == nil {
		b.fail(record.ErrResponse, "the PAR endpoint failed: %s", describeNonJSON(resp.Status, ctype, resp.Body))
		return
	}
	if code, _ := m["error"].(string); code != "" || resp.Status < 200 || resp.Status > 299 {
		if code == "" {
			b.fail(record.ErrResponse, "the PAR endpoint answered HTTP %d without an OAuth error code (RFC 9126 §2.3)", resp.Status)
			return
		}
		desc, _ := m["error_description"].(string)
		uri, _ := m["error_uri"].(string)
		pe := newProtocolError(AtToken, code, desc, uri, resp.Status)
		pe.Spec = "RFC 9126 §2.3; RFC 6749 §5.2"
		b.failProtocol("the provider refused the pushed authorization request: "+pe.Error(), pe)
		return
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	b.check(record.Check{Name: "Content-Type", Outcome: warnUnless(mt == "application/json"), Expected: "application/json", Actual: orNone(ctype),
		Spec: "RFC 9126 §2.2", Reason: pick(mt == "application/json", "a JSON object as the spec requires", "JSON with another Content-Type; tolerated")})
	b.check(record.Check{Name: "HTTP 201 Created", Outcome: warnUnless(resp.Status == 201), Expected: "201", Actual: fmt.Sprint(resp.Status),
		Spec: "RFC 9126 §2.2", Reason: pick(resp.Status == 201, "the request was stored", "a successful push answers 201 Created")})
	uri, _ := m["request_uri"].(string)
	if !b.check(record.Check{Name: "request_uri present", Outcome: outcome(uri != ""), Spec: "RFC 9126 §2.2",
		Reason: pick(uri != "", "the reference to the pushed request", "a successful response must carry request_uri")}) {
		return
	}
	if !strings.HasPrefix(uri, requestURIPrefix) {
		b.check(record.Check{Name: "request_uri form", Outcome: record.OutcomeWarn, Expected: requestURIPrefix + "…", Actual: uri,
			Spec: "RFC 9126 §2.2", Reason: "not the URN form the spec suggests; used as given"})
	}
	var expires int64
	switch x := m["expires_in"].(type) {
	case json.Number:
		expires, _ = x.Int64()
	}
	b.check(record.Check{Name: "expires_in", Outcome: warnUnless(expires > 0), Expected: "a positive number of seconds", Actual: orNone(fmt.Sprint(m["expires_in"])),
		Spec: "RFC 9126 §2.2", Reason: pick(expires > 0, "the request_uri is good for "+humanSeconds(expires)+" and one use", "REQUIRED: the client cannot tell how long the request_uri lives")})
	pushed := cloneRequest(req)
	e.st.ext.requestURI, e.st.ext.pushed = uri, &pushed
	b.artifact(record.Artifact{Name: "request_uri", Value: uri,
		Note: "a one-time reference to the pushed request; the authorization request carries it instead of the parameters (RFC 9126 §4)"})
	if expires > 0 {
		b.artifact(record.Artifact{Name: "expires_in", Value: fmt.Sprint(expires), Note: "seconds the request_uri lives"})
	}
}

// pendingAuthorizePAR is the authorization request by reference (RFC 9126 §4).
func pendingAuthorizePAR(e *engine) (record.Request, error) {
	return record.Request{Method: "GET", URL: e.st.authzURL, Params: []record.Param{
		{Name: "client_id", Value: e.cfg.Client.ID, Note: "must be the client that pushed the request (RFC 9126 §4)"},
		{Name: "request_uri", Value: e.st.ext.requestURI, Note: "the pushed request; single use (RFC 9126 §4)"},
	}}, nil
}

func runAuthorizePAR(_ context.Context, e *engine, b *builder) {
	req := b.req
	if req.URL == "" {
		b.fail(record.ErrConfig, "no authorization endpoint")
		return
	}
	full := buildURL(req.URL, req.Params)
	sent := req
	if e.st.ext.pushed != nil {
		sent = cloneRequest(*e.st.ext.pushed)
	}
	e.st.authzSent = &sent
	e.st.authzFull = full
	if v := sent.Get("redirect_uri"); v != "" {
		e.st.redirectURI = v
	}
	e.st.scopeSent = sent.Get("scope")
	b.artifact(record.Artifact{Name: "authorization_url", Value: full,
		Note: "only client_id and request_uri travel through the browser; the parameters were pushed in the back channel (RFC 9126 §4)"})
	if req.Get("request_uri") != e.st.ext.requestURI {
		b.warn("request_uri was edited: the provider accepts only a request_uri it handed out to this client, once, before it expires (RFC 9126 §4)")
	}
}
