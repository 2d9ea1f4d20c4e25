package flows

import (
	"context"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthx/oauthx/flows/record"
)

// clientCredentialsSteps are the steps of the client credentials grant (RFC 6749 §4.4).
func clientCredentialsSteps(e *engine) []step {
	var steps []step
	if e.cfg.Provider.Issuer != "" {
		steps = append(steps, discoveryStep(e))
	}
	return append(steps, step{
		plan: record.StepPlan{ID: "token", Title: "Request a token as the client", Sends: true, Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (grant_type=client_credentials)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "access_token"},
		}},
		specs: []record.SpecRef{
			{Spec: "RFC 6749", Section: "§4.4.2", Title: "Access token request"},
			{Spec: "RFC 6749", Section: "§4.4.3", Title: "Access token response"},
			{Spec: "RFC 6749", Section: "§2.3.1", Title: "Client password"},
		},
		explanation: "No user is involved: the client authenticates with its own credentials (" + e.cfg.Client.AuthMethod +
			") and asks for a token to call an API on its own behalf. There is no browser, no redirect and no refresh " +
			"token (RFC 6749 §4.4.3: the client can simply ask again). The response is checked: token_type, " +
			"access_token, expires_in and the scope granted.",
		pending: pendingClientCredentials,
		run:     runClientCredentials,
	})
}

func pendingClientCredentials(e *engine) (record.Request, error) {
	r := record.Request{Method: "POST", URL: e.st.tokenURL, AuthMethod: e.cfg.Client.AuthMethod}
	r.Params = append(r.Params, record.Param{Name: "grant_type", Value: "client_credentials", Note: "RFC 6749 §4.4.2"})
	if e.st.scopeSent != "" {
		r.Params = append(r.Params, record.Param{Name: "scope", Value: e.st.scopeSent, Note: "the scope asked for (RFC 6749 §3.3)"})
	}
	e.addClientAuth(&r)
	return r, nil
}

func runClientCredentials(ctx context.Context, e *engine, b *builder) {
	req := b.req
	tr, ok := e.sendTokenRequest(ctx, b, req, func(ctx context.Context) error {
		base := e.oauth2Config("", req.URL)
		conf := clientcredentials.Config{
			ClientID: base.ClientID, ClientSecret: base.ClientSecret, TokenURL: req.URL,
			Scopes: e.cfg.Scopes, AuthStyle: base.Endpoint.AuthStyle,
		}
		_, err := conf.Token(ctx)
		return err
	})
	if !ok {
		return
	}
	e.recordTokens(b, tr, tokenExpect{scope: req.Get("scope")})
}
