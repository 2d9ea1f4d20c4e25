package flows_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

func TestPlanListsEveryStepWithArrows(t *testing.T) {
	t.Parallel()
	for _, k := range flows.Kinds() {
		cfg := demoConfig(k.Kind, "https://idp.example")
		f := newFlow(t, k.Kind, cfg)
		plan := f.Plan()
		if len(plan) == 0 {
			t.Fatalf("%s: empty plan", k.Kind)
		}
		sends := 0
		for _, p := range plan {
			if p.ID == "" || p.Title == "" || len(p.Arrows) == 0 {
				t.Errorf("%s: incomplete plan step %+v", k.Kind, p)
			}
			if p.Sends {
				sends++
			}
		}
		if sends == 0 {
			t.Errorf("%s: no step sends an editable request", k.Kind)
		}
		if f.Done() || len(f.Records()) != 0 {
			t.Errorf("%s: a new flow has run already", k.Kind)
		}
	}
}

// TestEndpointsByHand runs the code flow with no discovery at all.
func TestEndpointsByHand(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindPKCE, "")
	cfg.Scopes = []string{"api:read"}
	cfg.Provider = flows.Provider{AuthorizationEndpoint: ts.URL + "/authorize", TokenEndpoint: ts.URL + "/token"}
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	want := "prepare:done authorize:done login:done callback:done token:done"
	if got := stepIDs(recs); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Without an issuer there is nothing to compare the RFC 9207 iss with.
	for _, c := range recs[3].Checks {
		if c.Name == "iss (RFC 9207)" && c.Outcome != record.OutcomeWarn {
			t.Errorf("iss check = %s, want warn without an issuer", c.Outcome)
		}
	}
}

// TestDiscoveryFallsBackToRFC8414 serves only the RFC 8414 document.
func TestDiscoveryFallsBackToRFC8414(t *testing.T) {
	t.Parallel()
	s, err := mockidp.New(mockidp.Options{KeyCacheDir: "testdata/idpkeys"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	f := newFlow(t, flows.KindClientCredentials, demoConfig(flows.KindClientCredentials, ts.URL))
	rec := f.Next(context.Background(), flows.StepInput{})
	if rec.Failed() {
		t.Fatalf("discovery failed: %s", rec.Error.Message)
	}
	if len(rec.Exchanges) != 2 || rec.Exchanges[0].Response.Status != 404 ||
		!strings.HasSuffix(rec.Exchanges[1].Request.URL, "/.well-known/oauth-authorization-server") {
		t.Fatalf("exchanges: %+v", rec.Exchanges)
	}
	if c := rec.Checks[0]; c.Name != "issuer matches" || c.Spec != "RFC 8414 §3.3" {
		t.Errorf("first check %+v, want the RFC 8414 issuer check", c)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html>\n<title>Sign in</title>"))
	}))
	t.Cleanup(html.Close)
	cases := []struct {
		name, issuer string
		kind         record.ErrorKind
		say          string
	}{
		{"nothing listening", closed, record.ErrNetwork, "cannot connect"},
		{"html", html.URL, record.ErrResponse, "an HTML page instead of JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow(t, flows.KindClientCredentials, demoConfig(flows.KindClientCredentials, tc.issuer))
			rec := f.Next(context.Background(), flows.StepInput{})
			if !rec.Failed() || rec.Error.Kind != tc.kind || !strings.Contains(rec.Error.Message, tc.say) {
				t.Fatalf("record %s %+v, want %s saying %q", rec.Status, rec.Error, tc.kind, tc.say)
			}
			if !f.Done() {
				t.Error("a failed step must end the flow")
			}
			again := f.Next(context.Background(), flows.StepInput{})
			if again.Error == nil || again.Error.Kind != record.ErrConfig || len(f.Records()) != 1 {
				t.Errorf("Next after the end: %+v, %d records", again.Error, len(f.Records()))
			}
		})
	}
}

// TestCancelledStepCanRunAgain: a cancelled step is not counted; the same step runs
// again with another context.
func TestCancelledStepCanRunAgain(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	f := newFlow(t, flows.KindClientCredentials, demoConfig(flows.KindClientCredentials, ts.URL))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := f.Next(ctx, flows.StepInput{})
	if rec.Error == nil || rec.Error.Kind != record.ErrCanceled {
		t.Fatalf("cancelled step: %+v", rec.Error)
	}
	if f.Done() || len(f.Records()) != 0 {
		t.Fatal("a cancelled step must not advance the flow")
	}
	recs := runAll(t, f, nil)
	if got := stepIDs(recs); got != "discovery:done token:done" {
		t.Fatalf("after cancel: %s", got)
	}
}

// TestRemovedStateIsCaught removes state from the authorization request, which
// golang.org/x/oauth2 cannot express: the client builds the URL itself and the
// callback check catches the missing state.
func TestRemovedStateIsCaught(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	f := newFlow(t, flows.KindPKCE, demoConfig(flows.KindPKCE, ts.URL))
	recs := runAll(t, f, func(r record.Request) *record.Request {
		if r.StepID != "authorize" {
			return nil
		}
		e := r.Without("state")
		return &e
	})
	auth := recs[2]
	if a, _ := auth.Artifact("authorization_url"); strings.Contains(a.Value, "state=") {
		t.Errorf("state still in the URL: %s", a.Value)
	}
	if len(auth.Edited) != 1 || auth.Edited[0].Name != "state" || auth.Edited[0].To != "" {
		t.Errorf("edited = %+v", auth.Edited)
	}
	last := lastStep(recs)
	if last.ID != "callback" || len(last.FailedChecks()) == 0 || last.FailedChecks()[0].Name != "state" {
		t.Fatalf("ended at %s with %v", last.ID, checkNames(last.FailedChecks()))
	}
}

// TestReadersDuringNext reads a flow from another goroutine while it runs (go test -race).
func TestReadersDuringNext(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	f := newFlow(t, flows.KindPKCE, demoConfig(flows.KindPKCE, ts.URL))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = f.Records()
				_, _ = f.Pending()
				_ = f.Tokens()
				_ = f.Done()
				_ = f.Plan()
			}
		}
	}()
	runAll(t, f, nil)
	close(stop)
	wg.Wait()
	if f.Tokens().IDToken == "" {
		t.Error("no ID token")
	}
}

// TestProviderSpecViolationsWarn serves the bundled IdP's metadata with a member of
// the wrong type and a required member missing: the flow goes on, with warnings.
func TestProviderSpecViolationsWarn(t *testing.T) {
	t.Parallel()
	s, err := mockidp.New(mockidp.Options{KeyCacheDir: "testdata/idpkeys"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			s.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Error(err)
		}
		delete(doc, "subject_types_supported")
		doc["scopes_supported"] = "openid profile email"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(ts.Close)
	recs := runAll(t, newFlow(t, flows.KindPKCE, demoConfig(flows.KindPKCE, ts.URL)), nil)
	if last := lastStep(recs); last.Failed() {
		t.Fatalf("failed at %s: %s", last.ID, last.Error.Message)
	}
	warned := map[string]bool{}
	for _, c := range recs[0].Checks {
		if c.Outcome == record.OutcomeWarn {
			warned[c.Name] = true
		}
	}
	for _, name := range []string{"metadata member types", "provider: required members present"} {
		if !warned[name] {
			t.Errorf("no warning %q; warnings: %v", name, warned)
		}
	}
}
