package flows

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oauthx/oauthx/flows/record"
)

// FuzzParseMetadata feeds the discovery document parser hostile documents: it must
// never panic, and an error must say what was wrong.
func FuzzParseMetadata(f *testing.F) {
	for _, seed := range []string{
		`{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/authorize","token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks","response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256","none"],"authorization_response_iss_parameter_supported":true}`,
		`{"issuer":""}`,
		`{"issuer":42}`,
		`{"issuer":"x","scopes_supported":"openid"}`,
		`{"issuer":"x","authorization_response_iss_parameter_supported":"true"}`,
		`[1,2]`,
		`<!doctype html><title>Not found</title>`,
		``,
		`{"issuer":"x"`,
		`{"issuer":"x"} trailing`,
		"\xff\xfe{}",
		`{"issuer":"x","code_challenge_methods_supported":[null,1]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := ParseMetadata(doc)
		if err != nil {
			if m != nil {
				t.Fatal("an error and a document")
			}
			if err.Error() == "" || !utf8.ValidString(err.Error()) && utf8.Valid(doc) {
				t.Fatalf("unhelpful error %q", err)
			}
			return
		}
		if m.Issuer == "" {
			t.Fatal("accepted a document without an issuer")
		}
	})
}

// FuzzParseTokenResponse feeds the token response parser hostile responses: it must
// never panic, return either tokens or an error, and type protocol errors.
func FuzzParseTokenResponse(f *testing.F) {
	seeds := []struct {
		status int
		ctype  string
		body   string
	}{
		{200, "application/json", `{"access_token":"at","token_type":"Bearer","expires_in":3600,"scope":"openid","id_token":"a.b.c","refresh_token":"rt"}`},
		{200, "application/json", `{"access_token":"at","token_type":"bearer","expires_in":"3600"}`},
		{200, "application/json", `{"access_token":"at","expires_in":1e400}`},
		{200, "application/json", `{"access_token":"at","expires_in":-1,"token_type":7}`},
		{200, "application/json;charset=UTF-8", `{"access_token":null,"scope":["a"]}`},
		{200, "application/x-www-form-urlencoded", `access_token=at&token_type=bearer&expires_in=60`},
		{200, "text/plain", `access_token=at&scope=a%20b`},
		{400, "application/json", `{"error":"invalid_grant","error_description":"bad verifier","error_uri":"https://idp.example/e"}`},
		{401, "application/json", `{"error":"invalid_client"}`},
		{200, "application/json", `{"error":"invalid_request"}`},
		{500, "application/json", `{"message":"boom"}`},
		{502, "text/html", "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>"},
		{200, "text/html", "<!doctype html><p>login</p>"},
		{200, "", ``},
		{200, "application/json", `{"access_token":"at"}{"x":1}`},
		{200, "application/json", `{"access_token":"at","a":{"b":{"c":[[[[[[]]]]]]}}}`},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ctype)
		tr, rerr, checks := parseTokenResponse(status, h, body)
		if (tr == nil) == (rerr == nil) {
			t.Fatalf("want tokens or an error, got %v and %v", tr, rerr)
		}
		if rerr != nil {
			if rerr.Message == "" {
				t.Fatal("an error without a message")
			}
			if rerr.Kind == record.ErrProtocol && (rerr.Protocol == nil || rerr.Protocol.Code == "" || rerr.Protocol.Meaning == "") {
				t.Fatalf("protocol error without code or meaning: %+v", rerr)
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("tokens from HTTP %d", status)
		}
		for _, c := range checks {
			if c.Name == "" || c.Outcome == "" {
				t.Fatalf("incomplete check %+v", c)
			}
		}
		if tr.HasExpiresIn && tr.ExpiresIn < 0 {
			t.Fatalf("negative lifetime %d", tr.ExpiresIn)
		}
	})
}

func TestParseTokenResponseCases(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		// want is the error kind, or "" for tokens
		want record.ErrorKind
		// say is a fragment of the error message or of a warned/failed check's reason
		say string
	}{
		{"ok", 200, json, `{"access_token":"at","token_type":"Bearer","expires_in":3600}`, "", ""},
		{"expires_in string", 200, json, `{"access_token":"at","token_type":"Bearer","expires_in":"3600"}`, "", "a JSON string instead of a number"},
		{"no token_type", 200, json, `{"access_token":"at"}`, "", "token_type is REQUIRED"},
		{"no cache-control", 200, http.Header{"Content-Type": {"application/json"}}, `{"access_token":"at","token_type":"Bearer"}`, "", "must not be cached"},
		{"protocol", 400, json, `{"error":"invalid_grant","error_description":"nope"}`, record.ErrProtocol, "invalid_grant: nope"},
		{"error with 200", 200, json, `{"error":"invalid_request"}`, record.ErrProtocol, "invalid_request"},
		{"html 502", 502, http.Header{"Content-Type": {"text/html"}}, "\n<html><title>Bad gateway</title>", record.ErrResponse, "an HTML page instead of JSON (HTTP 502, text/html): <html><title>Bad gateway</title>"},
		{"json without error", 500, json, `{"message":"boom"}`, record.ErrResponse, "without an OAuth error code"},
		{"not json", 200, http.Header{"Content-Type": {"text/html"}}, `<p>hi`, record.ErrResponse, "not a JSON object"},
		{"form", 200, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, `access_token=at&token_type=bearer`, "", "legacy quirk"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, rerr, checks := parseTokenResponse(tc.status, tc.header, []byte(tc.body))
			if tc.want != "" {
				if rerr == nil || rerr.Kind != tc.want {
					t.Fatalf("err = %+v, want kind %s", rerr, tc.want)
				}
				if !strings.Contains(rerr.Message, tc.say) {
					t.Errorf("message %q does not say %q", rerr.Message, tc.say)
				}
				return
			}
			if rerr != nil || tr == nil {
				t.Fatalf("err = %+v", rerr)
			}
			if tc.say == "" {
				for _, c := range checks {
					if c.Outcome != record.OutcomePass {
						t.Errorf("check %s: %s (%s)", c.Name, c.Outcome, c.Reason)
					}
				}
				return
			}
			var found bool
			for _, c := range checks {
				found = found || (c.Outcome != record.OutcomePass && strings.Contains(c.Reason, tc.say))
			}
			if !found {
				t.Errorf("no check says %q: %+v", tc.say, checks)
			}
		})
	}
}

func TestParseMetadataLenientTypes(t *testing.T) {
	m, err := ParseMetadata([]byte(`{"issuer":"https://idp.example","scopes_supported":"openid profile",
		"authorization_response_iss_parameter_supported":"true","code_challenge_methods_supported":["S256",1],
		"token_endpoint":"https://idp.example/token","unknown":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.TokenEndpoint != "https://idp.example/token" || m.ScopesSupported != nil || m.AuthorizationResponseIssParameterSupported {
		t.Errorf("parsed %+v", m)
	}
	want := []string{
		"authorization_response_iss_parameter_supported is a string, not a boolean",
		"code_challenge_methods_supported is an array holding a number, not an array of strings",
		"scopes_supported is a string, not an array of strings",
	}
	if strings.Join(m.Problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(m.Problems, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{`{"issuer":42}`, `{}`, `[]`, `{"issuer":"x"`} {
		if _, err := ParseMetadata([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
