package hostile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/hostile"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/tui"
)

// tuiHarness drives the TUI's model as the Bubble Tea runtime does: messages in,
// commands run (each within a bound), their messages fed back.
type tuiHarness struct {
	t *testing.T
	m tea.Model
}

func (h *tuiHarness) send(msg tea.Msg) {
	h.t.Helper()
	m, cmd := h.m.Update(msg)
	h.m = m
	for _, msg := range h.collect(cmd) {
		h.send(msg)
	}
}

// collect runs a command and returns its messages; the spinner's ticks are dropped
// (they would tick forever). A command that does not return within caseBound is a
// hang in the engine.
func (h *tuiHarness) collect(cmd tea.Cmd) []tea.Msg {
	h.t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(caseBound):
		h.t.Fatalf("a TUI command did not return within %s", caseBound)
	}
	switch msg := msg.(type) {
	case nil, spinner.TickMsg, tea.QuitMsg:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, h.collect(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func (h *tuiHarness) raw() string { return h.m.View().Content }

// flat is the screen without styling, with the layout's wrapping undone as far as
// possible, to look for a message in it.
func flat(screen string) string {
	screen = ansi.Strip(screen)
	screen = strings.NewReplacer("│", " ", "┃", " ", "\n", " ").Replace(screen)
	return strings.Join(strings.Fields(screen), " ")
}

// TestHostileTUI walks a few hostile cases in the TUI's model with the real engine:
// the step fails, the screen says why, and nothing panics or hangs.
func TestHostileTUI(t *testing.T) {
	t.Parallel()
	for _, c := range []tcase{
		{fault: hostile.DiscoveryHTML, kind: cc, want: "an HTML page instead of JSON"},
		{fault: hostile.DiscoveryIssuer, kind: cc, want: "issuer matches"},
		{fault: hostile.TokenHuge, kind: cc, want: "too large"},
		{fault: hostile.TokenTrickle, kind: cc, want: "timed out"},
		{fault: hostile.TokenResetMidBody, kind: cc, want: "connection reset"},
		{fault: hostile.JWKSDuplicateKid, kind: pkce, want: "2 signing keys"},
		{fault: hostile.TokenAlgNone, kind: pkce, want: "not signed"},
		{fault: hostile.AuthzErrorANSI, kind: pkce, want: "access_denied"},
		{fault: hostile.AuthzDuplicateState, kind: pkce, want: "state appears twice"},
		{tls: true, kind: cc, want: "certificate"},
	} {
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			issuer := provider(t, c)
			client := shortClient(t)
			agent := func(string) flows.Authorizer { return &useragent.Agent{Username: "alice", Client: client} }
			m := tui.New(tui.Options{
				Providers: []tui.Provider{{Name: "Hostile", Issuer: issuer, Bundled: true, ClientID: "x", ClientSecret: "s"}},
				NewFlow: func(_ tui.ProviderChoice, k flows.Kind) (flows.Flow, error) {
					return flows.New(k, config(k, issuer, client))
				},
				LoginAs:     agent,
				Users:       []string{"alice"},
				InitialFlow: c.kind,
				Dark:        new(true),
				NoColor:     true,
			})
			h := &tuiHarness{t: t, m: m}
			h.send(tea.WindowSizeMsg{Width: 220, Height: 70})
			for _, msg := range h.collect(m.Init()) {
				h.send(msg)
			}
			ctx, cancel := context.WithTimeout(context.Background(), caseBound)
			defer cancel()
			for i := 0; i < 10 && !strings.Contains(flat(h.raw()), "✗"); i++ {
				if ctx.Err() != nil {
					t.Fatal("the walkthrough did not end in time")
				}
				h.send(tea.KeyPressMsg{Code: 'n', Text: "n"})
			}
			scr := flat(h.raw())
			if !strings.Contains(scr, c.want) {
				t.Fatalf("the screen never said %q:\n%s", c.want, ansi.Strip(h.raw()))
			}
			if !strings.Contains(scr, "✗") {
				t.Errorf("no failed step on screen:\n%s", ansi.Strip(h.raw()))
			}
			checkUsable(t, client)
			if strings.Contains(h.raw(), "\x1b]0;") {
				// Headless mode escapes them (cmd/oauthx terminalSafe); the TUI renders
				// provider text (error_description, headers, bodies, claims) as is.
				t.Skip("KNOWN GAP (issue 8 item 5), reported to the TUI: a terminal escape sequence from the provider reaches the screen raw")
			}
		})
	}
}
