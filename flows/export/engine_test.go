package export

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// TestExportEngineFlow runs real flows with the engine against the bundled IdP, exports
// them, and replays the token request with the curl script: with the spent code the
// provider answers invalid_grant, as the script's header warns; with a fresh code from
// the recorded authorization request (and the recorded PKCE verifier) it answers 200
// with tokens. Every format of the masked export is checked for the client secret and
// the refresh token.
func TestExportEngineFlow(t *testing.T) {
	needCurl(t)
	for _, tc := range []struct {
		kind   flows.Kind
		client flows.Client
	}{
		{flows.KindPKCE, flows.Client{ID: "native-app"}},
		{flows.KindAuthorizationCode, flows.Client{ID: "web-app", Secret: "web-app-secret"}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			idp, err := mockidp.New(mockidp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(idp)
			t.Cleanup(srv.Close)
			client := tc.client
			client.RedirectURI = "http://127.0.0.1/callback"
			f, err := flows.New(tc.kind, flows.Config{
				Provider:   flows.Provider{Name: "bundled IdP", Issuer: srv.URL},
				Client:     client,
				Scopes:     []string{"openid", "profile", "email"},
				Authorizer: &useragent.Agent{Username: "alice", Password: "alice"},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i := 0; !f.Done(); i++ {
				if i > 20 {
					t.Fatal("flow does not end")
				}
				f.Next(ctx, flows.StepInput{})
			}
			steps := f.Records()
			if last := steps[len(steps)-1]; last.Failed() {
				t.Fatalf("flow failed at %s: %v", last.ID, last.Error)
			}
			tr := New(string(tc.kind), "bundled IdP", steps, time.Now(), false)

			secrets := []string{}
			if client.Secret != "" {
				secrets = append(secrets, client.Secret)
			}
			if rt := f.Tokens().RefreshToken; rt != "" {
				secrets = append(secrets, rt)
			}
			for _, format := range Formats() {
				out := render(t, format, tr)
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("masked %s export contains the secret %q", format, s)
					}
				}
				if format == FormatHAR {
					for _, p := range checkHAR([]byte(out)) {
						t.Errorf("HAR: %s", p)
					}
				}
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, tr); err != nil {
				t.Fatal(err)
			}
			back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("the engine's records do not read back: %v", err)
			}
			if len(back.Steps) != len(steps) {
				t.Errorf("read back %d steps, want %d", len(back.Steps), len(steps))
			}

			authURL := authorizationRequest(steps)
			if authURL == "" {
				t.Fatal("no authorization request in the records")
			}
			path := writeScript(t, tr)
			env := []string{"ACCESS_TOKEN=" + f.Tokens().AccessToken}
			if client.Secret != "" {
				env = append(env, "CLIENT_SECRET="+client.Secret)
			}
			_, stderr, err := runScript(t, path, env...)
			if err != nil {
				t.Fatalf("script: %v\n%s", err, stderr)
			}
			if got := tokenStatus(stderr, srv.URL); got != "400" {
				t.Errorf("token request with the spent code: status %q, want 400 (invalid_grant)\n%s", got, stderr)
			}

			res, err := (&useragent.Agent{Username: "alice", Password: "alice"}).Authorize(ctx, flows.AuthorizeRequest{
				URL: authURL, RedirectURI: client.RedirectURI, ResponseMode: "query",
			})
			if err != nil {
				t.Fatal(err)
			}
			code := res.Callback.Params["code"]
			if code == "" {
				t.Fatalf("no code in the fresh callback %+v", res.Callback)
			}
			stdout, stderr, err := runScript(t, path, append(env, "CODE="+code)...)
			if err != nil {
				t.Fatalf("script: %v\n%s", err, stderr)
			}
			if got := tokenStatus(stderr, srv.URL); got != "200" {
				t.Errorf("token request with a fresh code: status %q, want 200\n%s\n%s", got, stderr, stdout)
			}
			if !strings.Contains(stdout, `"access_token"`) || !strings.Contains(stdout, `"id_token"`) {
				t.Errorf("no tokens in the output:\n%s", stdout)
			}
		})
	}
}

// authorizationRequest finds the authorization request URL the user agent sent.
func authorizationRequest(steps []record.Step) string {
	for _, s := range steps {
		for _, ex := range s.Exchanges {
			if u, err := url.Parse(ex.Request.URL); err == nil && u.Query().Has("response_type") {
				return ex.Request.URL
			}
		}
	}
	return ""
}

// tokenStatus returns the status the script printed for its POST to the token endpoint.
func tokenStatus(stderr, base string) string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "POST "+base+"/token") {
			for _, next := range lines[i+1:] {
				if rest, ok := strings.CutPrefix(next, "<-- "); ok {
					status, _, _ := strings.Cut(rest, " ")
					return status
				}
			}
		}
	}
	return ""
}
