package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/lesson"
)

func TestLessonList(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := realMain([]string{"lesson"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, l := range lesson.All() {
		if !strings.Contains(stdout.String(), l.Name) || !strings.Contains(stdout.String(), l.Title) {
			t.Errorf("list lacks %s (%s):\n%s", l.Name, l.Title, stdout.String())
		}
	}
	stdout.Reset()
	if code := realMain([]string{"help"}, strings.NewReader(""), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "oauthx lesson") {
		t.Errorf("help does not list the lesson command:\n%s", stdout.String())
	}
}

func TestLessonUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"lesson", "no-such-lesson"}, {"lesson", "mix-up", "alg-none"}, {"lesson", "--bogus"}, {"lesson", "mix-up", "--timeout=0s"}} {
		var stdout, stderr bytes.Buffer
		if code := realMain(args, strings.NewReader(""), &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, exitUsage, stderr.String())
		}
	}
}

// TestLessonRuns runs a lesson through the CLI: the story and the verdict for a
// person, the records and the verdict as JSON with --json, exit 0 when caught.
func TestLessonRuns(t *testing.T) {
	t.Parallel()
	t.Run("human", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		code := lessonMain(context.Background(), []string{"csrf-tampered-state"}, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"Lesson: CSRF through a tampered state",
			"The attack. ",
			"request edit: authorize.state=attacker-state",
			`edited state: "`,
			"✗ Check the authorization response",
			"✓ caught by the client's state check",
			"RFC 6749 §10.12, Cross-Site Request Forgery:",
			"│ The client MUST implement CSRF protection for its redirection URI.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		code := lessonMain(context.Background(), []string{"--json", "code-injection-pkce"}, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "✓ caught by the provider's PKCE check") {
			t.Errorf("stderr lacks the verdict:\n%s", stderr.String())
		}
		var lines []lessonLine
		sc := bufio.NewScanner(&stdout)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			var l lessonLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("not a JSON line: %v\n%s", err, sc.Text())
			}
			lines = append(lines, l)
		}
		if len(lines) < 3 {
			t.Fatalf("%d lines", len(lines))
		}
		parts := map[lesson.Role]int{}
		var failed string
		for _, l := range lines[:len(lines)-1] {
			if l.Step == nil || l.Lesson != "code-injection-pkce" {
				t.Fatalf("bad line %+v", l)
			}
			parts[l.Part]++
			if l.Part == lesson.RoleAttack && l.Step.Failed() {
				failed = l.Step.ID + " " + l.Step.Error.Protocol.Code
			}
		}
		if parts[lesson.RoleVictim] == 0 || parts[lesson.RoleAttack] == 0 || parts[lesson.RoleContrast] == 0 {
			t.Errorf("parts = %v", parts)
		}
		if failed != "token invalid_grant" {
			t.Errorf("attack failed at %q, want token invalid_grant", failed)
		}
		last := lines[len(lines)-1]
		if last.Verdict == nil || !last.Verdict.Caught() || last.Contrast == nil || last.Contrast.Outcome != lesson.Through {
			t.Errorf("last line = %+v", last)
		}
	})
}

// TestLessonRunCommands: the `oauthx run` command each lesson prints makes the same
// attack, and fails at the same step.
func TestLessonRunCommands(t *testing.T) {
	t.Parallel()
	for _, l := range lesson.All() {
		cmd, ok := l.RunCommand()
		if !ok {
			continue
		}
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			args := shellSplit(t, cmd)
			if len(args) < 3 || args[0] != "oauthx" || args[1] != "run" {
				t.Fatalf("command %q", cmd)
			}
			code, steps, _, stderr := runCLI(t, nil, append(args[2:], "--json")...)
			if code != exitFailure || len(steps) == 0 || steps[len(steps)-1].ID != l.Expect.Step {
				t.Fatalf("%s: exit %d, steps %s, want a failure at %s\n%s", cmd, code, ids(steps), l.Expect.Step, stderr)
			}
		})
	}
}

// shellSplit splits a command line with single-quoted words, as shellQuote writes them.
func shellSplit(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
