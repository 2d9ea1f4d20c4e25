package main

import (
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/loopback"
)

// explorerBrowser is the `o` key's authorizer. Over SSH (getenv: SSH_CONNECTION or
// SSH_TTY set) it opens nothing on the remote machine, where a text-mode browser
// could take over the terminal the explorer draws; the person copies the URL (c) to
// a browser on their own machine, and the status line says how to forward the port.
func explorerBrowser(rc *loopback.Receiver, getenv func(string) string) flows.Authorizer {
	b := &loopback.Browser{Receiver: rc}
	if rc == nil || !loopback.OverSSH(getenv) {
		return b
	}
	b.NoOpen = true
	return sshBrowser{b}
}

// sshBrowser adds the tunnel to the wait's summary.
type sshBrowser struct{ *loopback.Browser }

// WaitSummary says, over SSH, how to bring the redirect here first (the status line
// is one line: the essentials come first), then where and for how long it waits.
func (s sshBrowser) WaitSummary() string {
	rc := s.Receiver
	fwd := loopback.SSHForward(loopback.Wait{RedirectURI: rc.RedirectURI(), Listening: rc.Listening(), Remote: rc.Remote()})
	sum := "over SSH, nothing opens here: "
	if fwd != "" {
		sum += "ssh -L " + fwd + ", then "
	}
	return sum + "c copies the URL to open on your machine (or esc, p pastes the final URL) · " + s.Browser.WaitSummary()
}
