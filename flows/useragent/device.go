package useragent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"strings"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/httprec"
)

// deviceNoRedirect stands for the redirect URI in a device approval, which has none;
// it never matches a URL, so the walk ends on the provider's final page.
const deviceNoRedirect = "urn:ietf:params:oauth:grant-type:device_code"

// ApproveDevice plays the user's side of the device authorization grant (RFC 8628
// §3.3): it opens verification_uri_complete (or verification_uri), enters or confirms
// the user code, logs in and answers the consent page as [Agent.Authorize] does, and
// stops on the provider's final page ("Device connected", "Request denied"). A denial
// is not an error: the device learns it by polling. Every hop and exchange is in the
// result. It makes Agent a [flows.DeviceApprover].
func (a *Agent) ApproveDevice(ctx context.Context, da flows.DeviceAuthorization) (flows.AuthorizeResult, error) {
	rec := &httprec.Recorder{Now: a.Now}
	client := rec.Client(a.Client)
	jar, err := cookiejar.New(nil)
	if err != nil {
		return flows.AuthorizeResult{}, err
	}
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &session{agent: a, client: client, redirectURI: deviceNoRedirect, now: a.now()}
	var res flows.AuthorizeResult
	if d := strings.ToLower(a.Decision); d != "" && d != Allow && d != Deny {
		err = fmt.Errorf("consent decision %q: want %q or %q", a.Decision, Allow, Deny)
	} else {
		err = s.device(ctx, da)
	}
	res.Redirects = s.redirects
	res.Exchanges = maskPasswords(rec.Take(), s.passwordFields)
	res.Notes = s.notes
	return res, err
}

func (s *session) device(ctx context.Context, da flows.DeviceAuthorization) error {
	start := da.VerificationURIComplete
	if start == "" {
		start = da.VerificationURI
	}
	if start == "" {
		return errors.New("no verification URI to open")
	}
	next := step{method: http.MethodGet, url: start}
	entered := false
	maxHops := s.agent.MaxHops
	if maxHops <= 0 {
		maxHops = DefaultMaxHops
	}
	for {
		if s.hops >= maxHops {
			return &Error{Err: ErrTooManyHops, URL: next.url, Msg: fmt.Sprintf("gave up after %d requests without reaching the end of the device approval", maxHops)}
		}
		s.hops++
		resp, body, err := s.send(ctx, next)
		if err != nil {
			return err
		}
		cur := next.url
		if isRedirect(resp.StatusCode) {
			to, err := s.location(cur, resp)
			if err != nil {
				return err
			}
			s.redirect(cur, to, resp.StatusCode, http.MethodGet, "")
			next = step{method: http.MethodGet, url: to}
			continue
		}
		ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ctype != "text/html" && ctype != "application/xhtml+xml" {
			return &Error{Err: ErrProviderPage, URL: cur, Msg: fmt.Sprintf("%s answered %s with %s instead of a page: %s", cur, resp.Status, orUnknown(ctype), snippet(body))}
		}
		p := parsePage(bytes.NewReader(body))
		if f, name, ok := userCodeForm(p); ok {
			if entered {
				msg := "the provider showed the code page again"
				if len(p.alerts) > 0 {
					msg += ": " + strings.Join(p.alerts, "; ")
				}
				return &Error{Err: ErrProviderPage, URL: cur, Page: p.what(), Msg: msg}
			}
			entered = true
			to := resolve(cur, f.action)
			var pressed *button
			if len(f.buttons) > 0 {
				pressed = &f.buttons[0]
			}
			v := values(f, pressed)
			v.Set(name, da.UserCode)
			s.redirect(cur, to, 0, f.method, "user code "+da.UserCode+" entered")
			s.notes = append(s.notes, "opened "+start+" and entered the user code "+da.UserCode)
			next = s.submit(f, to, v)
			continue
		}
		st, err := s.page(cur, resp, body)
		if err == nil {
			next = st
			continue
		}
		var ue *Error
		if errors.As(err, &ue) && errors.Is(ue.Err, ErrUnknownPage) && resp.StatusCode < 400 && len(p.forms) == 0 {
			s.notes = append(s.notes, "the provider's page says: "+p.what())
			return nil
		}
		return err
	}
}

// userCodeForm finds the form asking for the user code (RFC 8628 §3.3).
func userCodeForm(p page) (form, string, bool) {
	for _, f := range p.forms {
		for _, fd := range f.fields {
			if n := strings.ToLower(fd.name); n == "user_code" || n == "usercode" || n == "code" && !f.hasPassword() {
				return f, fd.name, true
			}
		}
	}
	return form{}, "", false
}
