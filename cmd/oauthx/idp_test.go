package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a goroutine-safe bytes.Buffer for the server's stderr log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunIdpServesAndShutsDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	issc := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- runIdpContext(ctx, []string{"--addr", "127.0.0.1:0", "--key-cache", t.TempDir(), "--fault", "wrong-iss,slow", "--fault", "expired"},
			&stdout, &stderr, func(iss string) { issc <- iss })
	}()
	var iss string
	select {
	case iss = <-issc:
	case code := <-done:
		t.Fatalf("runIdp exited %d early: %s", code, stderr.String())
	}
	resp, err := http.Get(iss + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md["issuer"] != iss {
		t.Fatalf("issuer %v, want %s", md["issuer"], iss)
	}
	req, _ := http.NewRequest("POST", iss+"/_oauthx/faults", strings.NewReader(`{"fault":"slow","on":false}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Active []string }
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if strings.Join(st.Active, ",") != "wrong-iss,expired" {
		t.Errorf("active faults %v", st.Active)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"Issuer:    " + iss, "web-app-secret", "machine-secret", "alice", "bob", "Faults on:", "consent", "every time (public)"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "GET /.well-known/openid-configuration 200") {
		t.Errorf("request log missing:\n%s", stderr.String())
	}
}

func TestRunIdpUsageErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "idp.toml")
	_ = os.WriteFile(bad, []byte("[[clients]]\nid = \"x\"\nsecret = \"s\"\nredirect_uris = [\"nope\"]\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"remote without flag", []string{"--addr", "0.0.0.0:0"}, "needs --allow-remote"},
		{"bad config", []string{"--addr", "127.0.0.1:0", "--config", bad}, "idp.toml: clients[0].redirect_uris[0]: must be an absolute URL"},
		{"unknown fault", []string{"--addr", "127.0.0.1:0", "--key-cache", "", "--fault", "nope"}, `unknown fault "nope"`},
		{"bad addr", []string{"--addr", "nope"}, "--addr"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr lockedBuffer
			if code := runIdpContext(context.Background(), tc.args, &stdout, &stderr, nil); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
	var stdout, stderr lockedBuffer
	if code := runIdpContext(context.Background(), []string{"--list-faults"}, &stdout, &stderr, nil); code != exitOK || !strings.Contains(stdout.String(), "iss-mismatch-authz") {
		t.Errorf("--list-faults: %d %s", code, stdout.String())
	}
}
