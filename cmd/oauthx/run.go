package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/loopback"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// bundledRedirectURI is the demo clients' redirect URI (any port on loopback).
const bundledRedirectURI = "http://127.0.0.1/callback"

// runOptions are the flags of `oauthx run`.
type runOptions struct {
	user, password, consent                string
	issuer, clientID, clientSecretEnv      string
	scope, redirectURI, authMethod         string
	pkceMethod, responseType, responseMode string
	authURL, tokenURL, jwksURL             string
	browser, paste, insecure, json, reveal bool
	verbose                                bool
	timeout                                time.Duration
	keyCache                               string
	export, exportFormat                   string
	faults                                 faultList
	sets, unsets, authParams               multiFlag
	life                                   lifecycleOptions  // runlifecycle.go
	prof                                   runProfileOptions // runprofile.go
	remote                                 remoteOptions     // runremote.go
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runFlags(stderr io.Writer) (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flag.NewFlagSet("oauthx run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.user, "user", "", "log in as this user with the built-in user agent (bundled IdP default: alice)")
	fs.StringVar(&o.password, "password", "", "password for --user (bundled IdP demo users need none)")
	fs.StringVar(&o.consent, "consent", "allow", "answer on the consent page: allow or deny")
	fs.StringVar(&o.issuer, "issuer", "", "a real provider's issuer, discovered (OIDC Discovery, then RFC 8414)")
	fs.StringVar(&o.clientID, "client-id", "", "client id (bundled IdP: the demo client of the flow)")
	fs.StringVar(&o.clientSecretEnv, "client-secret-env", "", "name of the environment variable holding the client secret")
	fs.StringVar(&o.scope, "scope", "", "scopes, space- or comma-separated (bundled IdP: openid profile email, or api:read; with --issuer and none given, browser flows ask for openid if the provider publishes OpenID discovery, else no scope)")
	fs.StringVar(&o.redirectURI, "redirect-uri", "", "redirect URI registered for the client")
	fs.StringVar(&o.authMethod, "auth-method", "", "client authentication: client_secret_basic (default), client_secret_post or none")
	fs.StringVar(&o.pkceMethod, "pkce-method", "", "PKCE method: S256 (default) or plain")
	fs.StringVar(&o.responseType, "response-type", "", "implicit flow: \"id_token token\" (default) or id_token")
	fs.StringVar(&o.responseMode, "response-mode", "", "response mode: query, fragment or form_post")
	fs.StringVar(&o.authURL, "auth-url", "", "authorization endpoint by hand (overrides discovery)")
	fs.StringVar(&o.tokenURL, "token-url", "", "token endpoint by hand (overrides discovery)")
	fs.StringVar(&o.jwksURL, "jwks-url", "", "JWKS URI by hand (overrides discovery)")
	fs.BoolVar(&o.browser, "browser", false, "log in with the real browser; the response comes back to a loopback receiver")
	fs.BoolVar(&o.paste, "paste", false, "print the authorization URL and read the final redirect URL from stdin")
	fs.Var(&o.faults, "fault", "switch the bundled IdP fault `NAME` on (repeatable); oauthx idp --list-faults lists them")
	fs.Var(&o.sets, "set", "tamper with a request before it is sent: `STEP.PARAM=VALUE` (repeatable), e.g. token.code_verifier=wrong")
	fs.Var(&o.unsets, "unset", "remove a parameter from a request before it is sent: `STEP.PARAM` (repeatable)")
	fs.Var(&o.authParams, "auth-param", "extra authorization request parameter `NAME=VALUE` (repeatable), e.g. prompt=login")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify TLS certificates (never against a real provider you care about)")
	fs.BoolVar(&o.json, "json", false, "print each step record as one JSON line on stdout")
	fs.BoolVar(&o.verbose, "verbose", false, "on stderr, also explain each step and show its requests, artifacts and every check")
	fs.BoolVar(&o.reveal, "reveal-secrets", false, "do not mask client secrets, passwords, refresh tokens and cookies in the output")
	fs.StringVar(&o.export, "export", "", "write the transcript of the flow, finished or failed, to `FILE` (.md, .json, .sh or .har; - for stdout), masked unless --reveal-secrets")
	fs.StringVar(&o.exportFormat, "export-format", "", "format of --export: markdown, json, curl or har (default: from the file's extension)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long (the login in a browser included)")
	defCache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		defCache = filepath.Join(dir, "oauthx", "keys")
	}
	fs.StringVar(&o.keyCache, "idp-key-cache", defCache, "bundled IdP: directory where its signing keys are kept between runs (\"\" for fresh keys)")
	addLifecycleFlags(fs, &o.life)
	addRunProfileFlags(fs, &o.prof)
	addRemoteFlags(fs, &o.remote)
	fs.Usage = func() {} // --help prints to stdout, errors say how to get it
	return fs, o
}

func runUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Usage: oauthx run FLOW [flags]")
	fmt.Fprintln(w, "\nRun a flow headless: progress on stderr, step records as JSON Lines on stdout (--json).")
	fmt.Fprintln(w, "Against the bundled IdP (started in-process) unless --issuer or endpoints are given.")
	fmt.Fprintln(w, "Exit status: 0 the flow succeeded, 1 it ran and failed, 2 bad flags or configuration.")
	fmt.Fprintln(w, "\nFlows:")
	for _, k := range flows.Kinds() {
		name := string(k.Kind)
		if len(k.Aliases) > 0 {
			name += " (" + strings.Join(k.Aliases, ", ") + ")"
		}
		line := k.Summary
		if k.Deprecated != "" {
			line += " Deprecated."
		}
		fmt.Fprintf(w, "  %-40s %s\n", name, line)
	}
	fmt.Fprintln(w, "\nExamples:")
	fmt.Fprintln(w, "  oauthx run pkce --json | jq .id")
	fmt.Fprintln(w, "  oauthx run device                                   # the built-in user agent approves as alice")
	fmt.Fprintln(w, "  oauthx run pkce --scope openid,offline_access,api:read --then refresh,introspect,userinfo,call-api,revoke,logout")
	fmt.Fprintln(w, "  oauthx run pkce --set token.code_verifier=wrong     # see the provider refuse it")
	fmt.Fprintln(w, "  oauthx run authorization-code --fault wrong-aud     # see the client catch it")
	fmt.Fprintln(w, "  oauthx run pkce --export pkce.md                    # a handout; .json for oauthx replay, .sh, .har")
	fmt.Fprintln(w, "  oauthx run pkce --issuer https://idp.example --client-id cli --redirect-uri http://127.0.0.1:8765/callback --browser")
	fmt.Fprintln(w, "  oauthx run pkce --profile work --qr                 # on a remote terminal: scan, log in, paste the final URL back")
	fmt.Fprintln(w, "  oauthx run pkce --profile work --redirect-uri http://localhost:8765/callback --listen 127.0.0.1:8765   # behind ssh -L")
	fmt.Fprintln(w, "\nFlags:")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// parseInterleaved parses flags wherever they are among the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// runRun runs `oauthx run FLOW`.
func runRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runFlow(ctx, args, stdin, stdout, stderr)
}

func runFlow(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, o := runFlags(stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			runUsage(stdout, fs)
			return exitOK
		}
		fmt.Fprintln(stderr, "oauthx run: run 'oauthx run --help' for the flows and flags.")
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "oauthx run: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run 'oauthx run --help' for the flows and flags.")
		return exitUsage
	}
	if len(pos) == 0 {
		return usageErr("which flow? (%s)", kindNames())
	}
	if len(pos) > 1 {
		return usageErr("one flow at a time; unexpected %q", pos[1])
	}
	info, ok := flows.LookupKind(pos[0])
	if !ok {
		return usageErr("unknown flow %q (%s)", pos[0], kindNames())
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive, not %s", o.timeout)
	}
	if o.browser && o.paste {
		return usageErr("choose --browser or --paste, not both")
	}
	if err := checkRemoteFlags(o); err != nil {
		return usageErr("%v", err)
	}
	if o.consent != useragent.Allow && o.consent != useragent.Deny {
		return usageErr("--consent takes allow or deny, not %q", o.consent)
	}
	bundled := o.issuer == "" && o.authURL == "" && o.tokenURL == "" && o.prof.profile == ""
	if !bundled && len(o.faults) > 0 {
		return usageErr("--fault switches faults of the bundled IdP; it cannot make %s misbehave", firstNonEmpty(o.issuer, o.authURL, o.tokenURL, "profile "+o.prof.profile))
	}
	exportAs, err := exportFormat(o.export, o.exportFormat, flagIf(o.json, "--json"))
	if err != nil {
		return usageErr("%v", err)
	}
	edits, err := parseEdits(o.sets, o.unsets)
	if err != nil {
		return usageErr("%v", err)
	}
	extra := map[string]string{}
	for _, p := range o.authParams {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usageErr("--auth-param %q: want NAME=VALUE", p)
		}
		extra[k] = v
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	transport := httprec.NewTransport(o.insecure)
	if o.insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: TLS certificates are not verified; anyone on the path can read and change this flow.")
	}
	transport.ResponseHeaderTimeout = o.remote.httpTimeout
	httpClient := &http.Client{Transport: transport, Timeout: o.remote.httpTimeout}

	cfg := flows.Config{
		Provider:     flows.Provider{Issuer: o.issuer, AuthorizationEndpoint: o.authURL, TokenEndpoint: o.tokenURL, JWKSURI: o.jwksURL},
		Client:       flows.Client{ID: o.clientID, AuthMethod: o.authMethod, RedirectURI: o.redirectURI},
		Scopes:       splitScopes(o.scope),
		PKCEMethod:   o.pkceMethod,
		ResponseType: o.responseType,
		ResponseMode: o.responseMode,
		ExtraParams:  extra,
		HTTPClient:   httpClient,
	}
	if o.clientSecretEnv != "" {
		v, ok := os.LookupEnv(o.clientSecretEnv)
		if !ok || v == "" {
			return usageErr("--client-secret-env %s: the variable is not set", o.clientSecretEnv)
		}
		cfg.Client.Secret = v
	}
	if err := applyRunProfile(fs, o, &cfg, stdin, stderr); err != nil {
		return usageErr("%v", err)
	}
	if note := profileNote(o, cfg); note != "" {
		fmt.Fprintln(stderr, note)
	}

	if bundled {
		issuer, shutdown, code := startBundledIdP(o, stderr)
		if code != exitOK {
			return code
		}
		defer shutdown()
		cfg.Provider = flows.Provider{Name: "bundled IdP", Issuer: issuer}
		bundledDefaults(info.Kind, &cfg, o)
		bundledAuthDefaults(&cfg, o)
		if o.user == "" {
			o.user = "alice"
		}
	}

	// How the authorization response comes back.
	if info.Browser {
		switch {
		case o.paste:
			cfg.Authorizer = &pasteAuthorizer{in: bufio.NewReader(stdin), out: stderr, qr: o.remote.qr}
		case !wantsRealBrowser(o) && (o.user != "" || bundled):
			cfg.Authorizer = &useragent.Agent{Username: o.user, Password: o.password, Decision: o.consent, Client: httpClient}
		default: // the person's own browser, back to the loopback receiver (runremote.go)
			a, closeReceiver, err := browserAuthorizer(o, &cfg, bundled, stdin, stderr)
			if err != nil {
				return usageErr("%v", err)
			}
			defer closeReceiver()
			cfg.Authorizer = a
		}
	}

	if err := lifecycleSetup(info.Kind, &cfg, o, bundled, httpClient); err != nil {
		return usageErr("%v", err)
	}
	flow, err := flows.New(info.Kind, cfg)
	if err != nil {
		if flows.IsConfigError(err) {
			return usageErr("%v", err)
		}
		fmt.Fprintf(stderr, "oauthx run: %v\n", err)
		return exitInternal
	}
	if err := edits.validate(lifecyclePlan(flow.Plan(), o, cfg)); err != nil {
		return usageErr("%v", err)
	}
	code := runFollowUps(ctx, drive(ctx, flow, edits, o, stdout, stderr), flow, cfg, edits, o, stdout, stderr)
	if exportAs != "" {
		if err := writeExport(o.export, exportAs, flow, providerLabel(cfg.Provider), o.reveal, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "oauthx run: --export: %v\n", err)
			return exitInternal
		}
	}
	return code
}

// drive runs the flow to its end, printing as it goes.
func drive(ctx context.Context, flow flows.Flow, edits requestEdits, o *runOptions, stdout, stderr io.Writer) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	fmt.Fprintf(stderr, "oauthx run %s\n", flow.Kind())
	var last record.Step
	for !flow.Done() {
		var in flows.StepInput
		if req, ok := flow.Pending(); ok {
			if edited, changed := edits.apply(req); changed {
				in.Request = &edited
			}
		}
		rec := flow.Next(ctx, in)
		last = rec
		out := rec
		if !o.reveal {
			out = rec.Redacted()
		}
		// What the provider sent (error descriptions, claims) is shown with its
		// control characters escaped: a hostile provider must not drive the terminal.
		printStep(terminalSafe{stderr}, out)
		printDevicePrompt(terminalSafe{stderr}, out, o)
		if e := rec.Error; e != nil && e.Kind == record.ErrNetwork && strings.Contains(e.Message, "timed out") {
			fmt.Fprintf(stderr, "    (each HTTP request may take %s; --http-timeout changes it)\n", o.remote.httpTimeout)
		}
		if o.verbose {
			printDetails(terminalSafe{stderr}, out)
		}
		if o.json {
			if err := enc.Encode(out); err != nil {
				fmt.Fprintf(stderr, "oauthx run: writing JSON: %v\n", err)
				return exitInternal
			}
		}
		if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				fmt.Fprintf(stderr, "oauthx run: timed out after %s (--timeout)\n", o.timeout)
			} else {
				fmt.Fprintln(stderr, "oauthx run: cancelled")
			}
			return exitFailure
		}
	}
	if last.Failed() {
		fmt.Fprintf(stderr, "%s failed at %q.\n", flow.Kind(), last.Title)
		return exitFailure
	}
	t := flow.Tokens()
	var got []string
	if t.AccessToken != "" {
		got = append(got, "an access token")
	}
	if t.IDToken != "" {
		got = append(got, "a verified ID token")
	}
	if t.RefreshToken != "" {
		got = append(got, "a refresh token")
	}
	if len(got) == 0 {
		got = append(got, "no tokens held")
	}
	fmt.Fprintf(stderr, "%s succeeded: %s.\n", flow.Kind(), strings.Join(got, ", "))
	return exitOK
}

// terminalSafe writes to a terminal with control characters other than newline and
// tab escaped (ESC becomes \x1b), so text from a provider cannot move the cursor,
// retitle the window or clear the screen.
type terminalSafe struct{ w io.Writer }

func (t terminalSafe) Write(p []byte) (int, error) {
	s := string(p)
	if !strings.ContainsFunc(s, isControl) {
		return t.w.Write(p)
	}
	var sb strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&sb, "\\x%02x", r)
			continue
		}
		sb.WriteRune(r)
	}
	if _, err := io.WriteString(t.w, sb.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func isControl(r rune) bool {
	return r != '\n' && r != '\t' && (r < 0x20 || r >= 0x7f && r < 0xa0)
}

// printStep writes one step's progress for a person: a line with its outcome, then
// what went wrong or deserves a warning.
func printStep(w io.Writer, s record.Step) {
	mark := map[record.Status]string{record.StatusDone: "✓", record.StatusFailed: "✗", record.StatusSkipped: "–"}[s.Status]
	if mark == "" {
		mark = "·"
	}
	fmt.Fprintf(w, "%s %s%s\n", mark, s.Title, stepDetail(s))
	for _, e := range s.Edited {
		fmt.Fprintf(w, "    edited %s: %q → %q\n", e.Name, e.From, e.To)
	}
	for _, c := range s.Checks {
		switch c.Outcome {
		case record.OutcomeFail:
			fmt.Fprintf(w, "    ✗ %s: %s\n", c.Name, c.Reason)
			if c.Expected != "" || c.Actual != "" {
				fmt.Fprintf(w, "        expected: %s\n        actual:   %s\n", orDash(c.Expected), orDash(c.Actual))
			}
			if c.Spec != "" {
				fmt.Fprintf(w, "        see %s\n", c.Spec)
			}
		case record.OutcomeWarn:
			fmt.Fprintf(w, "    ! %s: %s", c.Name, c.Reason)
			if c.Spec != "" {
				fmt.Fprintf(w, " (%s)", c.Spec)
			}
			fmt.Fprintln(w)
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "    ! %s\n", warn)
	}
	if e := s.Error; e != nil && e.Kind != record.ErrCheck {
		if p := e.Protocol; p != nil {
			fmt.Fprintf(w, "    error: %s", p.Code)
			if p.HTTPStatus != 0 {
				fmt.Fprintf(w, " (HTTP %d)", p.HTTPStatus)
			}
			fmt.Fprintln(w)
			if p.Description != "" {
				fmt.Fprintf(w, "    description: %s\n", p.Description)
			}
			if p.Meaning != "" {
				fmt.Fprintf(w, "    meaning: %s (%s)\n", p.Meaning, p.Spec)
			}
		} else {
			fmt.Fprintf(w, "    %s error: %s\n", e.Kind, e.Message)
		}
	}
}

// printDetails writes what --verbose adds under a step: the explanation, the
// exchanges and redirects, the artifacts and the checks that passed or were skipped.
func printDetails(w io.Writer, s record.Step) {
	for _, para := range strings.Split(s.Explanation, "\n") {
		for _, line := range wrapText(para, 84) {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	if len(s.Specs) > 0 {
		var refs []string
		for _, r := range s.Specs {
			refs = append(refs, r.String())
		}
		fmt.Fprintf(w, "    specs: %s\n", strings.Join(refs, "; "))
	}
	for _, ex := range s.Exchanges {
		fmt.Fprintf(w, "    → %s %s\n", ex.Request.Method, ex.Request.URL)
		switch {
		case ex.Response != nil:
			fmt.Fprintf(w, "    ← %d %s (%s)\n", ex.Response.Status, ex.Response.Header.Get("Content-Type"), ex.Duration.Round(time.Microsecond))
		case ex.Error != "":
			fmt.Fprintf(w, "    ← %s\n", ex.Error)
		}
	}
	for _, r := range s.Redirects {
		fmt.Fprintf(w, "    ↪ %s\n", r.To)
	}
	for _, a := range s.Artifacts {
		fmt.Fprintf(w, "    %s = %s\n", a.Name, a.Value)
		for _, d := range a.Derivation {
			fmt.Fprintf(w, "        %s\n", d)
		}
		if a.Note != "" {
			fmt.Fprintf(w, "        (%s)\n", a.Note)
		}
		if t := a.Token; t != nil && t.Format == record.FormatJWT {
			state := "unverified"
			if t.Verified {
				state = "verified with " + t.VerifiedWith
			}
			fmt.Fprintf(w, "        header and claims (%s):\n", state)
			for _, c := range t.Header {
				fmt.Fprintf(w, "          header.%s: %s\n", c.Name, c.Display)
			}
			for _, c := range t.Claims {
				fmt.Fprintf(w, "          %s: %s\n", c.Name, c.Display)
			}
		}
	}
	for _, c := range s.Checks {
		if c.Outcome == record.OutcomePass || c.Outcome == record.OutcomeSkip {
			mark := map[record.Outcome]string{record.OutcomePass: "✓", record.OutcomeSkip: "–"}[c.Outcome]
			fmt.Fprintf(w, "    %s %s: %s", mark, c.Name, c.Reason)
			if c.Spec != "" {
				fmt.Fprintf(w, " (%s)", c.Spec)
			}
			fmt.Fprintln(w)
		}
	}
}

// wrapText breaks s into lines of at most width runes, at spaces.
func wrapText(s string, width int) []string {
	var lines []string
	var line []string
	n := 0
	for _, word := range strings.Fields(s) {
		l := len([]rune(word))
		if n > 0 && n+1+l > width {
			lines = append(lines, strings.Join(line, " "))
			line, n = nil, 0
		}
		if n > 0 {
			n++
		}
		line = append(line, word)
		n += l
	}
	if len(line) > 0 {
		lines = append(lines, strings.Join(line, " "))
	}
	return lines
}

// stepDetail sums up a step in a few words: what it made and what it checked.
func stepDetail(s record.Step) string {
	var parts []string
	if n := len(s.Exchanges); n > 0 {
		parts = append(parts, countOf(n, "request"))
	}
	if n := len(s.Redirects); n > 0 {
		parts = append(parts, countOf(n, "redirect"))
	}
	var pass, warn int
	for _, c := range s.Checks {
		switch c.Outcome {
		case record.OutcomePass:
			pass++
		case record.OutcomeWarn:
			warn++
		}
	}
	if pass > 0 {
		parts = append(parts, countOf(pass, "check")+" passed")
	}
	if warn > 0 {
		parts = append(parts, countOf(warn, "warning"))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// startBundledIdP starts the bundled IdP on a free loopback port.
func startBundledIdP(o *runOptions, stderr io.Writer) (issuer string, shutdown func(), code int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "oauthx run: starting the bundled IdP: %v\n", err)
		return "", nil, exitInternal
	}
	issuer = "http://" + ln.Addr().String()
	srv, err := mockidp.New(mockidp.Options{Issuer: issuer, Faults: o.faults, KeyCacheDir: o.keyCache})
	if err != nil {
		ln.Close()
		var names []string
		for _, f := range mockidp.FaultCatalog() {
			names = append(names, string(f.Name))
		}
		fmt.Fprintf(stderr, "oauthx run: bundled IdP: %v\nFaults: %s\n", err, strings.Join(names, ", "))
		return "", nil, exitUsage
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) //nolint:errcheck // ErrServerClosed after Shutdown
	if f := srv.ActiveFaults(); len(f) > 0 {
		fmt.Fprintf(stderr, "Bundled IdP at %s with faults on: %v\n", issuer, f)
	}
	return issuer, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}, exitOK
}

// bundledDefaults fills in the bundled IdP's demo client and scopes for the flow,
// keeping what the flags gave.
func bundledDefaults(kind flows.Kind, cfg *flows.Config, o *runOptions) {
	demo := bundledDemo(kind)
	if cfg.Client.RedirectURI == "" {
		cfg.Client.RedirectURI = demo.Client.RedirectURI
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = demo.Scopes
	}
	if o.clientID == "" {
		cfg.Client.ID, cfg.Client.Secret = demo.Client.ID, demo.Client.Secret
	}
}

// bundledDemo is the bundled IdP's demo client and scopes for a flow: web-app
// (confidential) for the authorization code flow, native-app (public) for PKCE,
// spa-implicit for implicit, machine for client credentials. The TUI wiring can use it
// too.
func bundledDemo(kind flows.Kind) flows.Config {
	c := flows.Config{
		Client: flows.Client{RedirectURI: bundledRedirectURI},
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
	case flows.KindDevice:
		c.Client = flows.Client{ID: "device-app"}
		c.Scopes = []string{"openid", "profile", "email", "offline_access", "api:read"}
	}
	return c
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

func kindNames() string {
	var names []string
	for _, k := range flows.Kinds() {
		names = append(names, string(k.Kind))
	}
	return strings.Join(names, ", ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// requestEdits are the --set and --unset edits, by step id.
type requestEdits map[string][]requestEdit

type requestEdit struct {
	param, value string
	remove       bool
}

func parseEdits(sets, unsets []string) (requestEdits, error) {
	out := requestEdits{}
	for _, s := range sets {
		target, value, ok := strings.Cut(s, "=")
		stepID, param, ok2 := strings.Cut(target, ".")
		if !ok || !ok2 || stepID == "" || param == "" {
			return nil, fmt.Errorf("--set %q: want STEP.PARAM=VALUE, e.g. token.code_verifier=wrong", s)
		}
		out[stepID] = append(out[stepID], requestEdit{param: param, value: value})
	}
	for _, s := range unsets {
		stepID, param, ok := strings.Cut(s, ".")
		if !ok || stepID == "" || param == "" || strings.Contains(param, "=") {
			return nil, fmt.Errorf("--unset %q: want STEP.PARAM, e.g. authorize.state", s)
		}
		out[stepID] = append(out[stepID], requestEdit{param: param, remove: true})
	}
	return out, nil
}

// validate checks every edit names a step of the flow that sends a request.
func (r requestEdits) validate(plan []record.StepPlan) error {
	var sends []string
	for _, p := range plan {
		if p.Sends {
			sends = append(sends, p.ID)
		}
	}
	for id := range r {
		if !slices.Contains(sends, id) {
			return fmt.Errorf("--set/--unset: this flow has no request at step %q (requests: %s)", id, strings.Join(sends, ", "))
		}
	}
	return nil
}

// apply returns the request with the edits for its step, and whether any applied.
func (r requestEdits) apply(req record.Request) (record.Request, bool) {
	edits := r[req.StepID]
	if len(edits) == 0 {
		return req, false
	}
	for _, e := range edits {
		switch {
		case e.param == "auth_method" && !e.remove:
			req.AuthMethod = e.value
		case e.remove:
			req = req.Without(e.param)
		default:
			req = req.With(e.param, e.value)
		}
	}
	return req, true
}

// pasteAuthorizer prints the authorization URL (and its QR code with --qr; opens it in
// the browser when open is set) and reads the final redirect URL the person pastes back.
type pasteAuthorizer struct {
	in   *bufio.Reader
	out  io.Writer
	qr   bool
	open bool
}

func (p *pasteAuthorizer) Authorize(ctx context.Context, req flows.AuthorizeRequest) (flows.AuthorizeResult, error) {
	fmt.Fprintf(p.out, "\nOpen this URL in a browser and log in:\n\n  %s\n\n", req.URL)
	if p.qr {
		printQR(p.out, req.URL)
	}
	if p.open {
		go func() { _ = loopback.OpenBrowser(req.URL) }() // the URL is printed above if this fails
	}
	if d, ok := ctx.Deadline(); ok {
		fmt.Fprintf(p.out, "Then paste the URL the browser ends on (it starts with %s) and press Enter (times out in %s):\n",
			req.RedirectURI, time.Until(d).Round(time.Second))
	} else {
		fmt.Fprintf(p.out, "Then paste the URL the browser ends on (it starts with %s) and press Enter:\n", req.RedirectURI)
	}
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := p.in.ReadString('\n')
		ch <- line{s, err}
	}()
	select {
	case <-ctx.Done():
		return flows.AuthorizeResult{}, ctx.Err()
	case l := <-ch:
		if strings.TrimSpace(l.s) == "" && l.err != nil {
			return flows.AuthorizeResult{}, fmt.Errorf("no redirect URL pasted: %w", l.err)
		}
		return callback.PastedURL(strings.TrimSpace(l.s)).Authorize(ctx, req)
	}
}
