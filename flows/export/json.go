package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// MaxSize is the largest transcript [ReadJSON] reads (64 MiB). A flow's records are
// a few hundred kilobytes; the cap keeps a wrong or hostile file from exhausting memory.
const MaxSize = 64 << 20

// ErrNotTranscript is returned (wrapped) when the input is not an oauthx transcript:
// not JSON, truncated, or JSON of another kind.
var ErrNotTranscript = errors.New("not an oauthx transcript")

// ErrTooLarge is returned (wrapped) when the input is larger than [MaxSize].
var ErrTooLarge = errors.New("transcript too large")

// VersionError says the transcript's format version cannot be read by this oauthx.
type VersionError struct {
	// Version is the version the file declares.
	Version int
	// Supported is the newest version this oauthx reads ([Version]).
	Supported int
}

func (e *VersionError) Error() string {
	if e.Version > e.Supported {
		return fmt.Sprintf("transcript format version %d is newer than this oauthx understands (%d); upgrade oauthx",
			e.Version, e.Supported)
	}
	return fmt.Sprintf("transcript format version %d is not a valid version (this oauthx reads versions 1 to %d)",
		e.Version, e.Supported)
}

// StepError says which step of a transcript is wrong, and how.
type StepError struct {
	// Index is the step's position in the transcript, from 0.
	Index int
	// ID is the step's id when it could be read.
	ID  string
	Err error
}

func (e *StepError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("step %d (%q): %v", e.Index+1, e.ID, e.Err)
	}
	return fmt.Sprintf("step %d: %v", e.Index+1, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// WriteJSON writes t as an indented JSON transcript, the format [ReadJSON] reads.
// Format and Version are always written as this package's; steps are masked when
// t.Masked is set.
func WriteJSON(w io.Writer, t Transcript) error {
	t = t.masked()
	t.Format, t.Version = FormatName, Version
	if t.Steps == nil {
		t.Steps = []record.Step{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // bodies hold HTML and URLs: keep them readable
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("writing JSON transcript: %w", err)
	}
	return nil
}

// upgrade returns the function that turns the members of a transcript of format
// version v into those of version v+1. There are none yet: version 1 is the first. The
// release that introduces version 2 adds the case for 1, so version 1 files keep
// opening (docs/exports.md, "Versioning policy").
func upgrade(v int) (func(map[string]json.RawMessage) (map[string]json.RawMessage, error), bool) {
	_ = v // version 2 will add: if v == 1 { return upgrade1to2, true }
	return nil, false
}

// ReadJSON reads a transcript written by [WriteJSON], of this format version or an
// older one it can upgrade, reading at most [MaxSize] bytes. Its errors say what is
// wrong: [ErrNotTranscript] for anything that is not a transcript (not JSON, truncated,
// another kind of JSON), a [*VersionError] for a version it cannot read, a
// [*StepError] naming the step that does not make sense.
func ReadJSON(r io.Reader) (Transcript, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return Transcript{}, fmt.Errorf("reading transcript: %w", err)
	}
	if len(data) > MaxSize {
		return Transcript{}, fmt.Errorf("%w: larger than %d MiB", ErrTooLarge, MaxSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM some editors add
	members, err := readMembers(data)
	if err != nil {
		return Transcript{}, err
	}
	version, err := readVersion(members)
	if err != nil {
		return Transcript{}, err
	}
	for v := version; v < Version; v++ {
		up, ok := upgrade(v)
		if !ok {
			return Transcript{}, fmt.Errorf("transcript format version %d is no longer supported by this oauthx (it reads version %d)", version, Version)
		}
		if members, err = up(members); err != nil {
			return Transcript{}, fmt.Errorf("upgrading transcript from format version %d: %w", v, err)
		}
	}

	t := Transcript{Format: FormatName, Version: Version}
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"flow", &t.Flow}, {"provider", &t.Provider}, {"created", &t.Created}, {"masked", &t.Masked},
	} {
		raw, ok := members[f.name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return Transcript{}, fmt.Errorf("transcript member %q: %s", f.name, describeJSONError(err))
		}
	}
	if t.Flow == "" {
		return Transcript{}, errors.New(`transcript names no flow (member "flow" is missing or empty)`)
	}
	rawSteps, ok := members["steps"]
	if !ok || string(rawSteps) == "null" {
		return Transcript{}, errors.New(`transcript has no steps (member "steps" is missing)`)
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(rawSteps, &steps); err != nil {
		return Transcript{}, fmt.Errorf(`transcript member "steps": %s`, describeJSONError(err))
	}
	t.Steps = make([]record.Step, 0, len(steps))
	for i, raw := range steps {
		var s record.Step
		if err := json.Unmarshal(raw, &s); err != nil {
			var probe struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &probe)
			return Transcript{}, &StepError{Index: i, ID: probe.ID, Err: errors.New(describeJSONError(err))}
		}
		if err := validateStep(s); err != nil {
			return Transcript{}, &StepError{Index: i, ID: s.ID, Err: err}
		}
		t.Steps = append(t.Steps, s)
	}
	return t, nil
}

// readMembers parses the top-level object, telling apart "not JSON", "truncated" and
// "JSON, but not a transcript".
func readMembers(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotTranscript)
	}
	var members map[string]json.RawMessage
	err := json.Unmarshal(trimmed, &members)
	if err == nil {
		if _, ok := members["format"]; !ok {
			if looksLikeStep(members) {
				return nil, fmt.Errorf("%w: it is a single step record, not a transcript", ErrNotTranscript)
			}
			return nil, fmt.Errorf(`%w: it is JSON with no "format" member`, ErrNotTranscript)
		}
		var format string
		if err := json.Unmarshal(members["format"], &format); err != nil || format != FormatName {
			return nil, fmt.Errorf("%w: format is %s, want %q", ErrNotTranscript, members["format"], FormatName)
		}
		return members, nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		return nil, fmt.Errorf("%w: it is a JSON %s, not an object", ErrNotTranscript, typ.Value)
	case errors.As(err, &syn) && syn.Offset >= int64(len(trimmed)) && trimmed[0] == '{':
		return nil, fmt.Errorf("%w: the JSON ends early at byte %d (%s): the file is truncated",
			ErrNotTranscript, len(trimmed), lineCol(trimmed, len(trimmed)))
	case errors.As(err, &syn):
		// JSON Lines of step records, as `oauthx run --json` prints them.
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		var first map[string]json.RawMessage
		if dec.Decode(&first) == nil && looksLikeStep(first) {
			return nil, fmt.Errorf("%w: it holds step records one per line (the output of `oauthx run --json`); export a transcript instead", ErrNotTranscript)
		}
		if trimmed[0] != '{' && trimmed[0] != '[' {
			return nil, fmt.Errorf("%w: it is not JSON (%s at byte %d)", ErrNotTranscript, syn.Error(), syn.Offset)
		}
		return nil, fmt.Errorf("%w: invalid JSON at byte %d (%s): %s",
			ErrNotTranscript, syn.Offset, lineCol(trimmed, int(syn.Offset)), syn.Error())
	}
	return nil, fmt.Errorf("%w: %v", ErrNotTranscript, err)
}

func looksLikeStep(m map[string]json.RawMessage) bool {
	_, id := m["id"]
	_, status := m["status"]
	_, flow := m["flow"]
	return id && status && flow
}

func readVersion(members map[string]json.RawMessage) (int, error) {
	raw, ok := members["version"]
	if !ok {
		return 0, errors.New(`transcript has no format version (member "version" is missing)`)
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("transcript format version is %s, want a whole number", raw)
	}
	if v > Version || v < 1 {
		return 0, &VersionError{Version: v, Supported: Version}
	}
	return v, nil
}

// describeJSONError rewords the encoding/json errors a person may see.
func describeJSONError(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: got a JSON %s, want %s", field, typ.Value, typ.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func lineCol(data []byte, offset int) string {
	if offset > len(data) {
		offset = len(data)
	}
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	col := offset - bytes.LastIndexByte(data[:offset], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

var (
	knownStatus = map[record.Status]bool{
		record.StatusPending: true, record.StatusRunning: true, record.StatusWaiting: true,
		record.StatusDone: true, record.StatusFailed: true, record.StatusSkipped: true,
	}
	knownOutcome = map[record.Outcome]bool{
		record.OutcomePass: true, record.OutcomeFail: true, record.OutcomeWarn: true, record.OutcomeSkip: true,
	}
)

// validateStep checks what front ends rely on when they walk a replayed step.
func validateStep(s record.Step) error {
	if s.ID == "" {
		return errors.New(`no "id"`)
	}
	if !knownStatus[s.Status] {
		return fmt.Errorf("unknown status %q (want pending, running, waiting, done, failed or skipped)", s.Status)
	}
	for i, ex := range s.Exchanges {
		if ex.Request.Method == "" || ex.Request.URL == "" {
			return fmt.Errorf("exchange %d: request has no method or URL", i+1)
		}
		if ex.Response != nil && (ex.Response.Status < 100 || ex.Response.Status > 999) {
			return fmt.Errorf("exchange %d: response status %d is not an HTTP status", i+1, ex.Response.Status)
		}
		if ex.Duration < 0 {
			return fmt.Errorf("exchange %d: negative duration", i+1)
		}
	}
	checks := append([]record.Check(nil), s.Checks...)
	for _, a := range s.Artifacts {
		if a.Token != nil {
			checks = append(checks, a.Token.Checks...)
		}
	}
	for _, c := range checks {
		if !knownOutcome[c.Outcome] {
			return fmt.Errorf("check %q: unknown outcome %q (want pass, fail, warn or skip)", c.Name, c.Outcome)
		}
	}
	return nil
}
