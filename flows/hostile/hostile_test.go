package hostile_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/hostile"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// Bounds of the suite. The engine's HTTP client gives up after httpTimeout, so a
// provider that hangs costs about that long; a case must end within caseBound.
const (
	httpTimeout = 3 * time.Second
	// caseBound is what a hang is: a case that has not ended by then is stuck. The
	// hostile server holds its hangs for longer than any bound here, so a client
	// without its own timeout runs into it; a case that works ends in milliseconds
	// (or httpTimeout), so the margin is for a slow, loaded machine, not for the case.
	caseBound = 30 * time.Second
	// cliTimeout is `oauthx run --timeout`: the headless binary uses the real
	// per-call timeouts (20 s for headers, 30 s overall), too slow for a test, so hangs
	// end on the run's own deadline.
	cliTimeout = "6s"
	// cliTimedOut is what headless mode says when --timeout ends the run.
	cliTimedOut = "timed out after " + cliTimeout + " (--timeout)"
)

const redirectURI = "http://127.0.0.1/callback"

// tcase is one hostile behaviour and what the person must see.
type tcase struct {
	fault hostile.Fault
	// kind is the flow run against it.
	kind flows.Kind
	// want is a distinctive part of the failed step's error message (engine, TUI) and
	// of what headless mode prints on stderr. When ok is set the flow succeeds and want
	// is part of a warning.
	want string
	// cliWant replaces want for headless mode, when its deadline ends the case.
	cliWant string
	// step is the id of the step that fails (or warns).
	step string
	ok   bool
	// tls serves the provider over TLS with a certificate nobody trusts.
	tls bool
	// closed points the flow at a port where nothing listens.
	closed bool
	// then is a follow-up (userinfo, introspect) run on the flow's tokens; step is
	// then one of its steps.
	then flows.Kind
	// tuiWant replaces want for the TUI, when the screen words it differently.
	tuiWant string
	// tuiGap, when set, skips the TUI run of the case and says why: a known TUI
	// problem, reported, that the engine and headless runs do not have.
	tuiGap string
}

const (
	pkce = flows.KindPKCE
	cc   = flows.KindClientCredentials
)

// cases is the hostile provider table; docs/reliability.md shows it with what the
// person sees.
var cases = []tcase{
	// Discovery.
	{fault: hostile.DiscoveryHTML, kind: cc, step: "discovery", want: "an HTML page instead of JSON"},
	{fault: hostile.DiscoveryTruncated, kind: cc, step: "discovery", want: "not valid JSON"},
	{fault: hostile.DiscoveryTextPlain, kind: cc, step: "discovery", ok: true, want: ""}, // tolerated: the flow succeeds
	{fault: hostile.Discovery500JSON, kind: cc, step: "discovery", want: "HTTP 500"},
	{fault: hostile.Discovery503Empty, kind: cc, step: "discovery", want: "HTTP 503"},
	{fault: hostile.DiscoveryRedirectLoop, kind: cc, step: "discovery", want: "stopped after 10 redirects"},
	{fault: hostile.DiscoveryHuge, kind: cc, step: "discovery", want: "response body too large"},
	{fault: hostile.DiscoveryTrickle, kind: cc, step: "discovery", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.DiscoveryNoHeaders, kind: cc, step: "discovery", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.DiscoveryIssuer, kind: cc, step: "discovery", want: "the metadata names another issuer"},
	{fault: hostile.DiscoveryMissing, kind: pkce, step: "discovery", want: "authorization_endpoint present"},
	{fault: hostile.DiscoveryNotURLs, kind: pkce, step: "discovery", want: "is a URL"},
	{fault: hostile.DiscoveryDeep, kind: cc, step: "discovery", want: "exceeded max depth"},
	{fault: hostile.DiscoveryManyMembers, kind: cc, step: "discovery", ok: true, want: "members is not a metadata document"},
	{fault: hostile.DiscoveryBadUTF8, kind: cc, step: "discovery", want: "the metadata names another issuer"},
	{fault: hostile.DiscoveryIssuerNumber, kind: cc, step: "discovery", want: "no issuer string"},
	{fault: hostile.DiscoveryGzipBomb, kind: cc, step: "discovery", want: "response body too large"},
	{fault: hostile.DiscoveryResetMidBody, kind: cc, step: "discovery", want: "connection reset"},
	{fault: hostile.DiscoveryArray, kind: cc, step: "discovery", want: "the metadata document is not a JSON object"},
	{fault: hostile.DiscoveryAlgNoneListed, kind: pkce, step: "discovery", ok: true, want: "alg none not offered"},
	{closed: true, kind: cc, step: "discovery", want: "cannot connect"},
	{tls: true, kind: cc, step: "discovery", want: "certificate"},

	// JWKS (the ID token step fetches it).
	{fault: hostile.JWKSHTML, kind: pkce, step: "id-token", want: "not a JSON object: invalid character '<'"},
	{fault: hostile.JWKSEmpty, kind: pkce, step: "id-token", want: `"keys" is empty`},
	{fault: hostile.JWKSDuplicateKid, kind: pkce, step: "id-token", want: `2 signing keys with kid "hostile-rsa-1"`},
	{fault: hostile.JWKSMissingKid, kind: pkce, step: "id-token", want: `no key with kid "hostile-rsa-1"`},
	{fault: hostile.JWKSWrongKeyType, kind: pkce, step: "id-token", want: "it is an EC P-256 key, and RS256 needs an RSA key"},
	{fault: hostile.JWKS500, kind: pkce, step: "id-token", want: "HTTP 500 Internal Server Error, expected 200"},
	{fault: hostile.JWKSDeep, kind: pkce, step: "id-token", want: "more than 32 levels deep"},
	{fault: hostile.JWKSHuge, kind: pkce, step: "id-token", want: "response body too large"},
	{fault: hostile.JWKSNoHeaders, kind: pkce, step: "id-token", want: "timed out fetching the key set", cliWant: cliTimedOut},

	// Token endpoint.
	{fault: hostile.TokenHTML, kind: pkce, step: "token", want: "an HTML page instead of JSON"},
	{fault: hostile.TokenTruncated, kind: pkce, step: "token", want: "invalid JSON: unexpected EOF"},
	{fault: hostile.TokenTextPlain, kind: cc, step: "token", ok: true, want: "JSON with another Content-Type"},
	{fault: hostile.Token500JSON, kind: cc, step: "token", want: "server_error: database down", cliWant: "error: server_error (HTTP 500)"},
	{fault: hostile.Token500Empty, kind: cc, step: "token", want: "an empty body instead of JSON (HTTP 500"},
	{fault: hostile.TokenNoAccessToken, kind: cc, step: "token", want: "access_token present"},
	{fault: hostile.TokenTypeMAC, kind: cc, step: "token", ok: true, want: "a token type this client does not know"},
	{fault: hostile.TokenTypeNumber, kind: cc, step: "token", want: "token_type type (expected a JSON string, got a number)", cliWant: "✗ token_type type"},
	{fault: hostile.TokenExpiresObject, kind: cc, step: "token", ok: true, want: "expires_in: not a number; ignored", tuiWant: "⚠ expires_in"},
	{fault: hostile.Token200Error, kind: pkce, step: "token", want: "invalid_grant: code expired", cliWant: "error: invalid_grant (HTTP 200)"},
	{fault: hostile.TokenManyMembers, kind: cc, step: "token", want: "too many members"},
	{fault: hostile.TokenDeep, kind: cc, step: "token", want: "exceeded max depth"},
	{fault: hostile.TokenBadUTF8, kind: cc, step: "token", want: "invalid_request: bad", cliWant: "error: invalid_request (HTTP 400)"},
	{fault: hostile.TokenAlgNone, kind: pkce, step: "id-token", want: `"none" means the token is not signed`},
	{fault: hostile.TokenKeyConfusion, kind: pkce, step: "id-token", want: "HS256 needs the client secret"},
	{fault: hostile.TokenIDTokenGarbage, kind: pkce, step: "id-token", want: "an ID token is always a JWT"},
	{fault: hostile.TokenRedirectLoop, kind: cc, step: "token", want: "redirected (HTTP 307 to /token) and the client gave up"},
	{fault: hostile.TokenHuge, kind: cc, step: "token", want: "response is too large"},
	{fault: hostile.TokenTrickle, kind: cc, step: "token", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.TokenNoHeaders, kind: pkce, step: "token", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.TokenGzipBomb, kind: cc, step: "token", want: "response is too large"},
	{fault: hostile.TokenResetMidBody, kind: cc, step: "token", want: "connection reset"},

	// The authorization redirect (through the built-in user agent).
	{fault: hostile.AuthzErrorXSS, kind: pkce, step: "callback", want: "refused the authorization request: access_denied", cliWant: "error: access_denied"},
	{fault: hostile.AuthzErrorANSI, kind: pkce, step: "callback", want: "refused the authorization request: access_denied", cliWant: "error: access_denied"},
	{fault: hostile.AuthzDuplicateState, kind: pkce, step: "login", want: "state appears twice"},
	{fault: hostile.AuthzOtherRedirect, kind: pkce, step: "login", want: "neither a login nor a consent form"},
	{fault: hostile.AuthzRedirectLoop, kind: pkce, step: "login", want: "without reaching the redirect URI"},
	{fault: hostile.AuthzNoState, kind: pkce, step: "callback", want: "the response has no state"},
	{fault: hostile.AuthzWrongState, kind: pkce, step: "callback", want: "the response carries another state"},
	{fault: hostile.AuthzNoHeaders, kind: pkce, step: "login", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.AuthzHTMLNoForm, kind: pkce, step: "login", want: "neither a login nor a consent form"},

	// UserInfo (a follow-up on the tokens of a PKCE flow).
	{fault: hostile.UserinfoHTML, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "an HTML page instead of JSON"},
	{fault: hostile.Userinfo401, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "invalid_token"},
	{fault: hostile.UserinfoSubOther, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "about another subject than the ID token"},
	{fault: hostile.UserinfoNoSub, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "the sub claim MUST always be returned"},
	{fault: hostile.UserinfoTruncated, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "the UserInfo response: invalid JSON"},
	{fault: hostile.UserinfoHuge, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "too large"},
	{fault: hostile.UserinfoNoHeaders, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.UserinfoJWTGarbage, kind: pkce, then: flows.KindUserinfo, step: "userinfo", want: "the sub claim MUST always be returned"},

	// Introspection (a follow-up on the token of a client credentials flow).
	{fault: hostile.IntrospectActiveString, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "active is REQUIRED and must be a JSON boolean"},
	{fault: hostile.Introspect500HTML, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "the introspection endpoint answered HTTP 500"},
	{fault: hostile.IntrospectTruncated, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "the introspection response: invalid JSON"},
	{fault: hostile.IntrospectArray, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "the introspection response: "},
	{fault: hostile.IntrospectHuge, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "too large"},
	{fault: hostile.IntrospectNoHeaders, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "timed out", cliWant: cliTimedOut},
	{fault: hostile.IntrospectRedirectLoop, kind: cc, then: flows.KindIntrospect, step: "introspect", want: "the introspection endpoint answered HTTP 307"},
}

func (c tcase) name() string {
	switch {
	case c.closed:
		return "closed-port"
	case c.tls:
		return "tls-untrusted-certificate"
	}
	return string(c.fault)
}

// provider starts the hostile server for c and returns its issuer.
func provider(t *testing.T, c tcase) string {
	t.Helper()
	if c.closed {
		return hostile.ClosedPort()
	}
	s := hostile.New(c.fault, c.tls)
	t.Cleanup(s.Close)
	return s.Issuer
}

// config is the flow configuration against issuer, with a short HTTP timeout.
func config(kind flows.Kind, issuer string, client *http.Client) flows.Config {
	cfg := flows.Config{
		Provider:   flows.Provider{Issuer: issuer},
		HTTPClient: client,
	}
	switch kind {
	case cc:
		cfg.Client = flows.Client{ID: "x", Secret: "s"}
	default:
		cfg.Client = flows.Client{ID: "x", RedirectURI: redirectURI}
		cfg.Scopes = []string{"openid"}
		cfg.Authorizer = &useragent.Agent{Username: "alice", Client: client}
	}
	return cfg
}

func shortClient(t *testing.T) *http.Client {
	tr := httprec.NewTransport(false)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: httpTimeout}
}

// runCase runs the case's flow and, when it succeeds, its follow-up, and returns
// every record.
func runCase(t *testing.T, ctx context.Context, c tcase, cfg flows.Config) []record.Step {
	t.Helper()
	f, err := flows.New(c.kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := runFlow(t, ctx, f)
	if c.then == "" || recs[len(recs)-1].Failed() {
		return recs
	}
	fu, err := flows.NewFollowUp(c.then, cfg, f.Tokens(), flows.FollowUpOptions{})
	if err != nil {
		t.Fatalf("follow-up %s: %v", c.then, err)
	}
	return append(recs, runFlow(t, ctx, fu)...)
}

// runFlow runs a flow to its end and returns its records.
func runFlow(t *testing.T, ctx context.Context, f flows.Flow) []record.Step {
	t.Helper()
	var recs []record.Step
	for !f.Done() {
		rec := f.Next(ctx, flows.StepInput{})
		recs = append(recs, rec)
		if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
			t.Fatalf("step %s cancelled by the test's deadline (a hang): %s", rec.ID, rec.Error.Message)
		}
		if len(recs) > 20 {
			t.Fatal("more than 20 steps")
		}
	}
	return recs
}

// bundled is the bundled IdP, shared by the cases to show the program stays usable.
var bundled struct {
	once   sync.Once
	issuer string
}

func bundledIssuer(t *testing.T) string {
	bundled.once.Do(func() {
		srv, err := mockidp.New(mockidp.Options{})
		if err != nil {
			panic(err)
		}
		hs := httptest.NewServer(srv)
		bundled.issuer = hs.URL
	})
	return bundled.issuer
}

// checkUsable runs a PKCE flow against the bundled IdP with the same HTTP client: the
// hostile case left nothing broken behind.
func checkUsable(t *testing.T, client *http.Client) {
	t.Helper()
	cfg := flows.Config{
		Provider:   flows.Provider{Issuer: bundledIssuer(t)},
		Client:     flows.Client{ID: "native-app", RedirectURI: redirectURI},
		Scopes:     []string{"openid", "profile"},
		Authorizer: &useragent.Agent{Username: "alice", Client: client},
		HTTPClient: client,
	}
	f, err := flows.New(flows.KindPKCE, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), caseBound)
	defer cancel()
	recs := runFlow(t, ctx, f)
	if last := recs[len(recs)-1]; last.Failed() {
		t.Fatalf("after the hostile case, a flow against the bundled IdP failed at %s: %s", last.ID, last.Error.Message)
	}
}

// everything a step says, for the substring assertions of warnings.
func saidBy(s record.Step) string {
	var sb strings.Builder
	if s.Error != nil {
		sb.WriteString(s.Error.Message + "\n")
		if p := s.Error.Protocol; p != nil {
			sb.WriteString(p.Code + " " + p.Description + "\n")
		}
	}
	for _, c := range s.Checks {
		if c.Outcome == record.OutcomeWarn || c.Outcome == record.OutcomeFail {
			fmt.Fprintf(&sb, "%s: %s (%s / %s)\n", c.Name, c.Reason, c.Expected, c.Actual)
		}
	}
	for _, w := range s.Warnings {
		sb.WriteString(w + "\n")
	}
	return sb.String()
}

// TestHostileEngine runs each case through the engine directly.
//
// With HOSTILE_TABLE=FILE it writes the table of cases and what the engine says as
// Markdown (docs/reliability.md).
func TestHostileEngine(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	said := map[string]string{}
	if file := os.Getenv("HOSTILE_TABLE"); file != "" {
		t.Cleanup(func() { writeTable(t, file, said) })
	}
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			issuer := provider(t, c)
			client := shortClient(t)
			ctx, cancel := context.WithTimeout(context.Background(), caseBound)
			defer cancel()
			start := time.Now()
			recs := runCase(t, ctx, c, config(c.kind, issuer, client))
			var at *record.Step
			for i := range recs {
				if recs[i].ID == c.step {
					at = &recs[i]
				}
			}
			last := recs[len(recs)-1]
			switch {
			case at == nil:
				t.Fatalf("step %s never ran; last %s: %s", c.step, last.ID, saidBy(last))
			case c.ok && last.Failed():
				t.Fatalf("want success with a warning, failed at %s: %s", last.ID, saidBy(last))
			case !c.ok && !at.Failed():
				t.Fatalf("step %s did not fail: %s", c.step, saidBy(*at))
			case !strings.Contains(saidBy(*at), c.want):
				t.Errorf("step %s does not say %q:\n%s", c.step, c.want, saidBy(*at))
			}
			if at != nil && at.Failed() && at.Error.Kind == record.ErrCheck && len(at.Checks) == 0 {
				t.Error("a check failure without a check")
			}
			msg := firstLineOf(saidBy(*at))
			t.Logf("%s: %s", c.step, msg)
			mu.Lock()
			if msg == "" {
				msg = "(the flow succeeds; nothing to say)"
			}
			host := strings.TrimPrefix(strings.TrimPrefix(issuer, "http://"), "https://")
			msg = strings.ReplaceAll(strings.ReplaceAll(msg, issuer, "ISSUER"), host, "HOST")
			msg = queryString.ReplaceAllString(msg, "$1?…")
			if r := []rune(msg); len(r) > 260 {
				msg = string(r[:260]) + "…"
			}
			said[c.name()] = fmt.Sprintf("%s (%s)", msg, time.Since(start).Round(time.Millisecond))
			mu.Unlock()
			checkUsable(t, client)
		})
	}
}

// queryString matches the query of a URL in a message, left out of the table.
var queryString = regexp.MustCompile(`(ISSUER/[A-Za-z0-9/._-]*)\?[^ ;,:"]+`)

// writeTable writes the cases as a Markdown table: case, what the provider does,
// the flow, the step, and what the engine says (with how long the case took).
func writeTable(t *testing.T, file string, said map[string]string) {
	var sb strings.Builder
	sb.WriteString("| # | case | the provider… | flow | step | outcome | what the person reads (engine; time) |\n|---|---|---|---|---|---|---|\n")
	for i, c := range cases {
		what := hostile.Faults[c.fault]
		switch {
		case c.closed:
			what = "nothing listens on the port"
		case c.tls:
			what = "serves TLS with a certificate nobody trusts"
		}
		flow := string(c.kind)
		if c.then != "" {
			flow += " → " + string(c.then)
		}
		outcome := "fails"
		if c.ok {
			outcome = "tolerated"
		}
		msg := strings.NewReplacer("|", "\\|", "\x1b", "\\x1b", "\x07", "\\x07").Replace(said[c.name()])
		fmt.Fprintf(&sb, "| %d | `%s` | %s | %s | %s | %s | %s |\n", i+1, c.name(), what, flow, c.step, outcome, msg)
	}
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		t.Error(err)
	}
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestHostileBigBodyMemory checks a 50 MiB body is not read into memory: the heap
// grows by much less than the body. It runs before the parallel tests, alone.
func TestHostileBigBodyMemory(t *testing.T) {
	for _, f := range []hostile.Fault{hostile.DiscoveryHuge, hostile.TokenHuge, hostile.JWKSHuge, hostile.TokenGzipBomb} {
		t.Run(string(f), func(t *testing.T) {
			c := tcase{fault: f, kind: cc}
			if f == hostile.JWKSHuge {
				c.kind = pkce
			}
			issuer := provider(t, c)
			client := shortClient(t)
			fl, err := flows.New(c.kind, config(c.kind, issuer, client))
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(context.Background(), caseBound)
			defer cancel()
			recs := runFlow(t, ctx, fl)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: allocated %.1f MiB while the flow ran; heap in use %.1f → %.1f MiB",
				f, mib(alloc), mib(before.HeapInuse), mib(after.HeapInuse))
			if alloc > 40<<20 {
				t.Errorf("allocated %.1f MiB for a 50 MiB body: it is being read whole", mib(alloc))
			}
			if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 32<<20 {
				t.Errorf("heap in use grew %.1f MiB", mib(uint64(grow)))
			}
			runtime.KeepAlive(recs)
		})
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// The oauthx binary, built once for the headless cases.
var oauthxBin string

func TestMain(m *testing.M) {
	// The cases mostly wait: on a provider that hangs until a timeout, on a child
	// process. Run more of them at once than there are cores, unless -parallel says.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", "8")
	}
	code := func() int {
		dir, err := os.MkdirTemp("", "oauthx-hostile-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if goBin, err := exec.LookPath("go"); err == nil {
			bin := filepath.Join(dir, "oauthx")
			cmd := exec.Command(goBin, "build", "-o", bin, "github.com/oauthx/oauthx/cmd/oauthx")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go build ./cmd/oauthx: %v\n%s", err, out)
				return 1
			}
			oauthxBin = bin
		}
		return m.Run()
	}()
	os.Exit(code)
}

// cliArgs are the arguments of `oauthx run` against issuer for kind, then the
// follow-ups.
func cliArgs(kind flows.Kind, issuer string, then ...flows.Kind) []string {
	args := []string{"run", string(kind), "--issuer", issuer, "--client-id", "x", "--json", "--timeout", cliTimeout, "--idp-key-cache", ""}
	for _, k := range then {
		if k != "" {
			args = append(args, "--then", string(k))
		}
	}
	if kind == cc {
		return append(args, "--client-secret-env", "HOSTILE_SECRET")
	}
	return append(args, "--redirect-uri", redirectURI, "--scope", "openid", "--user", "alice")
}

type cliResult struct {
	code           int
	stdout, stderr string
	steps          []record.Step
	took           time.Duration
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	if oauthxBin == "" {
		t.Skip("no go command to build oauthx")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*caseBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, oauthxBin, args...)
	cmd.Env = append(os.Environ(), "HOSTILE_SECRET=s", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("oauthx %s: %v", strings.Join(args, " "), err)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var s record.Step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("stdout is not JSON Lines: %v", err)
		}
		res.steps = append(res.steps, s)
	}
	if ctx.Err() != nil {
		t.Fatalf("oauthx %s did not end within %s (killed)", strings.Join(args, " "), 2*caseBound)
	}
	return res
}

// TestHostileHeadless runs each case through `oauthx run` (the built binary).
func TestHostileHeadless(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			issuer := provider(t, c)
			res := runCLI(t, cliArgs(c.kind, issuer, c.then)...)
			want := c.want
			if c.cliWant != "" {
				want = c.cliWant
			}
			wantCode := 1
			if c.ok {
				wantCode = 0
			}
			if res.code != wantCode {
				t.Errorf("exit %d, want %d", res.code, wantCode)
			}
			if strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine ") {
				t.Errorf("panic:\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
			}
			if strings.ContainsRune(res.stderr, 0x1b) {
				t.Errorf("stderr carries a raw terminal escape from the provider:\n%q", res.stderr)
			}
			if len(res.steps) == 0 {
				t.Error("no JSON step records on stdout")
			}
			t.Logf("exit %d in %s; stderr:\n%s", res.code, res.took.Round(time.Millisecond), res.stderr)
		})
	}
}

// TestHostileTLSInsecure: against a provider whose certificate nobody trusts, the flow
// fails saying so (TestHostileHeadless); with --insecure it runs, and says on stderr
// that TLS is not verified.
func TestHostileTLSInsecure(t *testing.T) {
	t.Parallel()
	s := hostile.New(hostile.None, true)
	t.Cleanup(s.Close)
	res := runCLI(t, append(cliArgs(cc, s.Issuer), "--insecure")...)
	if res.code != 0 {
		t.Errorf("exit %d with --insecure, want 0; stderr:\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "WARNING: --insecure: TLS certificates are not verified") {
		t.Errorf("no --insecure warning on stderr:\n%s", res.stderr)
	}
	res = runCLI(t, cliArgs(cc, s.Issuer)...)
	if res.code != 1 || !strings.Contains(res.stderr, "TLS certificate not trusted") || strings.Contains(res.stderr, "WARNING") {
		t.Errorf("without --insecure: exit %d, stderr:\n%s", res.code, res.stderr)
	}
}

// TestHostileHeadlessControl: with no fault, the hostile server is a working
// provider for both flows, and the binary runs against the bundled IdP: the control for
// the headless cases.
func TestHostileHeadlessControl(t *testing.T) {
	t.Parallel()
	s := hostile.New(hostile.None, false)
	t.Cleanup(s.Close)
	for _, kind := range []flows.Kind{cc, pkce} {
		if res := runCLI(t, cliArgs(kind, s.Issuer)...); res.code != 0 {
			t.Errorf("%s against the well-behaved server: exit %d\n%s", kind, res.code, res.stderr)
		}
	}
	if res := runCLI(t, "run", "pkce", "--idp-key-cache", "", "--json"); res.code != 0 {
		t.Errorf("oauthx run pkce (bundled IdP): exit %d\n%s", res.code, res.stderr)
	}
}
