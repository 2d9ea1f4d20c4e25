package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/lesson"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/tui"
)

// TestEveryLessonRunsAsOneFlow runs each lesson through the explorer's adapter, as
// the walkthrough does (n at every step): the plan announces every step before it
// runs, each step id is unique, and the verdict is the lesson's (caught; the contrast
// through) at a step of the plan.
func TestEveryLessonRunsAsOneFlow(t *testing.T) {
	t.Parallel()
	for _, l := range lesson.All() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := &lessonStarter{}
			defer s.close()
			f, err := s.start(l.Name)
			if err != nil {
				t.Fatal(err)
			}
			planned := f.Plan()
			if len(planned) == 0 {
				t.Fatal("empty plan before the first step")
			}
			for i := 0; !f.Done(); i++ {
				if i > 60 {
					t.Fatal("the lesson does not end")
				}
				before := f.Plan()
				rec := f.Next(context.Background(), flows.StepInput{})
				if !slices.ContainsFunc(before, func(p record.StepPlan) bool { return p.ID == rec.ID }) && rec.ID != "lesson/setup" {
					t.Errorf("step %s ran but was not in the plan", rec.ID)
				}
			}
			recs := f.Records()
			seen := map[string]bool{}
			for i, r := range recs {
				if seen[r.ID] {
					t.Errorf("step id %s twice", r.ID)
				}
				seen[r.ID] = true
				if r.Index != i {
					t.Errorf("record %d has index %d", i, r.Index)
				}
			}
			st := f.Lesson()
			if st.Verdict == nil || !st.Verdict.OK {
				t.Fatalf("verdict = %+v", st.Verdict)
			}
			if !seen[st.Verdict.Step] {
				t.Errorf("the verdict's step %s is not a step of the run", st.Verdict.Step)
			}
			if l.Contrast != nil && (st.Contrast == nil || !st.Contrast.OK) {
				t.Errorf("contrast = %+v", st.Contrast)
			}
			i := slices.IndexFunc(st.Parts, func(p tui.LessonPart) bool { return p.Attack })
			if i < 0 {
				t.Fatalf("no attack part: %+v", st.Parts)
			}
			if !slices.Equal(st.Parts[i].Faults, l.Setup.Faults) {
				t.Errorf("the attack part says faults %v, the lesson switches %v on", st.Parts[i].Faults, l.Setup.Faults)
			}
		})
	}
}

// TestLessonTakesThePersonsEdits: through the explorer's adapter, a request the
// walkthrough sends with the person's change on top of the lesson's reaches the
// lesson's attack, and the verdict lists the change; the victim's parts take none.
func TestLessonTakesThePersonsEdits(t *testing.T) {
	t.Parallel()
	s := &lessonStarter{}
	defer s.close()
	f, err := s.start("csrf-tampered-state")
	if err != nil {
		t.Fatal(err)
	}
	if st := f.Lesson(); !slices.ContainsFunc(st.Parts, func(p tui.LessonPart) bool { return p.Attack && p.Editable }) {
		t.Fatalf("the attack part is not editable: %+v", st.Parts)
	}
	for !f.Done() {
		var in flows.StepInput
		if req, ok := f.Pending(); ok && req.Get("state") == "attacker-state" {
			v := req.With("nonce", "my-own-nonce")
			in.Request = &v
		}
		f.Next(context.Background(), in)
	}
	v := f.Lesson().Verdict
	if v == nil || len(v.Own) != 1 || v.Own[0].Name != "nonce" || v.Own[0].To != "my-own-nonce" ||
		!strings.Contains(v.Summary, "with your own changes to nonce") {
		t.Fatalf("verdict = %+v", v)
	}
	if !v.OK {
		t.Errorf("a different nonce does not change what the state check catches, yet: %+v", v)
	}
}

// TestLessonInTheExplorer chooses a lesson from the explorer's menu, reads the
// tampered request before it is sent, and ends on the check that caught the attack
// with the spec text.
func TestLessonInTheExplorer(t *testing.T) {
	t.Parallel()
	s := &lessonStarter{}
	defer s.close()
	dark := true
	m := tui.New(tui.Options{
		Providers:   []tui.Provider{{Name: "Bundled IdP", Issuer: "http://127.0.0.1:1", Bundled: true}},
		NewFlow:     func(tui.ProviderChoice, flows.Kind) (flows.Flow, error) { return nil, errors.New("not here") },
		Lessons:     lessonInfos(),
		StartLesson: s.start,
		Dark:        &dark, NoColor: true,
	})
	d := &tuiDriver{t: t, m: m}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	key := func(k string) {
		switch k {
		case "enter":
			d.send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "down":
			d.send(tea.KeyPressMsg{Code: tea.KeyDown})
		case "tab":
			d.send(tea.KeyPressMsg{Code: tea.KeyTab})
		default:
			d.send(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
		}
	}
	for range flows.Kinds() {
		key("down")
	}
	key("enter") // Lessons…
	if !strings.Contains(d.screen(), "CSRF through a tampered state") {
		t.Fatalf("no lesson list:\n%s", d.screen())
	}
	key("enter") // the intro
	if !strings.Contains(d.screen(), "The attack") {
		t.Fatalf("no intro:\n%s", d.screen())
	}
	key("enter") // start
	key("n")
	key("n")
	if !strings.Contains(d.screen(), "state: ") || !strings.Contains(d.screen(), "→ attacker-state") {
		t.Errorf("the tampered state is not shown before it is sent:\n%s", d.screen())
	}
	for range 3 {
		key("n")
	}
	scr := d.screen()
	for _, want := range []string{"THE DEFENCE CAUGHT THE ATTACK", "check: state", "RFC 6749 §10.12, Cross-Site Request Forgery:",
		"The client MUST implement CSRF protection"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the end of the lesson does not show %q:\n%s", want, scr)
		}
	}
}

// TestTUIExportWritesMaskedFiles is the `w` key's writer: masked, refusing to replace
// a file unless asked, and saying why a file cannot be written.
func TestTUIExportWritesMaskedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tr := readTranscriptFile(t, recordTranscript(t, "authorization-code"))
	write := tuiExport(liveTranscript)
	req := tui.ExportRequest{Format: "markdown", Path: filepath.Join(dir, "ac.md"), Kind: flows.Kind(tr.Flow), Provider: "bundled IdP", Steps: tr.Steps}
	got, err := write(req)
	if err != nil || got != req.Path {
		t.Fatalf("write = %q, %v", got, err)
	}
	md, _ := os.ReadFile(got)
	if !strings.Contains(string(md), "masked") {
		t.Error("the file does not say it is masked")
	}
	if _, err := write(req); !errors.Is(err, tui.ErrExportExists) {
		t.Errorf("an existing file: %v, want ErrExportExists", err)
	}
	req.Overwrite, req.Format, req.Path = true, "json", filepath.Join(dir, "ac.md")
	if _, err := write(req); err != nil {
		t.Fatal(err)
	}
	if back, err := export.ReadJSON(mustOpen(t, req.Path)); err != nil || !back.Masked || len(back.Steps) != len(tr.Steps) {
		t.Errorf("replaced file: masked %v, %d steps, %v", back.Masked, len(back.Steps), err)
	}
	req.Path = filepath.Join(dir, "nope", "x.md")
	if _, err := write(req); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		req.Path = filepath.Join(ro, "x.md")
		if _, err := write(req); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("unwritable directory: %v", err)
		}
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestWorkshopFlagErrors: the new flags refuse what they cannot do, before any
// terminal is touched.
func TestWorkshopFlagErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  func(stdout, stderr *strings.Builder) int
		want string
	}{
		{"unknown lesson", func(o, e *strings.Builder) int {
			return runTUI([]string{"--lesson", "nope"}, strings.NewReader(""), o, e)
		}, `no lesson "nope"`},
		{"flow and lesson", func(o, e *strings.Builder) int {
			return runTUI([]string{"--lesson", "mix-up", "--flow", "pkce"}, strings.NewReader(""), o, e)
		}, "one at a time"},
		{"lesson --tui --json", func(o, e *strings.Builder) int {
			return lessonMain(context.Background(), []string{"mix-up", "--tui", "--json"}, o, e)
		}, "for the headless run, not --tui"},
		{"replay --present --print", func(o, e *strings.Builder) int {
			return realMain([]string{"replay", "--present", "--print", "x.json"}, strings.NewReader(""), o, e)
		}, "--present opens the explorer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if code := c.run(&stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr = %q, want %q", stderr.String(), c.want)
			}
		})
	}
}
