// Package export writes a finished (or failed) flow as a transcript and reads it back.
//
// A [Transcript] is a flow's step records ([record.Step]) plus a little metadata. It is
// written as JSON (the format `oauthx replay` reads back, see [ReadJSON]), as a Markdown
// handout, as a shell script of curl commands that reproduces each HTTP exchange, or as
// a HAR 1.2 archive that opens in browser dev tools. Every format is rendered from the
// same records the TUI and headless mode show (DESIGN.md, "The engine").
//
// Secrets are masked in every format unless the person asked to reveal them: [New]
// applies [record.Step.Redacted], and every writer masks again when
// [Transcript.Masked] is set, so a transcript that says it is masked never carries a
// secret, however it was built. The written files say whether secrets were masked.
//
// The package imports only the standard library and flows/record, so the TUI, the CLI
// and tests can all use it.
package export

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// FormatName is the value of [Transcript.Format] in every transcript.
const FormatName = "oauthx-transcript"

// Version is the transcript format version this package writes and reads. See
// docs/exports.md for the versioning policy: additive changes (new optional fields)
// keep the version; anything that changes the meaning or shape of an existing field
// raises it, with an upgrade from the older version in [ReadJSON].
const Version = 1

// Transcript is a finished (or failed) flow: its step records and where they came from.
type Transcript struct {
	// Format is always [FormatName]; it tells a transcript from any other JSON.
	Format string `json:"format"`
	// Version is the format version, [Version] when written by this package.
	Version int `json:"version"`
	// Flow is the flow kind as written on the command line ("pkce").
	Flow string `json:"flow"`
	// Provider names the provider: a profile name or its issuer.
	Provider string `json:"provider"`
	// Created is when the transcript was made.
	Created time.Time `json:"created"`
	// Masked is true unless secrets were revealed on purpose.
	Masked bool `json:"masked"`
	// Steps are the flow's records, in the order they ran.
	Steps []record.Step `json:"steps"`
}

// New builds a transcript of steps. Unless reveal is set, every step is masked with
// [record.Step.Redacted]; the steps passed in are not changed.
func New(flow, provider string, steps []record.Step, created time.Time, reveal bool) Transcript {
	t := Transcript{
		Format:   FormatName,
		Version:  Version,
		Flow:     flow,
		Provider: provider,
		Created:  created,
		Masked:   !reveal,
		Steps:    make([]record.Step, len(steps)),
	}
	copy(t.Steps, steps)
	return t.masked()
}

// masked returns t with every step redacted when t.Masked is set. Redacting twice
// changes nothing, so writers call it on whatever they are given: a transcript that
// says it is masked is masked, even one built by hand.
func (t Transcript) masked() Transcript {
	if !t.Masked {
		return t
	}
	steps := make([]record.Step, len(t.Steps))
	for i, s := range t.Steps {
		steps[i] = s.Redacted()
	}
	t.Steps = steps
	return t
}

// Failed returns the first failed step, if any.
func (t Transcript) Failed() (record.Step, bool) {
	for _, s := range t.Steps {
		if s.Failed() {
			return s, true
		}
	}
	return record.Step{}, false
}

// Export formats, as given to [WriteFormat].
const (
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatCurl     = "curl"
	FormatHAR      = "har"
)

type format struct {
	name    string
	aliases []string
	ext     string
	summary string
	write   func(io.Writer, Transcript) error
}

func formats() []format {
	return []format{
		{FormatMarkdown, []string{"md"}, ".md", "a readable handout: each step, its requests and responses, tokens and checks", WriteMarkdown},
		{FormatJSON, nil, ".json", "the step records; `oauthx replay` reads it back", WriteJSON},
		{FormatCurl, []string{"sh", "shell"}, ".sh", "a shell script of curl commands that reproduces each request", WriteCurl},
		{FormatHAR, nil, ".har", "an HTTP Archive (HAR 1.2) that opens in browser dev tools", WriteHAR},
	}
}

// Formats returns the export format names, in the order menus show them.
func Formats() []string {
	var out []string
	for _, f := range formats() {
		out = append(out, f.name)
	}
	return out
}

// Describe says in one line what a format is, for help and menus; "" for an unknown one.
func Describe(name string) string {
	if f, ok := lookup(name); ok {
		return f.summary
	}
	return ""
}

// LookupFormat returns the canonical name of a format given by name or alias
// ("md", "sh"), case-insensitively.
func LookupFormat(name string) (string, bool) {
	f, ok := lookup(name)
	return f.name, ok
}

// Extension returns the usual file extension of a format, with the dot (".md"), or ""
// for an unknown format.
func Extension(name string) string {
	f, _ := lookup(name)
	return f.ext
}

// FormatForFile guesses the format from a file name's extension (".md", ".json",
// ".sh", ".har"), for `--export FILE`.
func FormatForFile(path string) (string, bool) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".markdown" {
		return FormatMarkdown, true
	}
	for _, f := range formats() {
		if f.ext == ext {
			return f.name, true
		}
	}
	return "", false
}

func lookup(name string) (format, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, f := range formats() {
		if f.name == name {
			return f, true
		}
		for _, a := range f.aliases {
			if a == name {
				return f, true
			}
		}
	}
	return format{}, false
}

// WriteFormat writes t to w in the named format (a name from [Formats] or an alias).
func WriteFormat(w io.Writer, name string, t Transcript) error {
	f, ok := lookup(name)
	if !ok {
		return fmt.Errorf("unknown export format %q (want %s)", name, strings.Join(Formats(), ", "))
	}
	return f.write(w, t)
}

// errWriter keeps the first write error so writers can print freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) print(s ...string) {
	for _, p := range s {
		if e.err != nil {
			return
		}
		_, e.err = io.WriteString(e.w, p)
	}
}
