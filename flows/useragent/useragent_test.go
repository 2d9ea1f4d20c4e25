package useragent

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/record"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakeIdP serves login and consent pages shaped like the bundled IdP's (mockidp/pages.go):
// a login form with hidden req, username, password, a "Sign in" button and demo_user
// buttons; a consent form with decision=allow/deny buttons; and the response in the
// query, the fragment or an auto-submitting form_post page.
type fakeIdP struct {
	mu      sync.Mutex
	pending map[string]url.Values // req id -> authorization request
	users   map[string]string     // username -> password
}

func newFakeIdP(t *testing.T) *httptest.Server {
	t.Helper()
	idp := &fakeIdP{pending: map[string]url.Values{}, users: map[string]string{"alice": "alice", "bob": "bob"}}
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)
	return srv
}

var (
	loginTmpl = template.Must(template.New("login").Parse(`<!doctype html><html><head><title>Sign in · fake IdP</title>
<style>.err{color:red}</style></head><body><h1>Sign in</h1>
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="req" value="{{.Req}}">
<label>Username <input type="text" name="username" value="{{.Username}}"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit" name="action" value="login">Sign in</button>
<p>Or continue as a demo user:</p>
<button type="submit" name="demo_user" value="alice">Alice Liddell (alice)</button>
<button type="submit" name="demo_user" value="bob">Bob (bob)</button>
</form></body></html>`))
	consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html><html><head><title>Consent</title></head>
<body><h1>Allow access?</h1><form method="post" action="/consent">
<input type="hidden" name="req" value="{{.Req}}">
<input type="checkbox" name="remember" value="yes">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`))
	formPostTmpl = template.Must(template.New("fp").Parse(`<!doctype html><html><head><title>Returning</title></head><body>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit()</script></body></html>`))
)

func (idp *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/authorize":
		q := r.URL.Query()
		if q.Get("redirect_uri") == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<html><head><title>Invalid redirect URI</title></head><body><p class="err">redirect_uri is missing</p></body></html>`)
			return
		}
		id := fmt.Sprintf("r%d", len(idp.pending)+1)
		idp.mu.Lock()
		idp.pending[id] = q
		idp.mu.Unlock()
		if c, err := r.Cookie("sid"); err == nil && c.Value != "" {
			http.Redirect(w, r, "/consent?req="+id, http.StatusFound)
			return
		}
		http.Redirect(w, r, "/login?req="+id, http.StatusFound)
	case "/login":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodGet {
			loginTmpl.Execute(w, map[string]string{"Req": r.URL.Query().Get("req")})
			return
		}
		r.ParseForm()
		user := r.PostForm.Get("demo_user")
		if user == "" {
			name := r.PostForm.Get("username")
			if pw, ok := idp.users[name]; ok && pw == r.PostForm.Get("password") && r.PostForm.Get("action") == "login" {
				user = name
			}
		}
		if user == "" {
			loginTmpl.Execute(w, map[string]string{"Req": r.PostForm.Get("req"), "Username": r.PostForm.Get("username"),
				"Error": "Wrong username or password."})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: user, Path: "/"})
		http.Redirect(w, r, "/consent?req="+r.PostForm.Get("req"), http.StatusSeeOther)
	case "/consent":
		if c, err := r.Cookie("sid"); err != nil || c.Value == "" {
			http.Error(w, "no session cookie", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			consentTmpl.Execute(w, map[string]string{"Req": r.URL.Query().Get("req")})
			return
		}
		r.ParseForm()
		idp.mu.Lock()
		q := idp.pending[r.PostForm.Get("req")]
		idp.mu.Unlock()
		resp := url.Values{"state": {q.Get("state")}}
		switch {
		case r.PostForm.Get("decision") == "deny":
			resp.Set("error", "access_denied")
			resp.Set("error_description", "The user said no")
		case q.Get("response_type") == "token":
			resp.Set("access_token", "at-1")
			resp.Set("token_type", "Bearer")
		default:
			resp.Set("code", "code-1")
		}
		redirect := q.Get("redirect_uri")
		switch q.Get("response_mode") {
		case "form_post":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fields := map[string]string{}
			for k := range resp {
				fields[k] = resp.Get(k)
			}
			formPostTmpl.Execute(w, map[string]any{"Action": redirect, "Fields": fields})
		case "fragment":
			http.Redirect(w, r, redirect+"#"+resp.Encode(), http.StatusFound)
		default:
			http.Redirect(w, r, redirect+"?"+resp.Encode(), http.StatusFound)
		}
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case "/unknown":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Choose an account</title></head><body><h1>Which one?</h1>
<form method="post" action="/pick"><input type="radio" name="acct" value="1"><button>Next</button></form></body></html>`)
	case "/json":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
	default:
		http.NotFound(w, r)
	}
}

const redirectURI = "http://127.0.0.1:5555/callback"

func authorizeRequest(srv *httptest.Server, mode string) flows.AuthorizeRequest {
	q := url.Values{"client_id": {"web-app"}, "response_type": {"code"}, "state": {"st-1"}, "redirect_uri": {redirectURI}}
	if mode == "fragment" {
		q.Set("response_type", "token")
	}
	if mode != "" {
		q.Set("response_mode", mode)
	}
	return flows.AuthorizeRequest{URL: srv.URL + "/authorize?" + q.Encode(), RedirectURI: redirectURI, ResponseMode: mode}
}

func hops(rs []record.Redirect) []string {
	var out []string
	for _, r := range rs {
		from, _ := url.Parse(r.From)
		to, _ := url.Parse(r.To)
		s := fmt.Sprintf("%s %d %s -> %s", r.Method, r.Status, from.Path, to.Host+to.Path)
		if r.Note != "" {
			s += " (" + r.Note + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestAgentPasswordLoginAndConsent(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	a := &Agent{Username: "alice", Password: "alice", Now: func() time.Time { return t0 }}
	res, err := a.Authorize(context.Background(), authorizeRequest(srv, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET 302 /authorize -> " + srv.Listener.Addr().String() + "/login",
		"POST 0 /login -> " + srv.Listener.Addr().String() + "/login (login form submitted as alice)",
		"GET 303 /login -> " + srv.Listener.Addr().String() + "/consent",
		`POST 0 /consent -> ` + srv.Listener.Addr().String() + `/consent (consent: "Allow" pressed)`,
		"GET 302 /consent -> 127.0.0.1:5555/callback (back to the redirect URI with the authorization response (not fetched))",
	}
	if got := hops(res.Redirects); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cb := res.Callback
	if cb.Mode != callback.ModeQuery || cb.Params["code"] != "code-1" || cb.Params["state"] != "st-1" || !cb.ReceivedAt.Equal(t0) {
		t.Fatalf("callback = %+v", cb)
	}
	// Five requests went out; the redirect URI was never fetched.
	if len(res.Exchanges) != 5 {
		t.Fatalf("%d exchanges, want 5", len(res.Exchanges))
	}
	for _, ex := range res.Exchanges {
		if u, _ := url.Parse(ex.Request.URL); u.Host == "127.0.0.1:5555" {
			t.Fatalf("the redirect URI was fetched: %s", ex.Request.URL)
		}
	}
	login := res.Exchanges[2].Request
	form, _ := url.ParseQuery(login.Body)
	if login.Method != http.MethodPost || form.Get("username") != "alice" || form.Get("password") != MaskedPassword ||
		form.Get("action") != "login" || form.Get("req") == "" || form.Has("demo_user") {
		t.Fatalf("login request = %s %s", login.Method, login.Body)
	}
	consent, _ := url.ParseQuery(res.Exchanges[4].Request.Body)
	if consent.Get("decision") != "allow" || consent.Has("remember") {
		t.Fatalf("consent body = %v (an unchecked box is not sent)", consent)
	}
	if strings.Join(res.Notes, "; ") != "logged in as alice with the login form; consent: allow; stopped at the redirect URI without fetching it" {
		t.Fatalf("notes = %q", res.Notes)
	}
}

func TestAgentBadDecision(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	_, err := (&Agent{Username: "alice", Decision: "maybe"}).Authorize(context.Background(), authorizeRequest(srv, ""))
	if err == nil || !strings.Contains(err.Error(), `consent decision "maybe"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestAgentDemoLoginButton(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	res, err := (&Agent{Username: "bob"}).Authorize(context.Background(), authorizeRequest(srv, ""))
	if err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(res.Exchanges[2].Request.Body)
	if form.Get("demo_user") != "bob" || form.Has("action") {
		t.Fatalf("login body = %v, want only the demo_user button pressed", form)
	}
	if res.Callback.Params["code"] != "code-1" {
		t.Fatalf("callback = %+v", res.Callback)
	}

	_, err = (&Agent{Username: "carol"}).Authorize(context.Background(), authorizeRequest(srv, ""))
	if !errors.Is(err, ErrLoginFailed) || !strings.Contains(err.Error(), "no demo login for carol (it offers alice, bob)") {
		t.Fatalf("carol: err = %v", err)
	}
}

func TestAgentDeny(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	res, err := (&Agent{Username: "alice", Decision: Deny}).Authorize(context.Background(), authorizeRequest(srv, ""))
	if err != nil {
		t.Fatalf("a denial is a normal callback, got error %v", err)
	}
	if res.Callback.Params["error"] != "access_denied" || res.Callback.Params["state"] != "st-1" {
		t.Fatalf("callback = %+v", res.Callback)
	}
	if n := res.Redirects[3].Note; n != `consent: "Deny" pressed` {
		t.Fatalf("consent hop note = %q", n)
	}
}

func TestAgentWrongPassword(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	res, err := (&Agent{Username: "alice", Password: "guess"}).Authorize(context.Background(), authorizeRequest(srv, ""))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("err = %v, want ErrLoginFailed", err)
	}
	if e.Msg != "login failed as alice: Wrong username or password." {
		t.Fatalf("message = %q", e.Msg)
	}
	if len(res.Exchanges) != 3 || len(res.Redirects) != 2 {
		t.Fatalf("partial result: %d exchanges, %d redirects; want 3 and 2", len(res.Exchanges), len(res.Redirects))
	}
}

func TestAgentRedirectLoop(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	req := flows.AuthorizeRequest{URL: srv.URL + "/loop", RedirectURI: redirectURI}
	res, err := (&Agent{Username: "alice", MaxHops: 7}).Authorize(context.Background(), req)
	if !errors.Is(err, ErrTooManyHops) || !strings.Contains(err.Error(), "gave up after 7 requests") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Exchanges) != 7 || len(res.Redirects) != 7 {
		t.Fatalf("%d exchanges and %d redirects, want 7", len(res.Exchanges), len(res.Redirects))
	}
}

func TestAgentFormPost(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	res, err := (&Agent{Username: "alice"}).Authorize(context.Background(), authorizeRequest(srv, "form_post"))
	if err != nil {
		t.Fatal(err)
	}
	cb := res.Callback
	if cb.Mode != callback.ModeFormPost || cb.URL != redirectURI || cb.Params["code"] != "code-1" || cb.Params["state"] != "st-1" {
		t.Fatalf("callback = %+v", cb)
	}
	last := res.Redirects[len(res.Redirects)-1]
	if last.Method != http.MethodPost || last.Status != 0 || last.To != redirectURI || !strings.HasPrefix(last.Note, "form_post") {
		t.Fatalf("last hop = %+v", last)
	}
}

func TestAgentFragment(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	res, err := (&Agent{Username: "alice"}).Authorize(context.Background(), authorizeRequest(srv, "fragment"))
	if err != nil {
		t.Fatal(err)
	}
	cb := res.Callback
	if cb.Mode != callback.ModeFragment || cb.Params["access_token"] != "at-1" || cb.Params["state"] != "st-1" {
		t.Fatalf("callback = %+v", cb)
	}
	if !strings.HasPrefix(cb.URL, redirectURI+"#") {
		t.Fatalf("URL = %q, want the redirect URI with the fragment", cb.URL)
	}
}

func TestAgentPagesItCannotAutomate(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	tests := []struct {
		name, path string
		err        error
		says       string
	}{
		{"unknown page", "/unknown", ErrUnknownPage, `stopped on the page "Choose an account: Which one?"`},
		{"error page instead of a redirect", "/authorize?client_id=x", ErrProviderPage, "answered 400 Bad Request with an error page instead of redirecting back (Invalid redirect URI: redirect_uri is missing)"},
		{"JSON instead of a page", "/json", ErrProviderPage, `with application/json instead of a login page or a redirect: "{\"error\":\"invalid_client\"}"`},
		{"not found", "/nowhere", ErrProviderPage, "404 Not Found with text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := (&Agent{Username: "alice"}).Authorize(context.Background(),
				flows.AuthorizeRequest{URL: srv.URL + tt.path, RedirectURI: redirectURI})
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v\nwant %v saying %s", err, tt.err, tt.says)
			}
			if tt.err == ErrUnknownPage && !strings.Contains(err.Error(), "open the real browser (o) or paste") {
				t.Fatalf("err = %v, want a hint", err)
			}
		})
	}
}

func TestAgentRedirectURIFromRequest(t *testing.T) {
	t.Parallel()
	srv := newFakeIdP(t)
	req := authorizeRequest(srv, "")
	req.RedirectURI = ""
	res, err := (&Agent{Username: "alice"}).Authorize(context.Background(), req)
	if err != nil || res.Callback.Params["code"] != "code-1" {
		t.Fatalf("res = %+v, err = %v", res.Callback, err)
	}
	if _, err := (&Agent{Username: "alice"}).Authorize(context.Background(),
		flows.AuthorizeRequest{URL: srv.URL + "/authorize"}); err == nil || !strings.Contains(err.Error(), "no redirect_uri") {
		t.Fatalf("err = %v", err)
	}
}

func TestAgentContextCancel(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := (&Agent{Username: "alice"}).Authorize(ctx, flows.AuthorizeRequest{URL: srv.URL, RedirectURI: redirectURI})
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Authorize did not return after cancel")
	}
}

func TestParsePage(t *testing.T) {
	t.Parallel()
	p := parsePage(strings.NewReader(`<title> A &amp; B </title><h2>Hi</h2>
<form action="/x" method=post><input name=a value="1"><input type=checkbox name=c checked>
<select name=s><option value=o1>one<option value=o2 selected>two</select><textarea name=t>text</textarea>
<input type=submit name=go value=Go><button name=b value=v type=button>no</button><button name=z>Zed</button>
<script>var x = "<form>";</script></form><div class="alert alert-danger">Bad <b>thing</b></div>`))
	if p.title != "A & B" || p.heading != "Hi" || len(p.forms) != 1 || strings.Join(p.alerts, "|") != "Bad thing" {
		t.Fatalf("page = %+v", p)
	}
	f := p.forms[0]
	v := values(f, &f.buttons[1])
	if f.method != "POST" || v.Encode() != "a=1&c=on&s=o2&t=text&z=" || len(f.buttons) != 2 || f.buttons[1].label() != "Zed" {
		t.Fatalf("form = %+v, values %s", f, v.Encode())
	}
}

func TestParsePageHostile(t *testing.T) {
	t.Parallel()
	// Endless unclosed elements whose text is collected: tracked at most maxOpen deep,
	// alerts capped, so time and memory stay linear (see BenchmarkParsePageHostile).
	body := strings.Repeat(`<div><a href="x"><b class="error">x`, 5000) + `<form method=post><input type=password name=p>`
	p := parsePage(strings.NewReader(body))
	if len(p.forms) != 1 || !p.forms[0].hasPassword() || len(p.alerts) != 10 {
		t.Fatalf("forms = %+v, %d alerts", p.forms, len(p.alerts))
	}
}

func BenchmarkParsePageHostile(b *testing.B) {
	body := strings.Repeat(`<div><a href="x"><b class="error">x`, 100000) // 3.5 MB
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		parsePage(strings.NewReader(body))
	}
}

func FuzzParsePage(f *testing.F) {
	for _, s := range []string{
		`<form method=post action=/login><input type=hidden name=req value=1><input name=username><input type=password name=password><button name=demo_user value=alice>Alice</button></form>`,
		`<title>x</title><h1>y</h1><p class=err role=alert>Wrong</p><form method=post><button name=decision value=allow>Allow</button>`,
		`<form><select name=s><option>a<option selected value=b></select><textarea name=t>x</textarea></form>`,
		`<button><form></button></form><a href=/abort>[ Cancel ]</a>`,
		`<script>document.forms[0].submit()</script><form method="post" action="http://127.0.0.1/cb"><input type="hidden" name="code" value="c">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := parsePage(strings.NewReader(body))
		_ = p.what()
		for _, fm := range p.forms {
			_ = values(fm, submitButton(fm, "demo_user")).Encode()
			_ = fm.shape()
		}
		_, _ = consentForm(p)
	})
}

func TestAgentHostileProvider(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>spam</p>", 1000))
		for range 500 { // 5.5 MB, over the recorder's 4 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes the body
	})
	mux.HandleFunc("/nolocation", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	mux.HandleFunc("/badlocation", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://[::1")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/twice", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectURI+"?code=a&state=s&state=t", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "javascript:alert(1)", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		path string
		err  error
		says string
	}{
		{"/huge", nil, "response body too large"},
		{"/stall", nil, "timed out"},
		{"/nolocation", ErrProviderPage, "answered 302 without a Location header"},
		{"/badlocation", nil, `failed to parse Location header "http://[::1"`},
		{"/twice", callback.ErrDuplicate, "the response is broken: state appears twice"},
		{"/elsewhere", ErrUnknownPage, "neither the redirect URI"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			timeout := 10 * time.Second
			if tt.path == "/stall" {
				timeout = 300 * time.Millisecond
			}
			a := &Agent{Username: "alice", Client: &http.Client{Timeout: timeout}}
			_, err := a.Authorize(context.Background(), flows.AuthorizeRequest{URL: srv.URL + tt.path, RedirectURI: redirectURI})
			if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v\nwant %v saying %q", err, tt.err, tt.says)
			}
		})
	}
}
