package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/export"
	"github.com/oauthx/oauthx/flows/record"
)

// ErrExportExists is what [Options.Export] returns (wrapped) for a file that exists
// when the request does not say Overwrite: the dialog then asks before replacing it.
var ErrExportExists = errors.New("the file exists")

// ExportRequest is one transcript to write: what the `w` key asks [Options.Export] for.
type ExportRequest struct {
	// Format is an export format name (flows/export: markdown, json, curl, har).
	Format string
	// Path is the file to write, as the person typed it (relative to the current
	// directory unless absolute).
	Path string
	// Overwrite replaces a file that exists.
	Overwrite bool
	// Kind and Provider say what the flow was and where it ran.
	Kind     flows.Kind
	Provider string
	// Steps are the flow's records, in order; the writer masks their secrets.
	Steps []record.Step
}

// Recording describes the recorded flow a read-only explorer shows.
type Recording struct {
	// File is the transcript's file name.
	File string
	// Recorded is when the flow ran (zero when the transcript does not say).
	Recorded time.Time
	// Provider is the provider the flow was recorded against.
	Provider string
}

// exportDialog asks for the format and the file name of an export, then writes it
// through Options.Export in a command. It is a modal over the walkthrough: while it
// is open it has the keys.
type exportDialog struct {
	open    bool
	formats []string
	format  int
	input   textinput.Model
	typed   bool   // the person changed the name: switching format keeps it
	replace string // the path that exists; enter again replaces it
	busy    bool
	err     string
}

// exportDoneMsg is the result of writing an export.
type exportDoneMsg struct {
	req  ExportRequest
	path string
	err  error
}

func newExportDialog(st Styles) exportDialog {
	d := exportDialog{formats: export.Formats()}
	d.input = textinput.New()
	d.input.Prompt = "file: "
	d.input.SetStyles(st.Input)
	return d
}

// defaultExportName is the file an export is saved to unless the person types
// another: oauthx-pkce-20261123-1204.md, in the current directory.
func defaultExportName(kind flows.Kind, format string, now time.Time) string {
	return "oauthx-" + string(kind) + "-" + now.Format("20060102-1504") + export.Extension(format)
}

// show opens the dialog for a flow of kind, with the default name for the format.
func (d exportDialog) show(kind flows.Kind, now time.Time, width int) (exportDialog, tea.Cmd) {
	d.open, d.busy, d.typed, d.err, d.replace = true, false, false, "", ""
	d.input.SetWidth(max(width-len(d.input.Prompt)-6, 8))
	d.input.SetValue(defaultExportName(kind, d.formats[d.format], now))
	d.input.CursorEnd()
	return d, d.input.Focus()
}

// switchFormat moves the format choice by delta and renames the default file (or a
// typed name's extension, when it was the previous format's).
func (d exportDialog) switchFormat(delta int) exportDialog {
	n := len(d.formats)
	old := export.Extension(d.formats[d.format])
	d.format = (d.format + delta + n) % n
	ext := export.Extension(d.formats[d.format])
	if v := d.input.Value(); strings.HasSuffix(v, old) {
		d.input.SetValue(strings.TrimSuffix(v, old) + ext)
		d.input.CursorEnd()
	}
	d.replace, d.err = "", ""
	return d
}

// update handles a key or a paste while the dialog is open. It returns the request
// to write when the person confirmed.
func (d exportDialog) update(msg tea.Msg, km keyMap) (exportDialog, tea.Cmd, *ExportRequest) {
	if d.busy {
		return d, nil, nil
	}
	k, isKey := msg.(tea.KeyPressMsg)
	switch {
	case isKey && key.Matches(k, km.Cancel):
		d.open = false
		d.input.Blur()
		return d, nil, nil
	// Only the arrows and tab choose the format: j and k are letters of a file name.
	case isKey && (k.Code == tea.KeyUp || key.Matches(k, km.PrevPane)):
		return d.switchFormat(-1), nil, nil
	case isKey && (k.Code == tea.KeyDown || key.Matches(k, km.NextPane)):
		return d.switchFormat(1), nil, nil
	case isKey && key.Matches(k, km.Confirm):
		path := strings.TrimSpace(d.input.Value())
		if path == "" {
			d.err = "a file name is needed"
			return d, nil, nil
		}
		d.busy, d.err = true, ""
		req := &ExportRequest{Format: d.formats[d.format], Path: path, Overwrite: d.replace == path}
		return d, nil, req
	}
	before := d.input.Value()
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	if d.input.Value() != before {
		d.typed, d.replace, d.err = true, "", ""
	}
	return d, cmd, nil
}

// done takes the result of a write: the dialog closes on success, and stays open
// with the reason (or the question, for a file that exists) otherwise.
func (d exportDialog) done(msg exportDoneMsg) exportDialog {
	d.busy = false
	switch {
	case msg.err == nil:
		d.open = false
		d.input.Blur()
	case errors.Is(msg.err, ErrExportExists):
		d.replace = msg.req.Path
		d.err = msg.req.Path + " exists: enter again replaces it, or change the name"
	default:
		d.err = msg.err.Error()
	}
	return d
}

// writeExport runs Options.Export in a command.
func writeExport(fn func(ExportRequest) (string, error), req ExportRequest) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = exportDoneMsg{req: req, err: fmt.Errorf("the export panicked: %v", r)}
			}
		}()
		path, err := fn(req)
		return exportDoneMsg{req: req, path: path, err: err}
	}
}

// exportedStatus is the status line after a successful export.
func exportedStatus(msg exportDoneMsg) string {
	n := len(msg.req.Steps)
	return fmt.Sprintf("✓ wrote %s (%s, %d step%s, secrets masked; headless, --reveal-secrets keeps them)",
		msg.path, msg.req.Format, n, plural(n))
}

// view draws the dialog as a full-width box.
func (d exportDialog) view(st Styles, w int) string {
	doc := newDoc(max(w-4, 10))
	doc.text(st.Title, "", "Export the transcript")
	doc.text(st.Muted, "", "secrets are masked in the file (client secrets, passwords, refresh tokens, cookies); `oauthx run --export FILE --reveal-secrets` writes them headless")
	doc.blank()
	for i, f := range d.formats {
		mark, name := "  ", st.Bold.Render(fmt.Sprintf("%-9s", f))
		if i == d.format {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(fmt.Sprintf("%-9s", f))
		}
		doc.line(mark + name + st.Muted.Render(" "+export.Extension(f)+"  "+export.Describe(f)))
	}
	doc.blank()
	doc.line(d.input.View())
	switch {
	case d.busy:
		doc.text(st.Accent, "", "writing…")
	case d.err != "":
		doc.text(st.Fail, "", "✗ "+d.err)
	default:
		doc.text(st.Muted, "", "↑/↓ format · type a file name · enter writes · esc cancels")
	}
	return st.FocusedPane.Width(w).Render(doc.String())
}

// overlay puts box (full-width lines) over body, centred vertically.
func overlay(body, box string, h int) string {
	lines := strings.Split(body, "\n")
	for len(lines) < h {
		lines = append(lines, "")
	}
	b := strings.Split(box, "\n")
	top := max((h-len(b))/2, 0)
	for i, l := range b {
		if top+i < len(lines) {
			lines[top+i] = l
		}
	}
	return strings.Join(lines, "\n")
}

// exportProvider names the provider in a transcript: its name and issuer.
func exportProvider(p Provider) string {
	switch {
	case p.Issuer == "" || p.Issuer == p.Name:
		return p.Name
	case p.Name == "":
		return p.Issuer
	}
	return p.Name + " (" + p.Issuer + ")"
}
