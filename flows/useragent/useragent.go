// Package useragent is the built-in user agent: the engine acting as the browser.
//
// An [Agent] follows the authorization request URL, steps through every redirect
// itself, fills in and submits the provider's login and consent forms as a chosen
// user, and stops when the provider sends the browser to the redirect URI, without
// fetching it. Every hop is recorded ([record.Redirect]) and every HTTP exchange is
// captured on the wire by [httprec.Recorder], so a flow runs end to end with no
// browser and the person still sees everything a browser would have done.
//
// It is made for the bundled IdP (mockidp) and works with other providers whose login
// and consent are plain HTML forms (for example the development interactions of node
// oidc-provider); [Agent.Fields] fills inputs it does not recognise. Pages it cannot
// understand end in an error that names the page and suggests the real browser or
// pasting the redirect URL back.
package useragent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
)

// DefaultMaxHops bounds the requests of one authorization (redirects and form
// submissions) when [Agent.MaxHops] is zero.
const DefaultMaxHops = 20

// Decisions on the consent page.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Agent is a [flows.Authorizer] that acts as the browser. The zero value is not
// useful: set Username at least. An Agent is safe for concurrent use; each Authorize
// call has its own cookie jar.
type Agent struct {
	// Client is the base HTTP client (transport, timeout); nil means a client with
	// httprec's default timeout. Its cookie jar and redirect policy are not used.
	Client *http.Client
	// Username and Password log in. With Password empty, the agent presses the
	// provider's one-click demo login button for Username (the bundled IdP's
	// <button name="demo_user" value="alice">); with a password it fills the login
	// form, so a wrong password can be shown failing.
	Username, Password string
	// Decision on the consent page: "allow" (the default) or "deny".
	Decision string
	// Fields gives values for inputs by name, over what the page and the agent set
	// (for example the "login" field of another provider, or a scope checkbox).
	Fields map[string]string
	// MaxHops bounds the requests sent; zero means DefaultMaxHops.
	MaxHops int
	// Now is the clock of the records; nil means time.Now.
	Now func() time.Time
}

// Error is why the agent could not complete the login. Page names the page it
// stopped on; URL is where it was.
type Error struct {
	Msg  string
	URL  string
	Page string
	// Err is one of ErrLoginFailed, ErrUnknownPage, ErrTooManyHops, ErrProviderPage,
	// or a transport or callback parsing error.
	Err error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Causes of an [Error].
var (
	ErrLoginFailed  = errors.New("login failed")
	ErrUnknownPage  = errors.New("page not understood")
	ErrTooManyHops  = errors.New("too many hops")
	ErrProviderPage = errors.New("the provider showed an error page")
)

// MaskedPassword replaces the password in recorded login requests.
const MaskedPassword = "********"

const hint = "open the real browser (o) or paste the final redirect URL back instead"

// Authorize follows req.URL as a browser would until the provider redirects (or
// form-posts) to req.RedirectURI, and returns that authorization response. An error
// response (error=access_denied…) is a normal result, not an error. On error the
// result still holds the exchanges and redirects seen so far.
//
// The exchanges are as sent except for one thing: the password typed into the login
// form is replaced by [MaskedPassword] in the recorded request body. Exports mask
// secrets they can recognise (an Authorization header), but nothing downstream can
// tell which field of a provider's form held a password, and showing it has no use.
func (a *Agent) Authorize(ctx context.Context, req flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	rec := &httprec.Recorder{Now: a.Now}
	client := rec.Client(a.Client)
	jar, err := cookiejar.New(nil)
	if err != nil {
		return flows.AuthorizeResult{}, err
	}
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	redirectURI := req.RedirectURI
	if redirectURI == "" {
		if u, err := url.Parse(req.URL); err == nil {
			redirectURI = u.Query().Get("redirect_uri")
		}
	}
	s := &session{agent: a, client: client, redirectURI: redirectURI, now: a.now()}
	var res flows.AuthorizeResult
	if d := strings.ToLower(a.Decision); d != "" && d != Allow && d != Deny {
		err = fmt.Errorf("consent decision %q: want %q or %q", a.Decision, Allow, Deny)
	} else if redirectURI == "" {
		err = errors.New("the authorization request has no redirect_uri, so the built-in user agent " +
			"cannot tell where the response arrives; set the client's redirect URI")
	} else {
		res, err = s.run(ctx, req.URL)
	}
	res.Redirects = s.redirects
	res.Exchanges = maskPasswords(rec.Take(), s.passwordFields)
	res.Notes = append(s.notes, res.Notes...)
	return res, err
}

func (a *Agent) now() func() time.Time {
	if a.Now != nil {
		return a.Now
	}
	return time.Now
}

// session is one Authorize call.
type session struct {
	agent       *Agent
	client      *http.Client
	redirectURI string
	now         func() time.Time
	redirects   []record.Redirect
	notes       []string
	hops        int
	loginShape  string // the login form submitted, to see it come back
	// passwordFields are the names of the password inputs filled in, masked in
	// the recorded exchanges.
	passwordFields []string
}

// step is a request to send.
type step struct {
	method, url, body string
}

func (s *session) run(ctx context.Context, start string) (flows.AuthorizeResult, error) {
	if _, err := url.Parse(start); err != nil {
		return flows.AuthorizeResult{}, fmt.Errorf("the authorization request URL cannot be parsed: %w", err)
	}
	next := step{method: http.MethodGet, url: start}
	for {
		maxHops := s.agent.MaxHops
		if maxHops <= 0 {
			maxHops = DefaultMaxHops
		}
		if s.hops >= maxHops {
			return flows.AuthorizeResult{}, &Error{Err: ErrTooManyHops, URL: next.url, Msg: fmt.Sprintf(
				"gave up after %d requests without reaching the redirect URI %s (a redirect loop?); the next one was %s %s",
				maxHops, s.redirectURI, next.method, next.url)}
		}
		s.hops++
		resp, body, err := s.send(ctx, next)
		if err != nil {
			return flows.AuthorizeResult{}, err
		}
		cur := next.url
		if isRedirect(resp.StatusCode) {
			to, err := s.location(cur, resp)
			if err != nil {
				return flows.AuthorizeResult{}, err
			}
			method, body := http.MethodGet, ""
			if resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect {
				method, body = next.method, next.body
			}
			if callback.SameEndpoint(to, s.redirectURI) {
				s.redirect(cur, to, resp.StatusCode, method, "back to the redirect URI with the authorization response (not fetched)")
				return s.finish(to, "", method)
			}
			s.redirect(cur, to, resp.StatusCode, method, "")
			if u, err := url.Parse(to); err != nil || u.Scheme != "http" && u.Scheme != "https" {
				return flows.AuthorizeResult{}, &Error{Err: ErrUnknownPage, URL: to, Msg: fmt.Sprintf(
					"the provider redirected to %s, which is neither the redirect URI %s nor a web page", to, s.redirectURI)}
			}
			next = step{method: method, url: to, body: body}
			continue
		}
		st, err := s.page(cur, resp, body)
		var done *finished
		if errors.As(err, &done) {
			return s.finish(done.url, done.body, http.MethodPost)
		}
		if err != nil {
			return flows.AuthorizeResult{}, err
		}
		next = st
	}
}

// finished ends the walk with a form_post response.
type finished struct{ url, body string }

func (f *finished) Error() string { return "finished" }

// finish builds the callback from the redirect URL, or from a form_post body.
func (s *session) finish(to, formBody, method string) (flows.AuthorizeResult, error) {
	var (
		cb  record.Callback
		err error
	)
	if method == http.MethodPost && formBody != "" {
		cb, err = callback.ParseForm(formBody, to, s.now())
	} else {
		cb, err = callback.Parse(to, s.now())
	}
	if err != nil {
		return flows.AuthorizeResult{}, fmt.Errorf("the provider sent the browser back to the redirect URI, "+
			"but the response is broken: %w", err)
	}
	s.notes = append(s.notes, "stopped at the redirect URI without fetching it")
	return flows.AuthorizeResult{Callback: cb}, nil
}

func (s *session) send(ctx context.Context, st step) (*http.Response, []byte, error) {
	u, err := url.Parse(st.url)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot follow %q: %w", st.url, err)
	}
	u.Fragment, u.RawFragment = "", "" // a browser never sends the fragment
	var body *strings.Reader
	if st.body != "" || st.method == http.MethodPost {
		body = strings.NewReader(st.body)
	}
	var req *http.Request
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, st.method, u.String(), body)
	} else {
		req, err = http.NewRequestWithContext(ctx, st.method, u.String(), nil)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot follow %q: %w", st.url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	req.Header.Set("User-Agent", "oauthx built-in user agent")
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var ue *url.Error // "Get "URL": …" repeats what the message already says
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("%s %s: %s", st.method, u.Redacted(), httprec.Describe(err))
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil { // already in memory, bounded by the recorder
		return nil, nil, err
	}
	return resp, buf.Bytes(), nil
}

// location resolves the Location of a redirect against the URL it came from. As a
// browser does, a Location without a fragment keeps the fragment of that URL
// (RFC 9110 §10.2.2).
func (s *session) location(from string, resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", &Error{Err: ErrProviderPage, URL: from, Msg: fmt.Sprintf(
			"%s answered %d without a Location header: a redirect to nowhere", from, resp.StatusCode)}
	}
	base, err := url.Parse(from)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return "", &Error{Err: ErrProviderPage, URL: from, Msg: fmt.Sprintf(
			"%s redirected to a Location that cannot be parsed (%q): %v", from, loc, err)}
	}
	to := base.ResolveReference(ref)
	if ref.Fragment == "" && !strings.Contains(loc, "#") && base.Fragment != "" {
		to.Fragment, to.RawFragment = base.Fragment, base.RawFragment
	}
	return to.String(), nil
}

func (s *session) redirect(from, to string, status int, method, note string) {
	s.redirects = append(s.redirects, record.Redirect{From: from, To: to, Status: status, Method: method, Note: note})
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// page decides what to do on a page that is not a redirect: post a form_post response
// (returned as *finished), submit the login or consent form, or fail saying why.
func (s *session) page(cur string, resp *http.Response, body []byte) (step, error) {
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ctype != "text/html" && ctype != "application/xhtml+xml" {
		return step{}, &Error{Err: ErrProviderPage, URL: cur, Msg: fmt.Sprintf(
			"%s answered %s with %s instead of a login page or a redirect: %s",
			cur, resp.Status, orUnknown(ctype), snippet(body))}
	}
	p := parsePage(bytes.NewReader(body))

	// form_post: the provider's page auto-submits the response to the redirect URI
	// (OAuth 2.0 Form Post Response Mode §2). Stop there without posting it.
	for _, f := range p.forms {
		action := resolve(cur, f.action)
		if f.method == http.MethodPost && callback.SameEndpoint(action, s.redirectURI) {
			s.redirect(cur, action, 0, http.MethodPost,
				"form_post: the provider's page posts the authorization response to the redirect URI (not sent)")
			return step{}, &finished{url: action, body: values(f, nil).Encode()}
		}
	}

	if f, ok := s.loginForm(p); ok {
		return s.login(cur, p, f)
	}
	if f, ok := consentForm(p); ok {
		return s.consent(cur, p, f)
	}
	// A page whose only form is hidden fields posted by a script (an interstitial).
	if len(p.forms) == 1 && p.scripts && !p.forms[0].visible() {
		f := p.forms[0]
		to := resolve(cur, f.action)
		s.redirect(cur, to, 0, f.method, "form submitted by the page's script")
		return s.submit(f, to, values(f, nil)), nil
	}
	if resp.StatusCode >= 400 {
		msg := p.what()
		if len(p.alerts) > 0 {
			msg += ": " + strings.Join(p.alerts, "; ")
		}
		return step{}, &Error{Err: ErrProviderPage, URL: cur, Page: p.what(), Msg: fmt.Sprintf(
			"the authorization server answered %s with an error page instead of redirecting back (%s); "+
				"it must not redirect when the client or redirect URI is invalid (RFC 6749 §4.1.2.1)",
			resp.Status, msg)}
	}
	return step{}, &Error{Err: ErrUnknownPage, URL: cur, Page: p.what(), Msg: fmt.Sprintf(
		"stopped on the page \"%s\" at %s: it is neither a login nor a consent form this agent understands, so the login "+
			"could not be automated; %s", p.what(), cur, hint)}
}

var usernameNames = []string{"username", "login", "email", "user", "user_name", "userid", "user_id"}

// loginForm finds the login form: a post form with a password field, or with the
// bundled IdP's demo login buttons.
func (s *session) loginForm(p page) (form, bool) {
	for _, f := range p.forms {
		if f.hasPassword() {
			return f, true
		}
		for _, b := range f.buttons {
			if b.name == "demo_user" {
				return f, true
			}
		}
	}
	return form{}, false
}

func (s *session) login(cur string, p page, f form) (step, error) {
	a := s.agent
	user := a.Username
	if s.loginShape != "" && s.loginShape == f.shape() {
		msg := "the login page came back without saying why"
		if len(p.alerts) > 0 {
			msg = strings.Join(p.alerts, "; ")
		}
		return step{}, &Error{Err: ErrLoginFailed, URL: cur, Page: p.what(),
			Msg: fmt.Sprintf("login failed as %s: %s", orUnknown(user), msg)}
	}
	s.loginShape = f.shape()
	if user == "" {
		return step{}, &Error{Err: ErrLoginFailed, URL: cur, Page: p.what(),
			Msg: "the provider asks who logs in, and no user was chosen"}
	}
	to := resolve(cur, f.action)
	if a.Password == "" {
		var offered []string
		for _, b := range f.buttons {
			if b.name != "demo_user" {
				continue
			}
			if b.value == user {
				s.redirect(cur, to, 0, f.method, "login: demo login button pressed for "+user)
				s.notes = append(s.notes, "logged in as "+user+" with the demo login button")
				return s.submit(f, to, values(f, &b)), nil
			}
			offered = append(offered, b.value)
		}
		msg := fmt.Sprintf("login failed as %s: no password was given", user)
		if len(offered) > 0 {
			msg += fmt.Sprintf(" and the page has no demo login for %s (it offers %s)", user, strings.Join(offered, ", "))
		}
		return step{}, &Error{Err: ErrLoginFailed, URL: cur, Page: p.what(), Msg: msg}
	}
	v := values(f, submitButton(f, "demo_user"))
	filled := false
	for _, fd := range f.fields {
		if fd.typ == "email" || slices.Contains(usernameNames, strings.ToLower(fd.name)) {
			v.Set(fd.name, user)
			filled = true
		}
		if fd.typ == "password" {
			v.Set(fd.name, a.Password)
			s.passwordFields = append(s.passwordFields, fd.name)
		}
	}
	for k, val := range a.Fields {
		v.Set(k, val)
		filled = true
	}
	if !filled {
		return step{}, &Error{Err: ErrUnknownPage, URL: cur, Page: p.what(), Msg: fmt.Sprintf(
			"the login form on the page \"%s\" has no username field this agent knows (username, login, email); "+
				"name it with Fields, or %s", p.what(), hint)}
	}
	s.redirect(cur, to, 0, f.method, "login form submitted as "+user)
	s.notes = append(s.notes, "logged in as "+user+" with the login form")
	return s.submit(f, to, v), nil
}

var (
	allowWords = []string{"allow", "accept", "approve", "authorize", "authorise", "grant", "continue", "confirm", "consent", "yes", "ok"}
	denyWords  = []string{"deny", "reject", "decline", "cancel", "abort", "no"}
)

// consentForm finds the consent form: a post form with a decision button (the
// bundled IdP) or with a button that reads like allow or deny.
func consentForm(p page) (form, bool) {
	for _, f := range p.forms {
		if f.method != http.MethodPost {
			continue
		}
		for _, b := range f.buttons {
			if b.name == "decision" || wordsMatch(b.label(), allowWords) || wordsMatch(b.label(), denyWords) {
				return f, true
			}
		}
	}
	return form{}, false
}

func (s *session) consent(cur string, p page, f form) (step, error) {
	decision := strings.ToLower(s.agent.Decision)
	if decision == "" {
		decision = Allow
	}
	words := allowWords
	if decision == Deny {
		words = denyWords
	}
	to := resolve(cur, f.action)
	pick := func(b button) (step, error) {
		s.redirect(cur, to, 0, f.method, fmt.Sprintf("consent: %q pressed", b.label()))
		s.notes = append(s.notes, "consent: "+decision)
		v := values(f, &b)
		for k, val := range s.agent.Fields {
			v.Set(k, val)
		}
		return s.submit(f, to, v), nil
	}
	for _, b := range f.buttons {
		if b.name == "decision" && strings.EqualFold(b.value, decision) {
			return pick(b)
		}
	}
	for _, b := range f.buttons {
		if wordsMatch(b.label(), words) {
			return pick(b)
		}
	}
	if decision == Deny { // node oidc-provider's consent cancels with a link
		for _, l := range p.links {
			if wordsMatch(l.text, denyWords) {
				to := resolve(cur, l.href)
				s.redirect(cur, to, 0, http.MethodGet, fmt.Sprintf("consent: %q link followed", l.text))
				s.notes = append(s.notes, "consent: deny")
				return step{method: http.MethodGet, url: to}, nil
			}
		}
	}
	var labels []string
	for _, b := range f.buttons {
		labels = append(labels, fmt.Sprintf("%q", b.label()))
	}
	return step{}, &Error{Err: ErrUnknownPage, URL: cur, Page: p.what(), Msg: fmt.Sprintf(
		"the consent page \"%s\" has no button for %q (it has %s); %s", p.what(), decision, strings.Join(labels, ", "), hint)}
}

// submit builds the request a browser sends for the form.
func (s *session) submit(f form, to string, v url.Values) step {
	if f.method == http.MethodPost {
		return step{method: http.MethodPost, url: to, body: v.Encode()}
	}
	u, err := url.Parse(to)
	if err != nil {
		return step{method: http.MethodGet, url: to}
	}
	u.RawQuery, u.Fragment, u.RawFragment = v.Encode(), "", ""
	return step{method: http.MethodGet, url: u.String()}
}

// values are the form's successful controls (HTML §4.10.21.4): fields with their
// values, checked boxes only, and the pressed button's name and value.
func values(f form, pressed *button) url.Values {
	v := url.Values{}
	for _, fd := range f.fields {
		if (fd.typ == "checkbox" || fd.typ == "radio") && !fd.checked {
			continue
		}
		v.Add(fd.name, fd.value)
	}
	if pressed != nil && pressed.name != "" {
		v.Add(pressed.name, pressed.value)
	}
	return v
}

// submitButton returns the first submit button that is not named skip and does not
// read like a refusal, or nil (then a browser sends no button value).
func submitButton(f form, skip string) *button {
	for _, b := range f.buttons {
		if b.name != skip && !wordsMatch(b.label(), denyWords) {
			return &b
		}
	}
	return nil
}

// wordsMatch reports whether label contains one of words as a whole word.
func wordsMatch(label string, words []string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(label), func(r rune) bool {
		return !(r >= 'a' && r <= 'z')
	}) {
		if slices.Contains(words, w) {
			return true
		}
	}
	return false
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return ref
	}
	out := b.ResolveReference(r)
	if ref == "" || strings.HasPrefix(strings.TrimSpace(ref), "#") {
		out.Fragment, out.RawFragment = "", ""
	}
	return out.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func snippet(body []byte) string {
	s := squash(string(body))
	if s == "" {
		return "an empty body"
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// maskPasswords replaces the values of the named fields in recorded form bodies by
// MaskedPassword, keeping every other byte as sent.
func maskPasswords(exs []record.Exchange, fields []string) []record.Exchange {
	if len(fields) == 0 {
		return exs
	}
	for i, ex := range exs {
		if ex.Request.Body == "" || !strings.HasPrefix(ex.Request.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			continue
		}
		pairs := strings.Split(ex.Request.Body, "&")
		changed := false
		for j, pair := range pairs {
			k, _, _ := strings.Cut(pair, "=")
			if name, err := url.QueryUnescape(k); err == nil && slices.Contains(fields, name) {
				pairs[j] = k + "=" + MaskedPassword
				changed = true
			}
		}
		if changed {
			exs[i].Request.Body = strings.Join(pairs, "&")
		}
	}
	return exs
}
