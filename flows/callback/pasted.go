package callback

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
)

// Pasted is a [flows.Authorizer] whose authorization response is a redirect URL the
// person copied from the browser's address bar and pasted back: the way through when
// no browser can be opened from here, or when a real provider redirects to a URI
// nothing listens on.
type Pasted struct {
	// URL is the final redirect URL as pasted, with its query or fragment.
	URL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// PastedURL returns an Authorizer that answers with the redirect URL raw, pasted by
// the person. The authorization request itself is not sent: the person already did
// that in their browser.
func PastedURL(raw string) flows.Authorizer { return &Pasted{URL: raw} }

// Authorize parses the pasted URL as the authorization response for req.
func (p *Pasted) Authorize(ctx context.Context, req flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	if err := ctx.Err(); err != nil {
		return flows.AuthorizeResult{}, err
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	raw := strings.TrimSpace(p.URL)
	if req.ResponseMode == ModeFormPost {
		return flows.AuthorizeResult{}, errors.New("with response_mode=form_post the provider posts the response " +
			"in a form body, which a pasted URL cannot carry; use the loopback receiver (browser) or another response mode")
	}
	cb, err := Parse(raw, now())
	if err != nil {
		if errors.Is(err, ErrNoResponse) && req.RedirectURI != "" {
			err = fmt.Errorf("%w; paste the whole URL the browser ended on, starting with %s", err, req.RedirectURI)
		}
		return flows.AuthorizeResult{}, err
	}
	res := flows.AuthorizeResult{Callback: cb, Notes: []string{"redirect URL pasted by the person"}}
	if req.RedirectURI != "" && !SameEndpoint(raw, req.RedirectURI) {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"the pasted URL does not start with the redirect URI of the request (%s)", req.RedirectURI))
	}
	return res, nil
}

// SameEndpoint reports whether the URL got is at the redirect URI want: the same
// scheme, host and port (case-insensitive) and path, whatever the query and fragment.
// An empty path equals "/".
func SameEndpoint(got, want string) bool {
	g, err := url.Parse(got)
	if err != nil {
		return false
	}
	w, err := url.Parse(want)
	if err != nil {
		return false
	}
	path := func(u *url.URL) string {
		if u.EscapedPath() == "" {
			return "/"
		}
		return u.EscapedPath()
	}
	return strings.EqualFold(g.Scheme, w.Scheme) && strings.EqualFold(g.Host, w.Host) &&
		g.Opaque == w.Opaque && path(g) == path(w)
}
