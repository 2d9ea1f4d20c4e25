package mockidp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/oauthx/oauthx/mockidp"
	"golang.org/x/oauth2/clientcredentials"
)

// A test starts its own provider on a free loopback port; the issuer is the
// test server's URL.
func ExampleNew() {
	srv, err := mockidp.New(mockidp.Options{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	cc := clientcredentials.Config{ClientID: "machine", ClientSecret: "machine-secret",
		TokenURL: ts.URL + "/token", Scopes: []string{"api:read"}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.TokenType, tok.Extra("scope"))
	// Output: Bearer api:read
}

// Faults make the provider misbehave on purpose, for teaching.
func ExampleServer_SetFault() {
	srv, _ := mockidp.New(mockidp.Options{Faults: []mockidp.Fault{mockidp.FaultWrongIss}})
	_ = srv.SetFault(mockidp.FaultStateMismatch, true)
	fmt.Println(srv.ActiveFaults())
	// Output: [wrong-iss state-mismatch]
}
