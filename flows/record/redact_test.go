package record

import (
	"net/http"
	"strings"
	"testing"
)

func TestRedacted(t *testing.T) {
	secret := "s3cr3t-value"
	refresh := "rt-abcdef"
	step := Step{
		Request: &Request{Params: []Param{
			{Name: "client_id", Value: "web-app"},
			{Name: "client_secret", Value: secret},
		}},
		Edited: []Edit{{Name: "client_secret", From: secret, To: "other"}},
		Exchanges: []Exchange{{
			Request: HTTPRequest{
				Method: "POST", URL: "https://idp.example/token?password=" + secret,
				Header: http.Header{"Authorization": {"Basic d2ViOnNlY3JldA=="}, "Content-Type": {"application/x-www-form-urlencoded"}},
				Body:   "grant_type=refresh_token&refresh_token=" + refresh + "&client_secret=" + secret,
			},
			Response: &HTTPResponse{
				Status: 200,
				Header: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"sid=" + secret}},
				Body:   `{"access_token":"at-visible","refresh_token" : "` + refresh + `","note":"x\"y"}`,
			},
		}},
		Artifacts: []Artifact{
			{Name: "access_token", Value: "at-visible"},
			{Name: "refresh_token", Value: refresh, Secret: true, Token: &Token{Format: FormatOpaque}},
		},
	}
	got := step.Redacted()
	dump := strings.Join([]string{
		got.Request.Params[1].Value, got.Edited[0].From, got.Edited[0].To,
		got.Exchanges[0].Request.URL, got.Exchanges[0].Request.Body,
		got.Exchanges[0].Request.Header.Get("Authorization"),
		got.Exchanges[0].Response.Body, got.Exchanges[0].Response.Header.Get("Set-Cookie"),
		got.Artifacts[1].Value,
	}, "\n")
	for _, leak := range []string{secret, refresh, "d2ViOnNlY3JldA=="} {
		if strings.Contains(dump, leak) {
			t.Errorf("redacted step still contains %q:\n%s", leak, dump)
		}
	}
	if !strings.Contains(dump, "at-visible") || got.Request.Params[0].Value != "web-app" {
		t.Errorf("redaction removed values that are not secret:\n%s", dump)
	}
	if h := got.Exchanges[0].Request.Header.Get("Authorization"); h != "Basic "+Mask {
		t.Errorf("Authorization = %q, want the scheme kept and the credentials masked", h)
	}
	if got.Artifacts[1].Token != nil {
		t.Error("decoded form of a secret artifact kept")
	}
	// The original is untouched.
	if step.Request.Params[1].Value != secret || !strings.Contains(step.Exchanges[0].Request.Body, secret) ||
		step.Exchanges[0].Request.Header.Get("Authorization") != "Basic d2ViOnNlY3JldA==" {
		t.Error("Redacted changed the receiver")
	}
}
