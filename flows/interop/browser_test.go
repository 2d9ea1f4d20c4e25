package interop

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// testBrowser is a small user agent for oidc-provider's development interactions
// (features.devInteractions), independent of the engine's own user agent
// (flows/useragent), so that the provider is proved to work before the engine is
// tested against it.
//
// What it walks through (oidc-provider 9.x):
//
//	GET  /auth?…                     303 → /interaction/{uid}   (sets _interaction cookies)
//	GET  /interaction/{uid}          200, the login form:
//	     <form autocomplete="off" action="/interaction/{uid}" method="post">
//	       <input type="hidden" name="prompt" value="login"/>
//	       <input required type="text" name="login" placeholder="Enter any login">
//	       <input required type="password" name="password" placeholder="and password">
//	       <button type="submit" class="login login-submit">Sign-in</button>
//	     </form>
//	POST /interaction/{uid}          303 → /auth/{uid}           (resumes the request)
//	GET  /auth/{uid}                 303 → /interaction/{uid2}
//	GET  /interaction/{uid2}         200, the consent form:
//	     <form autocomplete="off" action="/interaction/{uid2}" method="post">
//	       <input type="hidden" name="prompt" value="consent"/>
//	       <button autofocus type="submit" class="login login-submit">Continue</button>
//	     </form>
//	POST /interaction/{uid2}         303 → /auth/{uid2}
//	GET  /auth/{uid2}                303 → {redirect_uri}?code=…&state=…&iss=…
//
// The buttons have no name or value, so nothing but the hidden prompt field says which
// form is which; a button named "allow" or "approve" does not exist. With
// response_mode=form_post the last page is an auto-submitting form whose action is the
// redirect URI; the browser returns its fields instead of posting them.
type testBrowser struct {
	client   *http.Client
	login    string
	password string
	// hops records every request made, "METHOD URL -> STATUS".
	hops []string
}

func newTestBrowser(t *testing.T, login string) *testBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testBrowser{
		client: &http.Client{
			Jar:           jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		login:    login,
		password: "any password works",
	}
}

// authorize follows authURL through login and consent until the provider redirects to
// (or posts to) a URL that starts with redirectURI, and returns the parameters of the
// authorization response: the query, the fragment, or the posted form.
func (b *testBrowser) authorize(ctx context.Context, authURL, redirectURI string) (url.Values, error) {
	method, target, form := http.MethodGet, authURL, url.Values(nil)
	for range 20 {
		if strings.HasPrefix(target, redirectURI) {
			if method == http.MethodPost {
				return form, nil
			}
			u, err := url.Parse(target)
			if err != nil {
				return nil, err
			}
			if u.Fragment != "" {
				return url.ParseQuery(u.Fragment)
			}
			return u.Query(), nil
		}
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, err
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, err
		}
		page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		b.hops = append(b.hops, fmt.Sprintf("%s %s -> %d", method, target, resp.StatusCode))

		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("%s %s: redirect without Location: %w", method, target, err)
			}
			method, target, form = http.MethodGet, loc.String(), nil
		case resp.StatusCode == http.StatusOK:
			action, m, fields, ok := parseForm(string(page))
			if !ok {
				return nil, fmt.Errorf("%s %s: page without a form:\n%s", method, target, page)
			}
			next, err := resp.Request.URL.Parse(action)
			if err != nil {
				return nil, err
			}
			if _, ok := fields["login"]; ok {
				fields.Set("login", b.login)
			}
			if _, ok := fields["password"]; ok {
				fields.Set("password", b.password)
			}
			method, target, form = strings.ToUpper(m), next.String(), fields
		default:
			return nil, fmt.Errorf("%s %s: status %d:\n%s", method, target, resp.StatusCode, page)
		}
	}
	return nil, fmt.Errorf("no redirect to %s after 20 hops: %v", redirectURI, b.hops)
}

var (
	formRE  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*"([^"]*)"`)
)

// parseForm returns the first form of page: its action, method and fields (inputs
// with a name, with their values). It is only good for the simple pages of
// oidc-provider's development interactions.
func parseForm(page string) (action, method string, fields url.Values, ok bool) {
	m := formRE.FindStringSubmatch(page)
	if m == nil {
		return "", "", nil, false
	}
	attrs := parseAttrs(m[1])
	method = attrs["method"]
	if method == "" {
		method = http.MethodGet
	}
	fields = url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
		a := parseAttrs(in[1])
		if name := a["name"]; name != "" {
			fields.Set(name, a["value"])
		}
	}
	return attrs["action"], method, fields, true
}

func parseAttrs(s string) map[string]string {
	attrs := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return attrs
}
