package loopback_test

import (
	"context"
	"fmt"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/loopback"
)

// Bind the receiver first, send its RedirectURI in the authorization request, then
// let Browser open the browser and wait for the response.
func ExampleBrowser() {
	rc, err := loopback.Listen("127.0.0.1:0", "/callback") // a free port; never all interfaces
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := flows.Config{
		Client:     flows.Client{ID: "native-app", AuthMethod: "none", RedirectURI: rc.RedirectURI()},
		Authorizer: &loopback.Browser{Receiver: rc}, // closes rc when the response is in
	}
	_ = cfg

	// What a flow does with it, in short:
	res, err := cfg.Authorizer.Authorize(context.Background(), flows.AuthorizeRequest{
		URL:         "https://idp.example/authorize?client_id=native-app&state=xyz&redirect_uri=" + rc.RedirectURI(),
		RedirectURI: rc.RedirectURI(),
	})
	if err != nil {
		fmt.Println(err) // *loopback.OpenError: show the URL and offer to paste the redirect URL back
		return
	}
	fmt.Println(res.Callback.Params["code"])
}
