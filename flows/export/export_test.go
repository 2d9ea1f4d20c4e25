package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixture is a named transcript the golden and masking tests run over.
type fixture struct {
	name string
	t    Transcript
}

func fixtures() []fixture {
	return []fixture{
		{"code-pkce", New("authorization-code", "bundled IdP ("+fixtureIssuer+")", fixtureCode(fixtureIssuer), t0, false)},
		{"pkce-aud-fails", New("pkce", "bundled IdP ("+fixtureIssuer+")", fixtureFailed(fixtureIssuer), t0, false)},
		{"refresh-error", New("refresh", fixtureIssuer, []record.Step{errorStep(fixtureIssuer)}, t0, false)},
		{"code-pkce-revealed", New("authorization-code", "bundled IdP ("+fixtureIssuer+")", fixtureCode(fixtureIssuer), t0, true)},
	}
}

func render(t *testing.T, format string, tr Transcript) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteFormat(&buf, format, tr); err != nil {
		t.Fatalf("WriteFormat(%s): %v", format, err)
	}
	return buf.String()
}

// TestGolden compares every format of every fixture with testdata/golden; run
// `go test ./flows/export -update` to rewrite them after a deliberate change.
func TestGolden(t *testing.T) {
	for _, f := range fixtures() {
		for _, format := range Formats() {
			name := f.name + Extension(format)
			t.Run(name, func(t *testing.T) {
				got := render(t, format, f.t)
				path := filepath.Join("testdata", "golden", name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file (run with -update if the change is deliberate):\n%s", path, firstDiff(string(want), got))
				}
			})
		}
	}
}

// firstDiff shows the first line that differs, with a little context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines, different bytes)"
}

// TestMasking: no secret appears in any format unless revealed, and every file says
// whether secrets were masked.
func TestMasking(t *testing.T) {
	notice := map[string]string{
		FormatMarkdown: "Secrets are masked",
		FormatJSON:     `"masked": true`,
		FormatCurl:     "Secrets were masked",
		FormatHAR:      "Secrets were masked",
	}
	warning := map[string]string{
		FormatMarkdown: "WARNING: SECRETS REVEALED",
		FormatJSON:     `"masked": false`,
		FormatCurl:     "WARNING: secrets were revealed",
		FormatHAR:      "WARNING: secrets were revealed",
	}
	steps := append(fixtureCode(fixtureIssuer), errorStep(fixtureIssuer))
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			masked := render(t, format, New("authorization-code", "idp", steps, t0, false))
			for _, s := range fixtureSecrets() {
				if strings.Contains(masked, s) {
					t.Errorf("masked %s export contains the secret %q", format, s)
				}
			}
			if !strings.Contains(masked, notice[format]) {
				t.Errorf("masked %s export does not say so (want %q)", format, notice[format])
			}
			if strings.Contains(masked, warning[format]) {
				t.Errorf("masked %s export warns that secrets were revealed", format)
			}

			revealed := render(t, format, New("authorization-code", "idp", steps, t0, true))
			if !strings.Contains(revealed, warning[format]) {
				t.Errorf("revealed %s export does not warn (want %q)", format, warning[format])
			}
			if !strings.Contains(revealed, secretRefresh) {
				t.Errorf("revealed %s export lacks the refresh token: reveal did nothing", format)
			}
		})
	}
}

// TestMaskedTranscriptIsMaskedWhateverItHolds: a transcript built by hand with Masked
// set but raw steps is still masked on the way out.
func TestMaskedTranscriptIsMaskedWhateverItHolds(t *testing.T) {
	raw := Transcript{Flow: "authorization-code", Masked: true, Steps: fixtureCode(fixtureIssuer)}
	for _, format := range Formats() {
		out := render(t, format, raw)
		for _, s := range fixtureSecrets() {
			if strings.Contains(out, s) {
				t.Errorf("%s export of a Masked transcript with raw steps contains %q", format, s)
			}
		}
	}
}

func TestNewLeavesStepsAlone(t *testing.T) {
	steps := fixtureCode(fixtureIssuer)
	tr := New("authorization-code", "idp", steps, t0, false)
	if steps[4].Request.Get("client_secret") != secretClient {
		t.Error("New masked the caller's steps")
	}
	if got := tr.Steps[4].Request.Get("client_secret"); got != record.Mask {
		t.Errorf("client_secret in the transcript = %q, want the mask", got)
	}
	if tr.Format != FormatName || tr.Version != Version || !tr.Masked || !tr.Created.Equal(t0) {
		t.Errorf("metadata = %q v%d masked=%v created=%v", tr.Format, tr.Version, tr.Masked, tr.Created)
	}
}

func TestFormats(t *testing.T) {
	if got, want := Formats(), []string{"markdown", "json", "curl", "har"}; !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	for _, tc := range []struct{ name, want, ext string }{
		{"markdown", "markdown", ".md"}, {"MD", "markdown", ".md"}, {"json", "json", ".json"},
		{"curl", "curl", ".sh"}, {"sh", "curl", ".sh"}, {"har", "har", ".har"},
	} {
		got, ok := LookupFormat(tc.name)
		if !ok || got != tc.want || Extension(got) != tc.ext {
			t.Errorf("LookupFormat(%q) = %q, %v, ext %q; want %q, %q", tc.name, got, ok, Extension(got), tc.want, tc.ext)
		}
		if Describe(tc.name) == "" {
			t.Errorf("Describe(%q) is empty", tc.name)
		}
	}
	for _, tc := range []struct{ file, want string }{
		{"flow.md", "markdown"}, {"Flow.MARKDOWN", "markdown"}, {"x.json", "json"}, {"replay.sh", "curl"}, {"a/b.har", "har"},
	} {
		if got, ok := FormatForFile(tc.file); !ok || got != tc.want {
			t.Errorf("FormatForFile(%q) = %q, %v; want %q", tc.file, got, ok, tc.want)
		}
	}
	if _, ok := FormatForFile("x.txt"); ok {
		t.Error("FormatForFile(x.txt) found a format")
	}
	err := WriteFormat(&bytes.Buffer{}, "pdf", Transcript{})
	if err == nil || !strings.Contains(err.Error(), `unknown export format "pdf"`) || !strings.Contains(err.Error(), "markdown, json, curl, har") {
		t.Errorf("WriteFormat(pdf) = %v, want an error naming the formats", err)
	}
}
