package lesson_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/lesson"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// idp adapts mockidp.Server to lesson.IdP.
type idp struct{ *mockidp.Server }

func (s idp) SetFault(name string, on bool) error {
	return s.Server.SetFault(mockidp.Fault(name), on)
}

// demo is the bundled IdP's demo client for each flow (cmd/oauthx's bundledDemo).
func demo(kind flows.Kind) flows.Config {
	c := flows.Config{
		Client: flows.Client{RedirectURI: "http://127.0.0.1/callback"},
		Scopes: []string{"openid", "profile", "email"},
	}
	switch kind {
	case flows.KindAuthorizationCode:
		c.Client.ID, c.Client.Secret = "web-app", "web-app-secret"
	case flows.KindPKCE:
		c.Client.ID = "native-app"
	case flows.KindImplicit:
		c.Client.ID = "spa-implicit"
	case flows.KindClientCredentials:
		c.Client = flows.Client{ID: "machine", Secret: "machine-secret"}
		c.Scopes = []string{"api:read"}
	}
	return c
}

// env starts a fresh bundled IdP for one test.
func env(t *testing.T) (lesson.Env, *mockidp.Server) {
	t.Helper()
	srv, err := mockidp.New(mockidp.Options{KeyCacheDir: filepath.Join("..", "testdata", "idpkeys")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return lesson.Env{
		Issuer: ts.URL,
		IdP:    idp{srv},
		Demo:   demo,
		Authorizer: func(user string) flows.Authorizer {
			return &useragent.Agent{Username: user}
		},
	}, srv
}

// TestLessons runs every lesson end to end against the bundled IdP: the expected
// step fails, with the expected check (or provider error) and reason, and a
// contrast run gets through where the lesson says it does.
func TestLessons(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// step, by and reason are what the verdict must say: the failed step, the
		// failed check or provider error code, a fragment of the reason.
		step, by, reason string
		// contrast is a fragment of the contrast's summary ("" without a contrast).
		contrast string
	}{
		{name: "csrf-tampered-state", step: "callback", by: "state", reason: "another state"},
		{name: "csrf-missing-state", step: "callback", by: "state", reason: "no state"},
		{name: "code-injection-pkce", step: "token", by: "invalid_grant", reason: "code_challenge", contrast: "access_token = "},
		{name: "code-replay", step: "token", by: "invalid_grant", reason: "already used", contrast: "access_token = "},
		{name: "token-substitution-aud", step: "id-token", by: "aud", reason: "issued to another client"},
		{name: "token-substitution-azp", step: "id-token", by: "azp", reason: "another client"},
		{name: "mix-up", step: "callback", by: "iss (RFC 9207)", reason: "mix-up"},
		{name: "alg-none", step: "id-token", by: "alg allowed", reason: "none"},
		{name: "key-confusion", step: "id-token", by: "alg allowed", reason: "HS256"},
		{name: "expired-token", step: "id-token", by: "exp", reason: "expired"},
		{name: "not-yet-valid", step: "id-token", by: "iat", reason: "beyond the"},
		{name: "clock-skew", step: "id-token", by: "iat", reason: "60 s"},
		{name: "open-redirect", step: "login", by: "response", reason: "error page instead of redirecting back",
			contrast: "callback_url = http://127.0.0.1/callback/redirect?"},
	}
	var names []string
	for _, tc := range cases {
		names = append(names, tc.name)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, ok := lesson.Lookup(tc.name)
			if !ok {
				t.Fatalf("no lesson %q", tc.name)
			}
			e, srv := env(t)
			var seen []lesson.Role
			e.OnStep = func(role lesson.Role, _ record.Step) {
				if len(seen) == 0 || seen[len(seen)-1] != role {
					seen = append(seen, role)
				}
			}
			res, err := lesson.Run(context.Background(), l, e)
			if err != nil {
				t.Fatal(err)
			}
			v := res.Verdict
			if !v.Caught() || v.Step != tc.step || v.By != tc.by || !strings.Contains(v.Reason, tc.reason) {
				t.Fatalf("verdict = %+v\nwant caught at %s by %s (%q)", v, tc.step, tc.by, tc.reason)
			}
			if v.Spec == "" || !strings.HasPrefix(v.Summary, "caught by "+l.Defence.By) {
				t.Errorf("verdict lacks spec or summary: %+v", v)
			}
			attack, ok := res.Part(lesson.RoleAttack)
			if !ok || attack.Records[len(attack.Records)-1].ID != tc.step {
				t.Fatalf("attack part = %+v", attack)
			}
			if got := srv.ActiveFaults(); len(got) != 0 {
				t.Errorf("faults left on after the lesson: %v", got)
			}
			if tc.contrast == "" {
				if res.Contrast != nil {
					t.Errorf("unexpected contrast %+v", res.Contrast)
				}
			} else if res.Contrast == nil || res.Contrast.Outcome != lesson.Through || !strings.Contains(res.Contrast.Summary, tc.contrast) {
				t.Errorf("contrast = %+v, want through with %q", res.Contrast, tc.contrast)
			}
			// OnStep saw the parts in the order of Parts.
			var roles []lesson.Role
			for _, p := range res.Parts {
				roles = append(roles, p.Role)
			}
			if !slices.Equal(seen, roles) {
				t.Errorf("OnStep roles %v, parts %v", seen, roles)
			}
		})
	}
	t.Run("every lesson is tested", func(t *testing.T) {
		for _, n := range lesson.Names() {
			if !slices.Contains(names, n) {
				t.Errorf("lesson %s has no end-to-end case", n)
			}
		}
	})
}

// TestCodeReplayRevokes: after the replay, the victim's access token is inactive
// (RFC 6749 §4.1.2), as the engine's introspection follow-up shows; against a
// provider that allows replay it is still active.
func TestCodeReplayRevokes(t *testing.T) {
	t.Parallel()
	l, _ := lesson.Lookup("code-replay")
	e, _ := env(t)
	res, err := lesson.Run(context.Background(), l, e)
	if err != nil {
		t.Fatal(err)
	}
	check := func(role lesson.Role, active string) {
		t.Helper()
		p, ok := res.Part(role)
		if !ok || p.Kind != flows.KindIntrospect || len(p.Records) == 0 {
			t.Fatalf("no %s part: %+v", role, res.Parts)
		}
		r := p.Records[len(p.Records)-1]
		if r.ID != "introspect" || r.Failed() {
			t.Fatalf("%s: %s %s %+v", role, r.ID, r.Status, r.Error)
		}
		var got string
		for _, c := range r.Checks {
			if c.Name == "active" {
				got = c.Actual
			}
		}
		if got != active {
			t.Errorf("%s: active = %q, want %q (%+v)", role, got, active, r.Checks)
		}
	}
	check(lesson.RoleAftermath, "false")
	check(lesson.RoleContrastAfterma, "true")
	if !strings.Contains(res.Verdict.Aftermath, "no longer active") {
		t.Errorf("verdict aftermath = %q", res.Verdict.Aftermath)
	}
	if res.Contrast == nil || !strings.Contains(res.Contrast.Aftermath, "still active") {
		t.Errorf("contrast = %+v", res.Contrast)
	}
}

// TestCodeInjectionUsesTheVictimsCode: the attacked token request carries the code
// of the victim's session, not its own.
func TestCodeInjectionUsesTheVictimsCode(t *testing.T) {
	t.Parallel()
	l, _ := lesson.Lookup("code-injection-pkce")
	e, _ := env(t)
	res, err := lesson.Run(context.Background(), l, e)
	if err != nil {
		t.Fatal(err)
	}
	victim, _ := res.Part(lesson.RoleVictim)
	attack, _ := res.Part(lesson.RoleAttack)
	code, _ := victim.Records[len(victim.Records)-1].Artifact("code")
	token := attack.Records[len(attack.Records)-1]
	if token.Request == nil || token.Request.Get("code") != code.Value || len(token.Edited) != 1 {
		t.Fatalf("token request %+v, edited %+v; victim's code %s", token.Request, token.Edited, code.Value)
	}
	if victim.User != "alice" || attack.User != "bob" {
		t.Errorf("victim %s, attacker %s", victim.User, attack.User)
	}
}

// TestMissedAndUnexpected: a verdict says when the defence did not catch the attack.
func TestMissedAndUnexpected(t *testing.T) {
	t.Parallel()
	l, _ := lesson.Lookup("token-substitution-aud")
	e, _ := env(t)

	// No fault: the flow succeeds, the "attack" is missed.
	plain := l
	plain.Setup = lesson.Setup{}
	res, err := lesson.Run(context.Background(), plain, e)
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Verdict; v.Outcome != lesson.Missed || v.Caught() {
		t.Errorf("verdict = %+v, want missed", v)
	}

	// Another fault: the flow fails elsewhere.
	other := l
	other.Setup = lesson.Setup{Faults: []string{"iss-mismatch-authz"}}
	res, err = lesson.Run(context.Background(), other, e)
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Verdict; v.Outcome != lesson.Unexpected || !strings.Contains(v.Summary, "callback") {
		t.Errorf("verdict = %+v, want unexpected at callback", v)
	}

	// An unknown fault is a setup error.
	bad := l
	bad.Setup = lesson.Setup{Faults: []string{"no-such-fault"}}
	if _, err := lesson.Run(context.Background(), bad, e); err == nil {
		t.Error("no error for an unknown fault")
	}
	if _, err := lesson.Run(context.Background(), l, lesson.Env{}); err == nil {
		t.Error("no error for an empty Env")
	}
}

// TestCatalogue: every lesson is complete enough to list, explain and run.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	faults := map[string]bool{}
	for _, f := range mockidp.FaultCatalog() {
		faults[string(f.Name)] = true
	}
	for _, l := range lesson.All() {
		if !kebab.MatchString(l.Name) || seen[l.Name] {
			t.Errorf("bad or duplicate name %q", l.Name)
		}
		seen[l.Name] = true
		if l.Title == "" || l.Summary == "" || l.Attack == "" || l.Topic == "" || l.Defence.By == "" || l.Defence.Explanation == "" {
			t.Errorf("%s: missing text", l.Name)
		}
		if _, ok := flows.LookupKind(string(l.Kind)); !ok {
			t.Errorf("%s: unknown flow %q", l.Name, l.Kind)
		}
		if l.Expect.Step == "" || l.Expect.Reason == "" {
			t.Errorf("%s: incomplete expectation %+v", l.Name, l.Expect)
		}
		if len(l.Defence.Quotes) == 0 {
			t.Errorf("%s: no spec quoted", l.Name)
		}
		for _, q := range l.Defence.Quotes {
			if q.Spec == "" || q.Section == "" || len(q.Text) < 40 || !strings.HasPrefix(q.URL, "https://") {
				t.Errorf("%s: incomplete quote %+v", l.Name, q)
			}
		}
		fs := slices.Clone(l.Setup.Faults)
		if l.Contrast != nil {
			fs = append(fs, l.Contrast.Faults...)
		}
		for _, f := range fs {
			if !faults[f] {
				t.Errorf("%s: the bundled IdP has no fault %q", l.Name, f)
			}
		}
		if len(l.SetupLines()) == 0 {
			t.Errorf("%s: no setup", l.Name)
		}
		if got, ok := lesson.Lookup(l.Name); !ok || got.Name != l.Name {
			t.Errorf("Lookup(%q) failed", l.Name)
		}
	}
	if _, ok := lesson.Lookup("nope"); ok {
		t.Error("Lookup found a lesson that does not exist")
	}
}

// TestRunnerStepByStep drives a lesson one step at a time, as the TUI would, and
// stops early: the faults go off on Close.
func TestRunnerStepByStep(t *testing.T) {
	t.Parallel()
	l, _ := lesson.Lookup("mix-up")
	e, srv := env(t)
	r, err := lesson.Start(l, e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Role() != lesson.RoleAttack || r.Flow() != nil {
		t.Fatalf("before the first step: role %s, flow %v", r.Role(), r.Flow())
	}
	role, rec, err := r.Next(context.Background())
	if err != nil || role != lesson.RoleAttack || rec.ID != "discovery" {
		t.Fatalf("first step: %s %s %v", role, rec.ID, err)
	}
	if len(srv.ActiveFaults()) != 1 || r.Flow() == nil || len(r.Flow().Plan()) == 0 {
		t.Fatalf("during the attack: faults %v, flow %v", srv.ActiveFaults(), r.Flow())
	}
	if p := r.Result().Parts; len(p) != 1 || len(p[0].Records) != 1 {
		t.Errorf("partial result: %+v", p)
	}
	r.Close()
	if got := srv.ActiveFaults(); len(got) != 0 {
		t.Errorf("faults left on after Close: %v", got)
	}

	// To the end, one step at a time.
	r, _ = lesson.Start(l, e)
	n := 0
	for !r.Done() {
		if _, _, err := r.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if res := r.Result(); !res.Verdict.Caught() || n != len(res.Parts[0].Records) {
		t.Errorf("verdict %+v after %d steps", res.Verdict, n)
	}
	if _, _, err := r.Next(context.Background()); err == nil {
		t.Error("Next after the end did not fail")
	}
}

// TestRunnerTakesThePersonsEdits: NextWith sends the person's own variant of the
// attacked request and records their changes in the verdict. Here they undo the
// attack (the state goes back to the session's own): the state check then has
// nothing to catch, and the verdict says so rather than claiming the defence worked.
func TestRunnerTakesThePersonsEdits(t *testing.T) {
	t.Parallel()
	l, _ := lesson.Lookup("csrf-tampered-state")
	e, _ := env(t)
	r, err := lesson.Start(l, e)
	if err != nil {
		t.Fatal(err)
	}
	var undone string
	for !r.Done() {
		var own *record.Request
		if req, edits, ok := r.Pending(); ok && len(edits) > 0 {
			for _, ed := range edits {
				if ed.Name == "state" {
					undone = ed.From
					v := req.With("state", ed.From)
					own = &v
				}
			}
		}
		if _, _, err := r.NextWith(context.Background(), own); err != nil {
			t.Fatal(err)
		}
	}
	v := r.Result().Verdict
	if undone == "" || len(v.Own) != 1 || v.Own[0] != (record.Edit{Name: "state", From: "attacker-state", To: undone}) {
		t.Fatalf("Own = %+v, want state attacker-state → %q", v.Own, undone)
	}
	if v.Caught() || !strings.Contains(v.Summary, "with your own changes to state: ") ||
		!strings.Contains(v.Summary, "unless your changes undid the attack") {
		t.Errorf("the verdict on a run whose attack the person undid: %+v", v)
	}

	// Without edits of their own, Own stays empty and the lesson holds.
	r, _ = lesson.Start(l, e)
	for !r.Done() {
		if _, _, err := r.NextWith(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if v := r.Result().Verdict; !v.Caught() || len(v.Own) != 0 {
		t.Errorf("verdict without own edits: %+v", v)
	}
}
