package flows_test

import (
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/mockidp"
)

func stepByID(t *testing.T, recs []record.Step, id string) record.Step {
	t.Helper()
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no step %q in %s", id, stepIDs(recs))
	return record.Step{}
}

func artifact(s record.Step, name string) string {
	for _, a := range s.Artifacts {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

func TestPAREndToEnd(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	for _, tc := range []struct {
		kind   flows.Kind
		method string
	}{
		{flows.KindPKCE, ""},
		{flows.KindAuthorizationCode, ""},
		{flows.KindAuthorizationCode, flows.AuthPrivateKeyJWT},
	} {
		t.Run(string(tc.kind)+"/"+tc.method, func(t *testing.T) {
			t.Parallel()
			cfg := demoConfig(tc.kind, ts.URL)
			cfg.PAR = true
			if tc.method != "" {
				jwtClient(&cfg, tc.method)
			}
			recs := runAll(t, newFlow(t, tc.kind, cfg), nil)
			want := "discovery:done prepare:done par:done authorize:done login:done callback:done token:done id-token:done"
			if got := stepIDs(recs); got != want {
				t.Fatalf("steps = %s, want %s (%v)", got, want, lastStep(recs).Error)
			}
			par := stepByID(t, recs, "par")
			if len(par.Exchanges) != 1 || par.Exchanges[0].Request.Method != "POST" || !strings.HasSuffix(par.Exchanges[0].Request.URL, "/par") ||
				par.Exchanges[0].Response.Status != 201 {
				t.Fatalf("par exchanges = %+v", par.Exchanges)
			}
			if !par.Request.Has("state") || !par.Request.Has("redirect_uri") || (tc.kind == flows.KindPKCE) != par.Request.Has("code_challenge") {
				t.Errorf("pushed request = %+v", par.Request.Params)
			}
			uri := artifact(par, "request_uri")
			if !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") {
				t.Errorf("request_uri = %q", uri)
			}
			if tc.method != "" {
				assertionArtifact(t, par)
				if aud := claim(assertionArtifact(t, par).Token, "aud"); aud != ts.URL+"/par" {
					t.Errorf("PAR assertion aud = %v", aud)
				}
			}
			auth := stepByID(t, recs, "authorize")
			var names []string
			for _, p := range auth.Request.Params {
				names = append(names, p.Name)
			}
			if strings.Join(names, " ") != "client_id request_uri" || auth.Request.Get("request_uri") != uri {
				t.Errorf("authorization request params = %v", auth.Request.Params)
			}
		})
	}
}

// TestPARRequestURISingleUse: a request_uri that was used once is refused.
func TestPARRequestURISingleUse(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindPKCE, ts.URL)
	cfg.PAR = true
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	used := artifact(stepByID(t, recs, "par"), "request_uri")
	if lastStep(recs).Failed() || used == "" {
		t.Fatalf("first flow: %s", stepIDs(recs))
	}
	recs = runAll(t, newFlow(t, flows.KindPKCE, cfg), func(r record.Request) *record.Request {
		if r.StepID != "authorize" {
			return nil
		}
		e := r.With("request_uri", used)
		return &e
	})
	last := lastStep(recs)
	if last.ID != "login" || !last.Failed() {
		t.Fatalf("reused request_uri: steps %s", stepIDs(recs))
	}
	if len(stepByID(t, recs, "authorize").Warnings) == 0 {
		t.Error("the edited request_uri is not warned about")
	}
}

// TestPARNotSupported: a provider without a PAR endpoint fails the push step clearly.
func TestPARNotSupported(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindPKCE, "")
	cfg.Scopes = []string{"api:read"}
	cfg.Provider = flows.Provider{AuthorizationEndpoint: ts.URL + "/authorize", TokenEndpoint: ts.URL + "/token"}
	cfg.PAR = true
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil)
	last := lastStep(recs)
	if last.ID != "par" || !last.Failed() || last.Error.Kind != record.ErrConfig ||
		!strings.Contains(last.Error.Message, "pushed_authorization_request_endpoint") {
		t.Fatalf("steps %s, error %+v", stepIDs(recs), last.Error)
	}
	// By hand, it works.
	cfg.Provider.PAREndpoint = ts.URL + "/par"
	if recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), nil); lastStep(recs).Failed() {
		t.Fatalf("PAR endpoint by hand: %s %v", stepIDs(recs), lastStep(recs).Error)
	}
}

// TestPARRefused: the provider checks the pushed parameters at once.
func TestPARRefused(t *testing.T) {
	t.Parallel()
	_, ts := idp(t, mockidp.Options{})
	cfg := demoConfig(flows.KindPKCE, ts.URL)
	cfg.PAR = true
	recs := runAll(t, newFlow(t, flows.KindPKCE, cfg), func(r record.Request) *record.Request {
		if r.StepID != "par" {
			return nil
		}
		e := r.With("redirect_uri", "https://evil.example/cb")
		return &e
	})
	last := lastStep(recs)
	if last.ID != "par" || last.Error == nil || last.Error.Protocol == nil || last.Error.Protocol.Code != "invalid_request" {
		t.Fatalf("steps %s, error %+v", stepIDs(recs), last.Error)
	}
}
