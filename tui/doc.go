package tui

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// doc builds the lines of a pane's content, wrapped to the pane's width so that no
// line is ever wider than the pane, whatever the text.
type doc struct {
	w     int
	lines []string
}

func newDoc(w int) *doc { return &doc{w: max(w, 1)} }

// line adds one styled line, cut to the width if it is longer.
func (d *doc) line(s string) {
	if lipgloss.Width(s) > d.w {
		s = ansi.Truncate(s, d.w, "…")
	}
	d.lines = append(d.lines, s)
}

func (d *doc) blank() { d.lines = append(d.lines, "") }

// text wraps plain text to the width (less the indent) and styles each line. The text
// may come from a provider or a token: its control characters are removed first.
func (d *doc) text(st lipgloss.Style, indent, s string) {
	for _, l := range wrapLines(sanitize(s), d.w-lipgloss.Width(indent)) {
		d.line(indent + st.Render(l))
	}
}

// hard wraps an unbroken value (a token, a URL) at exactly the width, so that what
// is on screen can be read back character for character.
func (d *doc) hard(st lipgloss.Style, indent, s string) {
	w := max(d.w-lipgloss.Width(indent), 1)
	for _, l := range strings.Split(ansi.Hardwrap(sanitize(s), w, true), "\n") {
		d.line(indent + st.Render(l))
	}
}

// kv adds "name  value", the value wrapped in its own column.
func (d *doc) kv(nameSt lipgloss.Style, name string, nameW int, valSt lipgloss.Style, val string) {
	name, val = sanitize(name), sanitize(val)
	indent := strings.Repeat(" ", nameW+2)
	if d.w-nameW-2 < 12 { // too narrow for two columns
		d.line(nameSt.Render(name))
		d.text(valSt, "  ", val)
		return
	}
	if lipgloss.Width(name) > nameW { // a long name: the value starts on the next line
		d.line(nameSt.Render(name))
		d.text(valSt, indent, val)
		return
	}
	for i, l := range wrapLines(val, d.w-nameW-2) {
		if i == 0 {
			d.line(nameSt.Render(padRight(name, nameW)) + "  " + valSt.Render(l))
			continue
		}
		d.line(indent + valSt.Render(l))
	}
}

func (d *doc) String() string { return strings.Join(d.lines, "\n") }

// wrapLines wraps plain text to width w, breaking long words (tokens, URLs) too.
func wrapLines(s string, w int) []string {
	w = max(w, 1)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if para == "" {
			out = append(out, "")
			continue
		}
		out = append(out, strings.Split(ansi.Wrap(para, w, ""), "\n")...)
	}
	return out
}

// sanitize makes untrusted text (an error_description, a claim, a header) safe to
// draw: escape sequences could retitle, clear or rewrite the terminal, so control
// characters are dropped (their printable rest stays visible) and tabs become spaces.
// Newlines are kept: the callers wrap on them.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r == '\r':
		case r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func padRight(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
