package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/oauthx/oauthx/flows/doctor"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/provider"
	"github.com/oauthx/oauthx/flows/record"
)

// runDoctor runs `oauthx doctor`: check a provider's metadata and keys against the
// specs and current best practice. Exit 1 when an error-level check fails, 2 on usage.
func runDoctor(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runDoctorContext(ctx, args, stdout, stderr, nil)
}

// runDoctorContext is runDoctor with a context and, for tests, a base HTTP client
// (nil means httprec's bounded transport).
func runDoctorContext(ctx context.Context, args []string, stdout, stderr io.Writer, base *http.Client) int {
	fs := flag.NewFlagSet("oauthx doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	issuer := fs.String("issuer", "", "issuer URL of the provider to check")
	profile := fs.String("profile", "", "check the provider of a saved profile, and what its client would trip over")
	configPath := fs.String("config", "", "profiles file (default $OAUTHX_CONFIG, else the user config directory's oauthx/profiles.toml)")
	asJSON := fs.Bool("json", false, "print the report as JSON on stdout (for scripts)")
	insecure := fs.Bool("insecure", false, "do not verify TLS certificates (prints a warning)")
	timeout := fs.Duration("timeout", 20*time.Second, "time limit for each fetch")
	verbose := fs.Bool("v", false, "also print the HTTP exchanges")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx doctor --issuer URL | --profile NAME [--json] [--insecure]")
		fmt.Fprintln(stderr, "       (with neither, the profiles file's default profile)")
		fmt.Fprintln(stderr, "\nFetch a provider's metadata (OpenID Connect discovery, else RFC 8414) and key set,")
		fmt.Fprintln(stderr, "and check them against the specs and RFC 9700, check by check with a severity and")
		fmt.Fprintln(stderr, "the spec section. Exit status 1 when an error-level check fails.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 1 && *issuer == "" && *profile == "" {
		*issuer = fs.Arg(0) // `oauthx doctor URL`
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "oauthx doctor: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *issuer == "" && *profile == "" {
		// The profiles file's default profile, when it names one.
		if ps, _, err := loadProfiles(*configPath); err == nil && ps.Default != "" {
			*profile = ps.Default
			fmt.Fprintf(stderr, "oauthx doctor: using the default profile %q\n", ps.Default)
		}
	}
	if (*issuer == "") == (*profile == "") {
		fmt.Fprintln(stderr, "oauthx doctor: give --issuer URL or --profile NAME (one of them)")
		fs.Usage()
		return exitUsage
	}

	opts := doctor.Options{Issuer: *issuer, Timeout: *timeout}
	if *profile != "" {
		p, err := loadProfile(*configPath, *profile, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "oauthx doctor:", err)
			return exitUsage
		}
		r, err := p.Resolve()
		if err != nil {
			fmt.Fprintln(stderr, "oauthx doctor:", err)
			return exitUsage
		}
		if r.Issuer == "" {
			fmt.Fprintf(stderr, "oauthx doctor: profile %q has no issuer: the provider publishes no metadata to check", p.Name)
			if r.Preset != nil {
				fmt.Fprintf(stderr, " (%s has no discovery)", r.Preset.Title)
			}
			fmt.Fprintln(stderr)
			return exitUsage
		}
		opts.Issuer = r.Issuer
		opts.Client = &doctor.ClientExpectations{
			AuthMethod:   r.AuthMethod,
			RedirectURI:  r.RedirectURI,
			ResponseType: "code",
			ResponseMode: r.Params["response_mode"],
			Scopes:       r.Scopes,
		}
		if r.Preset != nil {
			opts.Known = doctor.KnownQuirks{
				Provider:                  r.Preset.Title,
				IssuerTemplate:            r.Quirks.IssuerTemplate,
				PKCESupportedUnadvertised: r.Quirks.PKCESupportedUnadvertised,
			}
		}
	}

	if *profile == "" {
		if p, ok := provider.MatchIssuer(opts.Issuer); ok {
			opts.Known = doctor.KnownQuirks{
				Provider:                  p.Title,
				IssuerTemplate:            p.Adapt.IssuerTemplate,
				PKCESupportedUnadvertised: p.Adapt.PKCESupportedUnadvertised,
			}
			fmt.Fprintf(stderr, "note: this looks like %s (preset %s); its known quirks are taken into account (oauthx providers show %s)\n",
				p.Title, p.Name, p.Name)
		}
	}
	if *insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: TLS certificates are not verified; anyone on the network path could answer for the provider.")
	}
	if base == nil {
		base = &http.Client{Transport: httprec.NewTransport(*insecure), Timeout: *timeout + 5*time.Second}
	}
	opts.HTTPClient = base

	rep := doctor.Run(ctx, opts)
	if *asJSON {
		writeIndentedJSON(stdout, rep)
	} else {
		printDoctorReport(stdout, rep, *verbose)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "oauthx doctor: interrupted")
		return exitFailure
	}
	if rep.Failed() {
		return exitFailure
	}
	return exitOK
}

var groupTitles = map[string]string{
	doctor.GroupDiscovery: "Discovery",
	doctor.GroupMetadata:  "Metadata",
	doctor.GroupEndpoints: "Endpoints",
	doctor.GroupKeys:      "Keys",
	doctor.GroupSecurity:  "Security (RFC 9700 and friends)",
	doctor.GroupClient:    "Your client",
}

// doctorMark is the symbol of a check's result.
func doctorMark(c doctor.Check) string {
	switch {
	case c.Outcome == record.OutcomePass:
		return "✓"
	case c.Outcome == record.OutcomeSkip:
		return "-"
	case c.Outcome == record.OutcomeFail && c.Severity == doctor.SeverityError:
		return "✗"
	case c.Severity == doctor.SeverityInfo:
		return "i"
	}
	return "!"
}

func printDoctorReport(w io.Writer, rep doctor.Report, verbose bool) {
	fmt.Fprintf(w, "oauthx doctor: %s\n", rep.Issuer)
	if rep.MetadataURL != "" {
		kind := "OpenID Connect Discovery 1.0"
		if rep.Variant == "oauth" {
			kind = "RFC 8414 authorization server metadata"
		}
		fmt.Fprintf(w, "metadata: %s (%s)\n", rep.MetadataURL, kind)
	}
	for _, g := range doctor.Groups() {
		var checks []doctor.Check
		for _, c := range rep.Checks {
			if c.Group == g {
				checks = append(checks, c)
			}
		}
		if len(checks) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", groupTitles[g])
		for _, c := range checks {
			printDoctorCheck(w, c, verbose)
		}
	}
	if verbose && len(rep.Exchanges) > 0 {
		fmt.Fprintln(w, "\nHTTP exchanges")
		for _, ex := range rep.Exchanges {
			status := ex.Error
			if ex.Response != nil {
				status = fmt.Sprintf("%d, %s, %d bytes", ex.Response.Status, noneIfEmpty(ex.Response.Header.Get("Content-Type")), len(ex.Response.Body))
			}
			fmt.Fprintf(w, "  %s %s → %s (%s)\n", ex.Request.Method, ex.Request.URL, status, ex.Duration.Round(time.Millisecond))
		}
	}
	s := rep.Summary
	verdict := "OK"
	if rep.Failed() {
		verdict = "FAILED"
	} else if s.Warnings > 0 {
		verdict = "OK with warnings"
	}
	fmt.Fprintf(w, "\n%s: %d passed, %s, %s, %s, %d skipped\n", verdict, s.Passed,
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Notes, "note"), s.Skipped)
}

// informative lists the checks whose finding is worth showing even when they pass.
var informative = map[string]bool{
	"jwks-fetched": true, "pkce-s256": true, "response-modes": true, "token-auth-methods": true,
}

func printDoctorCheck(w io.Writer, c doctor.Check, verbose bool) {
	const pad = "      "
	line := "  " + doctorMark(c) + " "
	if c.Problem() {
		line += string(c.Severity) + ": "
	}
	line += c.Name
	if c.Outcome == record.OutcomePass && informative[c.ID] && c.Actual != "" {
		line += ": " + c.Actual
	}
	fmt.Fprintf(w, "%s  [%s]\n", line, c.Spec)
	if c.Problem() {
		if c.Expected != "" {
			fmt.Fprint(w, indentLines(wrapWords("expected: "+c.Expected, 86), pad))
		}
		if c.Actual != "" {
			fmt.Fprint(w, indentLines(wrapWords("found: "+c.Actual, 86), pad))
		}
	}
	if c.Reason != "" && (c.Problem() || c.Outcome == record.OutcomeSkip || c.Severity == doctor.SeverityInfo || verbose) {
		fmt.Fprint(w, indentLines(wrapWords(c.Reason, 86), pad))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
