package flows_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// Run the authorization code flow with PKCE against the bundled IdP, with the built-in
// user agent logging in as alice, and tamper with nothing.
func ExampleNew() {
	idp, _ := mockidp.New(mockidp.Options{KeyCacheDir: "testdata/idpkeys"})
	srv := httptest.NewServer(idp)
	defer srv.Close()

	f, err := flows.New(flows.KindPKCE, flows.Config{
		Provider:   flows.Provider{Issuer: srv.URL},
		Client:     flows.Client{ID: "native-app", RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"openid", "profile"},
		Authorizer: &useragent.Agent{Username: "alice"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for !f.Done() {
		if req, ok := f.Pending(); ok {
			fmt.Printf("  (the next step sends %d parameters to %s)\n", len(req.Params), req.StepID)
		}
		rec := f.Next(context.Background(), flows.StepInput{})
		fmt.Printf("%s: %s (%d failed checks)\n", rec.Status, rec.Title, len(rec.FailedChecks()))
	}
	fmt.Println("ID token:", f.Tokens().IDToken != "")
	// Output:
	// done: Discover the provider (0 failed checks)
	// done: Prepare state, nonce and PKCE (0 failed checks)
	//   (the next step sends 8 parameters to authorize)
	// done: Build the authorization request (0 failed checks)
	// done: User logs in and consents (0 failed checks)
	// done: Check the authorization response (0 failed checks)
	//   (the next step sends 5 parameters to token)
	// done: Exchange the code for tokens (0 failed checks)
	// done: Validate the ID token (0 failed checks)
	// ID token: true
}

// A person's edit: the wrong code_verifier goes on the wire and the provider's
// invalid_grant comes back as a typed protocol error with its meaning.
func ExampleStepInput() {
	idp, _ := mockidp.New(mockidp.Options{KeyCacheDir: "testdata/idpkeys"})
	srv := httptest.NewServer(idp)
	defer srv.Close()

	f, _ := flows.New(flows.KindPKCE, flows.Config{
		Provider:   flows.Provider{Issuer: srv.URL},
		Client:     flows.Client{ID: "native-app", RedirectURI: "http://127.0.0.1/callback"},
		Scopes:     []string{"api:read"},
		Authorizer: &useragent.Agent{Username: "alice"},
	})
	for !f.Done() {
		var in flows.StepInput
		if req, ok := f.Pending(); ok && req.StepID == "token" {
			edited := req.With("code_verifier", "not-the-verifier-the-challenge-was-made-from")
			in.Request = &edited
		}
		rec := f.Next(context.Background(), in)
		if rec.Failed() {
			fmt.Println(rec.ID, rec.Edited[0].Name, rec.Error.Kind, rec.Error.Protocol.Code, rec.Error.Protocol.Spec)
		}
	}
	// Output:
	// token code_verifier protocol invalid_grant RFC 6749 §5.2; RFC 7636 §4.6
}
