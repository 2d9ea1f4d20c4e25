package callback

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	t.Parallel()
	// Each case is one thing a redirect URL can carry.
	tests := []struct {
		name     string
		url      string
		mode     string
		params   map[string]string
		err      error  // sentinel, when parsing must fail
		contains string // in the error message
	}{
		{
			name: "code in the query (RFC 6749 §4.1.2)",
			url:  "http://127.0.0.1:5555/callback?code=abc&state=xyz&iss=https%3A%2F%2Fidp.example",
			mode: ModeQuery, params: map[string]string{"code": "abc", "state": "xyz", "iss": "https://idp.example"},
		},
		{
			name: "error in the query (RFC 6749 §4.1.2.1)",
			url:  "http://127.0.0.1/cb?error=access_denied&error_description=The+user+said+no&state=s",
			mode: ModeQuery, params: map[string]string{"error": "access_denied", "error_description": "The user said no", "state": "s"},
		},
		{
			name: "tokens in the fragment (RFC 6749 §4.2.2)",
			url:  "http://127.0.0.1/cb#access_token=at&token_type=Bearer&id_token=a.b.c&state=s&expires_in=3600",
			mode: ModeFragment, params: map[string]string{"access_token": "at", "token_type": "Bearer", "id_token": "a.b.c", "state": "s", "expires_in": "3600"},
		},
		{
			name: "fragment wins when the registered redirect URI has its own query",
			url:  "http://127.0.0.1/cb?tenant=acme#id_token=a.b.c&state=s",
			mode: ModeFragment, params: map[string]string{"id_token": "a.b.c", "state": "s"},
		},
		{
			name: "query wins over a fragment left over from an earlier URL",
			url:  "http://127.0.0.1/cb?code=abc&state=s#_=_",
			mode: ModeQuery, params: map[string]string{"code": "abc", "state": "s"},
		},
		{
			name: "query with state only is the response, and a broken one",
			url:  "http://127.0.0.1/cb?state=s#code=injected",
			err:  ErrNoResponse, contains: "no code, token or error parameter in the redirect URL (it has only state)",
		},
		{
			name: "server-side view: path and query only",
			url:  "/callback?code=abc&state=s",
			mode: ModeQuery, params: map[string]string{"code": "abc", "state": "s"},
		},
		{
			name: "surrounding white space from a paste",
			url:  "  http://127.0.0.1/cb?code=abc\n",
			mode: ModeQuery, params: map[string]string{"code": "abc"},
		},
		{
			name: "empty values are values",
			url:  "http://127.0.0.1/cb?code=&state=",
			mode: ModeQuery, params: map[string]string{"code": "", "state": ""},
		},
		{
			name: "state twice (RFC 6749 §3.1)",
			url:  "http://127.0.0.1/cb?code=abc&state=a&state=b",
			err:  ErrDuplicate, contains: "state appears twice",
		},
		{
			name: "code three times in the fragment",
			url:  "http://127.0.0.1/cb#code=1&code=2&code=3&state=s",
			err:  ErrDuplicate, contains: "code appears 3 times in the fragment",
		},
		{
			name: "no parameters at all",
			url:  "http://127.0.0.1/cb",
			err:  ErrNoResponse, contains: "no code, token or error parameter in the redirect URL",
		},
		{
			name: "the authorization request pasted by mistake",
			url:  "https://idp.example/authorize?client_id=app&response_type=code&redirect_uri=x",
			err:  ErrNoResponse, contains: "it has only client_id, redirect_uri, response_type",
		},
		{
			name: "bad percent-escape",
			url:  "http://127.0.0.1/cb?code=%zz",
			err:  ErrMalformed, contains: "badly escaped value for code",
		},
		{
			name: "semicolon separator",
			url:  "http://127.0.0.1/cb?code=a;state=b",
			err:  ErrMalformed, contains: "semicolon",
		},
		{
			name: "invalid UTF-8",
			url:  "http://127.0.0.1/cb?code=a&error_description=%ff",
			err:  ErrMalformed, contains: "error_description in the query of the redirect URL is not valid UTF-8",
		},
		{
			name: "empty",
			url:  " ",
			err:  ErrMalformed, contains: "empty",
		},
		{
			name: "too large",
			url:  "http://127.0.0.1/cb?code=" + strings.Repeat("a", MaxSize),
			err:  ErrTooLarge, contains: "more than the 65536",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb, err := Parse(tt.url, t0)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse error = %v, want %v", err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.contains) {
					t.Fatalf("Parse error %q does not say %q", err, tt.contains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cb.Mode != tt.mode || !maps.Equal(cb.Params, tt.params) || !cb.ReceivedAt.Equal(t0) {
				t.Fatalf("Parse = %+v, want mode %s params %v", cb, tt.mode, tt.params)
			}
			if cb.URL != strings.TrimSpace(tt.url) {
				t.Fatalf("URL = %q, want the URL as received", cb.URL)
			}
		})
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	cb, err := ParseForm("code=abc&state=s%2B1", "http://127.0.0.1:5555/callback", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"code": "abc", "state": "s+1"}
	if cb.Mode != ModeFormPost || cb.URL != "http://127.0.0.1:5555/callback" || !maps.Equal(cb.Params, want) {
		t.Fatalf("ParseForm = %+v", cb)
	}
	if _, err := ParseForm("state=a&code=x&state=a", "http://127.0.0.1/cb", t0); !errors.Is(err, ErrDuplicate) ||
		!strings.Contains(err.Error(), "state appears twice in the form_post body") {
		t.Fatalf("duplicate state: err = %v", err)
	}
	if _, err := ParseForm("", "http://127.0.0.1/cb", t0); !errors.Is(err, ErrNoResponse) {
		t.Fatalf("empty body: err = %v", err)
	}
	if _, err := ParseForm(strings.Repeat("x", MaxSize+1), "http://127.0.0.1/cb", t0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("large body: err = %v", err)
	}
}

func TestPastedURL(t *testing.T) {
	t.Parallel()
	req := flows.AuthorizeRequest{
		URL:         "https://idp.example/authorize?state=s",
		RedirectURI: "http://127.0.0.1:5555/callback",
	}
	a := &Pasted{URL: " http://127.0.0.1:5555/callback?code=abc&state=s ", Now: func() time.Time { return t0 }}
	res, err := a.Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Callback.Params["code"] != "abc" || res.Callback.Mode != ModeQuery || !res.Callback.ReceivedAt.Equal(t0) {
		t.Fatalf("callback = %+v", res.Callback)
	}
	if len(res.Notes) != 1 || res.Notes[0] != "redirect URL pasted by the person" {
		t.Fatalf("notes = %q", res.Notes)
	}

	res, err = PastedURL("http://localhost:9999/other?code=abc").Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 2 || !strings.Contains(res.Notes[1], "does not start with the redirect URI") {
		t.Fatalf("notes = %q, want a note on the other endpoint", res.Notes)
	}

	_, err = PastedURL("https://idp.example/login").Authorize(context.Background(), req)
	if !errors.Is(err, ErrNoResponse) || !strings.Contains(err.Error(), "starting with http://127.0.0.1:5555/callback") {
		t.Fatalf("err = %v, want a hint with the redirect URI", err)
	}

	req.ResponseMode = ModeFormPost
	if _, err := PastedURL("http://127.0.0.1:5555/callback?code=abc").Authorize(context.Background(), req); err == nil ||
		!strings.Contains(err.Error(), "form_post") {
		t.Fatalf("form_post: err = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PastedURL("http://127.0.0.1:5555/callback?code=abc").Authorize(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestSameEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
		same      bool
	}{
		{"http://127.0.0.1:5555/callback?code=1", "http://127.0.0.1:5555/callback", true},
		{"HTTP://LOCALHOST:5555/callback#x", "http://localhost:5555/callback", true},
		{"http://127.0.0.1:5555", "http://127.0.0.1:5555/", true},
		{"http://127.0.0.1:5555/callbackx?code=1", "http://127.0.0.1:5555/callback", false},
		{"http://127.0.0.1:5556/callback", "http://127.0.0.1:5555/callback", false},
		{"https://127.0.0.1:5555/callback", "http://127.0.0.1:5555/callback", false},
		{"http://127.0.0.1:5555@evil.example/callback", "http://127.0.0.1:5555/callback", false},
	}
	for _, tt := range tests {
		if got := SameEndpoint(tt.got, tt.want); got != tt.same {
			t.Errorf("SameEndpoint(%q, %q) = %v, want %v", tt.got, tt.want, got, tt.same)
		}
	}
}

func TestErrorMeaning(t *testing.T) {
	t.Parallel()
	m, spec := ErrorMeaning("access_denied")
	if !strings.Contains(m, "denied") || spec != "RFC 6749 §4.1.2.1" {
		t.Fatalf("access_denied = %q, %q", m, spec)
	}
	if m, spec := ErrorMeaning("made_up"); m != "" || spec != "" {
		t.Fatalf("unknown code = %q, %q", m, spec)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:5555/callback?code=abc&state=xyz",
		"http://127.0.0.1/cb#access_token=at&token_type=Bearer&state=s",
		"http://127.0.0.1/cb?tenant=a#id_token=a.b.c",
		"http://127.0.0.1/cb?error=access_denied&error_description=no%20way",
		"/callback?code=a&code=b",
		"http://127.0.0.1/cb?code=%zz",
		"http://[::1]:80/cb?state=%ff#",
		"http://127.0.0.1/cb?=&&=&a",
		"%",
		"#code",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cb, err := Parse(raw, t0)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Msg == "" {
				t.Fatalf("error %v is not a *ParseError with a message", err)
			}
			return
		}
		if cb.Mode != ModeQuery && cb.Mode != ModeFragment {
			t.Fatalf("mode %q", cb.Mode)
		}
		if !hasAny(cb.Params, responseKeys) {
			t.Fatalf("accepted %q without a response parameter", raw)
		}
		// The form parser must agree on the same bytes.
		_, _ = ParseForm(raw, "http://127.0.0.1/cb", t0)
	})
}
