package useragent

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
)

// The agent against an independent provider: node oidc-provider with its development
// interactions (scripts/interop/provider.mjs), whose login form has fields "login"
// and "password", whose consent form has a single "Continue" button, and whose
// pages cancel with a "[ Cancel ]" link. Skipped when node or the npm package is not
// installed (scripts/interop/setup.sh installs it).

func startOIDCProvider(t *testing.T) string {
	t.Helper()
	script, _ := filepath.Abs("../../scripts/interop/provider.mjs")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; the oidc-provider interop test needs it")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "oidc-provider")); err != nil {
		t.Skip("oidc-provider is not installed; run scripts/interop/setup.sh")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", script, "--port", "0", "--watch-stdin", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		issuer, ok := strings.CutPrefix(l, "ISSUER ")
		if !ok {
			t.Fatalf("provider.mjs said %q", l)
		}
		return issuer
	case <-time.After(30 * time.Second):
		t.Fatal("oidc-provider did not start within 30 s")
	}
	return ""
}

func TestOIDCProvider(t *testing.T) {
	t.Parallel()
	issuer := startOIDCProvider(t)
	redirect := "http://127.0.0.1:49153/callback"
	sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
	pkce := url.Values{"client_id": {"native-app"}, "response_type": {"code"}, "scope": {"openid profile"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	tests := []struct {
		name  string
		agent Agent
		extra url.Values
		mode  string
		want  []string // parameters that must be present
		error string   // the error parameter, when one is expected
	}{
		{name: "PKCE, query", agent: Agent{Username: "alice", Password: "any"}, mode: callback.ModeQuery,
			want: []string{"code", "state", "iss"}},
		{name: "PKCE, form_post", agent: Agent{Username: "alice", Password: "any"},
			extra: url.Values{"response_mode": {"form_post"}}, mode: callback.ModeFormPost, want: []string{"code", "state"}},
		{name: "implicit, fragment", agent: Agent{Username: "alice", Password: "any"},
			extra: url.Values{"client_id": {"spa-implicit"}, "response_type": {"id_token token"}, "nonce": {"n-1"},
				"code_challenge": nil, "code_challenge_method": nil},
			mode: callback.ModeFragment, want: []string{"access_token", "id_token", "state"}},
		{name: "deny with the Cancel link", agent: Agent{Username: "alice", Password: "any", Decision: Deny},
			mode: callback.ModeQuery, error: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{}
			for k, v := range pkce {
				q[k] = v
			}
			for k, v := range tt.extra {
				if v == nil {
					q.Del(k)
				} else {
					q[k] = v
				}
			}
			q.Set("redirect_uri", redirect)
			q.Set("state", "st-"+tt.name)
			req := flows.AuthorizeRequest{URL: issuer + "/auth?" + q.Encode(), RedirectURI: redirect}
			res, err := tt.agent.Authorize(context.Background(), req)
			if err != nil {
				t.Fatalf("%v\nhops:\n%s", err, strings.Join(hops(res.Redirects), "\n"))
			}
			cb := res.Callback
			if cb.Mode != tt.mode || cb.Params["state"] != "st-"+tt.name || cb.Params["error"] != tt.error {
				t.Fatalf("callback %+v\nhops:\n%s", cb, strings.Join(hops(res.Redirects), "\n"))
			}
			for _, p := range tt.want {
				if cb.Params[p] == "" {
					t.Fatalf("no %s in %v", p, cb.Params)
				}
			}
			t.Logf("%d requests:\n%s", len(res.Exchanges), strings.Join(hops(res.Redirects), "\n"))
		})
	}
}
