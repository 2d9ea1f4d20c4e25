package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
	"github.com/oauthx/oauthx/tui"
)

func TestRunTUIUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flow", []string{"--flow", "nope"}, `unknown flow "nope"`},
		{"issuer without client", []string{"--issuer", "https://idp.example"}, "--issuer needs --client-id"},
		{"client without issuer", []string{"--client-id", "x"}, "go with --issuer"},
		{"secret env unset", []string{"--issuer", "https://idp.example", "--client-id", "x", "--client-secret-env", "OAUTHX_TEST_UNSET_VAR"}, "not set"},
		{"bad theme", []string{"--theme", "pink"}, "--theme takes auto, dark or light"},
		{"stray argument", []string{"--flow", "pkce", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runTUI(c.args, strings.NewReader(""), &stdout, &stderr); code != exitUsage {
				t.Errorf("exit code %d, want %d (usage)", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr = %q, want it to say %q", stderr.String(), c.want)
			}
		})
	}
}

// runToEnd drives a flow the way the TUI does when n is pressed at every step.
func runToEnd(t *testing.T, f flows.Flow, auth flows.Authorizer) []record.Step {
	t.Helper()
	for i := 0; !f.Done(); i++ {
		if i > 20 {
			t.Fatal("flow does not end")
		}
		f.Next(context.Background(), flows.StepInput{Authorizer: auth})
	}
	return f.Records()
}

// TestWiringRunsEveryFlowAgainstTheBundledIdP checks what the TUI is given: every
// flow against the in-process IdP, logging in inside the terminal as alice.
func TestWiringRunsEveryFlowAgainstTheBundledIdP(t *testing.T) {
	w := testWiring(t)
	bundled := tui.ProviderChoice{Provider: tui.Provider{Name: "Bundled IdP", Issuer: w.issuer, Bundled: true}}
	for _, k := range flows.Kinds() {
		t.Run(string(k.Kind), func(t *testing.T) {
			f, err := w.newFlow(bundled, k.Kind)
			if err != nil {
				t.Fatal(err)
			}
			recs := runToEnd(t, f, &useragent.Agent{Username: "alice"})
			last := recs[len(recs)-1]
			if last.Failed() {
				t.Fatalf("step %s failed: %v", last.ID, last.Error)
			}
			if k.Browser && f.Tokens().IDToken == "" {
				t.Error("no ID token")
			}
		})
	}
}

// TestFaultControllerSwitchesTheIdP: a fault switched on from the TUI's faults screen
// is caught by the client's checks.
func TestFaultControllerSwitchesTheIdP(t *testing.T) {
	w := testWiring(t)
	fc := faultController{w.idp}
	if len(fc.Catalog()) == 0 {
		t.Fatal("empty fault catalog")
	}
	if err := fc.Set("wrong-iss", true); err != nil {
		t.Fatal(err)
	}
	if got := fc.Active(); len(got) != 1 || got[0] != "wrong-iss" {
		t.Fatalf("active = %v", got)
	}
	if err := fc.Set("no-such-fault", true); err == nil {
		t.Error("unknown fault accepted")
	}
	bundled := tui.ProviderChoice{Provider: tui.Provider{Issuer: w.issuer, Bundled: true}}
	f, err := w.newFlow(bundled, flows.KindPKCE)
	if err != nil {
		t.Fatal(err)
	}
	recs := runToEnd(t, f, &useragent.Agent{Username: "alice"})
	last := recs[len(recs)-1]
	if !last.Failed() || last.ID != "id-token" {
		t.Fatalf("last step %s status %s, want the ID token check to fail", last.ID, last.Status)
	}
}

// TestWiringTypedInProvider is "Another provider…": an issuer with a client id typed
// in (here the bundled IdP's own issuer, treated like any other provider).
func TestWiringTypedInProvider(t *testing.T) {
	w := testWiring(t)
	choice := tui.ProviderChoice{Provider: tui.Provider{Name: w.issuer, Issuer: w.issuer}, ClientID: "native-app"}
	f, err := w.newFlow(choice, flows.KindPKCE)
	if err != nil {
		t.Fatal(err)
	}
	pending := func() string {
		for !f.Done() {
			if p, ok := f.Pending(); ok && p.Has("redirect_uri") {
				return p.Get("redirect_uri")
			}
			f.Next(context.Background(), flows.StepInput{})
		}
		return ""
	}
	uri := pending()
	if !strings.HasPrefix(uri, "http://127.0.0.1:") || strings.HasPrefix(uri, "http://127.0.0.1/") {
		t.Fatalf("redirect_uri = %q, want the loopback receiver with its port", uri)
	}
	recs := runToEnd(t, f, &useragent.Agent{Username: "bob"})
	if last := recs[len(recs)-1]; last.Failed() {
		t.Fatalf("step %s failed: %v", last.ID, last.Error)
	}
}

// TestWiringInsecure: a provider with a certificate the system does not trust (a
// development provider's self-signed one) fails discovery with the certificate
// error, unless the explorer was started with --insecure.
func TestWiringInsecure(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	ts.Config.ErrorLog = discardLogger() // the refused handshakes are the point
	ts.StartTLS()
	defer ts.Close()
	idp, err := mockidp.New(mockidp.Options{Issuer: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = idp
	choice := tui.ProviderChoice{Provider: tui.Provider{Name: "self-signed", Issuer: ts.URL},
		ClientID: "machine", ClientSecret: "machine-secret"}
	for _, insecure := range []bool{false, true} {
		w, err := newWiring()
		if err != nil {
			t.Fatal(err)
		}
		w.insecure = insecure
		f, err := w.newFlow(choice, flows.KindClientCredentials)
		if err != nil {
			w.close()
			t.Fatal(err)
		}
		recs := runToEnd(t, f, nil)
		w.close()
		last := recs[len(recs)-1]
		switch {
		case insecure && last.Failed():
			t.Errorf("--insecure: step %s failed: %v", last.ID, last.Error)
		case !insecure && !last.Failed():
			t.Error("a self-signed certificate was accepted without --insecure")
		case !insecure && !strings.Contains(last.Error.Error(), "certificate"):
			t.Errorf("without --insecure the error should name the certificate: %v", last.Error)
		}
	}
}

// testWiring is the explorer's wiring with its bundled IdP, closed when the test ends.
func testWiring(t *testing.T) *wiring {
	t.Helper()
	w, err := newWiring()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}
