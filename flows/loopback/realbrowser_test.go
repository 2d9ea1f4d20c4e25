package loopback

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// The real-browser path (issue 3 item 7): Browser opens the URL with
// github.com/pkg/browser, which on Linux runs the first xdg-open on PATH. The test
// puts a stand-in xdg-open first on PATH that runs this test binary as the browser
// (TestHelperBrowser, the helper-process pattern): it goes through the provider's
// login (the built-in user agent drives the forms), then does what a browser does at
// the redirect URI: loads it, runs the fragment relay page's script, or submits the
// form_post page.

const helperEnv = "OAUTHX_HELPER_BROWSER"

// TestHelperBrowser is not a test: it is the stand-in browser the xdg-open script
// runs. It writes what it saw to the log file the script names.
func TestHelperBrowser(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "stand-in browser: no URL")
		os.Exit(2)
	}
	outcome, err := standInBrowser(args[len(args)-1], os.Getenv("OAUTHX_HELPER_LOGIN"))
	if err != nil {
		outcome = "ERROR " + err.Error()
	}
	os.WriteFile(os.Getenv("OAUTHX_HELPER_LOG"), []byte(outcome), 0o600)
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// standInBrowser logs in at the provider, then delivers the response to the redirect
// URI the way a browser does, and returns the title of the page it ends on.
func standInBrowser(authorizeURL, user string) (string, error) {
	agent := &useragent.Agent{Username: user}
	res, err := agent.Authorize(context.Background(), flows.AuthorizeRequest{URL: authorizeURL})
	if err != nil {
		return "", fmt.Errorf("at the provider: %w", err)
	}
	cb := res.Callback
	var resp *http.Response
	switch cb.Mode {
	case callback.ModeQuery:
		resp, err = http.Get(cb.URL)
	case callback.ModeFormPost:
		// The auto-submitting form_post page: post its fields to the redirect URI.
		form := url.Values{}
		for k, v := range cb.Params {
			form.Set(k, v)
		}
		resp, err = http.PostForm(cb.URL, form)
	case callback.ModeFragment:
		// Load the redirect URI; the fragment stays in the browser.
		target, fragment, _ := strings.Cut(cb.URL, "#")
		resp, err = http.Get(target)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Do what the relay page's script does: put location.hash (without the #)
		// in the relay form and submit it.
		action, field, script := relayForm(string(body))
		if !strings.Contains(script, "location.hash") || field == "" {
			return "", fmt.Errorf("no fragment relay page at %s:\n%s", target, body)
		}
		sum := sha256.Sum256([]byte(script))
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), base64.StdEncoding.EncodeToString(sum[:])) {
			return "", fmt.Errorf("the relay script would be blocked by the page's CSP %q", resp.Header.Get("Content-Security-Policy"))
		}
		u, _ := url.Parse(target)
		resp, err = http.PostForm(u.ResolveReference(&url.URL{Path: action}).String(), url.Values{field: {fragment}})
	default:
		return "", fmt.Errorf("unknown mode %q", cb.Mode)
	}
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the redirect URI answered %s:\n%s", resp.Status, body)
	}
	_, title, _ := strings.Cut(string(body), "<h1")
	_, title, _ = strings.Cut(title, ">")
	title, _, _ = strings.Cut(title, "<")
	return "OK " + title, nil
}

// relayForm reads the relay page: the action of its form with id "relay", the name of
// its hidden field, and the text of its script.
func relayForm(page string) (action, field, script string) {
	z := html.NewTokenizer(strings.NewReader(page))
	inRelay, inScript := false, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return action, field, script
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Key] = a.Val
			}
			switch tok.Data {
			case "form":
				inRelay = attr["id"] == "relay"
				if inRelay {
					action = attr["action"]
				}
			case "input":
				if inRelay && attr["type"] == "hidden" {
					field = attr["name"]
				}
			case "script":
				inScript = true
			}
		case html.TextToken:
			if inScript {
				script += string(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "form":
				inRelay = false
			case "script":
				inScript = false
			}
		}
	}
}

// installStandInBrowser puts an xdg-open first on PATH that runs this test binary as
// the browser, and returns the file it reports to.
func installStandInBrowser(t *testing.T, user string) (logFile string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pkg/browser runs xdg-open on Linux; the stand-in browser is an xdg-open script")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logFile = filepath.Join(dir, "browser.log")
	// GORACE: a -race binary otherwise waits a second before exiting.
	script := fmt.Sprintf("#!/bin/sh\nGORACE=\"$GORACE atexit_sleep_ms=0\" %s=1 OAUTHX_HELPER_LOG='%s' OAUTHX_HELPER_LOGIN='%s' "+
		"exec '%s' -test.run='^TestHelperBrowser$' -- \"$1\"\n", helperEnv, logFile, user, exe)
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return logFile
}

// tinyAS is a stand-in authorization server: it sends the browser straight back to
// the redirect URI with a code (or tokens in the fragment, or a form_post page).
func tinyAS(t *testing.T) *httptest.Server {
	fp := template.Must(template.New("").Parse(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
</form><script>document.forms[0].submit()</script></body></html>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		resp := url.Values{"state": {q.Get("state")}, "code": {"code-1"}}
		switch q.Get("response_mode") {
		case "fragment":
			resp = url.Values{"state": {q.Get("state")}, "access_token": {"at 1"}, "token_type": {"Bearer"}}
			http.Redirect(w, r, q.Get("redirect_uri")+"#"+resp.Encode(), http.StatusFound)
		case "form_post":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fp.Execute(w, map[string]any{"Action": q.Get("redirect_uri"), "Fields": map[string]string{"state": q.Get("state"), "code": "code-1"}})
		default:
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+resp.Encode(), http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runRealBrowser runs Browser with the default opener (pkg/browser) and waits for the
// stand-in browser to exit, returning the result and what the browser saw.
func runRealBrowser(t *testing.T, rc *Receiver, authorizeURL string, logFile string) (flows.AuthorizeResult, string) {
	t.Helper()
	opened := make(chan error, 1)
	b := &Browser{Receiver: rc, Timeout: 30 * time.Second, Open: func(u string) error {
		err := OpenBrowser(u) // blocks until xdg-open (the stand-in browser) exits
		opened <- err
		return err
	}}
	res, err := b.Authorize(context.Background(), flows.AuthorizeRequest{URL: authorizeURL, RedirectURI: rc.RedirectURI()})
	if err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("Authorize: %v\nbrowser: %s", err, log)
	}
	select {
	case err := <-opened:
		if err != nil {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("the stand-in browser failed: %v\n%s", err, log)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stand-in browser did not exit")
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("the stand-in browser left no log: %v", err)
	}
	return res, string(log)
}

func TestRealBrowser(t *testing.T) {
	logFile := installStandInBrowser(t, "alice")
	as := tinyAS(t)
	for _, mode := range []string{callback.ModeQuery, callback.ModeFragment, callback.ModeFormPost} {
		t.Run(mode, func(t *testing.T) {
			rc, err := Listen("127.0.0.1:0", "")
			if err != nil {
				t.Fatal(err)
			}
			q := url.Values{"client_id": {"app"}, "state": {"st-" + mode}, "redirect_uri": {rc.RedirectURI()},
				"response_mode": {mode}}
			res, seen := runRealBrowser(t, rc, as.URL+"/authorize?"+q.Encode(), logFile)
			cb := res.Callback
			if cb.Mode != mode || cb.Params["state"] != "st-"+mode {
				t.Fatalf("callback = %+v", cb)
			}
			if seen != "OK Signed in" {
				t.Fatalf("the browser ended on %q, want the success page", seen)
			}
			if mode == callback.ModeFragment && cb.Params["access_token"] != "at 1" {
				t.Fatalf("fragment params = %v", cb.Params)
			}
		})
	}
}

func TestRealBrowserWithBundledIdP(t *testing.T) {
	logFile := installStandInBrowser(t, "alice")
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	defer srv.Close()
	rc, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
	q := url.Values{"client_id": {"native-app"}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st-1"},
		"redirect_uri": {rc.RedirectURI()}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	res, seen := runRealBrowser(t, rc, srv.URL+"/authorize?"+q.Encode(), logFile)
	if res.Callback.Params["code"] == "" || res.Callback.Params["state"] != "st-1" || seen != "OK Signed in" {
		t.Fatalf("callback %+v, browser saw %q", res.Callback, seen)
	}
}
