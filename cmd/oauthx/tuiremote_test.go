package main

import (
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/loopback"
)

func TestExplorerBrowserOverSSH(t *testing.T) {
	t.Parallel()
	rc, err := loopback.Start(loopback.Config{RedirectURI: "http://localhost:0/callback"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	local := func(string) string { return "" }
	if b, ok := explorerBrowser(rc, local).(*loopback.Browser); !ok || b.NoOpen {
		t.Fatalf("locally: %#v", b)
	}
	ssh := func(k string) string {
		if k == "SSH_TTY" {
			return "/dev/pts/1"
		}
		return ""
	}
	a := explorerBrowser(rc, ssh)
	sb, ok := a.(sshBrowser)
	if !ok || !sb.NoOpen {
		t.Fatalf("over SSH: %#v", a)
	}
	port := strings.TrimPrefix(strings.TrimSuffix(rc.RedirectURI(), "/callback"), "http://localhost:")
	sum := sb.WaitSummary()
	for _, want := range []string{rc.RedirectURI(), "times out in 5m", "nothing opens here", "ssh -L " + port + ":127.0.0.1:" + port, "p pastes"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary %q lacks %q", sum, want)
		}
	}
}
