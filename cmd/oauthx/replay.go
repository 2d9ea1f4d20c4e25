package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/replay"
	"github.com/oauthx/oauthx/tui"
)

// replayFlags are the flags of `oauthx replay`.
type replayFlags struct {
	print, json, verbose, reveal bool
	present                      bool
	theme                        string
	export, exportFormat         string
}

// runReplay runs `oauthx replay FILE`: a saved JSON transcript walked step by step in
// the explorer, read-only, exactly as recorded. No provider is started and nothing
// touches the network. --print writes the steps as `oauthx run` does instead.
func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oauthx replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f replayFlags
	fs.BoolVar(&f.print, "print", false, "print the steps as `oauthx run` does instead of opening the explorer (no terminal needed)")
	fs.BoolVar(&f.json, "json", false, "with --print: each step record as one JSON line on stdout, progress on stderr")
	fs.BoolVar(&f.verbose, "verbose", false, "with --print: also each step's explanation, requests, artifacts and every check")
	fs.BoolVar(&f.reveal, "reveal-secrets", false, "with --print or --export: keep the secrets of a transcript saved with them revealed")
	fs.StringVar(&f.export, "export", "", "write the transcript to `FILE` in another format (.md, .json, .sh, .har; - for stdout) instead of opening the explorer")
	fs.StringVar(&f.exportFormat, "export-format", "", "format of --export: markdown, json, curl or har (default: from the file's extension)")
	fs.StringVar(&f.theme, "theme", "auto", "colours for a dark or light terminal: auto, dark or light")
	fs.BoolVar(&f.present, "present", false, "presenter mode for a projector: one pane at a time, big step titles, high contrast")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx replay [--present] [--print [--json] [--verbose]] [--export OUT [--export-format NAME]] FILE")
		fmt.Fprintln(stderr, "\nOpen a transcript saved as JSON (oauthx run --export FILE.json, or the explorer's export)")
		fmt.Fprintln(stderr, "and walk its steps exactly as they were recorded: read-only, with no provider and no network.")
		fmt.Fprintln(stderr, "--export writes it again in another format (a Markdown handout, a curl script, a HAR).")
		fmt.Fprintln(stderr, "FILE - reads the transcript from stdin (with --print or --export).")
		fmt.Fprintln(stderr, "Exit status: 0 replayed, 2 bad flags or a file that cannot be replayed.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "oauthx replay: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case len(pos) == 0:
		return usageErr("which transcript? oauthx replay FILE (a JSON transcript, e.g. from oauthx run --export out.json)")
	case len(pos) > 1:
		return usageErr("one transcript at a time; unexpected %q", pos[1])
	case !f.print && (f.json || f.verbose):
		return usageErr("--json and --verbose go with --print")
	case f.present && (f.print || f.export != ""):
		return usageErr("--present opens the explorer: it does not go with --print or --export")
	case !f.print && f.export == "" && f.reveal:
		return usageErr("--reveal-secrets goes with --print or --export")
	case !f.print && f.export == "" && pos[0] == "-":
		return usageErr("the explorer reads keys from stdin: give a file, or use --print to read the transcript from stdin")
	}
	exportAs, err := exportFormat(f.export, f.exportFormat, flagIf(f.print, "--print"))
	if err != nil {
		return usageErr("%v", err)
	}
	dark, ok := parseTheme(f.theme)
	if !ok {
		return usageErr("--theme takes auto, dark or light, not %q", f.theme)
	}

	tr, err := readTranscript(pos[0], stdin)
	if err != nil {
		return usageErr("%v", err)
	}
	if exportAs != "" {
		// The transcript as it was recorded, in another format: masked unless it was
		// saved revealed and --reveal-secrets asks to keep it so.
		out := export.New(tr.Flow, tr.Provider, tr.Steps, tr.Created, !tr.Masked && f.reveal)
		if err := writeTranscript(f.export, exportAs, out, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "oauthx replay: --export: %v\n", err)
			return exitInternal
		}
		if !f.print {
			return exitOK
		}
	}
	if f.print {
		return printReplay(tr, f, stdout, stderr)
	}
	opts, err := replayOptions(tr, pos[0])
	if err != nil {
		return usageErr("%v", err)
	}
	opts.Dark = dark
	opts.NoColor = os.Getenv("NO_COLOR") != ""
	opts.Present = f.present
	p := tea.NewProgram(tui.New(opts), tea.WithInput(stdin), tea.WithOutput(stdout))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		// The terminal is restored by the time Run returns.
		fmt.Fprintf(stderr, "oauthx replay: %v\n", err)
		return exitInternal
	}
	return exitOK
}

func parseTheme(theme string) (*bool, bool) {
	switch theme {
	case "auto":
		return nil, true
	case "dark", "light":
		d := theme == "dark"
		return &d, true
	}
	return nil, false
}

// readTranscript reads a JSON transcript from a file ("-" for stdin) and says what is
// wrong with one it cannot replay.
func readTranscript(path string, stdin io.Reader) (export.Transcript, error) {
	r := stdin
	name := "stdin"
	if path != "-" {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return export.Transcript{}, fmt.Errorf("%s: no such file", path)
		case err != nil:
			return export.Transcript{}, err
		case fi.IsDir():
			return export.Transcript{}, fmt.Errorf("%s is a directory, not a transcript", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return export.Transcript{}, err
		}
		defer f.Close()
		r, name = f, path
	}
	tr, err := export.ReadJSON(r)
	switch {
	case errors.Is(err, export.ErrNotTranscript):
		return tr, fmt.Errorf("%s: %v\n(oauthx replay reads the JSON transcript written by `oauthx run --export FILE.json` or the explorer's export)", name, err)
	case err != nil:
		return tr, fmt.Errorf("%s: %w", name, err)
	case len(tr.Steps) == 0:
		return tr, fmt.Errorf("%s: the transcript holds no steps: nothing to replay", name)
	}
	return tr, nil
}

// replayOptions sets the explorer up to walk a transcript: one provider (the one the
// flow was recorded against, marked as a replay) whose only flow is the recorded one,
// started at once, with nothing to log in with, no faults and no network. Relative
// times (token expiry) are counted from when the flow was recorded.
func replayOptions(tr export.Transcript, name string) (tui.Options, error) {
	info, ok := flows.LookupKind(tr.Flow)
	if !ok {
		return tui.Options{}, fmt.Errorf("%s: the explorer does not know the flow %q (newer oauthx?); `oauthx replay --print %s` shows its steps", name, tr.Flow, name)
	}
	provider := tr.Provider
	if provider == "" {
		provider = "unknown provider"
	}
	recorded := tr.Created
	if last := tr.Steps[len(tr.Steps)-1].Finished; !last.IsZero() {
		recorded = last
	}
	desc := "a saved transcript, read-only: " + name
	if !recorded.IsZero() {
		desc += ", recorded " + recorded.UTC().Format("2006-01-02 15:04 UTC")
	}
	opts := tui.Options{
		Providers: []tui.Provider{{Name: "replay · " + provider, Description: desc}},
		NewFlow: func(_ tui.ProviderChoice, k flows.Kind) (flows.Flow, error) {
			if k != info.Kind {
				return nil, fmt.Errorf("this is a replay of a %s flow; run oauthx to explore %s live", info.Kind, k)
			}
			return replay.New(tr), nil
		},
		InitialFlow: info.Kind,
		ReadOnly:    true,
		Recording:   tui.Recording{File: name, Recorded: recorded, Provider: provider},
		// `w` writes the recording again in any format, with its recorded time and
		// provider, masked.
		Export: tuiExport(func(req tui.ExportRequest) export.Transcript {
			return export.New(tr.Flow, tr.Provider, req.Steps, tr.Created, false)
		}),
	}
	if !recorded.IsZero() {
		opts.Now = func() time.Time { return recorded }
	}
	return opts, nil
}

// printReplay writes the steps of a transcript as `oauthx run` does: progress for a
// person (on stdout, or on stderr with --json) and, with --json, the step records as
// JSON Lines on stdout, masked unless --reveal-secrets.
func printReplay(tr export.Transcript, f replayFlags, stdout, stderr io.Writer) int {
	// Text from the file is shown with its control characters escaped, as oauthx run
	// does with what a provider sent: a transcript is untrusted input too.
	var human io.Writer = terminalSafe{stdout}
	if f.json {
		human = terminalSafe{stderr}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	flow := replay.New(tr)
	secrets := "secrets masked"
	if !tr.Masked {
		secrets = "SECRETS REVEALED in the file"
		if f.reveal {
			fmt.Fprintln(stderr, "WARNING: --reveal-secrets: client secrets, passwords and refresh tokens are printed in clear.")
		} else {
			secrets += "; masked here (--reveal-secrets shows them)"
		}
	}
	fmt.Fprintf(human, "oauthx replay %s: recorded against %s", flow.Kind(), orDash(tr.Provider))
	if !tr.Created.IsZero() {
		fmt.Fprintf(human, " on %s", tr.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fmt.Fprintf(human, " (%s)\n", secrets)
	var last = tr.Steps[0]
	for !flow.Done() {
		rec := flow.Next(context.Background(), flows.StepInput{})
		last = rec
		out := rec
		if !f.reveal {
			out = rec.Redacted()
		}
		printStep(human, out)
		if f.verbose {
			printDetails(human, out)
		}
		if f.json {
			if err := enc.Encode(out); err != nil {
				fmt.Fprintf(stderr, "oauthx replay: writing JSON: %v\n", err)
				return exitInternal
			}
		}
	}
	if last.Failed() {
		fmt.Fprintf(human, "%s failed at %q, as recorded.\n", flow.Kind(), last.Title)
	} else {
		fmt.Fprintf(human, "%s succeeded, as recorded.\n", flow.Kind())
	}
	return exitOK
}
