package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// WriteMarkdown writes t as a readable handout: a summary, whether secrets were
// masked, then each step with its explanation, spec references, the request it sent,
// every HTTP exchange, redirects, artifacts (with the PKCE derivation), decoded tokens,
// checks and errors. Steps are masked when t.Masked is set.
func WriteMarkdown(w io.Writer, t Transcript) error {
	t = t.masked()
	m := &errWriter{w: w}
	m.printf("# oauthx transcript: the `%s` flow\n\n", inline(t.Flow))
	m.print("| | |\n| --- | --- |\n")
	m.printf("| Flow | %s |\n", codeCell(t.Flow))
	m.printf("| Provider | %s |\n", cell(orDash(t.Provider)))
	m.printf("| Recorded | %s |\n", cell(humanTime(t.Created)))
	m.printf("| Result | %s |\n", cell(result(t)))
	m.printf("| Transcript | %s, format version %d |\n\n", FormatName, Version)
	if t.Masked {
		m.print("> 🔒 **Secrets are masked.** Client secrets, passwords, refresh tokens and the\n",
			"> credentials in `Authorization` and `Cookie` headers read `", record.Mask, "`.\n",
			"> Authorization codes, access tokens and ID tokens are shown as recorded: they are\n",
			"> short-lived, but treat this handout with care until they have expired.\n\n")
	} else {
		m.print("> ⚠️ **WARNING: SECRETS REVEALED.** This transcript was exported with secrets\n",
			"> revealed on purpose: it contains client secrets, passwords, refresh tokens and\n",
			"> credentials exactly as sent. Do not share, publish or commit it; rotate the client\n",
			"> secret if it leaks.\n\n")
	}
	if len(t.Steps) > 0 {
		m.print("## Steps\n\n| # | Step | Status |\n| --- | --- | --- |\n")
		for i, s := range t.Steps {
			m.printf("| %d | %s | %s |\n", i+1, cell(s.Title), cell(statusText(s.Status)))
		}
		m.print("\n")
	}
	for i, s := range t.Steps {
		writeMarkdownStep(m, i, s)
	}
	m.print("---\n\nWritten by oauthx from a transcript of the flow. The tokens above were decoded for\n",
		"display; only those marked verified had their signature checked.\n")
	return m.err
}

func writeMarkdownStep(m *errWriter, i int, s record.Step) {
	m.printf("## %d. %s\n\n", i+1, inline(orDash(s.Title)))
	status := statusText(s.Status)
	if d := s.Finished.Sub(s.Started); !s.Started.IsZero() && !s.Finished.IsZero() && d > 0 {
		status += " · " + duration(d)
	}
	m.printf("**Status:** %s · step id `%s`\n\n", inline(status), inline(s.ID))
	if s.Explanation != "" {
		m.print(paragraph(s.Explanation), "\n\n")
	}
	if len(s.Specs) > 0 {
		var refs []string
		for _, r := range s.Specs {
			ref := r.String()
			if r.Title != "" {
				ref += " (" + r.Title + ")"
			}
			refs = append(refs, inline(ref))
		}
		m.printf("**Spec:** %s\n\n", strings.Join(refs, "; "))
	}
	if len(s.Arrows) > 0 {
		m.print("**Messages:**\n\n")
		for _, a := range s.Arrows {
			m.printf("- %s → %s: %s\n", inline(string(a.From)), inline(string(a.To)), inline(a.Label))
		}
		m.print("\n")
	}
	if s.Request != nil {
		writeMarkdownRequest(m, s.Request, s.Edited)
	}
	if len(s.Exchanges) > 0 {
		m.print("### HTTP exchanges\n\n")
		for j, ex := range s.Exchanges {
			writeMarkdownExchange(m, j, ex)
		}
	}
	if len(s.Redirects) > 0 {
		m.print("### Redirects\n\n")
		for j, r := range s.Redirects {
			how := "form post"
			if r.Status != 0 {
				how = fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
			}
			if r.Method != "" {
				how += ", then " + r.Method
			}
			m.printf("%d. %s: %s → %s", j+1, inline(how), code(r.From), code(r.To))
			if r.Note != "" {
				m.printf(" — %s", inline(r.Note))
			}
			m.print("\n")
		}
		m.print("\n")
	}
	if len(s.Artifacts) > 0 {
		m.print("### Artifacts\n\n")
		for _, a := range s.Artifacts {
			writeMarkdownArtifact(m, a, s.Checks)
		}
	}
	if len(s.Checks) > 0 {
		m.print("### Checks\n\n")
		writeMarkdownChecks(m, s.Checks)
	}
	if len(s.Warnings) > 0 {
		m.print("### Warnings\n\n")
		for _, w := range s.Warnings {
			m.printf("- ⚠ %s\n", inline(w))
		}
		m.print("\n")
	}
	if s.Error != nil {
		writeMarkdownError(m, s.Error)
	}
}

func writeMarkdownRequest(m *errWriter, r *record.Request, edits []record.Edit) {
	m.print("### Request\n\n")
	m.printf("%s", code(r.Method+" "+r.URL))
	if r.AuthMethod != "" {
		m.printf(" · client authentication: %s", code(r.AuthMethod))
	}
	m.print("\n\n")
	if len(r.Params) > 0 {
		m.print("| Parameter | Value | Note |\n| --- | --- | --- |\n")
		for _, p := range r.Params {
			m.printf("| %s | %s | %s |\n", codeCell(p.Name), codeCell(p.Value), cell(p.Note))
		}
		m.print("\n")
	}
	if len(edits) > 0 {
		m.print("**Edited before sending:**\n\n| Parameter | Was | Sent |\n| --- | --- | --- |\n")
		for _, e := range edits {
			m.printf("| %s | %s | %s |\n", codeCell(e.Name), codeCell(e.From), codeCell(e.To))
		}
		m.print("\n")
	}
}

func writeMarkdownExchange(m *errWriter, j int, ex record.Exchange) {
	head := fmt.Sprintf("%d. %s", j+1, code(ex.Request.Method+" "+ex.Request.URL))
	if ex.Response != nil {
		head += " → " + inline(statusLine(ex.Response.Status))
	} else {
		head += " → no response"
	}
	if ex.Duration > 0 {
		head += " (" + duration(ex.Duration) + ")"
	}
	m.printf("#### %s\n\n", head)

	var req strings.Builder
	target, host := ex.Request.URL, ""
	if u, err := url.Parse(ex.Request.URL); err == nil && u.Host != "" {
		target, host = u.RequestURI(), u.Host
	}
	fmt.Fprintf(&req, "%s %s HTTP/1.1\n", ex.Request.Method, target)
	if host != "" && ex.Request.Header.Get("Host") == "" {
		fmt.Fprintf(&req, "Host: %s\n", host)
	}
	writeHeaders(&req, ex.Request.Header)
	if ex.Request.Body != "" {
		req.WriteString("\n" + ex.Request.Body + "\n")
	}
	m.print(fence("http", req.String()))

	if ex.Response == nil {
		if ex.Error != "" {
			m.printf("No response: %s\n\n", inline(ex.Error))
		}
		return
	}
	var resp strings.Builder
	proto := ex.Response.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&resp, "%s %s\n", proto, statusLine(ex.Response.Status))
	writeHeaders(&resp, ex.Response.Header)
	m.print(fence("http", resp.String()))
	if ex.Response.Body != "" {
		lang, body := prettyBody(ex.Response.Body, ex.Response.Header.Get("Content-Type"))
		m.print(fence(lang, body))
	}
	if ex.Response.Truncated {
		m.printf("The body was longer than oauthx keeps; the rest was dropped.\n\n")
	}
	if ex.Error != "" {
		m.printf("Error: %s\n\n", inline(ex.Error))
	}
}

func writeMarkdownArtifact(m *errWriter, a record.Artifact, stepChecks []record.Check) {
	m.printf("#### `%s`\n\n", inline(a.Name))
	if a.Note != "" {
		m.print(paragraph(a.Note), "\n\n")
	}
	if a.Value != "" {
		m.print(fence("text", a.Value))
	}
	if len(a.Derivation) > 0 {
		m.print("How it was derived:\n\n", fence("text", strings.Join(a.Derivation, "\n")))
	}
	tok := a.Token
	if tok == nil {
		return
	}
	switch {
	case tok.DecodeError != "":
		m.printf("Could not be decoded: %s\n\n", inline(tok.DecodeError))
	case tok.Format == record.FormatOpaque:
		m.print("An opaque token: only the provider can interpret it (introspection, RFC 7662).\n\n")
	}
	if tok.Format == record.FormatJWT {
		if tok.Verified {
			m.printf("**✓ Signature verified** with %s.\n\n", inline(orDash(tok.VerifiedWith)))
		} else {
			m.print("**⚠ Unverified:** decoded for display only; the signature was not checked.\n\n")
		}
	}
	if len(tok.Header) > 0 {
		m.print("Header:\n\n")
		writeClaims(m, "Parameter", tok.Header)
	}
	if len(tok.Claims) > 0 {
		m.print("Claims:\n\n")
		writeClaims(m, "Claim", tok.Claims)
	}
	// Token checks are normally listed on the step too; show the ones that are not.
	var own []record.Check
	for _, c := range tok.Checks {
		if !slices.ContainsFunc(stepChecks, func(s record.Check) bool { return s.Name == c.Name && s.Outcome == c.Outcome }) {
			own = append(own, c)
		}
	}
	if len(own) > 0 {
		m.print("Checks on this token:\n\n")
		writeMarkdownChecks(m, own)
	}
}

func writeClaims(m *errWriter, what string, claims []record.Claim) {
	m.printf("| %s | Value | Meaning |\n| --- | --- | --- |\n", what)
	for _, c := range claims {
		value := c.Display
		if value == "" {
			b, err := json.Marshal(c.Value)
			if err == nil {
				value = string(b)
			}
		}
		meaning := c.Explanation
		if c.Spec != "" {
			meaning = strings.TrimSpace(meaning + " (" + c.Spec + ")")
		}
		m.printf("| %s | %s | %s |\n", codeCell(c.Name), codeCell(value), cell(meaning))
	}
	m.print("\n")
}

func writeMarkdownChecks(m *errWriter, checks []record.Check) {
	m.print("| | Check | Expected | Actual | Reason | Spec |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, c := range checks {
		m.printf("| %s | %s | %s | %s | %s | %s |\n", outcomeMark(c.Outcome), cell(c.Name),
			optCode(c.Expected), optCode(c.Actual), cell(c.Reason), cell(c.Spec))
	}
	m.print("\n")
}

func writeMarkdownError(m *errWriter, e *record.Error) {
	m.print("### Error\n\n")
	m.printf("**%s error:** %s\n\n", inline(string(e.Kind)), inline(e.Message))
	p := e.Protocol
	if p == nil {
		return
	}
	c := code(p.Code)
	if p.HTTPStatus != 0 {
		c += fmt.Sprintf(" (HTTP %d)", p.HTTPStatus)
	}
	m.printf("- **Code:** %s\n", c)
	if p.Description != "" {
		m.printf("- **Description:** %s\n", inline(p.Description))
	}
	if p.Meaning != "" {
		meaning := inline(p.Meaning)
		if p.Spec != "" {
			meaning += " (" + inline(p.Spec) + ")"
		}
		m.printf("- **Meaning:** %s\n", meaning)
	}
	if p.URI != "" {
		m.printf("- **More:** %s\n", code(p.URI))
	}
	m.print("\n")
}

// result sums up how the flow ended.
func result(t Transcript) string {
	if s, ok := t.Failed(); ok {
		idx := slices.IndexFunc(t.Steps, func(x record.Step) bool { return x.Failed() })
		msg := fmt.Sprintf("✗ failed at step %d, %q", idx+1, s.Title)
		if s.Error != nil && s.Error.Message != "" {
			msg += ": " + s.Error.Message
		}
		return msg
	}
	if len(t.Steps) == 0 {
		return "no steps recorded"
	}
	for _, s := range t.Steps {
		if s.Status != record.StatusDone && s.Status != record.StatusSkipped {
			return fmt.Sprintf("unfinished: %d steps recorded", len(t.Steps))
		}
	}
	if len(t.Steps) == 1 {
		return "✓ completed in 1 step"
	}
	return fmt.Sprintf("✓ completed in %d steps", len(t.Steps))
}

func statusText(s record.Status) string {
	switch s {
	case record.StatusDone:
		return "✓ done"
	case record.StatusFailed:
		return "✗ failed"
	case record.StatusSkipped:
		return "– skipped"
	case record.StatusWaiting:
		return "… waiting"
	case record.StatusRunning:
		return "… running"
	case record.StatusPending:
		return "· pending"
	}
	return string(s)
}

func outcomeMark(o record.Outcome) string {
	switch o {
	case record.OutcomePass:
		return "✓"
	case record.OutcomeFail:
		return "✗"
	case record.OutcomeWarn:
		return "⚠"
	case record.OutcomeSkip:
		return "–"
	}
	return cell(string(o))
}

func statusLine(status int) string {
	return strings.TrimSpace(fmt.Sprintf("%d %s", status, http.StatusText(status)))
}

func writeHeaders(b *strings.Builder, h http.Header) {
	for _, name := range sortedKeys(h) {
		for _, v := range h[name] {
			fmt.Fprintf(b, "%s: %s\n", name, v)
		}
	}
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// prettyBody returns a fence language and the body, JSON indented when it parses.
func prettyBody(body, contentType string) (string, string) {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "json") || (ct == "" && json.Valid([]byte(body))):
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(body), "", "  ") == nil {
			return "json", buf.String()
		}
		return "text", body
	case strings.Contains(ct, "html"):
		return "html", body
	case strings.Contains(ct, "x-www-form-urlencoded"):
		return "text", body
	}
	return "text", body
}

func humanTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// fence wraps text in a fenced code block whose fence is longer than any run of
// backticks inside it.
func fence(lang, text string) string {
	n := max(3, longestRun(text, '`')+1)
	f := strings.Repeat("`", n)
	return f + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + f + "\n\n"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// code returns s as an inline code span on one line.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	f := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return f + " " + s + " " + f
	}
	return f + s + f
}

// optCode is code(s), or nothing for an empty s.
func optCode(s string) string {
	if s == "" {
		return ""
	}
	return codeCell(s)
}

// codeCell is an inline code span inside a table cell (GFM needs \| even in code).
func codeCell(s string) string {
	return strings.ReplaceAll(code(s), "|", `\|`)
}

// cell is plain text inside a table cell.
func cell(s string) string {
	return strings.ReplaceAll(inline(s), "|", `\|`)
}

// inline is plain text on one line, with HTML kept from rendering.
func inline(s string) string {
	return strings.ReplaceAll(oneLine(s), "<", "&lt;")
}

// paragraph is plain text that may span lines.
func paragraph(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "<", "&lt;")
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
