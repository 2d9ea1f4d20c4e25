package loopback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
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
	// A deadline of the context that comes sooner shortens it.
	Timeout time.Duration
	// NoOpen leaves the browser closed: the person opens the URL by hand, on this
	// machine or another (a remote terminal, a QR code on a phone). Waiting should
	// then show it.
	NoOpen bool
	// Waiting, when not nil, is told where and how long the receiver waits, once
	// before the browser opens, and again (with OpenErr set) if the browser cannot be
	// opened and the wait goes on because Paste is set. Headless mode prints it:
	// "waiting for the redirect on http://127.0.0.1:8765/callback (times out in 5m)".
	// It is called on the goroutine of Authorize, or on the opener's.
	Waiting func(Wait)
	// Paste, when not nil, delivers what the person pasted back (one line each): the
	// final redirect URL from the browser's address bar. The first one that parses
	// ends the wait like a response at the receiver, so a flow finishes even when the
	// browser cannot reach the receiver (another machine, no tunnel). One that does
	// not parse is reported through Waiting (PasteErr) and the wait goes on. A closed
	// channel means nothing more will be pasted.
	Paste <-chan string
}

// Wait is what [Browser] tells its Waiting func.
type Wait struct {
	// URL is the authorization request to open.
	URL string
	// RedirectURI is where the provider sends the browser back.
	RedirectURI string
	// Listening are the addresses the receiver is bound to; Remote says whether it
	// answers requests from other machines.
	Listening []string
	Remote    bool
	// Timeout is how long the wait lasts, from Deadline's point of view.
	Timeout  time.Duration
	Deadline time.Time
	// OpenErr is set when the browser could not be opened and the wait goes on.
	OpenErr error
	// PasteErr is set when a pasted line was not an authorization response.
	PasteErr error
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
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d).Round(time.Second), time.Second) // what is left of the caller's bound is what is shown
	}
	waitCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(timeout, func() {
		cancel(fmt.Errorf("%w: no authorization response reached %s within %s; finish the login in the browser "+
			"and try again, or paste the final redirect URL back", ErrTimeout, rc.RedirectURI(), timeout))
	})
	defer timer.Stop()

	info := Wait{URL: req.URL, RedirectURI: rc.RedirectURI(), Listening: rc.Listening(), Remote: rc.Remote(),
		Timeout: timeout, Deadline: time.Now().Add(timeout)}
	if b.Waiting != nil {
		b.Waiting(info)
	}
	if !b.NoOpen {
		open := b.Open
		if open == nil {
			open = OpenBrowser
		}
		go func() {
			if err := open(req.URL); err != nil {
				oe := &OpenError{URL: req.URL, Err: err}
				if b.Paste == nil {
					cancel(oe)
					return
				}
				if b.Waiting != nil {
					w := info
					w.OpenErr = oe
					b.Waiting(w)
				}
			}
		}()
	}

	// A pasted redirect URL ends the wait too.
	pasted := make(chan flows.AuthorizeResult, 1)
	if b.Paste != nil {
		go func() {
			for {
				select {
				case <-waitCtx.Done():
					return
				case line, ok := <-b.Paste:
					if !ok {
						return
					}
					line = strings.TrimSpace(line)
					if line == "" {
						continue
					}
					r, err := callback.PastedURL(line).Authorize(waitCtx, req)
					if err != nil {
						if b.Waiting != nil {
							w := info
							w.PasteErr = err
							b.Waiting(w)
						}
						continue
					}
					pasted <- r
					cancel(errPasted)
					return
				}
			}
		}()
	}

	cb, err := rc.Wait(waitCtx)
	if err != nil {
		select {
		case r := <-pasted:
			r.Notes = append(res.Notes, append([]string{"the redirect URL was pasted back (the receiver at " +
				rc.RedirectURI() + " got nothing)"}, r.Notes...)...)
			return r, nil
		default:
		}
		if cause := context.Cause(waitCtx); cause != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			err = cause
		}
		return res, err
	}
	res.Callback = cb
	if b.NoOpen {
		res.Notes = append(res.Notes, "the person opened the URL by hand")
	} else {
		res.Notes = append(res.Notes, "opened the browser")
	}
	res.Notes = append(res.Notes, "authorization response received at "+rc.RedirectURI()+" by "+cb.Mode+" from "+cb.From)
	return res, nil
}

// errPasted ends the receiver's wait when a pasted URL answered instead.
var errPasted = errors.New("the redirect URL was pasted back")

// WaitSummary says in a few words where the response is expected and how long the
// wait lasts, for a status line: "http://127.0.0.1:8765/callback, times out in 5m".
// It is "" when the receiver is bound only at Authorize (Receiver nil).
func (b *Browser) WaitSummary() string {
	if b.Receiver == nil {
		return ""
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return b.Receiver.RedirectURI() + ", times out in " + shortDuration(timeout)
}
