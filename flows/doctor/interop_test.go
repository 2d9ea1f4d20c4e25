package doctor

import (
	"context"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows/interop"
	"github.com/oauthx/oauthx/flows/record"
)

// TestDoctorAgainstOIDCProvider runs the doctor against oidc-provider, an independent
// certified OpenID provider started by the test (skipped locally when Node.js or the
// package is missing; required in CI). A conforming provider must pass every
// error-level check, so a failure here is a bug in the doctor or a real finding.
func TestDoctorAgainstOIDCProvider(t *testing.T) {
	op := interop.StartOIDCProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := Run(ctx, Options{Issuer: op.Issuer, Client: &ClientExpectations{
		AuthMethod: "client_secret_basic", RedirectURI: "http://127.0.0.1:8400/callback",
		ResponseType: "code", Scopes: []string{"openid"},
	}})
	for _, c := range rep.Checks {
		switch {
		case c.Outcome == record.OutcomeFail:
			t.Errorf("oidc-provider fails %s (%s): %s; %s", c.ID, c.Severity, c.Actual, c.Reason)
		case c.Problem():
			t.Logf("oidc-provider: %s %s: %s; %s", c.Severity, c.ID, c.Actual, c.Reason)
		}
	}
	if rep.Variant != "openid" || rep.Failed() {
		t.Errorf("variant %q, summary %+v", rep.Variant, rep.Summary)
	}
}
