package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// watchedStderr is stderr that hands the authorization URL to the test as soon as
// `oauthx run` prints it, as a person reading the terminal would see it.
type watchedStderr struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	url  chan string
}

var authorizeURLRE = regexp.MustCompile(`(?m)^  (http://\S+/authorize\?\S+)$`)

func newWatchedStderr() *watchedStderr { return &watchedStderr{url: make(chan string, 1)} }

func (w *watchedStderr) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := authorizeURLRE.FindStringSubmatch(w.buf.String()); m != nil {
		w.once.Do(func() { w.url <- m[1] })
	}
	return len(p), nil
}

func (w *watchedStderr) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// freePort returns a loopback port nothing listens on (bound, then freed).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tunnel stands in for `ssh -L P:127.0.0.1:Q`: it listens on a free loopback port
// and copies every connection to target, bytes (and Host header) unchanged.
func tunnel(t *testing.T, target string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c) //nolint:errcheck // ends when either side closes
				io.Copy(c, up)    //nolint:errcheck
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// logInAs plays the person in the browser: it logs in at the authorization URL as
// alice and returns the final redirect URL, without loading it.
func logInAs(t *testing.T, authorizeURL string) string {
	t.Helper()
	u, _ := http.NewRequest(http.MethodGet, authorizeURL, nil)
	res, err := (&useragent.Agent{Username: "alice"}).Authorize(context.Background(),
		flows.AuthorizeRequest{URL: authorizeURL, RedirectURI: u.URL.Query().Get("redirect_uri")})
	if err != nil {
		t.Errorf("logging in: %v", err)
		return ""
	}
	return res.Callback.URL
}

func runWatched(t *testing.T, stdin io.Reader, stderr *watchedStderr, args ...string) (int, string) {
	t.Helper()
	var stdout bytes.Buffer
	code := realMain(append([]string{"run", "--idp-key-cache=" + testKeys}, args...), stdin, &stdout, stderr)
	return code, stdout.String()
}

// TestRunListenBehindATunnel: the provider sends the browser to 127.0.0.1:P (the
// person's end of a tunnel), the receiver binds 127.0.0.1:Q (the far end), and the
// redirect travels through the tunnel to a real loopback receiver. --qr shows the
// authorization URL as a QR code and leaves the browser closed.
func TestRunListenBehindATunnel(t *testing.T) {
	t.Parallel()
	q := freePort(t)
	listen := "127.0.0.1:" + strconv.Itoa(q)
	p := tunnel(t, listen)
	redirect := "http://127.0.0.1:" + strconv.Itoa(p) + "/callback"
	stderr := newWatchedStderr()
	go func() {
		cb := logInAs(t, <-stderr.url)
		if !strings.HasPrefix(cb, redirect+"?") {
			t.Errorf("the provider redirected to %q, want %s", cb, redirect)
			return
		}
		resp, err := http.Get(cb) // the browser loads the redirect: into the tunnel
		if err != nil {
			t.Errorf("loading the redirect: %v", err)
			return
		}
		resp.Body.Close()
	}()
	code, stdout := runWatched(t, strings.NewReader(""), stderr, "pkce", "--json", "--qr",
		"--redirect-uri", redirect, "--listen", listen, "--timeout", "1m")
	out := stderr.String()
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"waiting for the redirect on " + redirect + " (listening on " + listen + "; times out in ",
		"█", "▀", // the QR code
		"Open this URL in a browser and log in:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stdout, `"callback_url"`) || !strings.Contains(stdout, redirect+"?code=") {
		t.Errorf("the callback step does not show the response at %s", redirect)
	}
	if !strings.Contains(stdout, "the person opened the URL by hand") {
		t.Error("the login step does not say the URL was opened by hand")
	}
}

// TestRunPasteWhileWaitingOverSSH: over SSH, oauthx does not open a browser on the
// remote machine; it says how to forward the port, and the final redirect URL pasted
// on stdin ends the wait when the redirect cannot reach the receiver.
func TestRunPasteWhileWaitingOverSSH(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "198.51.100.4 51000 10.0.0.5 22")
	t.Setenv("SSH_TTY", "")
	t.Setenv("SSH_CLIENT", "")
	// The redirect URI names a port nothing forwards: the browser's redirect fails,
	// so the person copies the URL from the address bar.
	redirect := "http://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/callback"
	stderr := newWatchedStderr()
	stdin, pasteW := io.Pipe()
	defer pasteW.Close()
	go func() {
		cb := logInAs(t, <-stderr.url)
		io.WriteString(pasteW, "this is not it\n") //nolint:errcheck
		io.WriteString(pasteW, cb+"\n")            //nolint:errcheck
	}()
	code, stdout := runWatched(t, stdin, stderr, "pkce", "--json", "--redirect-uri", redirect, "--listen", "127.0.0.1:0")
	out := stderr.String()
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"You are on SSH",
		"ssh -L " + redirect[len("http://127.0.0.1:"):len(redirect)-len("/callback")] + ":127.0.0.1:",
		" 10.0.0.5\n",
		"That is not the redirect URL",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Opening the browser") {
		t.Error("over SSH, oauthx tried to open a browser on the remote machine")
	}
	if !strings.Contains(stdout, "the redirect URL was pasted back") {
		t.Error("the login step does not say the URL was pasted back")
	}
}

func TestRunRemoteFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"pkce", "--listen", "0.0.0.0:0", "--redirect-uri", "http://192.0.2.7:8765/callback"}, "--listen-remote"},
		{[]string{"pkce", "--listen-remote"}, "--listen-remote goes with --listen"},
		{[]string{"pkce", "--listen", "127.0.0.1:0", "--paste"}, "with --paste nothing listens"},
		{[]string{"pkce", "--listen", "127.0.0.1:0", "--user", "bob"}, "--listen is for the real browser"},
		{[]string{"pkce", "--http-timeout", "0s"}, "--http-timeout must be positive"},
		{[]string{"pkce", "--listen", "nonsense"}, "want host:port"},
	} {
		code, _, _, stderr := runCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", tc.args, code, tc.says, stderr)
		}
	}
}

// TestRunListenRemoteWarns: listening beyond loopback is said loudly.
func TestRunListenRemoteWarns(t *testing.T) {
	t.Parallel()
	stdin, pasteW := io.Pipe()
	defer pasteW.Close()
	stderr := newWatchedStderr()
	go func() {
		cb := logInAs(t, <-stderr.url)
		io.WriteString(pasteW, cb+"\n") //nolint:errcheck
	}()
	// The bundled IdP accepts loopback redirect URIs only, so the redirect URI stays
	// 127.0.0.1 (a proxy would carry it); the receiver binds all interfaces.
	redirect := "http://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/callback"
	code, _ := runWatched(t, stdin, stderr, "pkce", "--qr", "--listen", "0.0.0.0:0", "--listen-remote", "--redirect-uri", redirect)
	out := stderr.String()
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "WARNING: --listen-remote") || !strings.Contains(out, "answering other machines") {
		t.Errorf("no warning about listening remotely:\n%s", out)
	}
}

// TestRunHTTPTimeout: a provider that never answers fails the step once
// --http-timeout has passed, and the message names the flag.
func TestRunHTTPTimeout(t *testing.T) {
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	defer stall.Close()
	t.Setenv("OAUTHX_TEST_STALL_SECRET", "s")
	code, _, _, stderr := runCLI(t, nil, "cc", "--issuer", stall.URL, "--client-id", "x", "--client-secret-env", "OAUTHX_TEST_STALL_SECRET", "--http-timeout", "300ms")
	if code != exitFailure || !strings.Contains(stderr, "--http-timeout changes it") || !strings.Contains(stderr, "300ms") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// TestRunProfileSecretPromptNeedsATerminal: a profile that asks for its secret is
// refused, with what to do instead, when stdin is not a terminal (a script's pipe).
func TestRunProfileSecretPromptNeedsATerminal(t *testing.T) {
	t.Parallel()
	path := copyProfiles(t, "mixed.toml")
	code, _, _, stderr := runCLI(t, strings.NewReader("not-a-secret\n"), "cc", "--profile", "api", "--config", path)
	if code != exitUsage || !strings.Contains(stderr, `profile "api"`) || !strings.Contains(stderr, "stdin is not a terminal") ||
		strings.Count(stderr, `profile "api"`) != 1 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// TestRunProfileListen: a profile says where the receiver binds (listen) when the
// redirect URI registered with the provider is the near end of a tunnel.
func TestRunProfileListen(t *testing.T) {
	t.Parallel()
	idp, err := mockidp.New(mockidp.Options{KeyCacheDir: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(idp)
	t.Cleanup(ts.Close)
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	redirect := "http://127.0.0.1:" + strconv.Itoa(tunnel(t, listen)) + "/callback"
	path := writeRunProfiles(t, `
[profiles.remote]
issuer = "`+ts.URL+`"
client_id = "native-app"
auth_method = "none"
redirect_uri = "`+redirect+`"
listen = "`+listen+`"
`)
	stderr := newWatchedStderr()
	go func() {
		cb := logInAs(t, <-stderr.url)
		if resp, err := http.Get(cb); err == nil { // through the tunnel
			resp.Body.Close()
		}
	}()
	code, _ := runWatched(t, strings.NewReader(""), stderr, "pkce", "--profile", "remote", "--config", path, "--qr")
	out := stderr.String()
	if code != exitOK || !strings.Contains(out, "waiting for the redirect on "+redirect+" (listening on "+listen+";") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestPrintQRSaysWhenItIsWide(t *testing.T) {
	t.Parallel()
	var short, long bytes.Buffer
	printQR(&short, "https://idp.example/authorize?request_uri=urn:ietf:params:oauth:request_uri:abc&client_id=c")
	printQR(&long, "https://idp.example/authorize?"+strings.Repeat("x", 700))
	if strings.Contains(short.String(), "columns wide") || !strings.Contains(short.String(), "█") {
		t.Errorf("short URL:\n%s", short.String())
	}
	if !strings.Contains(long.String(), "columns wide") || !strings.Contains(long.String(), "--par") {
		t.Errorf("long URL: no note about the width")
	}
}
