package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/lesson"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

// lessonIdP adapts the bundled IdP to lesson.IdP.
type lessonIdP struct{ s *mockidp.Server }

func (l lessonIdP) SetFault(name string, on bool) error { return l.s.SetFault(mockidp.Fault(name), on) }
func (l lessonIdP) Advance(d time.Duration)             { l.s.Advance(d) }

// lessonLine is one line of `oauthx lesson NAME --json`: a step record with the part
// of the lesson it belongs to, or, last, the verdicts.
type lessonLine struct {
	Lesson string       `json:"lesson"`
	Part   lesson.Role  `json:"part,omitempty"`
	Step   *record.Step `json:"step,omitempty"`
	// The last line.
	Verdict  *lesson.Verdict `json:"verdict,omitempty"`
	Contrast *lesson.Verdict `json:"contrast,omitempty"`
}

func lessonUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "Usage: oauthx lesson [NAME] [flags]")
	fmt.Fprintln(w, "\nWith no name, list the lessons. With a name, start the bundled IdP in-process, explain the")
	fmt.Fprintln(w, "attack, run the flow with the lesson's faults and edits, and show which check caught it and")
	fmt.Fprintln(w, "the spec text behind it. --tui (or --present) opens the lesson in the explorer instead.")
	fmt.Fprintln(w, "Exit status: 0 the defence caught the attack as expected, 1 it did not, 2 bad arguments.")
	fmt.Fprintln(w, "\nFlags:")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// runLesson runs `oauthx lesson [NAME]`.
func runLesson(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return lessonMainIn(ctx, args, stdin, stdout, stderr)
}

// lessonMain runs `oauthx lesson` headless (its tests give no terminal).
func lessonMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return lessonMainIn(ctx, args, strings.NewReader(""), stdout, stderr)
}

func lessonMainIn(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oauthx lesson", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	asJSON := fs.Bool("json", false, "write the step records and the verdict as JSON Lines on stdout (the explanation goes to stderr)")
	verbose := fs.Bool("verbose", false, "also show each step's explanation, requests, artifacts and every check")
	reveal := fs.Bool("reveal-secrets", false, "do not mask client secrets, passwords, refresh tokens and cookies")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	inTUI := fs.Bool("tui", false, "open the lesson in the explorer: step by step, the tampered request shown before it is sent, the verdict and the spec at the end")
	present := fs.Bool("present", false, "with --tui (implied): presenter mode for a projector")
	theme := fs.String("theme", "auto", "with --tui: colours for a dark or light terminal: auto, dark or light")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			lessonUsage(stdout, fs)
			return exitOK
		}
		fmt.Fprintln(stderr, "oauthx lesson: run 'oauthx lesson --help' for the flags.")
		return exitUsage
	}
	if len(pos) == 0 {
		listLessons(stdout)
		return exitOK
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "oauthx lesson: one lesson at a time; unexpected %q\n", pos[1])
		return exitUsage
	}
	l, ok := lesson.Lookup(pos[0])
	if !ok {
		fmt.Fprintf(stderr, "oauthx lesson: no lesson %q; the lessons are:\n\n", pos[0])
		listLessons(stderr)
		return exitUsage
	}
	if *inTUI || *present {
		if *asJSON || *verbose || *reveal {
			fmt.Fprintln(stderr, "oauthx lesson: --json, --verbose and --reveal-secrets are for the headless run, not --tui")
			return exitUsage
		}
		tuiArgs := []string{"--lesson", l.Name, "--theme", *theme}
		if *present {
			tuiArgs = append(tuiArgs, "--present")
		}
		return runTUI(tuiArgs, stdin, stdout, stderr)
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "oauthx lesson: --timeout must be positive, not %s\n", *timeout)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	// The person reads the story on stdout; with --json, stdout is for the records.
	human := stdout
	if *asJSON {
		human = stderr
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)

	w, err := newWiring()
	if err != nil {
		fmt.Fprintf(stderr, "oauthx lesson: starting the bundled IdP: %v\n", err)
		return exitInternal
	}
	defer w.close()
	printLessonIntro(human, l, w.issuer)
	var current lesson.Role
	var encErr error
	env := bundledLessonEnv(w)
	env.OnStep = func(role lesson.Role, rec record.Step) {
		if role != current {
			current = role
			printPartHeading(human, l, role)
		}
		out := rec
		if !*reveal {
			out = rec.Redacted()
		}
		printStep(human, out)
		if (role == lesson.RoleAftermath || role == lesson.RoleContrastAfterma) && out.ID == "introspect" {
			for _, c := range out.Checks {
				if c.Outcome == record.OutcomePass {
					fmt.Fprintf(human, "    ✓ %s: %s (%s)\n", c.Name, c.Reason, c.Spec)
				}
			}
		}
		if *verbose {
			printDetails(human, out)
		}
		if *asJSON && encErr == nil {
			encErr = enc.Encode(lessonLine{Lesson: l.Name, Part: role, Step: &out})
		}
	}
	res, err := lesson.Run(ctx, l, env)
	if err != nil {
		fmt.Fprintf(stderr, "oauthx lesson: %v\n", err)
		return exitInternal
	}
	printLessonVerdict(human, res)
	if *asJSON && encErr == nil {
		encErr = enc.Encode(lessonLine{Lesson: l.Name, Verdict: &res.Verdict, Contrast: res.Contrast})
	}
	if encErr != nil {
		fmt.Fprintf(stderr, "oauthx lesson: writing JSON: %v\n", encErr)
		return exitInternal
	}
	if !res.Verdict.Caught() {
		return exitFailure
	}
	return exitOK
}

// listLessons writes one line per lesson: name, title and summary.
func listLessons(w io.Writer) {
	fmt.Fprintln(w, "Lessons (run one with: oauthx lesson NAME):")
	fmt.Fprintln(w)
	for _, l := range lesson.All() {
		fmt.Fprintf(w, "  %-24s %s\n  %-24s %s\n", l.Name, l.Title, "", l.Summary)
	}
}

func printLessonIntro(w io.Writer, l lesson.Lesson, issuer string) {
	fmt.Fprintf(w, "Lesson: %s\n\n", l.Title)
	printWrapped(w, "", "The attack. "+l.Attack)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Flow: %s against the bundled IdP at %s\n", l.Kind, issuer)
	for _, s := range l.SetupLines() {
		fmt.Fprintf(w, "  · %s\n", s)
	}
	fmt.Fprintf(w, "Expected: %s\n", l.ExpectLine())
	if cmd, ok := l.RunCommand(); ok {
		fmt.Fprintf(w, "The same attack, without the story: %s\n", cmd)
	}
}

func printPartHeading(w io.Writer, l lesson.Lesson, role lesson.Role) {
	var h string
	switch role {
	case lesson.RoleVictim:
		v := l.Setup.Victim
		h = v.User + "'s session, the victim: " + v.Story
	case lesson.RoleContrastVictim:
		h = l.Setup.Victim.User + "'s session again, for the contrast"
	case lesson.RoleAttack:
		h = "The attack (" + string(l.Kind) + ", logged in as " + lessonUser(l) + ")"
	case lesson.RoleAftermath, lesson.RoleContrastAfterma:
		h = "Afterwards: is " + l.Setup.Victim.User + "'s access token still active? (a resource server asks, RFC 7662)"
	case lesson.RoleContrast:
		h = "Contrast: " + l.Contrast.Title + " (fault " + strings.Join(l.Contrast.Faults, ", ") + " on)"
	}
	fmt.Fprintf(w, "\n── %s\n", h)
}

func lessonUser(l lesson.Lesson) string {
	if l.User == "" {
		return "alice"
	}
	return l.User
}

func printLessonVerdict(w io.Writer, res lesson.Result) {
	l, v := res.Lesson, res.Verdict
	fmt.Fprintln(w)
	switch {
	case v.Caught():
		printWrapped(w, "✓ ", v.Summary)
	default:
		printWrapped(w, "✗ ", v.Summary)
	}
	if v.Spec != "" {
		fmt.Fprintf(w, "  see %s\n", v.Spec)
	}
	if v.Aftermath != "" {
		printWrapped(w, "  ", "Afterwards: "+v.Aftermath+".")
	}
	if c := res.Contrast; c != nil {
		fmt.Fprintln(w)
		mark := "!"
		if c.Outcome != lesson.Through {
			mark = "?"
		}
		printWrapped(w, mark+" ", "Without the defence: "+c.Summary)
		if c.Aftermath != "" {
			printWrapped(w, "  ", "Afterwards: "+c.Aftermath+".")
		}
		printWrapped(w, "  ", l.Contrast.Story)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The defence: %s.\n", l.Defence.By)
	printWrapped(w, "", l.Defence.Explanation)
	for _, q := range l.Defence.Quotes {
		fmt.Fprintf(w, "\n  %s %s, %s:\n", q.Spec, q.Section, q.Title)
		printWrapped(w, "    │ ", q.Text)
		fmt.Fprintf(w, "    %s\n", q.URL)
	}
}

// printWrapped writes text wrapped at 84 columns, the first line after prefix and the
// others indented to match.
func printWrapped(w io.Writer, prefix, text string) {
	indent := strings.Repeat(" ", len([]rune(prefix)))
	if strings.HasPrefix(prefix, "    │") {
		indent = prefix
	}
	for i, line := range wrapText(text, 84) {
		p := indent
		if i == 0 {
			p = prefix
		}
		fmt.Fprintf(w, "%s%s\n", p, line)
	}
}

// bundledLessonEnv is what a lesson runs against: the bundled IdP of w, whose
// faults and clock the lesson drives, and its demo clients, logged in by the
// built-in user agent.
func bundledLessonEnv(w *wiring) lesson.Env {
	httpClient := &http.Client{Transport: httprec.NewTransport(false), Timeout: httprec.DefaultTimeout}
	return lesson.Env{
		Issuer: w.issuer,
		IdP:    lessonIdP{w.idp},
		Demo:   bundledDemo,
		Authorizer: func(user string) flows.Authorizer {
			return &useragent.Agent{Username: user, Client: httpClient}
		},
		HTTPClient: httpClient,
	}
}
