package export

import (
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/record"
)

// TestMarkdownText: text from the transcript cannot break the handout's structure,
// and each kind of token and check reads as it should.
func TestMarkdownText(t *testing.T) {
	step := record.Step{
		ID: "s", Title: "two\nlines <b>bold</b>", Status: record.StatusDone,
		Request: &record.Request{Method: "GET", URL: "http://h/a", Params: []record.Param{
			{Name: "claims", Value: "a|b `tick` ``two``", Note: "pipe | here"},
		}},
		Exchanges: []record.Exchange{{
			Request:  record.HTTPRequest{Method: "GET", URL: "http://h/a"},
			Response: &record.HTTPResponse{Status: 200, Header: jsonHeader(), Body: "```\n{not json"},
		}},
		Artifacts: []record.Artifact{
			{Name: "access_token", Value: "opaque-1", Token: &record.Token{Format: record.FormatOpaque}},
			{Name: "id_token", Value: "a.b.c", Token: &record.Token{Format: record.FormatJWT,
				Claims: []record.Claim{{Name: "aud", Value: []any{"x", "y"}}},
				Checks: []record.Check{{Name: "only on the token", Outcome: record.OutcomeWarn, Reason: "r"}}}},
			{Name: "broken", Value: "eyJ", Token: &record.Token{Format: record.FormatJWT, DecodeError: "illegal base64 data"}},
		},
		Checks: []record.Check{
			{Name: "skipped", Outcome: record.OutcomeSkip, Reason: "not applicable"},
			{Name: "warned", Outcome: record.OutcomeWarn, Actual: "plain"},
		},
	}
	out := render(t, FormatMarkdown, New("x", "p", []record.Step{step}, t0, false))
	for _, want := range []string{
		"## 1. two lines &lt;b>bold&lt;/b>\n",                         // one line, no HTML
		"| `claims` | ``` a\\|b `tick` ``two`` ``` | pipe \\| here |", // pipes escaped, code span longer than any tick run
		"````text\n```\n{not json\n````",                              // a fence longer than the body's
		"An opaque token",
		"**⚠ Unverified:** decoded for display only",
		`| ` + "`aud`" + ` | ` + "`" + `["x","y"]` + "`" + ` |`, // no Display: the JSON value
		"Checks on this token:",
		"| ⚠ | only on the token |",
		"Could not be decoded: illegal base64 data",
		"| – | skipped |", "| ⚠ | warned |",
		"✓ completed in 1 step |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0.00 ms") {
		t.Error("a step with no duration shows one")
	}
}
