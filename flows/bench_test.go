package flows_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// BenchmarkPKCEFlow runs one full PKCE flow per iteration (discovery, prepare,
// authorization through the built-in user agent with login and consent, callback
// checks, code exchange, ID token validation with a JWKS fetch), the engine and the
// bundled IdP in one process over loopback.
func BenchmarkPKCEFlow(b *testing.B) {
	_, ts := idp(b, mockidp.Options{})
	cfg := demoConfig(flows.KindPKCE, ts.URL)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f, err := flows.New(flows.KindPKCE, cfg)
		if err != nil {
			b.Fatal(err)
		}
		for !f.Done() {
			f.Next(ctx, flows.StepInput{})
		}
		if recs := f.Records(); recs[len(recs)-1].Failed() {
			b.Fatal(recs[len(recs)-1].Error.Message)
		}
	}
}

// BenchmarkPKCEBaseline does the same protocol work with no engine: discovery and
// ID token verification with coreos/go-oidc, the code exchange with x/oauth2, and the
// same user agent. The difference from BenchmarkPKCEFlow is the engine's own cost
// (records, checks, decoding for display).
func BenchmarkPKCEBaseline(b *testing.B) {
	_, ts := idp(b, mockidp.Options{})
	ctx := oidc.ClientContext(context.Background(), &http.Client{})
	agent := &useragent.Agent{Username: "alice", Password: "alice"}
	b.ReportAllocs()
	for b.Loop() {
		p, err := oidc.NewProvider(ctx, ts.URL)
		if err != nil {
			b.Fatal(err)
		}
		conf := oauth2.Config{ClientID: "native-app", RedirectURL: "http://127.0.0.1/callback",
			Endpoint: oauth2.Endpoint{AuthURL: p.Endpoint().AuthURL, TokenURL: p.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			Scopes:   []string{"openid", "profile", "email"}}
		verifier := oauth2.GenerateVerifier()
		u := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-1"))
		res, err := agent.Authorize(ctx, flows.AuthorizeRequest{URL: u, RedirectURI: conf.RedirectURL})
		if err != nil || res.Callback.Params["state"] != "state-1" {
			b.Fatal(err)
		}
		tok, err := conf.Exchange(ctx, res.Callback.Params["code"], oauth2.VerifierOption(verifier))
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := p.Verifier(&oidc.Config{ClientID: "native-app"}).Verify(ctx, raw)
		if err != nil || idt.Nonce != "nonce-1" {
			b.Fatal(err)
		}
	}
}
