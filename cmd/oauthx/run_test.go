package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
)

// testKeys are fixed signing keys for the bundled IdP, so tests skip RSA key generation.
var testKeys = filepath.Join("..", "..", "flows", "testdata", "idpkeys")

// runCLI runs `oauthx run ARGS…` in-process and returns its exit code, its stdout
// parsed as JSON Lines, and its stderr.
func runCLI(t *testing.T, stdin io.Reader, args ...string) (int, []record.Step, string, string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	args = append([]string{"run", "--idp-key-cache=" + testKeys}, args...)
	code := realMain(args, stdin, &stdout, &stderr)
	var steps []record.Step
	sc := bufio.NewScanner(bytes.NewReader(stdout.Bytes()))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var s record.Step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("stdout line is not a step record: %v\n%s", err, sc.Text())
		}
		steps = append(steps, s)
	}
	return code, steps, stdout.String(), stderr.String()
}

func ids(steps []record.Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID+":"+string(s.Status))
	}
	return strings.Join(out, " ")
}

func TestRunFlowsSucceed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"pkce", "--json"}, "discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{[]string{"authorization-code", "--json", "--user", "bob", "--auth-method", "client_secret_post"},
			"discovery:done prepare:done authorize:done login:done callback:done token:done id-token:done"},
		{[]string{"--json", "implicit"}, "discovery:done prepare:done authorize:done login:done callback:done id-token:done"},
		{[]string{"implicit", "--json", "--response-type", "id_token"}, "discovery:done prepare:done authorize:done login:done callback:done id-token:done"},
		{[]string{"cc", "--json", "--scope", "api:read,api:write"}, "discovery:done token:done"},
		{[]string{"pkce", "--json", "--scope", "api:read", "--pkce-method", "plain"}, "discovery:done prepare:done authorize:done login:done callback:done token:done"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, steps, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0\n%s", code, stderr)
			}
			if got := ids(steps); got != tc.want {
				t.Errorf("steps:\n got %s\nwant %s", got, tc.want)
			}
			for _, secret := range []string{"web-app-secret", "machine-secret"} {
				if strings.Contains(stdout, secret) {
					t.Errorf("stdout shows the client secret %q without --reveal-secrets", secret)
				}
			}
			if !strings.Contains(stderr, "✓ Discover the provider") || !strings.Contains(stderr, "succeeded") {
				t.Errorf("stderr lacks the progress lines:\n%s", stderr)
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		args   []string
		step   string
		check  string // the failed check, or
		proto  string // the protocol error code
		stderr string
	}{
		{"wrong iss", []string{"authorization-code", "--json", "--fault", "wrong-iss"}, "id-token", "iss", "", "expected: http://127.0.0.1:"},
		{"state mismatch", []string{"pkce", "--json", "--fault", "state-mismatch"}, "callback", "state", "", "✗ state"},
		{"tampered verifier", []string{"pkce", "--json", "--set", "token.code_verifier=" + strings.Repeat("w", 43)}, "token", "", "invalid_grant", "meaning:"},
		{"tampered state", []string{"pkce", "--json", "--set", "authorize.state=forged"}, "callback", "state", "", "edited state"},
		{"consent denied", []string{"pkce", "--json", "--consent", "deny"}, "callback", "", "access_denied", "meaning:"},
		{"html error", []string{"client-credentials", "--json", "--fault", "html-error"}, "token", "", "", "HTML page instead of JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, steps, _, stderr := runCLI(t, nil, tc.args...)
			if code != exitFailure {
				t.Fatalf("exit %d, want 1\n%s", code, stderr)
			}
			if len(steps) == 0 {
				t.Fatal("no JSON lines")
			}
			last := steps[len(steps)-1]
			if last.ID != tc.step || last.Status != record.StatusFailed || last.Error == nil {
				t.Fatalf("last step %s (%s), want %s failed", last.ID, last.Status, tc.step)
			}
			if tc.check != "" {
				if f := last.FailedChecks(); len(f) == 0 || f[0].Name != tc.check {
					t.Errorf("failed checks %+v, want %s", f, tc.check)
				}
			}
			if tc.proto != "" && (last.Error.Protocol == nil || last.Error.Protocol.Code != tc.proto) {
				t.Errorf("error %+v, want protocol %s", last.Error, tc.proto)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	cases := [][]string{
		{},
		{"nope"},
		{"pkce", "implicit"},
		{"pkce", "--no-such-flag"},
		{"pkce", "--fault", "no-such-fault"},
		{"pkce", "--issuer", "https://idp.example", "--client-id", "x", "--fault", "wrong-iss"},
		{"pkce", "--set", "nostep.x=1"},
		{"pkce", "--set", "token-code_verifier"},
		{"pkce", "--browser", "--paste"},
		{"pkce", "--pkce-method", "S512"},
		{"authorization-code", "--client-secret-env", "OAUTHX_TEST_SURELY_UNSET"},
		{"pkce", "--issuer", "https://idp.example"},
		{"cc", "--issuer", "not a url", "--client-id", "x"},
		{"pkce", "--consent", "maybe"},
		{"pkce", "--timeout", "-1s"},
		{"pkce", "--auth-param", "novalue"},
		{"pkce", "--auth-param", "state=x"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, steps, _, stderr := runCLI(t, nil, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2\n%s", code, stderr)
			}
			if len(steps) != 0 {
				t.Errorf("usage error printed %d step records", len(steps))
			}
			if !strings.Contains(stderr, "oauthx run") {
				t.Errorf("stderr does not say what is wrong:\n%s", stderr)
			}
		})
	}
}

func TestRunHelpListsFlows(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"run", "--help"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, k := range flows.Kinds() {
		if !strings.Contains(stdout.String(), string(k.Kind)) || !strings.Contains(stdout.String(), k.Summary) {
			t.Errorf("help lacks flow %s", k.Kind)
		}
	}
	for _, f := range []string{"--json", "--set", "--reveal-secrets", "--issuer", "--fault", "--paste", "--browser"} {
		if !strings.Contains(stdout.String(), strings.TrimLeft(f, "-")) {
			t.Errorf("help lacks %s", f)
		}
	}
}

func TestRunRevealSecrets(t *testing.T) {
	t.Parallel()
	code, _, stdout, stderr := runCLI(t, nil, "cc", "--json", "--reveal-secrets")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "machine-secret") {
		t.Error("--reveal-secrets did not reveal the client secret")
	}
}

// pastingStdin answers the --paste prompt: when the authorization URL shows on
// stderr, it logs in with the built-in user agent and "pastes" the redirect URL.
type pastingStdin struct {
	t    *testing.T
	mu   sync.Mutex
	buf  bytes.Buffer
	w    *io.PipeWriter
	done bool
}

var authzURL = regexp.MustCompile(`(?m)^\s+(http://127\.0\.0\.1:\d+/authorize\?\S+)$`)

func (p *pastingStdin) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	if m := authzURL.FindStringSubmatch(p.buf.String()); m != nil && !p.done {
		p.done = true
		go func() {
			agent := &useragent.Agent{Username: "alice"}
			res, err := agent.Authorize(context.Background(), flows.AuthorizeRequest{URL: m[1], RedirectURI: "http://127.0.0.1/callback"})
			if err != nil {
				p.w.CloseWithError(err)
				return
			}
			io.WriteString(p.w, res.Callback.URL+"\n")
		}()
	}
	return len(b), nil
}

func TestRunPaste(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	defer w.Close()
	stderr := &pastingStdin{t: t, w: w}
	var stdout bytes.Buffer
	code := realMain([]string{"run", "--idp-key-cache=" + testKeys, "pkce", "--paste", "--json"}, r, &stdout, stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.buf.String())
	}
	if !strings.Contains(stdout.String(), "redirect URL pasted by the person") {
		t.Error("the login step does not say the URL was pasted")
	}
}

// standInBrowserEnv makes the test binary act as the browser that pkg/browser opens
// (see TestMain): it logs in with the built-in user agent and delivers the
// authorization response to the loopback receiver, as a real browser would.
const standInBrowserEnv = "OAUTHX_STAND_IN_BROWSER"

func TestMain(m *testing.M) {
	if os.Getenv(standInBrowserEnv) != "" {
		os.Exit(standInBrowser(os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

func standInBrowser(authorizeURL string) int {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	redirect := u.Query().Get("redirect_uri")
	agent := &useragent.Agent{Username: "alice"}
	res, err := agent.Authorize(context.Background(), flows.AuthorizeRequest{URL: authorizeURL, RedirectURI: redirect})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp, err := http.Get(res.Callback.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	return 0
}

// TestRunBrowser runs `oauthx run pkce --browser` with a stand-in browser first on
// PATH (xdg-open, which pkg/browser tries first on Linux): the loopback receiver gets
// the response as it would from a real browser.
func TestRunBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the stand-in is an xdg-open script")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\n" + standInBrowserEnv + "=1 exec '" + exe + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, v := range []string{"SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"} {
		t.Setenv(v, "") // over SSH oauthx leaves the (remote) browser closed
	}
	code, steps, _, stderr := runCLI(t, nil, "pkce", "--browser", "--json", "--timeout", "30s")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var login record.Step
	for _, s := range steps {
		if s.ID == "login" {
			login = s
		}
	}
	if !strings.Contains(login.Explanation, "opened the browser") {
		t.Errorf("the login step does not say the browser was opened:\n%s", login.Explanation)
	}
	if a, _ := login.Artifact("callback_url"); !strings.HasPrefix(a.Value, "http://127.0.0.1:") {
		t.Errorf("callback URL %q is not the loopback receiver's", a.Value)
	}
}

func TestRunMasksPasswordsAndCookies(t *testing.T) {
	t.Parallel()
	code, _, stdout, stderr := runCLI(t, nil, "authorization-code", "--json", "--password", "alice")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, leak := range []string{"password=alice", "web-app-secret", `"Basic d2Vi`} {
		if strings.Contains(stdout, leak) {
			t.Errorf("stdout shows %q", leak)
		}
	}
	if !strings.Contains(stdout, `"Basic `+record.Mask) {
		t.Error("the Authorization header's scheme should stay visible, its credentials masked")
	}
}

func TestRunVerbose(t *testing.T) {
	t.Parallel()
	code, _, _, stderr := runCLI(t, nil, "pkce", "--verbose")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))",
		"→ POST http://127.0.0.1:",
		"header and claims (verified with RS256",
		"✓ nonce:",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--verbose output lacks %q", want)
		}
	}
}
