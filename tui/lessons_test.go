package tui

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// fakeLesson is a LessonFlow over a scripted flow whose callback check fails, as
// the CSRF lesson's does.
type fakeLesson struct {
	*fakeFlow
	info LessonInfo
}

func (f *fakeLesson) Lesson() LessonStatus {
	st := LessonStatus{Info: f.info, Issuer: "http://127.0.0.1:7777",
		Parts: []LessonPart{{Title: "alice's session (the attack)", First: 0, Attack: true, Editable: true}}}
	if p, ok := f.Pending(); ok && p.StepID == "authorize" {
		st.Edits = []record.Edit{{Name: "state", From: "st-Q2hhbmdlTWU", To: "attacker-state"}}
	}
	if recs := f.Records(); len(recs) > 0 && recs[len(recs)-1].Failed() {
		st.Verdict = &LessonVerdict{OK: true, Step: recs[len(recs)-1].ID, By: "state",
			Reason: "the response carries another state", Spec: "RFC 6749 §10.12",
			Summary: "caught by the client's state check: the response carries another state"}
	}
	return st
}

func testLessons() []LessonInfo {
	return []LessonInfo{
		{Name: "csrf-tampered-state", Title: "CSRF through a tampered state", Summary: "A forged response is refused by the state check.",
			Attack: "The attacker plants their own callback URL in a page the victim visits.", Kind: flows.KindPKCE,
			Setup: []string{"request edit: authorize.state=attacker-state"}, Expect: `step callback: the state check fails ("another state")`,
			DefenceBy: "the client's state check", Defence: "The client keeps the state it sent and compares.",
			Quotes: []LessonQuote{{Ref: "RFC 6749 §10.12", Title: "Cross-Site Request Forgery", Text: "The client MUST implement CSRF protection for its redirection URI.", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-10.12"}}},
		{Name: "mix-up", Title: "Mix-up", Summary: "A response from another provider is refused.", Kind: flows.KindPKCE},
	}
}

func lessonHarness(t *testing.T, starts *atomic.Int32, mutate func(*Options)) *harness {
	lessons := testLessons()
	return newHarness(t, true, func(o *Options) {
		o.Lessons = lessons
		o.StartLesson = func(name string) (LessonFlow, error) {
			starts.Add(1)
			f := pkceScript(4, 600)
			f.script[4].Checks = []record.Check{{Name: "state", Outcome: record.OutcomeFail, Expected: "st-Q2hhbmdlTWU", Actual: "attacker-state",
				Reason: "the response carries another state", Spec: "RFC 6749 §10.12"}}
			for _, l := range lessons {
				if l.Name == name {
					return &fakeLesson{fakeFlow: f, info: l}, nil
				}
			}
			t.Fatalf("unknown lesson %q", name)
			return nil, nil
		}
		if mutate != nil {
			mutate(o)
		}
	})
}

func TestLessonMenuToVerdict(t *testing.T) {
	var starts atomic.Int32
	h := lessonHarness(t, &starts, nil)
	h.size(100, 30)
	for range flows.Kinds() {
		h.press("down")
	}
	if !strings.Contains(h.screen(), "▸ Lessons…") {
		t.Fatalf("no Lessons entry on the flow menu:\n%s", h.screen())
	}
	h.press("enter")
	scr := h.screen()
	for _, want := range []string{"CSRF through a tampered state", "Mix-up", "A forged response is refused by the state check."} {
		if !strings.Contains(scr, want) {
			t.Errorf("lesson list does not show %q:\n%s", want, scr)
		}
	}
	h.press("enter") // the intro: the attack, before it starts
	scr = h.screen()
	for _, want := range []string{"The attacker plants their own callback URL", "request edit: authorize.state=attacker-state", "expected: step callback"} {
		if !strings.Contains(scr, want) {
			t.Errorf("intro does not explain %q:\n%s", want, scr)
		}
	}
	if starts.Load() != 0 {
		t.Fatal("the lesson started before the person asked")
	}
	h.press("enter")
	if h.m.screen != screenWalk || h.m.walk.mode.lesson == nil || starts.Load() != 1 {
		t.Fatalf("the lesson did not start: screen %v", h.m.screen)
	}
	if head := strings.Split(h.screen(), "\n")[0]; !strings.Contains(head, "Lesson: CSRF through a tampered state") || !strings.Contains(head, "lesson IdP http://127.0.0.1:7777") {
		t.Errorf("header:\n%s", h.screen())
	}
	h.press("n", "n", "tab") // at the authorization request, Request in front
	scr = h.screen()
	if !strings.Contains(scr, "The attack changes this request before it is sent") || !strings.Contains(scr, "st-Q2hhbmdlTWU → attacker-state") {
		t.Errorf("the tampered request is not shown before it is sent:\n%s", scr)
	}
	// The person may try a variant of the attack: their edit goes on top of the
	// lesson's and is sent.
	state := slices.IndexFunc(h.m.walk.edited.Params, func(p record.Param) bool { return p.Name == "state" })
	for range state {
		h.press("down")
	}
	h.press("e")
	if !h.m.walk.editing {
		t.Fatal("e does not edit the attacked request")
	}
	for range len(h.m.walk.input.Value()) {
		h.run(h.send(tea.KeyPressMsg{Code: tea.KeyBackspace}))
	}
	h.typeText("mine")
	h.press("enter", "n")
	if got := h.m.walk.flow.(*fakeLesson).lastInput().Request; got == nil || got.Get("state") != "mine" {
		t.Fatalf("the person's edit was not sent: %+v", got)
	}
	h.press("n", "n")
	if !h.m.walk.snap.done {
		t.Fatal("the lesson did not end at the failed callback check")
	}
	scr = h.screen()
	for _, want := range []string{"THE DEFENCE CAUGHT THE ATTACK", "check: state", "The defence: the client's state check",
		"RFC 6749 §10.12, Cross-Site Request Forgery", "The client MUST implement CSRF protection", "lesson complete: caught by the client's state check"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the end of the lesson does not show %q:\n%s", want, scr)
		}
	}
	// The Step pane of the step that caught it shows the verdict too.
	if got := h.m.walk.vps[paneStep].View(); !strings.Contains(got, "THE DEFENCE CAUGHT THE ATTACK") {
		t.Errorf("Step pane of the failed step:\n%s", got)
	}
	h.press("b")
	if h.m.walk.sel != 3 {
		t.Errorf("b did not step back: sel %d", h.m.walk.sel)
	}
	h.press("s")
	if starts.Load() != 2 || len(h.m.walk.snap.records) != 0 {
		t.Fatalf("s did not restart the lesson: %d starts", starts.Load())
	}
	h.press("esc")
	if h.m.screen != screenLessons || h.m.lessons.intro {
		t.Fatalf("esc from a lesson: screen %v intro %v", h.m.screen, h.m.lessons.intro)
	}
	h.press("esc")
	if h.m.screen != screenFlows {
		t.Fatalf("esc from the lessons: screen %v", h.m.screen)
	}
}

func TestInitialLessonOpensItsIntro(t *testing.T) {
	var starts atomic.Int32
	h := lessonHarness(t, &starts, func(o *Options) { o.InitialLesson = "mix-up" })
	h.size(80, 24)
	if h.m.screen != screenLessons || !h.m.lessons.intro || !strings.Contains(h.screen(), "Lesson: Mix-up") {
		t.Fatalf("--lesson does not open the lesson:\n%s", h.screen())
	}
	h.press("enter")
	if h.m.screen != screenWalk || starts.Load() != 1 {
		t.Fatal("enter did not start it")
	}
}

func TestNoLessonsEntryWithoutLessons(t *testing.T) {
	h := newHarness(t, true, nil)
	h.size(100, 30)
	if strings.Contains(h.screen(), "Lessons…") {
		t.Fatal("a Lessons entry without lessons")
	}
}

func TestLessonOffersNoFollowUps(t *testing.T) {
	var starts atomic.Int32
	h := lessonHarness(t, &starts, func(o *Options) {
		o.InitialFlow = flows.KindPKCE
		o.NewFlow = func(ProviderChoice, flows.Kind) (flows.Flow, error) {
			return &tokenFlow{fakeFlow: pkceScript(-1, 600), at: 5, toks: flows.Tokens{AccessToken: heldAT, RefreshToken: heldRT}}, nil
		}
		// a run that ends with tokens, which a live flow could follow up on
		o.StartLesson = func(string) (LessonFlow, error) {
			return &fakeLesson{fakeFlow: pkceScript(-1, 600), info: testLessons()[0]}, nil
		}
		o.FollowUp = func(ProviderChoice, FollowUpRequest) (flows.Flow, error) {
			t.Error("a follow-up started from a lesson")
			return nil, nil
		}
	})
	h.size(100, 30)
	walkTo(h, 7) // a live flow first: its tokens can be followed up on
	if !h.m.keys.FollowUps.Enabled() {
		t.Fatal("the live flow offers no follow-ups: the test does not test anything")
	}
	h.press("esc")
	for range flows.Kinds() {
		h.press("down")
	}
	h.press("enter", "enter", "enter") // Lessons…, the intro, start
	walkTo(h, 7)
	if h.m.walk.mode.lesson == nil || !h.m.walk.snap.done {
		t.Fatal("the lesson did not run to its end")
	}
	h.press("t")
	if h.m.keys.FollowUps.Enabled() || h.m.screen != screenWalk {
		t.Errorf("t works in a lesson: screen %v", h.m.screen)
	}
}
