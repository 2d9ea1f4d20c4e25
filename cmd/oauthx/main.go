// Command oauthx is an interactive OAuth 2.0 / OpenID Connect flow explorer.
//
// With no arguments it opens the TUI against the bundled identity provider, started
// in-process on a free loopback port. Subcommands run flows headless, start the
// bundled provider on its own, and more; `oauthx help` lists them.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0 // the command did what was asked
	exitFailure  = 1 // the flow ran and failed: a provider error or a failed check
	exitUsage    = 2 // bad flags, arguments or configuration
	exitInternal = 3 // the program itself failed (terminal, I/O)
)

// command is one subcommand of oauthx.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run a flow headless: progress on stderr, JSON step records on stdout", runRun},
		{"lesson", "list the attack lessons, or run one: the attack, the check that catches it, the spec", runLesson},
		{"replay", "walk a saved JSON transcript in the explorer, read-only and offline (--print: headless)", runReplay},
		{"decode", "decode a JWT (argument or stdin) and verify it with --jwks or --issuer", runDecode},
		{"doctor", "check a provider's metadata and keys against the specs (--issuer URL or --profile NAME)", runDoctor},
		{"providers", "list provider presets (with their quirks) and saved profiles; `providers show NAME`", runProviders},
		{"idp", "start the bundled OAuth 2.0 / OpenID Connect provider on its own", func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runIdp(args, stdout, stderr)
		}},
		{"help", "show this help", func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
			usage(stdout)
			return exitOK
		}},
	}
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func realMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		for _, c := range commands() {
			if c.name == args[0] {
				return c.run(args[1:], stdin, stdout, stderr)
			}
		}
		fmt.Fprintf(stderr, "oauthx: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(stdout)
		return exitOK
	}
	return runTUI(args, stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "oauthx: explore OAuth 2.0 and OpenID Connect flows step by step.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  oauthx [--flow NAME]       open the explorer (TUI) against the bundled provider")
	for _, c := range commands() {
		fmt.Fprintf(w, "  oauthx %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'oauthx COMMAND --help' for a command's flags.")
}
