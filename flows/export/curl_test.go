package export

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oauthx/oauthx/flows/record"
)

// writeScript writes t's curl script to a temporary file and returns its path.
func writeScript(t *testing.T, tr Transcript) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCurl(&buf, tr); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "replay.sh")
	if err := os.WriteFile(path, buf.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// shells are the POSIX shells on this machine to check the scripts with.
func shells(t *testing.T) []string {
	var out []string
	for _, sh := range []string{"sh", "dash", "bash", "busybox"} {
		if _, err := exec.LookPath(sh); err == nil {
			out = append(out, sh)
		}
	}
	if len(out) == 0 {
		t.Skip("no shell on PATH")
	}
	return out
}

func TestCurlScriptSyntax(t *testing.T) {
	for _, f := range fixtures() {
		path := writeScript(t, f.t)
		for _, sh := range shells(t) {
			args := []string{"-n", path}
			if sh == "busybox" {
				args = append([]string{"sh"}, args...)
			}
			if out, err := exec.Command(sh, args...).CombinedOutput(); err != nil {
				t.Errorf("%s: %s -n: %v\n%s", f.name, sh, err, out)
			}
		}
	}
}

// recordingServer answers every request with a small JSON body and keeps what it got.
type recordingServer struct {
	*httptest.Server
	mu  sync.Mutex
	got []gotRequest
}

type gotRequest struct {
	method, path, query, auth, contentType, body string
}

func newRecordingServer(t *testing.T) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.got = append(rs.got, gotRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)})
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) requests() []gotRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.Clone(rs.got)
}

func needCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH")
	}
}

// runScript runs a script with sh in a temporary directory, with env added.
func runScript(t *testing.T, path string, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("sh", path)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func formOf(t *testing.T, body string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatalf("form %q: %v", body, err)
	}
	return v
}

// TestCurlReproducesRequests runs the script of the fixture flow against a server that
// records what it receives: the token request must arrive with the same method, path,
// form and Basic credentials as recorded, and the browser-only hops must not be sent.
func TestCurlReproducesRequests(t *testing.T) {
	needCurl(t)
	for _, reveal := range []bool{false, true} {
		rs := newRecordingServer(t)
		steps := fixtureCode(rs.URL)
		var env []string
		if !reveal {
			env = []string{"CLIENT_SECRET=" + secretClient, "ACCESS_TOKEN=" + accessToken}
		}
		stdout, stderr, err := runScript(t, writeScript(t, New("authorization-code", "idp", steps, t0, reveal)), env...)
		if err != nil {
			t.Fatalf("reveal=%v: script failed: %v\nstderr:\n%s", reveal, err, stderr)
		}
		got := rs.requests()
		var paths []string
		for _, r := range got {
			paths = append(paths, r.method+" "+r.path)
		}
		want := []string{"GET /.well-known/openid-configuration", "POST /token", "GET /userinfo"}
		if !slices.Equal(paths, want) {
			t.Fatalf("reveal=%v: server got %v, want %v (browser hops left out)", reveal, paths, want)
		}
		recorded := steps[4].Exchanges[0].Request
		tok := got[1]
		if tok.auth != recorded.Header.Get("Authorization") {
			t.Errorf("reveal=%v: Authorization = %q, want the recorded %q", reveal, tok.auth, recorded.Header.Get("Authorization"))
		}
		if f, w := formOf(t, tok.body), formOf(t, recorded.Body); !equalForms(f, w) {
			t.Errorf("reveal=%v: token form = %v, want %v", reveal, f, w)
		}
		if tok.contentType != "application/x-www-form-urlencoded" {
			t.Errorf("reveal=%v: token Content-Type = %q", reveal, tok.contentType)
		}
		if got[2].auth != "Bearer "+accessToken {
			t.Errorf("reveal=%v: userinfo Authorization = %q", reveal, got[2].auth)
		}
		if strings.Count(stdout, `{"ok":true}`) != 3 {
			t.Errorf("reveal=%v: stdout = %q, want the three bodies", reveal, stdout)
		}
		if !strings.Contains(stderr, "--> step 5: POST "+rs.URL+"/token") || !strings.Contains(stderr, "<-- 200 (recorded: 200)") {
			t.Errorf("reveal=%v: stderr does not show progress:\n%s", reveal, stderr)
		}
	}
}

func equalForms(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestCurlMaskedSecretsMustBeSet: a masked script refuses to run without its
// secrets, before sending anything, and names the variable.
func TestCurlMaskedSecretsMustBeSet(t *testing.T) {
	needCurl(t)
	rs := newRecordingServer(t)
	path := writeScript(t, New("authorization-code", "idp", fixtureCode(rs.URL), t0, false))
	_, stderr, err := runScript(t, path, "CLIENT_SECRET=", "ACCESS_TOKEN=")
	if err == nil || !strings.Contains(stderr, "CLIENT_SECRET") {
		t.Errorf("script ran without CLIENT_SECRET: err=%v stderr=%s", err, stderr)
	}
	if n := len(rs.requests()); n != 0 {
		t.Errorf("%d requests sent before the missing secret was noticed", n)
	}
}

// TestCurlBasicEncoding: the script form-url-encodes the client id and secret before
// HTTP Basic (RFC 6749 §2.3.1) exactly as Go's url.QueryEscape, which x/oauth2 uses.
func TestCurlBasicEncoding(t *testing.T) {
	needCurl(t)
	for _, tc := range []struct{ id, secret string }{
		{"web-app", "plain-secret_1.2~3"},
		{"web app", "s p+a/c=e&%"},
		{"client:colon", "ünïcødé 秘密 'quote' \"dq\" $HOME `x` \\"},
	} {
		rs := newRecordingServer(t)
		step := record.Step{
			ID: "token", Title: "Client credentials", Status: record.StatusDone,
			Request: &record.Request{Method: "POST", URL: rs.URL + "/token", AuthMethod: "client_secret_basic",
				Params: []record.Param{{Name: "grant_type", Value: "client_credentials"}, {Name: "client_id", Value: tc.id}, {Name: "client_secret", Value: tc.secret}}},
			Exchanges: []record.Exchange{{
				Request: record.HTTPRequest{Method: "POST", URL: rs.URL + "/token", Header: http.Header{
					"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(tc.id)+":"+url.QueryEscape(tc.secret)))},
					"Content-Type":  {"application/x-www-form-urlencoded"},
				}, Body: "grant_type=client_credentials"},
				Response: &record.HTTPResponse{Status: 200},
			}},
		}
		path := writeScript(t, New("client-credentials", "idp", []record.Step{step}, t0, false))
		env := []string{"CLIENT_SECRET=" + tc.secret}
		if strings.ContainsAny(tc.id, " :") {
			env = append(env, "CLIENT_ID="+tc.id) // no safe default for these
		}
		_, stderr, err := runScript(t, path, env...)
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.secret, err, stderr)
		}
		got := rs.requests()
		if len(got) != 1 || got[0].auth != step.Exchanges[0].Request.Header.Get("Authorization") {
			t.Errorf("id %q secret %q: got %+v, want Authorization %q", tc.id, tc.secret, got, step.Exchanges[0].Request.Header.Get("Authorization"))
		}
	}
}

// TestCurlScriptInjection: text from a transcript (titles, URLs, headers, bodies,
// error messages) never runs as a command, whatever it holds.
func TestCurlScriptInjection(t *testing.T) {
	needCurl(t)
	rs := newRecordingServer(t)
	dir := t.TempDir()
	pwned := func(n string) string { return filepath.Join(dir, "pwned"+n) }
	evil := func(n string) string {
		return "x'\"\n; touch " + pwned(n) + "\n$(touch " + pwned(n) + ")`touch " + pwned(n) + "`\r\u2028touch " + pwned(n) + "\n"
	}
	step := record.Step{
		ID: "evil", Title: evil("1"), Status: record.Status("done"), Specs: []record.SpecRef{{Spec: evil("2")}},
		Exchanges: []record.Exchange{
			{
				Request: record.HTTPRequest{Method: "POST", URL: rs.URL + "/p?q=" + url.QueryEscape(evil("3")), Header: http.Header{
					"X-Evil":       {evil("4")},
					"Content-Type": {"application/json"},
				}, Body: `{"a":"` + evil("5") + `"}`},
				Response: &record.HTTPResponse{Status: 200},
			},
			{
				Request: record.HTTPRequest{Method: "PUT", URL: rs.URL + "/f", Header: http.Header{
					"Content-Type": {"application/x-www-form-urlencoded"},
				}, Body: "a=" + url.QueryEscape(evil("6")) + "&b%27=" + url.QueryEscape(evil("7"))},
				Error: evil("8"),
			},
		},
	}
	tr := New(evil("9"), evil("10"), []record.Step{step}, t0, true)
	path := writeScript(t, tr)
	for _, sh := range shells(t) {
		if sh == "busybox" {
			continue
		}
		if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
	if _, stderr, err := runScript(t, path); err != nil {
		t.Fatalf("script failed: %v\n%s", err, stderr)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("the script ran a command from the transcript: %s exists", e.Name())
	}
	got := rs.requests()
	if len(got) != 2 {
		t.Fatalf("server got %d requests, want 2", len(got))
	}
	if got[0].body != step.Exchanges[0].Request.Body || got[0].query != "q="+url.QueryEscape(evil("3")) {
		t.Errorf("JSON request not sent as recorded:\n got %q ?%q\nwant %q", got[0].body, got[0].query, step.Exchanges[0].Request.Body)
	}
	if got[1].method != "PUT" || !equalForms(formOf(t, got[1].body), formOf(t, step.Exchanges[1].Request.Body)) {
		t.Errorf("form request = %s %q, want PUT %q", got[1].method, got[1].body, step.Exchanges[1].Request.Body)
	}
}

// TestCurlScriptInjectionThroughMasks: names taken from the transcript to describe a
// masked value (a JSON member, a header, a query parameter) never run either.
func TestCurlScriptInjectionThroughMasks(t *testing.T) {
	needCurl(t)
	rs := newRecordingServer(t)
	dir := t.TempDir()
	cmd := func(n string) string {
		return "$(touch " + filepath.Join(dir, "pwned"+n) + ")`touch " + filepath.Join(dir, "pwned"+n) + "`"
	}
	header := "X-" + cmd("1")
	step := record.Step{
		ID: "masks", Title: "masked values with hostile names", Status: record.StatusDone,
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "POST", URL: rs.URL + "/p?" + url.QueryEscape(cmd("2")) + "=" + url.QueryEscape(record.Mask),
				Header: http.Header{header: {record.Mask}, "Content-Type": {"application/json"}},
				Body:   `{"` + cmd("3") + `":"` + record.Mask + `"}`},
			Response: &record.HTTPResponse{Status: 200},
		}},
	}
	// Built by hand, not masked by New: the masks are already in the records.
	path := writeScript(t, Transcript{Flow: "x", Steps: []record.Step{step}})
	env := []string{varName(header) + "=h", varName(cmd("2")) + "=q", varName(cmd("3")) + "=j"}
	if _, stderr, err := runScript(t, path, env...); err != nil {
		script, _ := os.ReadFile(path)
		t.Fatalf("script failed: %v\n%s\n%s", err, stderr, script)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("the script ran a command from the transcript: %s exists", e.Name())
	}
	if got := rs.requests(); len(got) != 0 && got[0].body != `{"`+cmd("3")+`":"j"}` {
		t.Errorf("body = %q", got[0].body)
	}
}

// FuzzWriteCurl: whatever the strings of a recorded exchange hold, the script is valid
// shell (sh -n) and carries no NUL byte, which shells drop or choke on.
func FuzzWriteCurl(f *testing.F) {
	if _, err := exec.LookPath("sh"); err != nil {
		f.Skip("no sh on PATH")
	}
	f.Add("Token", "POST", "http://h/token?a=b", "Content-Type", "application/x-www-form-urlencoded", "grant_type=x&code=y&client_secret="+url.QueryEscape(record.Mask))
	f.Add("x'\n$(id)`id`", "GET", "http://h/p?password="+url.QueryEscape(record.Mask)+"#frag", "Authorization", "Basic "+record.Mask, "")
	f.Add("t", "PUT", "http://h/\x00\n'", "X-A\x00", "v\r\n", `{"refresh_token":"`+record.Mask+`"}`)
	f.Add("t", "DELETE", "h", "Authorization", "Bearer "+record.Mask, "a=%00&b%27=%ZZ&&c")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, title, method, rawURL, hname, hvalue, body string) {
		if method == "" || rawURL == "" {
			return // ReadJSON refuses these
		}
		step := record.Step{ID: "s", Title: title, Status: record.StatusDone, Exchanges: []record.Exchange{{
			Request:  record.HTTPRequest{Method: method, URL: rawURL, Header: map[string][]string{hname: {hvalue}, "Content-Type": {"application/x-www-form-urlencoded"}}, Body: body},
			Response: &record.HTTPResponse{Status: 200},
		}}}
		var buf bytes.Buffer
		if err := WriteCurl(&buf, Transcript{Flow: title, Provider: hvalue, Masked: true, Steps: []record.Step{step}}); err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(buf.Bytes(), 0) >= 0 {
			t.Fatalf("script holds a NUL byte:\n%q", buf.String())
		}
		path := filepath.Join(dir, "s.sh")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s\n%s", err, out, buf.String())
		}
	})
}
