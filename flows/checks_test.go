package flows_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

// TestClientChecksCatchFaults is the checklist of what a good client checks, each
// line with the bundled IdP fault that it must catch: the step that fails, the check
// that fails (or the error), and a word of the reason.
func TestClientChecksCatchFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault mockidp.Fault
		kind  flows.Kind
		tweak func(*flows.Config)
		// step is the step that must fail ("" when the flow must succeed).
		step string
		// checks lists the failed checks, any of which is acceptable as the first.
		checks []string
		// errKind is the error kind when no check failed.
		errKind record.ErrorKind
		// reason is a fragment of the error message.
		reason string
		// warn names a check that must warn on a flow that succeeds.
		warn string
	}{
		{fault: mockidp.FaultWrongIss, kind: flows.KindPKCE, step: "id-token", checks: []string{"iss"}, reason: "evil.example"},
		{fault: mockidp.FaultWrongAud, kind: flows.KindPKCE, step: "id-token", checks: []string{"aud"}, reason: "native-app"},
		{fault: mockidp.FaultWrongAzp, kind: flows.KindPKCE, step: "id-token", checks: []string{"azp"}},
		{fault: mockidp.FaultExpired, kind: flows.KindPKCE, step: "id-token", checks: []string{"exp"}},
		{fault: mockidp.FaultNotYetValid, kind: flows.KindPKCE, step: "id-token", checks: []string{"iat", "nbf"}},
		{fault: mockidp.FaultBadSignature, kind: flows.KindPKCE, step: "id-token", checks: []string{"signature"}},
		{fault: mockidp.FaultUnknownKid, kind: flows.KindPKCE, step: "id-token", checks: []string{"kid"}},
		{fault: mockidp.FaultAlgNone, kind: flows.KindPKCE, step: "id-token", checks: []string{"alg allowed"}, reason: "none"},
		{fault: mockidp.FaultNonceMismatch, kind: flows.KindPKCE, step: "id-token", checks: []string{"nonce"}},
		{fault: mockidp.FaultMissingAtHash, kind: flows.KindImplicit, step: "id-token", checks: []string{"at_hash"}},
		{fault: mockidp.FaultWrongAtHash, kind: flows.KindImplicit, step: "id-token", checks: []string{"at_hash"}},
		{fault: mockidp.FaultStateMismatch, kind: flows.KindPKCE, step: "callback", checks: []string{"state"}, reason: "CSRF"},
		{fault: mockidp.FaultIssMismatchAuthz, kind: flows.KindPKCE, step: "callback", checks: []string{"iss (RFC 9207)"}, reason: "mix-up"},
		{fault: mockidp.FaultMissingIssAuthz, kind: flows.KindAuthorizationCode, step: "callback", checks: []string{"iss (RFC 9207)"}, reason: "required"},
		{fault: mockidp.FaultMetadataIssuer, kind: flows.KindClientCredentials, step: "discovery", checks: []string{"issuer matches"}},
		{fault: mockidp.FaultTokenTypeMissing, kind: flows.KindClientCredentials, step: "token", checks: []string{"token_type"}, reason: "REQUIRED"},
		{fault: mockidp.FaultHTMLError, kind: flows.KindPKCE, step: "token", errKind: record.ErrResponse, reason: "an HTML page instead of JSON (HTTP 502"},
		{fault: mockidp.FaultServerError, kind: flows.KindClientCredentials, step: "token", errKind: record.ErrProtocol, reason: "server_error"},
		{fault: mockidp.FaultExpiresInString, kind: flows.KindAuthorizationCode, warn: "expires_in"},
		{fault: mockidp.FaultSlow, kind: flows.KindClientCredentials, step: "token", errKind: record.ErrNetwork, reason: "timed out",
			tweak: func(c *flows.Config) { c.HTTPClient = &http.Client{Timeout: time.Second} }},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			_, ts := idp(t, mockidp.Options{}, tc.fault)
			cfg := demoConfig(tc.kind, ts.URL)
			if tc.tweak != nil {
				tc.tweak(&cfg)
			}
			recs := runAll(t, newFlow(t, tc.kind, cfg), nil)
			last := lastStep(recs)
			if tc.step == "" {
				if last.Failed() {
					t.Fatalf("flow failed at %s: %s", last.ID, last.Error.Message)
				}
				var warned bool
				for _, r := range recs {
					for _, c := range r.Checks {
						warned = warned || (c.Name == tc.warn && c.Outcome == record.OutcomeWarn)
					}
				}
				if !warned {
					t.Errorf("no warning from check %q", tc.warn)
				}
				return
			}
			if last.ID != tc.step || !last.Failed() {
				t.Fatalf("flow ended at %s (%s), want %s failed; steps %s", last.ID, last.Status, tc.step, stepIDs(recs))
			}
			if last.Error == nil {
				t.Fatal("failed step without an error")
			}
			if tc.reason != "" && !strings.Contains(last.Error.Message, tc.reason) {
				t.Errorf("error %q does not say %q", last.Error.Message, tc.reason)
			}
			if len(tc.checks) == 0 {
				if last.Error.Kind != tc.errKind {
					t.Errorf("error kind = %s, want %s (%s)", last.Error.Kind, tc.errKind, last.Error.Message)
				}
				return
			}
			if last.Error.Kind != record.ErrCheck {
				t.Errorf("error kind = %s, want check (%s)", last.Error.Kind, last.Error.Message)
			}
			failed := last.FailedChecks()
			if len(failed) == 0 || !slices.Contains(tc.checks, failed[0].Name) {
				t.Fatalf("failed checks = %v, want first among %v", checkNames(failed), tc.checks)
			}
			if c := failed[0]; c.Spec == "" || c.Reason == "" {
				t.Errorf("check %q lacks spec or reason: %+v", c.Name, c)
			}
			if tc.fault == mockidp.FaultUnknownKid {
				var jwks int
				for _, ex := range last.Exchanges {
					if strings.HasSuffix(ex.Request.URL, "/jwks") {
						jwks++
					}
				}
				if jwks != 2 {
					t.Errorf("JWKS fetched %d times, want 2 (once, then once more for the unknown kid)", jwks)
				}
			}
		})
	}
}

func checkNames(cs []record.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"="+string(c.Outcome))
	}
	return out
}

// TestMissingIssWithIDToken: a response that carries an ID token but no RFC 9207 iss
// (as node oidc-provider sends) warns, and the ID token's iss claim stands in.
func TestMissingIssWithIDToken(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{}, mockidp.FaultMissingIssAuthz)
	recs := runAll(t, newFlow(t, flows.KindImplicit, demoConfig(flows.KindImplicit, ts.URL)), nil)
	if last := lastStep(recs); last.Failed() {
		t.Fatalf("failed at %s: %s", last.ID, last.Error.Message)
	}
	var iss record.Check
	for _, c := range recs[4].Checks {
		if c.Name == "iss (RFC 9207)" {
			iss = c
		}
	}
	if iss.Outcome != record.OutcomeWarn || !strings.Contains(iss.Reason, "ID token") {
		t.Errorf("iss check = %+v, want a warning that the ID token stands in", iss)
	}
}
