package useragent_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// The built-in user agent logs in at the bundled IdP as alice (with its demo button),
// allows access, and stops at the redirect URI with the authorization response.
func ExampleAgent() {
	idp, _ := mockidp.New(mockidp.Options{})
	srv := httptest.NewServer(idp)
	defer srv.Close()

	redirect := "http://127.0.0.1:8765/callback"
	q := url.Values{"client_id": {"web-app"}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"xyz"}, "redirect_uri": {redirect}}
	agent := &useragent.Agent{Username: "alice"}
	res, err := agent.Authorize(context.Background(), flows.AuthorizeRequest{
		URL: srv.URL + "/authorize?" + q.Encode(), RedirectURI: redirect})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, hop := range res.Redirects {
		u, _ := url.Parse(hop.To)
		fmt.Println(strings.TrimSpace(fmt.Sprint(hop.Method, " ", hop.Status, " ", u.Path, " ", hop.Note)))
	}
	fmt.Println("mode:", res.Callback.Mode, "state:", res.Callback.Params["state"], "code:", res.Callback.Params["code"] != "")
	fmt.Println(res.Notes)
	// Output:
	// POST 0 /login login: demo login button pressed for alice
	// POST 0 /consent consent: "Allow" pressed
	// GET 302 /callback back to the redirect URI with the authorization response (not fetched)
	// mode: query state: xyz code: true
	// [logged in as alice with the demo login button consent: allow stopped at the redirect URI without fetching it]
}
