// Package doctor checks a provider's metadata and keys against the specs and current
// best practice, check by check, each with a severity and the section that says so.
//
// [Run] fetches the OpenID Connect discovery document (falling back to RFC 8414
// authorization server metadata) and the JWK Set, through an httprec recorder so every
// exchange is kept, and returns a [Report]. It never panics on what a provider sends:
// a broken document is a failed check with a reason.
//
// The package imports neither the flow engine nor any UI, so the engine's discovery
// step and every front end can run the same checks.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
)

// Severity says how much a finding matters.
type Severity string

// Severities. A failed error-level check means clients following the specs will fail
// or be at risk; a warning is allowed but against best practice or likely to trip a
// client; info is worth knowing.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Check is one check of the doctor: a [record.Check] with a stable ID, the group it
// belongs to and its severity. The severity is the check's weight whatever its
// outcome: a passing error-level check is one that would have been an error.
type Check struct {
	record.Check
	ID       string   `json:"id"`
	Group    string   `json:"group"`
	Severity Severity `json:"severity"`
}

// Problem reports whether the check found something: it failed or warned.
func (c Check) Problem() bool {
	return c.Outcome == record.OutcomeFail || c.Outcome == record.OutcomeWarn
}

// Groups, in report order.
const (
	GroupDiscovery = "discovery"
	GroupMetadata  = "metadata"
	GroupEndpoints = "endpoints"
	GroupKeys      = "keys"
	GroupSecurity  = "security"
	GroupClient    = "client"
)

// Groups lists the groups in the order reports show them.
func Groups() []string {
	return []string{GroupDiscovery, GroupMetadata, GroupEndpoints, GroupKeys, GroupSecurity, GroupClient}
}

// ClientExpectations describe the client that will use the provider, so the doctor
// can say what it would trip over. Empty fields are not checked.
type ClientExpectations struct {
	// AuthMethod is the token endpoint authentication method (client_secret_basic,
	// client_secret_post, none…).
	AuthMethod string `json:"auth_method,omitempty"`
	// RedirectURI registered for the client.
	RedirectURI string `json:"redirect_uri,omitempty"`
	// ResponseType the client sends ("code" for the code flows).
	ResponseType string `json:"response_type,omitempty"`
	// ResponseMode the client asks for (query, fragment, form_post), if any.
	ResponseMode string `json:"response_mode,omitempty"`
	// Scopes the client requests.
	Scopes []string `json:"scopes,omitempty"`
	// GrantTypes the client uses (authorization_code, refresh_token, client_credentials…).
	GrantTypes []string `json:"grant_types,omitempty"`
}

// Options configure [Run].
type Options struct {
	// Issuer is the issuer identifier to check (the URL the metadata is fetched from).
	Issuer string
	// HTTPClient is the base client; its transport is wrapped with a recorder. Nil
	// means a client with httprec's bounded transport and TLS verification on.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds each fetch; 0 means 20 s.
	Timeout time.Duration
	// Client, when set, adds checks for what this client would trip over.
	Client *ClientExpectations
	// Known are the provider's documented departures from the specs (from a preset).
	Known KnownQuirks
}

// KnownQuirks are departures from the specs a provider is known for. The checks they
// explain still report the finding, downgraded to a warning, and say it is known.
type KnownQuirks struct {
	// Provider names the provider in reasons ("Microsoft Entra ID").
	Provider string `json:"provider,omitempty"`
	// IssuerTemplate: the metadata's issuer is this template (Entra ID multi-tenant:
	// "https://login.microsoftonline.com/{tenantid}/v2.0"), checked per token instead.
	IssuerTemplate string `json:"issuer_template,omitempty"`
	// PKCESupportedUnadvertised: PKCE (S256) works though the metadata does not say so.
	PKCESupportedUnadvertised bool `json:"pkce_supported_unadvertised,omitempty"`
}

// Report is what the doctor found.
type Report struct {
	Issuer string `json:"issuer"`
	// MetadataURL is where the metadata came from; Variant is "openid" (OIDC
	// Discovery) or "oauth" (RFC 8414), empty when none was found.
	MetadataURL string              `json:"metadata_url,omitempty"`
	Variant     string              `json:"variant,omitempty"`
	Checks      []Check             `json:"checks"`
	Exchanges   []record.Exchange   `json:"exchanges"`
	Started     time.Time           `json:"started"`
	Finished    time.Time           `json:"finished"`
	Summary     Summary             `json:"summary"`
	Client      *ClientExpectations `json:"client,omitempty"`
}

// Summary counts checks by result.
type Summary struct {
	Passed   int `json:"passed"`
	Errors   int `json:"errors"`   // failed, error severity
	Warnings int `json:"warnings"` // warning severity, not passed
	Notes    int `json:"notes"`    // info severity, not passed
	Skipped  int `json:"skipped"`
}

// Failed reports whether an error-level check failed.
func (r Report) Failed() bool { return r.Summary.Errors > 0 }

// Check returns the check with the given ID.
func (r Report) Check(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

func summarize(checks []Check) Summary {
	var s Summary
	for _, c := range checks {
		switch {
		case c.Outcome == record.OutcomePass:
			s.Passed++
		case c.Outcome == record.OutcomeSkip:
			s.Skipped++
		case c.Severity == SeverityError && c.Outcome == record.OutcomeFail:
			s.Errors++
		case c.Severity == SeverityInfo:
			s.Notes++
		default:
			s.Warnings++
		}
	}
	return s
}

// run is one doctor run in progress.
type run struct {
	opts   Options
	client *http.Client
	rec    *httprec.Recorder
	now    func() time.Time
	checks []Check
	meta   *Metadata
	// variant is "openid" or "oauth".
	variant string
}

// add records a check. outcome is derived from ok and sev when ok is not nil:
// passing, or failing at the check's severity (error → fail, else warn).
func (r *run) add(c Check) {
	r.checks = append(r.checks, c)
}

func (r *run) result(group, id, name string, sev Severity, ok bool, spec string, c record.Check) {
	c.Name = name
	c.Spec = spec
	switch {
	case ok:
		c.Outcome = record.OutcomePass
	case sev == SeverityError:
		c.Outcome = record.OutcomeFail
	default:
		c.Outcome = record.OutcomeWarn
	}
	r.add(Check{Check: c, ID: id, Group: group, Severity: sev})
}

func (r *run) skip(group, id, name string, sev Severity, spec, reason string) {
	r.add(Check{Check: record.Check{Name: name, Outcome: record.OutcomeSkip, Reason: reason, Spec: spec},
		ID: id, Group: group, Severity: sev})
}

// Run checks the provider at opts.Issuer and returns the report. It returns when ctx is
// cancelled, with what it found so far.
func Run(ctx context.Context, opts Options) Report {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	rec := &httprec.Recorder{Now: now, MaxBody: maxDocument}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Transport: httprec.NewTransport(false), Timeout: httprec.DefaultTimeout}
	}
	client := rec.Client(base)
	if client.CheckRedirect == nil {
		client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("redirect to a %s: URL refused", req.URL.Scheme)
			}
			return nil
		}
	}
	r := &run{opts: opts, client: client, rec: rec, now: now}
	rep := Report{Issuer: opts.Issuer, Started: now(), Client: opts.Client}

	if r.checkIssuerURL() {
		if r.discover(ctx, &rep) {
			r.metadataChecks()
			r.endpointChecks()
			r.keyChecks(ctx)
			r.securityChecks()
			r.clientChecks()
		}
	}
	rep.Checks = r.checks
	rep.Exchanges = rec.Take()
	rep.Finished = now()
	rep.Summary = summarize(rep.Checks)
	return rep
}

// Input is what [Analyze] checks: documents a caller already fetched, such as the
// flow engine's discovery step.
type Input struct {
	// Issuer is the issuer the metadata was looked up for.
	Issuer string
	// MetadataURL is the URL the document came from; a URL with
	// /.well-known/oauth-authorization-server means RFC 8414 metadata, anything else
	// OpenID Connect Discovery.
	MetadataURL string
	// Metadata is the metadata document's body; ContentType its Content-Type (empty:
	// not checked).
	Metadata    []byte
	ContentType string
	// JWKS is the body fetched from jwks_uri; nil skips the key checks.
	JWKS []byte
	// Client, when set, adds checks for what this client would trip over.
	Client *ClientExpectations
	// Known are the provider's documented departures from the specs.
	Known KnownQuirks
}

// Analyze runs the doctor's checks on documents already fetched, without network.
// The checks, their IDs and severities are those of [Run].
func Analyze(in Input) []Check {
	r := &run{opts: Options{Issuer: in.Issuer, Client: in.Client, Known: in.Known}}
	if !r.checkIssuerURL() {
		return r.checks
	}
	r.variant = "openid"
	spec := "OIDC Discovery §4"
	if strings.Contains(in.MetadataURL, "/.well-known/oauth-authorization-server") {
		r.variant, spec = "oauth", "RFC 8414 §3"
	}
	m, err := ParseMetadata(in.Metadata)
	if err != nil {
		r.result(GroupDiscovery, "metadata-fetched", "provider metadata fetched", SeverityError, false, spec,
			record.Check{Expected: "a JSON metadata document", Actual: "none", Reason: in.MetadataURL + ": " + err.Error()})
		return r.checks
	}
	r.meta = m
	r.result(GroupDiscovery, "metadata-fetched", "provider metadata fetched", SeverityError, true, spec,
		record.Check{Actual: r.variant + " metadata", Reason: "served by " + in.MetadataURL})
	if in.ContentType != "" {
		r.contentTypeCheck(in.ContentType)
	}
	r.metadataChecks()
	r.endpointChecks()
	switch {
	case m.JWKSURI == "":
		r.noKeySet()
	case in.JWKS == nil:
		r.skipKeys(keyCheckIDs, "the key set was not fetched")
	default:
		r.analyzeKeys(in.JWKS, "")
	}
	r.securityChecks()
	r.clientChecks()
	return r.checks
}

func (r *run) contentTypeCheck(ct string) {
	r.result(GroupDiscovery, "metadata-content-type", "metadata served as application/json", SeverityWarning,
		isJSONType(ct), "OIDC Discovery §4.2; RFC 8414 §3.2",
		record.Check{Expected: "application/json", Actual: orNone(ct),
			Reason: unless(isJSONType(ct), "strict clients reject other content types")})
}

// maxDocument bounds a metadata document or key set (1 MiB); real ones are a few KiB.
const maxDocument = 1 << 20

func (r *run) checkIssuerURL() bool {
	const spec = "OIDC Discovery §3; RFC 8414 §2"
	iss := r.opts.Issuer
	u, err := url.Parse(iss)
	var problem string
	switch {
	case iss == "":
		problem = "no issuer given"
	case err != nil:
		problem = "not a URL: " + err.Error()
	case !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		problem = "not an absolute http(s) URL"
	case u.RawQuery != "" || u.ForceQuery:
		problem = "an issuer has no query component"
	case u.Fragment != "" || strings.Contains(iss, "#"):
		problem = "an issuer has no fragment component"
	}
	r.result(GroupDiscovery, "issuer-url", "issuer is a URL without query or fragment", SeverityError,
		problem == "", spec, record.Check{Expected: "https://host[/path]", Actual: iss, Reason: problem})
	return problem == ""
}

// fetched is one GET of a document.
type fetched struct {
	url         string
	finalURL    string
	status      int
	contentType string
	body        []byte
	err         error
}

func (r *run) get(ctx context.Context, u, accept string) fetched {
	f := fetched{url: u}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		f.err = err
		return f
	}
	req.Header.Set("Accept", accept)
	resp, err := r.client.Do(req)
	if err != nil {
		var ue *url.Error
		switch {
		case errors.Is(err, httprec.ErrBodyTooLarge):
			f.err = fmt.Errorf("the document is larger than %d KiB; stopped reading", maxDocument>>10)
		case errors.As(err, &ue):
			f.err = errors.New(httprec.Describe(ue.Err))
		default:
			f.err = errors.New(httprec.Describe(err))
		}
		return f
	}
	defer resp.Body.Close()
	f.status = resp.StatusCode
	f.contentType = resp.Header.Get("Content-Type")
	f.finalURL = resp.Request.URL.String()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		f.err = fmt.Errorf("reading the body: %s", httprec.Describe(err))
		return f
	}
	if len(body) > maxDocument {
		f.err = fmt.Errorf("the document is larger than %d KiB", maxDocument>>10)
		return f
	}
	f.body = body
	return f
}

// describe says what came back, for a failed check: status, content type and what
// the body looks like.
func (f fetched) describe() string {
	if f.err != nil {
		return f.err.Error()
	}
	ct := f.contentType
	if ct == "" {
		ct = "none"
	}
	s := fmt.Sprintf("HTTP %d %s, Content-Type %s", f.status, http.StatusText(f.status), ct)
	switch {
	case looksHTML(f):
		s += ": an HTML page, not JSON"
	case len(strings.TrimSpace(string(f.body))) == 0:
		s += ": empty body"
	}
	if f.finalURL != "" && f.finalURL != f.url {
		s += " (after a redirect to " + f.finalURL + ")"
	}
	return s
}

func looksHTML(f fetched) bool {
	mt, _, _ := mime.ParseMediaType(f.contentType)
	b := strings.ToLower(strings.TrimSpace(string(f.body[:min(len(f.body), 512)])))
	return mt == "text/html" || strings.HasPrefix(b, "<!doctype html") || strings.HasPrefix(b, "<html")
}

func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// wellKnownURLs returns the OpenID discovery URL (OIDC Discovery §4.1: the issuer with
// /.well-known/openid-configuration appended) and the RFC 8414 §3.1 URL (the
// well-known segment inserted between the host and the issuer's path).
func wellKnownURLs(issuer string) (oidcURL, oauthURL string) {
	oidcURL = strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	u, err := url.Parse(issuer)
	if err != nil {
		return oidcURL, ""
	}
	path := strings.TrimSuffix(u.Path, "/")
	u.Path = "/.well-known/oauth-authorization-server" + path
	u.RawPath = ""
	return oidcURL, u.String()
}

// discover fetches the metadata: OpenID discovery first, then RFC 8414.
func (r *run) discover(ctx context.Context, rep *Report) bool {
	oidcURL, oauthURL := wellKnownURLs(r.opts.Issuer)
	var attempts []string
	for _, try := range []struct{ url, variant, spec string }{
		{oidcURL, "openid", "OIDC Discovery §4"},
		{oauthURL, "oauth", "RFC 8414 §3"},
	} {
		if ctx.Err() != nil {
			break
		}
		f := r.get(ctx, try.url, "application/json")
		if f.err == nil && f.status == http.StatusOK && !looksHTML(f) {
			m, err := ParseMetadata(f.body)
			if err == nil {
				r.meta, r.variant = m, try.variant
				rep.MetadataURL, rep.Variant = try.url, try.variant
				reason := "served by " + try.url
				if len(attempts) > 0 {
					reason += "; before that: " + strings.Join(attempts, "; ")
				}
				if f.finalURL != try.url {
					reason += " (after a redirect to " + f.finalURL + ")"
				}
				r.result(GroupDiscovery, "metadata-fetched", "provider metadata fetched", SeverityError, true,
					try.spec, record.Check{Actual: try.variant + " metadata", Reason: reason})
				r.contentTypeCheck(f.contentType)
				return true
			}
			attempts = append(attempts, fmt.Sprintf("%s: %s: %v", try.url, f.describe(), err))
			continue
		}
		attempts = append(attempts, try.url+": "+f.describe())
	}
	r.result(GroupDiscovery, "metadata-fetched", "provider metadata fetched", SeverityError, false,
		"OIDC Discovery §4; RFC 8414 §3",
		record.Check{Expected: "a JSON metadata document at a well-known URL",
			Actual: "none", Reason: strings.Join(attempts, "; ") + hintFor(attempts)})
	return false
}

func hintFor(attempts []string) string {
	all := strings.Join(attempts, " ")
	switch {
	case strings.Contains(all, "an HTML page"):
		return ". An HTML page usually means the issuer URL points at a web app or login page rather than the authorization server: check the issuer (path, tenant, realm)"
	case strings.Contains(all, "HTTP 404"):
		return ". Check the issuer URL: its path must be exactly the provider's issuer"
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func unless(ok bool, reason string) string {
	if ok {
		return ""
	}
	return reason
}
