// Package interop proves the oauthx engine against an independent, real OpenID
// provider: oidc-provider (the npm package), started on loopback by the test run from
// scripts/interop/provider.mjs. The package holds the tests and [StartOIDCProvider],
// which other packages' tests may use too.
//
// Locally the tests skip when Node.js or the npm package is missing, and say how to
// install it (bash scripts/interop/setup.sh). In CI (env CI set) or with
// OAUTHX_INTEROP=1 they fail instead, so interop can never be skipped silently.
package interop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// OIDCProvider is a running oidc-provider.
//
// Its demo clients mirror the bundled IdP's (see scripts/interop/provider.mjs):
// web-app / web-app-secret (code, client_secret_basic or client_secret_post),
// native-app (public, PKCE S256), spa-implicit (id_token and id_token token) and
// machine / machine-secret (client_credentials, scopes api:read api:write). Browser
// clients accept http://127.0.0.1/callback and http://localhost/callback on any port
// (RFC 8252 §7.3). Any login and password sign in; the login is the subject.
type OIDCProvider struct {
	// Issuer is the provider's issuer identifier, http://127.0.0.1:PORT.
	Issuer string
}

// Demo clients of the provider.
const (
	WebAppID          = "web-app"
	WebAppSecret      = "web-app-secret"
	NativeAppID       = "native-app"
	SPAImplicitID     = "spa-implicit"
	MachineID         = "machine"
	MachineSecret     = "machine-secret"
	LoopbackCallback  = "http://127.0.0.1/callback"
	startTimeout      = 30 * time.Second
	stopTimeout       = 5 * time.Second
	maxProviderStderr = 64 << 10
)

// Required reports whether interop tests must run rather than skip: in CI (env CI
// set to anything but "false" or "0") or when OAUTHX_INTEROP=1.
func Required() bool {
	if os.Getenv("OAUTHX_INTEROP") == "1" {
		return true
	}
	ci := os.Getenv("CI")
	return ci != "" && ci != "false" && ci != "0"
}

// ScriptDir returns the absolute path of scripts/interop in this module.
func ScriptDir() (string, error) {
	// The source file's own path works for `go test` from any directory.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "interop")
		if _, err := os.Stat(filepath.Join(dir, "provider.mjs")); err == nil {
			return filepath.Clean(dir), nil
		}
	}
	// Built with -trimpath: walk up from the working directory to go.mod.
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "interop"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("interop: cannot find the module root (go.mod) to locate scripts/interop")
		}
		dir = parent
	}
}

// StartOIDCProvider starts oidc-provider on a free loopback port and stops it when
// the test ends. It skips the test (or fails it, see [Required]) when Node.js or the
// npm package is not installed.
//
// The provider exits on SIGTERM and when its standard input closes, so it does not
// outlive the test binary even when the binary is killed.
func StartOIDCProvider(t testing.TB) *OIDCProvider {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if Required() {
			t.Fatalf("interop: %s (interop tests are required in CI and with OAUTHX_INTEROP=1)", msg)
		}
		t.Skipf("interop: %s; install it with `bash scripts/interop/setup.sh` (needs Node.js 20+ and npm)", msg)
	}

	dir, err := ScriptDir()
	if err != nil {
		unavailable("%v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		unavailable("oidc-provider is not installed in %s", dir)
	}

	cmd := exec.Command(node, filepath.Join(dir, "provider.mjs"), "--port", "0", "--watch-stdin")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=test", "DEBUG=")
	stderr := &limitedBuffer{max: maxProviderStderr}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("interop: stdin pipe: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("interop: stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		unavailable("cannot start node: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			stdin.Close()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", stderr.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r) // nothing else is printed; never block the child
	}()

	select {
	case line := <-lines:
		issuer, ok := strings.CutPrefix(strings.TrimSpace(line), "ISSUER ")
		if !ok || !strings.HasPrefix(issuer, "http://") {
			stop()
			t.Fatalf("interop: provider.mjs printed %q instead of \"ISSUER http://…\"; stderr:\n%s", line, stderr.String())
		}
		return &OIDCProvider{Issuer: issuer}
	case <-time.After(startTimeout):
		stop()
		t.Fatalf("interop: oidc-provider did not start within %s; stderr:\n%s", startTimeout, stderr.String())
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it; it is safe for concurrent use.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
