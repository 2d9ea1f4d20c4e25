package tui

import (
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
)

// summarisingAuth is a browser authorizer that says where and how long it waits, as
// loopback.Browser does.
type summarisingAuth struct{ fakeAuth }

func (summarisingAuth) WaitSummary() string {
	return "http://127.0.0.1:8765/callback, times out in 5m"
}

func TestBrowserWaitSaysWhereAndHowLong(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.Browser = func() flows.Authorizer { return summarisingAuth{fakeAuth{"browser"}} }
	})
	h.size(100, 30)
	walkTo(h, 3)          // discovery, prepare, authorize: the login is next
	h.send(keyPress("o")) // started, not yet answered
	if got := h.m.walk.status; got != "waiting for the browser (esc cancels): http://127.0.0.1:8765/callback, times out in 5m" {
		t.Fatalf("status = %q", got)
	}
	if !strings.Contains(h.screen(), "times out in 5m") {
		t.Errorf("the wait is not on screen:\n%s", h.screen())
	}
}
