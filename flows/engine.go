package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
)

// DefaultClockSkew is the clock skew tolerated on exp, iat and nbf when
// [Config.ClockSkew] is zero.
const DefaultClockSkew = 60 * time.Second

// step is one step of a flow: its plan, what it explains, the request it will send (if
// any) and the function that runs it over the flow's shared state.
//
// A flow is a list of steps; follow-up flows (refresh, userinfo, introspection…) are
// other lists over the same engine and state, seeded from a previous flow's [Tokens].
type step struct {
	plan        record.StepPlan
	specs       []record.SpecRef
	explanation string
	// pending builds the request the step will send, once the steps before it have
	// run. Nil for steps that send nothing editable.
	pending func(e *engine) (record.Request, error)
	run     func(ctx context.Context, e *engine, b *builder)
}

// engine runs a flow's steps. Only Next touches st; the fields under mu are what the
// other methods read, so they are safe to call while a step runs.
type engine struct {
	kind  Kind
	cfg   Config
	oidc  bool
	steps []step
	// openIDDefault is set when no scope was given for a browser flow with an
	// issuer: the flow starts as OpenID Connect (scope openid) and discovery
	// keeps or drops that default (see settleDefaultScope).
	openIDDefault defaultScope
	rec           *httprec.Recorder
	client        *http.Client
	// ownTransport is the transport New made (no HTTPClient was given); its idle
	// connections are closed when the flow ends.
	ownTransport *http.Transport
	st           state

	mu      sync.Mutex
	next    int
	records []record.Step
	pending *record.Request
	pendErr error
	done    bool
	running bool
	tokens  Tokens
}

// New builds a flow of the given kind. It makes no network call: discovery is the
// flow's first step. A configuration that cannot work returns a [*ConfigError].
func New(kind Kind, cfg Config) (Flow, error) {
	info, ok := LookupKind(string(kind))
	if !ok {
		names := make([]string, 0, 4)
		for _, k := range Kinds() {
			names = append(names, string(k.Kind))
		}
		return nil, configErr("Kind", "unknown flow %q (known: %s)", kind, strings.Join(names, ", "))
	}
	e, err := newEngine(info.Kind, cfg, nil)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// newEngine builds the engine of a flow; seed, when not nil, runs before the steps
// are listed (a follow-up seeds the tokens it starts from, [NewFollowUp]).
func newEngine(kind Kind, cfg Config, seed func(*engine)) (*engine, error) {
	def := defaultScopeFor(kind, cfg)
	if def.on {
		cfg.Scopes = []string{"openid"}
	}
	cfg, err := normalise(kind, cfg)
	if err != nil {
		return nil, err
	}
	e := &engine{kind: kind, cfg: cfg, oidc: slices.Contains(cfg.Scopes, "openid"), openIDDefault: def}
	e.applyConfigQuirks()
	base := cfg.HTTPClient
	rt := http.RoundTripper(nil)
	if base != nil {
		rt = base.Transport
	}
	if rt == nil {
		e.ownTransport = httprec.NewTransport(false)
		rt = e.ownTransport
	}
	e.rec = &httprec.Recorder{Base: rt, Now: cfg.Now}
	e.client = e.rec.Client(base)
	if e.client.Timeout == 0 {
		e.client.Timeout = httprec.DefaultTimeout
	}
	e.st.init(e)
	if seed != nil {
		seed(e)
	}
	e.steps = e.buildSteps()
	e.preparePending()
	return e, nil
}

// buildSteps lists the steps of the flow from its kind and configuration.
func (e *engine) buildSteps() []step {
	var steps []step
	switch e.kind {
	case KindAuthorizationCode, KindPKCE:
		steps = codeFlowSteps(e)
	case KindImplicit:
		steps = implicitSteps(e)
	case KindClientCredentials:
		steps = clientCredentialsSteps(e)
	case KindDevice:
		steps = deviceSteps(e)
	default:
		steps = followUpSteps(e)
	}
	return e.extendSteps(steps)
}

func (e *engine) Kind() Kind { return e.kind }

func (e *engine) Plan() []record.StepPlan {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]record.StepPlan, len(e.steps))
	for i, s := range e.steps {
		out[i] = s.plan
		out[i].Arrows = slices.Clone(s.plan.Arrows)
	}
	return out
}

func (e *engine) Records() []record.Step {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.records)
}

func (e *engine) Pending() (record.Request, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == nil || e.done {
		return record.Request{}, false
	}
	return cloneRequest(*e.pending), true
}

func (e *engine) Done() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

func (e *engine) Tokens() Tokens {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokens
}

// Next runs the next step. A step cancelled through ctx is returned with an error of
// kind canceled and is not counted: the flow stays where it was, so the caller may run
// the step again (for example with another Authorizer).
func (e *engine) Next(ctx context.Context, in StepInput) record.Step {
	e.mu.Lock()
	if e.done || e.next >= len(e.steps) {
		e.mu.Unlock()
		return e.refusal("the flow is finished; start a new one")
	}
	if e.running {
		e.mu.Unlock()
		return e.refusal("a step of this flow is already running")
	}
	e.running = true
	idx := e.next
	pending, pendErr := e.pending, e.pendErr
	e.mu.Unlock()

	s := e.steps[idx]
	b := e.newBuilder(idx, s)
	b.authorizer = e.cfg.Authorizer
	if in.Authorizer != nil {
		b.authorizer = in.Authorizer
	}
	switch {
	case pendErr != nil:
		b.failErr(pendErr)
	case pending == nil && in.Request != nil:
		b.warn("an edited request was given, but this step sends none: ignored")
	case pending != nil:
		b.req = cloneRequest(*pending)
		if in.Request != nil {
			edited := cloneRequest(*in.Request)
			edited.StepID = pending.StepID
			b.rec.Edited = diffRequests(*pending, edited)
			b.req = edited
		}
		b.rec.Request = &b.req
	}
	if b.err == nil {
		if err := ctx.Err(); err != nil {
			b.fail(record.ErrCanceled, "cancelled before the step started: %v", err)
		} else {
			e.runStep(ctx, s, b)
		}
	}
	rec := b.finish(ctx)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.running = false
	if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
		return rec
	}
	e.records = append(e.records, rec)
	e.tokens = e.st.tokens
	e.next = idx + 1
	e.pending, e.pendErr = nil, nil
	if rec.Failed() || e.next >= len(e.steps) {
		e.done = true
		if e.ownTransport != nil {
			e.ownTransport.CloseIdleConnections()
		}
		return rec
	}
	e.preparePendingLocked()
	return rec
}

// runStep runs one step function; a panic in it (a bug) becomes a failed step rather
// than taking the front end down.
func (e *engine) runStep(ctx context.Context, s step, b *builder) {
	defer func() {
		if r := recover(); r != nil {
			b.fail(record.ErrResponse, "internal error in step %q: %v (please report this)", s.plan.ID, r)
		}
	}()
	s.run(ctx, e, b)
}

func (e *engine) preparePending() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.preparePendingLocked()
}

func (e *engine) preparePendingLocked() {
	if e.next >= len(e.steps) {
		return
	}
	s := e.steps[e.next]
	if s.pending == nil {
		return
	}
	req, err := s.pending(e)
	if err != nil {
		e.pendErr = err
		return
	}
	req.StepID = s.plan.ID
	e.pending = &req
}

// refusal is the record returned when Next cannot run at all.
func (e *engine) refusal(msg string) record.Step {
	now := e.now()
	return record.Step{
		Flow: string(e.kind), Index: -1, ID: "refused", Title: "Nothing to run",
		Status: record.StatusFailed, Explanation: msg,
		Error:   &record.Error{Kind: record.ErrConfig, Message: msg},
		Started: now, Finished: now,
	}
}

func (e *engine) now() time.Time { return e.cfg.Now() }

// random returns n random bytes from the configured source.
func (e *engine) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(e.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("reading %d random bytes: %w", n, err)
	}
	return b, nil
}

// normalise validates cfg for kind and fills the defaults.
func normalise(kind Kind, cfg Config) (Config, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = DefaultClockSkew
	}
	if cfg.ClockSkew < 0 {
		return cfg, configErr("ClockSkew", "must not be negative")
	}
	if cfg.Sleep == nil {
		cfg.Sleep = SleepContext
	}
	cfg.Scopes = slices.Clone(cfg.Scopes)
	p := &cfg.Provider
	p.Issuer = strings.TrimSpace(p.Issuer)
	if p.Issuer != "" {
		if err := checkURL(p.Issuer, true); err != nil {
			return cfg, configErr("Provider.Issuer", "%v", err)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"Provider.AuthorizationEndpoint", p.AuthorizationEndpoint},
		{"Provider.TokenEndpoint", p.TokenEndpoint},
		{"Provider.JWKSURI", p.JWKSURI},
		{"Provider.UserinfoEndpoint", p.UserinfoEndpoint},
		{"Provider.DeviceAuthorizationEndpoint", p.DeviceAuthorizationEndpoint},
		{"Provider.IntrospectionEndpoint", p.IntrospectionEndpoint},
		{"Provider.RevocationEndpoint", p.RevocationEndpoint},
		{"Provider.EndSessionEndpoint", p.EndSessionEndpoint},
	} {
		if f.v != "" {
			if err := checkURL(f.v, false); err != nil {
				return cfg, configErr(f.name, "%v", err)
			}
		}
	}
	c := &cfg.Client
	if c.ID == "" {
		return cfg, configErr("Client.ID", "a client id is required (the provider registered it for this client)")
	}
	oidc := slices.Contains(cfg.Scopes, "openid")
	browser := redirectFlow(kind)
	if browser {
		if p.Issuer == "" && p.AuthorizationEndpoint == "" {
			return cfg, configErr("Provider", "give an issuer to discover, or the authorization endpoint by hand")
		}
		if c.RedirectURI == "" {
			return cfg, configErr("Client.RedirectURI", "a redirect URI is required for the %s flow (RFC 6749 §3.1.2)", kind)
		}
		if err := checkURL(c.RedirectURI, false); err != nil {
			return cfg, configErr("Client.RedirectURI", "%v", err)
		}
	}
	if needsTokenEndpoint(kind) && p.Issuer == "" && p.TokenEndpoint == "" {
		return cfg, configErr("Provider", "give an issuer to discover, or the token endpoint by hand")
	}
	if oidc && p.Issuer == "" && !cfg.Quirks.NoDiscovery {
		return cfg, configErr("Provider.Issuer", "the OpenID Connect variant (scope openid) needs the issuer, to check the ID token's iss (OIDC Core §3.1.3.7 step 2)")
	}

	// Client authentication (RFC 6749 §2.3.1).
	switch kind {
	case KindAuthorizationCode, KindClientCredentials:
		if c.Secret == "" && c.AuthMethod != AuthPrivateKeyJWT {
			return cfg, configErr("Client.Secret", "the %s flow needs a confidential client: give its secret", kind)
		}
		if c.AuthMethod == "" {
			c.AuthMethod = AuthClientSecretBasic
		}
		if c.AuthMethod == AuthNone {
			return cfg, configErr("Client.AuthMethod", "the %s flow authenticates the client: use %s or %s", kind, AuthClientSecretBasic, AuthClientSecretPost)
		}
	case KindImplicit:
		if c.AuthMethod == "" {
			c.AuthMethod = AuthNone
		}
	default: // pkce, device and the follow-ups: public unless a secret is given
		if c.AuthMethod == "" {
			c.AuthMethod = AuthNone
			if c.Secret != "" {
				c.AuthMethod = AuthClientSecretBasic
			}
		}
		if c.AuthMethod != AuthNone && c.AuthMethod != AuthPrivateKeyJWT && c.Secret == "" {
			return cfg, configErr("Client.Secret", "auth method %s needs the client secret", c.AuthMethod)
		}
	}
	switch c.AuthMethod {
	case AuthClientSecretBasic, AuthClientSecretPost, AuthNone:
	case AuthClientSecretJWT, AuthPrivateKeyJWT:
		if err := normaliseJWTAuth(&cfg); err != nil {
			return cfg, err
		}
	default:
		return cfg, configErr("Client.AuthMethod", "unknown method %q (use %s, %s or %s)", c.AuthMethod, AuthClientSecretBasic, AuthClientSecretPost, AuthNone)
	}

	switch cfg.PKCEMethod {
	case "":
		cfg.PKCEMethod = PKCES256
	case PKCES256, PKCEPlain:
	default:
		return cfg, configErr("PKCEMethod", "unknown method %q (use S256, or plain)", cfg.PKCEMethod)
	}

	if kind == KindImplicit {
		switch cfg.ResponseType {
		case "":
			cfg.ResponseType = "token"
			if oidc {
				cfg.ResponseType = "id_token token"
			}
		case "id_token token", "token id_token", "id_token", "token":
			if cfg.ResponseType == "token id_token" {
				cfg.ResponseType = "id_token token"
			}
		default:
			return cfg, configErr("ResponseType", "the implicit flow takes \"id_token token\", \"id_token\" or \"token\", not %q", cfg.ResponseType)
		}
		if strings.Contains(cfg.ResponseType, "id_token") && !oidc {
			return cfg, configErr("Scopes", "response_type %q is OpenID Connect: add the openid scope (OIDC Core §3.2.2.1)", cfg.ResponseType)
		}
	} else if cfg.ResponseType != "" && cfg.ResponseType != "code" && kind != KindClientCredentials {
		return cfg, configErr("ResponseType", "the %s flow uses response_type code", kind)
	}
	for k := range cfg.ExtraParams {
		switch k {
		case "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "response_mode":
			return cfg, configErr("ExtraParams", "%s is set by the flow itself; to tamper with it, edit the pending request", k)
		case "":
			return cfg, configErr("ExtraParams", "a parameter needs a name")
		}
	}
	switch cfg.ResponseMode {
	case "", "query", "fragment", "form_post":
	default:
		return cfg, configErr("ResponseMode", "unknown response mode %q (query, fragment or form_post)", cfg.ResponseMode)
	}
	if kind == KindImplicit && cfg.ResponseMode == "query" {
		return cfg, configErr("ResponseMode", "tokens must never travel in the query string (OAuth 2.0 Multiple Response Types §2.1)")
	}
	if err := normalisePAR(kind, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Client authentication methods (RFC 6749 §2.3.1; OIDC Core §9; RFC 8414 §2).
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthNone              = "none"
)

// PKCE code challenge methods (RFC 7636 §4.2).
const (
	PKCES256  = "S256"
	PKCEPlain = "plain"
)

// builder collects a step's record while its function runs.
type builder struct {
	e          *engine
	rec        record.Step
	req        record.Request // the request to send (pending, after edits)
	authorizer Authorizer
	err        *record.Error
	notes      []string
}

func (e *engine) newBuilder(idx int, s step) *builder {
	return &builder{e: e, rec: record.Step{
		Flow: string(e.kind), Index: idx, ID: s.plan.ID, Title: s.plan.Title,
		Status: record.StatusRunning, Explanation: s.explanation,
		Specs: slices.Clone(s.specs), Arrows: slices.Clone(s.plan.Arrows),
		Started: e.now(),
	}}
}

// edited reports whether the person changed the request before it was sent.
func (b *builder) edited() bool { return len(b.rec.Edited) > 0 }

// check records a check and reports whether it passed (warnings pass).
func (b *builder) check(c record.Check) bool {
	b.rec.Checks = append(b.rec.Checks, c)
	return c.Passed()
}

func (b *builder) artifact(a record.Artifact) { b.rec.Artifacts = append(b.rec.Artifacts, a) }

func (b *builder) warn(format string, args ...any) {
	b.rec.Warnings = append(b.rec.Warnings, fmt.Sprintf(format, args...))
}

// note adds a line to the step's explanation, about what happened this time.
func (b *builder) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// fail marks the step failed, keeping the first reason given.
func (b *builder) fail(kind record.ErrorKind, format string, args ...any) {
	if b.err == nil {
		b.err = &record.Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
	}
}

func (b *builder) failProtocol(msg string, pe *record.ProtocolError) {
	if b.err == nil {
		b.err = &record.Error{Kind: record.ErrProtocol, Message: msg, Protocol: pe}
	}
}

// failErr fails the step with err, keeping its kind when it is a *record.Error.
func (b *builder) failErr(err error) {
	if b.err != nil {
		return
	}
	var re *record.Error
	var ce *ConfigError
	switch {
	case errors.As(err, &re):
		cp := *re
		b.err = &cp
	case errors.As(err, &ce):
		b.err = &record.Error{Kind: record.ErrConfig, Message: ce.Error()}
	default:
		b.err = &record.Error{Kind: record.ErrNetwork, Message: err.Error()}
	}
}

// takeExchanges moves what the recorder captured onto the step and returns it.
func (b *builder) takeExchanges() []record.Exchange {
	ex := b.e.rec.Take()
	b.rec.Exchanges = append(b.rec.Exchanges, ex...)
	return ex
}

// finish turns the builder into the step's immutable record.
func (b *builder) finish(ctx context.Context) record.Step {
	b.takeExchanges()
	if b.err == nil {
		for _, c := range b.rec.Checks {
			if c.Outcome == record.OutcomeFail {
				b.err = &record.Error{Kind: record.ErrCheck, Message: checkMessage(c)}
				break
			}
		}
	}
	if b.err != nil && ctx.Err() != nil && b.err.Kind != record.ErrCheck {
		b.err = &record.Error{Kind: record.ErrCanceled, Message: "cancelled: " + b.err.Message}
	}
	switch {
	case b.err != nil:
		b.rec.Status = record.StatusFailed
		b.rec.Error = b.err
	case b.rec.Status == record.StatusRunning:
		b.rec.Status = record.StatusDone
	}
	if len(b.notes) > 0 {
		b.rec.Explanation = strings.TrimSpace(b.rec.Explanation + "\n\n" + strings.Join(b.notes, "\n"))
	}
	if b.rec.Request != nil {
		r := cloneRequest(*b.rec.Request)
		b.rec.Request = &r
	}
	b.rec.Finished = b.e.now()
	return b.rec
}

// checkMessage says why a failed check failed, in one line.
func checkMessage(c record.Check) string {
	msg := "check failed: " + c.Name
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	if c.Expected != "" || c.Actual != "" {
		msg += fmt.Sprintf(" (expected %s, got %s)", orNone(c.Expected), orNone(c.Actual))
	}
	if c.Spec != "" {
		msg += " [" + c.Spec + "]"
	}
	return msg
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func cloneRequest(r record.Request) record.Request {
	r.Params = slices.Clone(r.Params)
	return r
}

// diffRequests lists what the person changed between the pending request and the one
// to send: changed, added and removed parameters, and the endpoint or method.
func diffRequests(pending, sent record.Request) []record.Edit {
	var out []record.Edit
	if pending.URL != sent.URL {
		out = append(out, record.Edit{Name: "url", From: pending.URL, To: sent.URL})
	}
	if pending.Method != sent.Method {
		out = append(out, record.Edit{Name: "method", From: pending.Method, To: sent.Method})
	}
	if pending.AuthMethod != sent.AuthMethod {
		out = append(out, record.Edit{Name: "auth_method", From: pending.AuthMethod, To: sent.AuthMethod})
	}
	for _, p := range sent.Params {
		if !pending.Has(p.Name) {
			out = append(out, record.Edit{Name: p.Name, To: p.Value})
		} else if v := pending.Get(p.Name); v != p.Value {
			out = append(out, record.Edit{Name: p.Name, From: v, To: p.Value})
		}
	}
	for _, p := range pending.Params {
		if !sent.Has(p.Name) {
			out = append(out, record.Edit{Name: p.Name, From: p.Value})
		}
	}
	return out
}
