package loopback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/pkg/browser"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
)

// Browser is a [flows.Authorizer] that opens the authorization request in the
// person's browser and waits for the response at a loopback [Receiver].
type Browser struct {
	// Receiver is where the response arrives; bind it before the flow builds the
	// request so its RedirectURI can be sent. Nil means: bind the loopback redirect URI
	// of the request (ListenFor), before the browser opens. Authorize closes the
	// receiver when it returns: one receiver serves one response.
	Receiver *Receiver
	// Open opens a URL in the browser; nil means OpenBrowser.
	Open func(url string) error
	// Timeout bounds the wait for the person to log in; zero means DefaultTimeout.
	Timeout time.Duration
}

// OpenError says that no browser could be opened. The person can open URL by hand
// and paste the final redirect URL back.
type OpenError struct {
	URL string
	Err error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("could not open a browser (%v); open this URL by hand, log in, "+
		"then paste the final redirect URL back: %s", e.Err, e.URL)
}

// Unwrap returns the opener's error.
func (e *OpenError) Unwrap() error { return e.Err }

var quietBrowser sync.Once

// OpenBrowser opens url in the person's browser with github.com/pkg/browser, with the
// helper's output discarded so it never lands on the terminal the TUI draws. It
// blocks until the helper (xdg-open, open, rundll32) returns: call it from a
// goroutine or a tea.Cmd, never from the UI loop.
func OpenBrowser(url string) error {
	quietBrowser.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	return browser.OpenURL(url)
}

// Authorize binds the receiver if needed, opens req.URL in the browser and waits for
// the authorization response at the redirect URI, until ctx is done or the timeout.
// The state of req.URL is what the receiver expects ([Receiver.Expect]).
func (b *Browser) Authorize(ctx context.Context, req flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	var res flows.AuthorizeResult
	rc := b.Receiver
	if rc == nil {
		var err error
		if rc, err = ListenFor(req.RedirectURI); err != nil {
			return res, err
		}
		res.Notes = append(res.Notes, "listening at "+rc.RedirectURI())
	}
	defer rc.Close()

	state := ""
	if u, err := url.Parse(req.URL); err == nil {
		state = u.Query().Get("state")
	}
	rc.Expect(state)
	if req.RedirectURI != "" && !callback.SameEndpoint(req.RedirectURI, rc.RedirectURI()) {
		res.Notes = append(res.Notes, fmt.Sprintf("the request's redirect_uri %s is not where the receiver listens (%s): "+
			"the response will not come back here", req.RedirectURI, rc.RedirectURI()))
	}

	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	waitCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(timeout, func() {
		cancel(fmt.Errorf("%w: no authorization response reached %s within %s; finish the login in the browser "+
			"and try again, or paste the final redirect URL back", ErrTimeout, rc.RedirectURI(), timeout))
	})
	defer timer.Stop()

	open := b.Open
	if open == nil {
		open = OpenBrowser
	}
	go func() {
		if err := open(req.URL); err != nil {
			cancel(&OpenError{URL: req.URL, Err: err})
		}
	}()

	cb, err := rc.Wait(waitCtx)
	if err != nil {
		if cause := context.Cause(waitCtx); cause != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			err = cause
		}
		return res, err
	}
	res.Callback = cb
	res.Notes = append(res.Notes, "opened the browser", "authorization response received at "+rc.RedirectURI()+
		" by "+cb.Mode+" from "+cb.From)
	return res, nil
}
