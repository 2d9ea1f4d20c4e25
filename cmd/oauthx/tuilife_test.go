package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/tui"
)

// TestWiringRunsTheFollowUps checks what the TUI's follow-up menu is given: each
// follow-up, on the tokens a PKCE flow got from the in-process IdP, runs to the end
// with the flow's client; the refresh rotates the refresh token and the reuse of the
// spent one is refused.
func TestWiringRunsTheFollowUps(t *testing.T) {
	w := testWiring(t)
	bundled := tui.ProviderChoice{Provider: tui.Provider{Name: "Bundled IdP", Issuer: w.issuer, Bundled: true}}
	alice := &useragent.Agent{Username: "alice"}
	f, err := w.newFlow(bundled, flows.KindPKCE)
	if err != nil {
		t.Fatal(err)
	}
	runToEnd(t, f, alice)
	held := f.Tokens()
	if held.RefreshToken == "" {
		t.Fatal("the explorer's PKCE flow got no refresh token: offline_access was not asked for")
	}
	for _, c := range []struct {
		kind  flows.Kind
		token string
		url   string
	}{
		{kind: flows.KindCallAPI},
		{kind: flows.KindCallAPI, url: w.issuer + "/api/admin"},
		{kind: flows.KindIntrospect},
		{kind: flows.KindIntrospect, token: flows.TokenRefresh},
		{kind: flows.KindRevoke},
		{kind: flows.KindUserinfo},
		{kind: flows.KindLogout},
		{kind: flows.KindRefreshReuse},
	} {
		t.Run(string(c.kind)+c.token, func(t *testing.T) {
			// Each follow-up starts from a fresh flow's tokens: reuse revokes the chain.
			f, err := w.newFlow(bundled, flows.KindPKCE)
			if err != nil {
				t.Fatal(err)
			}
			runToEnd(t, f, alice)
			fu, err := w.followUp(bundled, tui.FollowUpRequest{From: flows.KindPKCE, Kind: c.kind, Tokens: f.Tokens(), Token: c.token, APIURL: c.url})
			if err != nil {
				t.Fatal(err)
			}
			recs := runToEnd(t, fu, alice)
			last := recs[len(recs)-1]
			if last.Failed() {
				t.Fatalf("step %s failed: %v", last.ID, last.Error)
			}
		})
	}
	// A refresh replaces the refresh token (rotation); the chain says so.
	fu, err := w.followUp(bundled, tui.FollowUpRequest{From: flows.KindPKCE, Kind: flows.KindRefresh, Tokens: held})
	if err != nil {
		t.Fatal(err)
	}
	recs := runToEnd(t, fu, alice)
	if got := fu.Tokens().RefreshToken; got == "" || got == held.RefreshToken {
		t.Errorf("the refresh did not rotate the refresh token")
	}
	found := false
	for _, r := range recs {
		if a, ok := r.Artifact("refresh_chain"); ok && a.Value != "" {
			found = true
		}
	}
	if !found {
		t.Error("no refresh_chain in the refresh's records")
	}
	// The device flow's own client gets a refresh token too.
	d, err := w.newFlow(bundled, flows.KindDevice)
	if err != nil {
		t.Fatal(err)
	}
	runToEnd(t, d, alice)
	if d.Tokens().RefreshToken == "" {
		t.Error("the device flow got no refresh token")
	}
	if _, err := w.followUp(bundled, tui.FollowUpRequest{From: flows.KindDevice, Kind: flows.KindRefresh, Tokens: d.Tokens()}); err != nil {
		t.Errorf("refresh after the device flow: %v", err)
	}
}

// TestClockOffsetFollowsTheIdP: the timeline's clock is the bundled IdP's.
func TestClockOffsetFollowsTheIdP(t *testing.T) {
	w := testWiring(t)
	if off := w.clockOffset(); off < -time.Second || off > time.Second {
		t.Fatalf("offset before any move = %s", off)
	}
	faultController{w.idp}.Advance(90 * time.Minute)
	if off := w.clockOffset(); off < 89*time.Minute || off > 91*time.Minute {
		t.Errorf("offset after +90m = %s", off)
	}
}

// TestDeviceFlowReportsItsPolling: the explorer's device flow can be followed live,
// and its feed is closed when another flow replaces it; a closed or full feed never
// blocks or panics the poll.
func TestDeviceFlowReportsItsPolling(t *testing.T) {
	w := testWiring(t)
	bundled := tui.ProviderChoice{Provider: tui.Provider{Name: "Bundled IdP", Issuer: w.issuer, Bundled: true}}
	f, err := w.newFlow(bundled, flows.KindDevice)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := f.(tui.DevicePoller)
	if !ok {
		t.Fatal("the device flow does not report its polling")
	}
	feed := w.polls
	for i := range 20 { // more than the channel holds: the rest are dropped
		feed.send(time.Duration(i+1) * time.Second)
	}
	first := <-p.DeviceWaits()
	if first.Poll != 1 || first.Wait != time.Second {
		t.Errorf("first pause = %+v", first)
	}
	if _, err := w.newFlow(bundled, flows.KindPKCE); err != nil {
		t.Fatal(err)
	}
	for range p.DeviceWaits() { // drains, then ends: the feed was closed
	}
	feed.send(time.Second) // after close: ignored
}

// TestDeviceApprovedElsewhereThenPolled is the explorer's `o` at the device flow's
// approve step against the bundled IdP: the step runs with no approver (the person
// approves in a browser; here the user agent stands for that browser, as bob), then
// the poll gets bob's tokens.
func TestDeviceApprovedElsewhereThenPolled(t *testing.T) {
	w := testWiring(t)
	bundled := tui.ProviderChoice{Provider: tui.Provider{Name: "Bundled IdP", Issuer: w.issuer, Bundled: true}}
	f, err := w.newFlow(bundled, flows.KindDevice)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var da flows.DeviceAuthorization
	for !f.Done() {
		next := f.Plan()[len(f.Records())].ID
		if next == "approve" {
			for _, r := range f.Records() {
				if a, ok := r.Artifact("user_code"); ok {
					da.UserCode = a.Value
				}
				if a, ok := r.Artifact("verification_uri"); ok {
					da.VerificationURI = a.Value
				}
				if a, ok := r.Artifact("verification_uri_complete"); ok {
					da.VerificationURIComplete = a.Value
				}
			}
		}
		st := f.Next(ctx, flows.StepInput{}) // what `o` sends: no authorizer
		if st.Failed() {
			t.Fatalf("step %s failed: %v", st.ID, st.Error)
		}
		if st.ID == "approve" {
			if !strings.Contains(st.Explanation, "Waiting for the person") {
				t.Errorf("the approve step without an approver says: %q", st.Explanation)
			}
			// The person approves in the browser before the first poll.
			if _, err := (&useragent.Agent{Username: "bob"}).ApproveDevice(ctx, da); err != nil {
				t.Fatal(err)
			}
		}
	}
	if f.Tokens().AccessToken == "" || f.Tokens().IDToken == "" {
		t.Fatalf("no tokens after the approval in the browser: %+v", f.Tokens())
	}
	if sub := idSub(t, f.Records()); sub != "bob" {
		t.Errorf("the ID token is for %q, want bob (who approved in the browser)", sub)
	}
}

// idSub is the sub claim of the ID token among the records.
func idSub(t *testing.T, recs []record.Step) string {
	t.Helper()
	for _, r := range recs {
		if a, ok := r.Artifact("id_token"); ok && a.Token != nil {
			for _, c := range a.Token.Claims {
				if c.Name == "sub" {
					s, _ := c.Value.(string)
					return s
				}
			}
		}
	}
	return ""
}
