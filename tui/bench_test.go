package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
)

// benchModel is a completed PKCE flow whose ID token is about 10 KB, with the token
// inspector in front, at 120×40.
func benchModel(b *testing.B) Model {
	b.Helper()
	h := newHarness(b, true, func(o *Options) { o.InitialFlow = flows.KindPKCE })
	h.script = func() *fakeFlow { return pkceScript(-1, 10<<10) }
	h.press("s")
	h.size(120, 40)
	walkTo(h, 7)
	if !h.m.walk.snap.done || !h.m.walk.visible(paneTokens) {
		b.Fatal("bench model not at the token inspector")
	}
	if n := len(tokensOf(h.m.walk.snap.records)[h.m.walk.token].art.Value); n < 10<<10 {
		b.Fatalf("token is %d bytes", n)
	}
	return h.m
}

// BenchmarkKeypressScroll is a keypress that scrolls the token inspector, then the
// frame it causes: Update and View.
func BenchmarkKeypressScroll(b *testing.B) {
	m := benchModel(b)
	keys := []tea.KeyPressMsg{keyPress("j"), keyPress("k")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		mm, _ := m.Update(keys[i%2])
		m = mm.(Model)
		_ = m.View()
	}
}

// BenchmarkKeypressRebuild is a keypress that changes state (reveal secrets), so every
// pane's content is rebuilt, including the 10 KB token wrapped and its claims.
func BenchmarkKeypressRebuild(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		mm, _ := m.Update(keyPress("r"))
		m = mm.(Model)
		_ = m.View()
	}
}

// BenchmarkResize re-lays everything out, as a terminal being resized does.
func BenchmarkResize(b *testing.B) {
	m := benchModel(b)
	sizes := []tea.WindowSizeMsg{{Width: 80, Height: 24}, {Width: 200, Height: 50}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		mm, _ := m.Update(sizes[i%2])
		m = mm.(Model)
		_ = m.View()
	}
}
