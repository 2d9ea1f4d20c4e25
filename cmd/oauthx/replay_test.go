package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/tui"
)

// runReplayCLI runs `oauthx replay ARGS…` in-process.
func runReplayCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := realMain(append([]string{"replay"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readTranscriptFile(t *testing.T, path string) export.Transcript {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := export.ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tr
}

func jsonLines(t *testing.T, s string) []record.Step {
	t.Helper()
	var out []record.Step
	dec := json.NewDecoder(strings.NewReader(s))
	for dec.More() {
		var st record.Step
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("not JSON Lines of step records: %v", err)
		}
		out = append(out, st)
	}
	return out
}

// TestRunExportEachFormat: `oauthx run pkce --export out.EXT` writes each format,
// masked (the demo user's password and the session cookies never appear), and says so.
// The JSON one reads back with ReadJSON, holds exactly the records --json printed, and
// `oauthx replay --print` replays it.
func TestRunExportEachFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	says := map[string]string{
		"out.md":   "Secrets are masked",
		"out.json": `"masked": true`,
		"out.har":  "masked",
		"out.sh":   "masked",
	}
	for file, note := range says {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, file)
			code, steps, _, stderr := runCLI(t, nil, "pkce", "--json", "--export", path)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "Transcript written to "+path) || strings.Contains(stderr, "WARNING") {
				t.Errorf("stderr does not say where the masked transcript went:\n%s", stderr)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out := string(b)
			if strings.Contains(out, "password=alice") {
				t.Error("masked export contains the demo user's password")
			}
			// The script leaves the login out (browser-only); the others show it masked.
			if file != "out.sh" && !strings.Contains(out, record.Mask) {
				t.Error("nothing was masked: the login form's password should be")
			}
			if !strings.Contains(strings.ToLower(out), strings.ToLower(note)) {
				t.Errorf("the file does not say it was masked (%q)", note)
			}
			if file != "out.json" {
				return
			}
			tr := readTranscriptFile(t, path)
			if tr.Flow != "pkce" || !tr.Masked || !strings.HasPrefix(tr.Provider, "bundled IdP (http://127.0.0.1:") {
				t.Errorf("transcript flow %q masked %v provider %q", tr.Flow, tr.Masked, tr.Provider)
			}
			if g, w := jsonOf(t, tr.Steps), jsonOf(t, steps); g != w {
				t.Errorf("the exported steps differ from what --json printed:\n got  %s\n want %s", g, w)
			}
			code, stdout, rstderr := runReplayCLI(t, "", "--print", path)
			if code != exitOK {
				t.Fatalf("replay --print: exit %d\n%s", code, rstderr)
			}
			last := -1
			for _, s := range tr.Steps {
				i := strings.Index(stdout, "✓ "+s.Title)
				if i < last {
					t.Errorf("replay --print does not show %q after the step before it:\n%s", s.Title, stdout)
				}
				last = i
			}
			if !strings.Contains(stdout, "pkce succeeded, as recorded.") {
				t.Errorf("replay --print output:\n%s", stdout)
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunExportRevealSecrets: with --reveal-secrets the client secret is in the file,
// which only its owner can read, and stderr warns about it; without, it is not.
func TestRunExportRevealSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	masked, revealed := filepath.Join(dir, "masked.json"), filepath.Join(dir, "revealed.json")
	if code, _, _, stderr := runCLI(t, nil, "authorization-code", "--export", masked); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, _, _, stderr := runCLI(t, nil, "authorization-code", "--export", revealed, "--reveal-secrets")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "WARNING: --reveal-secrets") || !strings.Contains(stderr, revealed) {
		t.Errorf("no warning on stderr about the revealed transcript:\n%s", stderr)
	}
	b, _ := os.ReadFile(masked)
	if strings.Contains(string(b), "web-app-secret") {
		t.Error("the masked transcript holds the client secret")
	}
	b, _ = os.ReadFile(revealed)
	if !strings.Contains(string(b), "web-app-secret") || !strings.Contains(string(b), `"masked": false`) {
		t.Error("the revealed transcript does not hold the client secret, or does not say it is revealed")
	}
	if fi, err := os.Stat(revealed); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("revealed transcript mode %v, want readable by its owner only", fi.Mode())
	}

	// replay --print masks a revealed transcript unless asked, and warns when asked.
	code, stdout, _ := runReplayCLI(t, "", "--print", "--json", revealed)
	if code != exitOK || strings.Contains(stdout, "web-app-secret") {
		t.Errorf("replay --print --json of a revealed transcript: exit %d, secret shown: %v", code, strings.Contains(stdout, "web-app-secret"))
	}
	code, stdout, rstderr := runReplayCLI(t, "", "--print", "--json", "--reveal-secrets", revealed)
	if code != exitOK || !strings.Contains(stdout, "web-app-secret") || !strings.Contains(rstderr, "WARNING") {
		t.Errorf("replay --print --reveal-secrets: exit %d, secret shown %v, stderr:\n%s", code, strings.Contains(stdout, "web-app-secret"), rstderr)
	}
}

// TestRunExportFailedFlow: the transcript of a flow that failed is written too, and
// the exit status is still the flow's.
func TestRunExportFailedFlow(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "failed.json")
	code, _, _, stderr := runCLI(t, nil, "pkce", "--set", "token.code_verifier=wrong-wrong-wrong-wrong-wrong-wrong-wrong-wrong", "--export", path)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	tr := readTranscriptFile(t, path)
	last := tr.Steps[len(tr.Steps)-1]
	if !last.Failed() || last.ID != "token" || len(last.Edited) == 0 {
		t.Errorf("last step %s %s edited %v, want the failed token request with its edit", last.ID, last.Status, last.Edited)
	}
	code, stdout, _ := runReplayCLI(t, "", "--print", path)
	if code != exitOK || !strings.Contains(stdout, "✗ "+last.Title) || !strings.Contains(stdout, "failed at") {
		t.Errorf("replay --print of a failed flow: exit %d\n%s", code, stdout)
	}
}

// TestRunExportStdout: --export - writes to stdout in the format given.
func TestRunExportStdout(t *testing.T) {
	t.Parallel()
	code, _, stdout, stderr := func() (int, []record.Step, string, string) {
		var out, errb bytes.Buffer
		code := realMain([]string{"run", "--idp-key-cache=" + testKeys, "client-credentials", "--export", "-", "--export-format", "md"}, strings.NewReader(""), &out, &errb)
		return code, nil, out.String(), errb.String()
	}()
	if code != exitOK || !strings.HasPrefix(stdout, "# ") || !strings.Contains(stdout, "machine") {
		t.Errorf("exit %d, stdout:\n%.300s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestRunExportUsageErrors: a bad --export is refused before the flow runs.
func TestRunExportUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown extension", []string{"--export", filepath.Join(dir, "out.txt")}, "cannot tell the format"},
		{"unknown format", []string{"--export", filepath.Join(dir, "out"), "--export-format", "pdf"}, `--export-format "pdf": unknown format`},
		{"format alone", []string{"--export-format", "json"}, "--export-format goes with --export"},
		{"stdout without format", []string{"--export", "-"}, "--export - writes to stdout"},
		{"stdout with json", []string{"--export", "-", "--export-format", "md", "--json"}, "both write to stdout"},
		{"no such directory", []string{"--export", filepath.Join(dir, "nope", "out.md")}, "does not exist"},
		{"a directory", []string{"--export", dir, "--export-format", "json"}, "is a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, _, stderr := runCLI(t, nil, append([]string{"pkce"}, c.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, stderr)
			}
			if strings.Contains(stderr, "✓") {
				t.Error("the flow ran before the flags were checked")
			}
		})
	}
}

// recordTranscript records a client credentials flow (quick: one request) as JSON.
func recordTranscript(t *testing.T, flow string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), flow+".json")
	if code, _, _, stderr := runCLI(t, nil, flow, "--export", path); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	return path
}

// TestReplayErrors: what replay says about a file it cannot replay; all exit 2.
func TestReplayErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := recordTranscript(t, "client-credentials")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v99 := write("v99.json", strings.Replace(string(b), `"version": 1,`, `"version": 99,`, 1))
	v0 := write("v0.json", strings.Replace(string(b), `"version": 1,`, `"version": 0,`, 1))
	future := write("future.json", strings.Replace(string(b), `"flow": "client-credentials",`, `"flow": "future-flow",`, 1))
	empty := write("empty.json", `{"format":"oauthx-transcript","version":1,"flow":"pkce","steps":[]}`)
	md := write("out.md", "# oauthx transcript\n")
	var lines bytes.Buffer
	realMain([]string{"run", "--idp-key-cache=" + testKeys, "client-credentials", "--json"}, strings.NewReader(""), &lines, &bytes.Buffer{})
	jsonl := write("run.jsonl", lines.String())
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "which transcript?"},
		{"two files", []string{good, good}, "one transcript at a time"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, "nope.json: no such file"},
		{"directory", []string{dir}, "is a directory"},
		{"markdown", []string{md}, "not an oauthx transcript: it is not JSON"},
		{"JSON Lines", []string{jsonl}, "oauthx run --json"},
		{"newer version", []string{v99}, "transcript format version 99 is newer than this oauthx understands (1); upgrade oauthx"},
		{"newer version, print", []string{"--print", v99}, "newer than this oauthx"},
		{"version 0", []string{v0}, "transcript format version 0 is not a valid version"},
		{"unknown flow", []string{future}, `the explorer does not know the flow "future-flow"`},
		{"no steps", []string{empty}, "holds no steps"},
		{"json without print", []string{"--json", good}, "go with --print"},
		{"stdin without print", []string{"-"}, "use --print to read the transcript from stdin"},
		{"bad theme", []string{"--theme", "pink", good}, "--theme takes auto, dark or light"},
	}
	// --print shows a flow the explorer does not know.
	if code, stdout, stderr := runReplayCLI(t, "", "--print", future); code != exitOK || !strings.Contains(stdout, "future-flow succeeded, as recorded") {
		t.Errorf("replay --print of an unknown flow: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runReplayCLI(t, "", c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty:\n%s", stdout)
			}
		})
	}
}

// TestReplayPrintMatchesTheRecords: `replay --print --json` prints the transcript's
// records, exactly, as JSON Lines; the transcript can come from stdin.
func TestReplayPrintMatchesTheRecords(t *testing.T) {
	t.Parallel()
	path := recordTranscript(t, "pkce")
	tr := readTranscriptFile(t, path)
	code, stdout, stderr := runReplayCLI(t, "", "--print", "--json", path)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := jsonLines(t, stdout); !reflect.DeepEqual(got, tr.Steps) {
		t.Errorf("replay --print --json differs from the transcript:\n got  %s\n want %s", jsonOf(t, got), jsonOf(t, tr.Steps))
	}
	for _, s := range tr.Steps {
		if !strings.Contains(stderr, s.Title) {
			t.Errorf("progress on stderr does not show %q", s.Title)
		}
	}
	b, _ := os.ReadFile(path)
	code, stdout2, _ := runReplayCLI(t, string(b), "--print", "--json", "-")
	if code != exitOK || stdout2 != stdout {
		t.Errorf("replay --print - (stdin): exit %d, output differs: %v", code, stdout2 != stdout)
	}
	code, verbose, _ := runReplayCLI(t, "", "--print", "--verbose", path)
	if code != exitOK || !strings.Contains(verbose, "code_challenge = ") || !strings.Contains(verbose, "→ POST ") {
		t.Errorf("replay --print --verbose: exit %d\n%s", code, verbose)
	}
}

// collectMsgs runs a command (the commands of a batch too) and returns its messages.
// Commands still running after a moment are timers (the spinner): dropped.
func collectMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(200 * time.Millisecond):
		return nil
	}
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	out := make([][]tea.Msg, len(batch))
	var wg sync.WaitGroup
	for i, c := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = collectMsgs(c)
		}()
	}
	wg.Wait()
	var all []tea.Msg
	for _, o := range out {
		all = append(all, o...)
	}
	return all
}

// tuiDriver feeds messages to the explorer's model like the Bubble Tea runtime does.
type tuiDriver struct {
	t *testing.T
	m tea.Model
}

func (d *tuiDriver) send(msg tea.Msg) {
	d.t.Helper()
	m, cmd := d.m.Update(msg)
	d.m = m
	d.run(cmd)
}

func (d *tuiDriver) run(cmd tea.Cmd) {
	d.t.Helper()
	for _, msg := range collectMsgs(cmd) {
		switch msg.(type) {
		case spinner.TickMsg, tea.QuitMsg, nil:
			continue
		}
		d.send(msg)
	}
}

func (d *tuiDriver) screen() string { return ansi.Strip(d.m.View().Content) }

// TestReplayInTheExplorer: `oauthx replay FILE` opens the walkthrough of the recorded
// flow at once (no menus, no provider, no login), and each n shows the next recorded
// step, exactly as recorded, until the flow is complete; nothing can be edited.
func TestReplayInTheExplorer(t *testing.T) {
	t.Parallel()
	path := recordTranscript(t, "pkce")
	tr := readTranscriptFile(t, path)
	opts, err := replayOptions(tr, path)
	if err != nil {
		t.Fatal(err)
	}
	dark := true
	opts.Dark, opts.NoColor = &dark, true
	d := &tuiDriver{t: t, m: tui.New(opts)}
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})

	scr := d.screen()
	if head := strings.Split(scr, "\n")[0]; !strings.Contains(head, "REPLAY (read-only) · "+filepath.Base(path)+" · recorded ") ||
		!strings.Contains(head, "Authorization code + PKCE") {
		t.Fatalf("the explorer did not open the replay's walkthrough:\n%s", scr)
	}
	for _, s := range tr.Steps {
		if !strings.Contains(scr, s.Title) {
			t.Errorf("the steps list does not show %q before the replay starts", s.Title)
		}
	}
	for i, s := range tr.Steps {
		d.send(tea.KeyPressMsg{Code: 'n', Text: "n"})
		scr = d.screen()
		if !strings.Contains(scr, "✓ "+s.Title) {
			t.Errorf("after n #%d the status line does not show step %q:\n%s", i+1, s.Title, scr)
		}
		if strings.Contains(scr, "e edit") {
			t.Errorf("step %d: the replay offers to edit a request", i+1)
		}
	}
	if !strings.Contains(scr, "flow complete") {
		t.Errorf("the end of the replay is not shown as the flow complete:\n%s", scr)
	}
	// Another n changes nothing.
	d.send(tea.KeyPressMsg{Code: 'n', Text: "n"})
	if d.screen() != scr {
		t.Error("n after the last step changed the screen")
	}
	// b steps back through the recorded steps; n forward again.
	d.send(tea.KeyPressMsg{Code: 'b', Text: "b"})
	d.send(tea.KeyPressMsg{Code: 'b', Text: "b"})
	if want := fmt.Sprintf("step %d of %d: %s", len(tr.Steps)-2, len(tr.Steps), tr.Steps[len(tr.Steps)-3].Title); !strings.Contains(d.screen(), want) {
		t.Errorf("b b does not show %q:\n%s", want, d.screen())
	}
	// w writes the recording again, masked, next to it.
	out := filepath.Join(filepath.Dir(path), "again.md")
	d.send(tea.KeyPressMsg{Code: 'w', Text: "w"})
	d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	for _, r := range out {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	d.send(tea.KeyPressMsg{Code: tea.KeyEnter})
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("w did not write the recording: %v\n%s", err, d.screen())
	}
	if !strings.Contains(string(md), "masked") || !strings.Contains(d.screen(), "wrote "+out) {
		t.Errorf("the export is not masked or not reported:\n%s", d.screen())
	}
	// esc quits: a replay has no menu behind it.
	if _, cmd := d.m.Update(tea.KeyPressMsg{Code: tea.KeyEscape}); cmd == nil {
		t.Error("esc does nothing in a replay")
	} else if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("esc does not quit a replay")
	}
}

// TestReplayExportConverts: `oauthx replay FILE --export OUT` writes the recorded
// transcript in another format without opening the explorer: the same bytes the
// export package writes for it (the JSON one identical to the file read), masked unless
// the file was saved revealed and --reveal-secrets keeps it so.
func TestReplayExportConverts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "ac.json")
	if code, _, _, stderr := runCLI(t, nil, "authorization-code", "--export", src, "--reveal-secrets"); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	tr := readTranscriptFile(t, src)
	masked := export.New(tr.Flow, tr.Provider, tr.Steps, tr.Created, false)
	for _, format := range export.Formats() {
		out := filepath.Join(dir, "ac"+export.Extension(format))
		if format == export.FormatJSON {
			out = filepath.Join(dir, "again.json")
		}
		code, stdout, stderr := runReplayCLI(t, "", src, "--export", out)
		if code != exitOK || stdout != "" {
			t.Fatalf("%s: exit %d, stdout %q\n%s", format, code, stdout, stderr)
		}
		var want bytes.Buffer
		if err := export.WriteFormat(&want, format, masked); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: the converted file differs from the export of the transcript read", format)
		}
		if strings.Contains(string(got), "web-app-secret") {
			t.Errorf("%s: a conversion without --reveal-secrets holds the client secret", format)
		}
	}
	kept := filepath.Join(dir, "kept.json")
	code, _, stderr := runReplayCLI(t, "", src, "--export", kept, "--reveal-secrets")
	if code != exitOK || !strings.Contains(stderr, "WARNING") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	orig, _ := os.ReadFile(src)
	if got, _ := os.ReadFile(kept); !bytes.Equal(got, orig) {
		t.Error("a revealed JSON transcript converted to JSON with --reveal-secrets is not the same file")
	}
	if code, _, stderr := runReplayCLI(t, "", src, "--print", "--export", "-", "--export-format", "md"); code != exitUsage || !strings.Contains(stderr, "--export - and --print both write to stdout") {
		t.Errorf("--export - with --print: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runReplayCLI(t, string(orig), "-", "--export", "-", "--export-format", "har"); code != exitOK || !strings.Contains(stdout, `"version": "1.2"`) {
		t.Errorf("stdin to stdout as HAR: exit %d\n%.200s", code, stdout)
	}
}

func TestExportFileName(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 5, 7, 0, time.UTC)
	if got := exportFileName("pkce", "md", at); got != "oauthx-pkce-20261123-090507.md" {
		t.Errorf("exportFileName = %q", got)
	}
}
