package export

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

// TestCurlAgainstBundledIdP records a client credentials token request against the
// bundled IdP, exports it, and runs the curl script against the same provider: it must
// get a 200 with an access token, masked (the secret given in the environment) or not.
func TestCurlAgainstBundledIdP(t *testing.T) {
	needCurl(t)
	t.Parallel()
	idp, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)

	rec := &httprec.Recorder{}
	client := rec.Client(nil)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape("machine"), url.QueryEscape("machine-secret")) // RFC 6749 §2.3.1
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("recording the token request: %s", resp.Status)
	}
	step := record.Step{
		Flow: "client-credentials", ID: "token", Title: "Get a token as the client", Status: record.StatusDone,
		Specs: []record.SpecRef{{Spec: "RFC 6749", Section: "§4.4.2"}},
		Request: &record.Request{StepID: "token", Method: "POST", URL: srv.URL + "/token", AuthMethod: "client_secret_basic",
			Params: []record.Param{
				{Name: "grant_type", Value: "client_credentials"}, {Name: "scope", Value: "api:read"},
				{Name: "client_id", Value: "machine"}, {Name: "client_secret", Value: "machine-secret", Secret: true},
			}},
		Exchanges: rec.Take(),
	}
	if len(step.Exchanges) != 1 {
		t.Fatalf("recorded %d exchanges, want 1", len(step.Exchanges))
	}

	for _, reveal := range []bool{false, true} {
		tr := New("client-credentials", "bundled IdP", []record.Step{step}, t0, reveal)
		var env []string
		if !reveal {
			env = []string{"CLIENT_SECRET=machine-secret"} // CLIENT_ID defaults to machine
		}
		path := writeScript(t, tr)
		stdout, stderr, err := runScript(t, path, env...)
		if err != nil {
			t.Fatalf("reveal=%v: %v\n%s", reveal, err, stderr)
		}
		if !strings.Contains(stderr, "<-- 200 (recorded: 200)") {
			t.Errorf("reveal=%v: status not 200:\n%s\n%s", reveal, stderr, stdout)
		}
		var body struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			Scope       string `json:"scope"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &body); err != nil || body.AccessToken == "" {
			t.Errorf("reveal=%v: no access token in %q (%v)", reveal, stdout, err)
		}
		if !strings.EqualFold(body.TokenType, "Bearer") {
			t.Errorf("reveal=%v: token_type = %q", reveal, body.TokenType)
		}
	}

	// A wrong secret is refused by the provider: the script sends what it is given.
	path := writeScript(t, New("client-credentials", "bundled IdP", []record.Step{step}, t0, false))
	_, stderr, err := runScript(t, path, "CLIENT_SECRET=wrong")
	if err != nil || !strings.Contains(stderr, "<-- 401") {
		t.Errorf("wrong secret: err=%v, stderr:\n%s", err, stderr)
	}
}
