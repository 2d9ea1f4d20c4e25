package flows

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// postLogoutURI is the post_logout_redirect_uri to ask for.
func (fu *followUp) postLogoutURI(e *engine) string {
	if fu.opt.PostLogoutRedirectURI != "" {
		return fu.opt.PostLogoutRedirectURI
	}
	u, err := url.Parse(e.cfg.Client.RedirectURI)
	if err != nil || u.Host == "" {
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/logged-out"
}

func (fu *followUp) endSessionStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "end-session", Title: "Build the logout request", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorBrowser, Label: "302 to /end_session?id_token_hint=…"},
		}},
		specs: []record.SpecRef{
			{Spec: "OpenID Connect RP-Initiated Logout 1.0", Section: "§2", Title: "RP-initiated logout"},
			{Spec: "OpenID Connect RP-Initiated Logout 1.0", Section: "§3", Title: "Redirection to RP after logout"},
		},
		explanation: "To end the user's session at the provider too (not only in the app), the client sends the browser " +
			"to the end_session_endpoint with the ID token it got as id_token_hint (who is logging out, and which " +
			"client asks), the post_logout_redirect_uri to come back to (registered beforehand, matched exactly) and " +
			"a fresh state, which must come back unchanged.",
		pending: func(e *engine) (record.Request, error) {
			r := record.Request{Method: http.MethodGet, URL: e.lifecycleEndpoint(e.cfg.Provider.EndSessionEndpoint, e.meta().EndSessionEndpoint)}
			add := func(name, value, note string) {
				r.Params = append(r.Params, record.Param{Name: name, Value: value, Note: note})
			}
			add("id_token_hint", e.st.tokens.IDToken, "the ID token the client holds: who logs out, which client asks (RP-Initiated Logout §2)")
			add("client_id", e.cfg.Client.ID, "identifies the client, RECOMMENDED with post_logout_redirect_uri (RP-Initiated Logout §2)")
			if p := fu.postLogoutURI(e); p != "" {
				add("post_logout_redirect_uri", p, "where the provider sends the browser back; must be registered (RP-Initiated Logout §3)")
				if fu.logoutState == "" {
					s, err := e.randomValue(16)
					if err != nil {
						return r, err
					}
					fu.logoutState = s
				}
				add("state", fu.logoutState, "returned unchanged with the redirect back (RP-Initiated Logout §2)")
			}
			return r, nil
		},
		run: func(ctx context.Context, e *engine, b *builder) {
			req := b.req
			if req.URL == "" {
				b.skip("the provider advertises no end_session_endpoint (RP-Initiated Logout §2.1): the app can forget the tokens, but the session at the provider stays")
				return
			}
			fu.logoutURL = buildURL(req.URL, req.Params)
			if p := req.Get("post_logout_redirect_uri"); p != "" {
				fu.logoutBack, _ = url.Parse(p)
			}
			b.artifact(record.Artifact{Name: "logout_url", Value: fu.logoutURL, Note: "the URL the browser is sent to"})
			if fu.logoutState != "" {
				b.artifact(record.Artifact{Name: "state", Value: fu.logoutState, Derivation: []string{"state = BASE64URL(16 random octets)"}})
			}
		},
	}
}

func (fu *followUp) logoutStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "logout", Title: "Browser logs out at the provider", Arrows: []record.Arrow{
			{From: record.ActorBrowser, To: record.ActorAuthz, Label: "GET /end_session"},
			{From: record.ActorAuthz, To: record.ActorBrowser, Label: "302 to post_logout_redirect_uri?state=…"},
		}},
		specs: []record.SpecRef{{Spec: "OpenID Connect RP-Initiated Logout 1.0", Section: "§3", Title: "Redirection to RP after logout"}},
		explanation: "The browser follows the logout request. The provider checks the id_token_hint (it must have issued " +
			"it; an expired one is fine), ends the session, and redirects to the post_logout_redirect_uri with the state, " +
			"or shows its own signed-out page when none was asked for or it is not registered.",
		run: fu.runLogout,
	}
}

var titleRE = regexp.MustCompile(`(?is)<h1[^>]*>(.*?)</h1>`)

// runLogout walks the logout as the built-in user agent: every redirect is recorded,
// and it stops at the post_logout_redirect_uri without fetching it.
func (fu *followUp) runLogout(ctx context.Context, e *engine, b *builder) {
	if fu.logoutURL == "" {
		b.skip("no logout request was sent")
		return
	}
	client := *e.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Jar = nil
	next := fu.logoutURL
	for hop := 0; hop < 10; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			b.fail(record.ErrConfig, "cannot follow %s: %v", next, err)
			return
		}
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			b.takeExchanges()
			if ctx.Err() != nil {
				b.fail(record.ErrCanceled, "cancelled during logout: %v", ctx.Err())
				return
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			b.fail(record.ErrNetwork, "GET %s: %v", next, err)
			return
		}
		resp.Body.Close()
		exs := b.takeExchanges()
		var body string
		if len(exs) > 0 && exs[len(exs)-1].Response != nil {
			body = exs[len(exs)-1].Response.Body
		}
		switch resp.StatusCode {
		case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				b.fail(record.ErrResponse, "%s answered %d without a usable Location", next, resp.StatusCode)
				return
			}
			if fu.logoutBack != nil && sameEndpoint(loc, fu.logoutBack) {
				b.rec.Redirects = append(b.rec.Redirects, record.Redirect{From: next, To: loc.String(), Status: resp.StatusCode, Method: http.MethodGet,
					Note: "back to the post_logout_redirect_uri (not fetched)"})
				b.artifact(record.Artifact{Name: "post_logout_redirect", Value: loc.String(), Note: "where the browser came back"})
				e.st.callback = &record.Callback{Mode: "query", URL: loc.String(), Params: firstValues(loc.Query()), ReceivedAt: e.now()}
				b.note("Logged out at the provider; the browser came back to the client.")
				return
			}
			b.rec.Redirects = append(b.rec.Redirects, record.Redirect{From: next, To: loc.String(), Status: resp.StatusCode, Method: http.MethodGet})
			next = loc.String()
		default:
			title := ""
			if m := titleRE.FindStringSubmatch(body); m != nil {
				title = strings.TrimSpace(m[1])
			}
			if resp.StatusCode >= 400 {
				b.fail(record.ErrResponse, "the provider refused the logout request with HTTP %d (%s)", resp.StatusCode, orNone(title))
				return
			}
			b.note("The provider showed its own page (%s) instead of redirecting back.", orNone(title))
			if fu.logoutBack != nil {
				b.warn("a post_logout_redirect_uri was asked for, but the provider did not redirect to it (is it registered for this client?)")
			}
			return
		}
	}
	b.fail(record.ErrResponse, "gave up after 10 redirects without reaching %v", fu.logoutBack)
}

// sameEndpoint compares scheme, host and path; a loopback host matches any port
// (RFC 8252 §7.3), as the provider matched it.
func sameEndpoint(got, want *url.URL) bool {
	if !strings.EqualFold(got.Scheme, want.Scheme) || got.Path != want.Path || !strings.EqualFold(got.Hostname(), want.Hostname()) {
		return false
	}
	if got.Port() == want.Port() {
		return true
	}
	ip := net.ParseIP(want.Hostname())
	return (ip != nil && ip.IsLoopback() || want.Hostname() == "localhost") && want.Port() == ""
}

func firstValues(v url.Values) map[string]string {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

func (fu *followUp) loggedOutStep(e *engine) step {
	return step{
		plan: record.StepPlan{ID: "logged-out", Title: "Check the redirect back", Arrows: []record.Arrow{
			{From: record.ActorBrowser, To: record.ActorClient, Label: "?state"},
		}},
		specs: []record.SpecRef{{Spec: "OpenID Connect RP-Initiated Logout 1.0", Section: "§3", Title: "Redirection to RP after logout"}},
		explanation: "The client checks that the state that came back is the one it sent, so a forged \"you are logged " +
			"out\" redirect from elsewhere is not taken for the provider's answer; then it forgets the tokens.",
		run: func(_ context.Context, e *engine, b *builder) {
			cb := e.st.callback
			if fu.logoutState == "" || cb == nil {
				b.skip("no redirect back to check (no post_logout_redirect_uri, or the provider showed its own page)")
				return
			}
			got, has := cb.Params["state"]
			c := record.Check{Name: "state", Expected: fu.logoutState, Actual: got, Spec: "OpenID Connect RP-Initiated Logout 1.0 §2, §3"}
			switch {
			case !has:
				c.Outcome, c.Actual, c.Reason = record.OutcomeFail, "(absent)", "the provider must return the state it was given"
			case got != fu.logoutState:
				c.Outcome, c.Reason = record.OutcomeFail, "another state came back: this redirect was not the answer to this client's logout request"
			default:
				c.Outcome, c.Reason = record.OutcomePass, "the redirect answers this client's logout request"
			}
			b.check(c)
			e.st.tokens = Tokens{}
			b.note("The client forgets its tokens: %s.", fmt.Sprintf("access %s, refresh %s, ID token", fingerprint(fu.from.AccessToken), fingerprint(fu.from.RefreshToken)))
		},
	}
}
