// Package lesson pairs an attack on an OAuth 2.0 / OpenID Connect flow with the check
// that defends against it, and runs the two together against the bundled IdP.
//
// A [Lesson] names the attack (who the attacker is, what they gain), the flow it runs,
// the setup (bundled IdP faults to switch on, request parameters to edit before a step,
// a code taken from another person's session), where the flow must fail and why, and
// the spec text that defends against it. Some lessons also show the contrast: the same
// attack against a provider that skips its own check (a lax-server fault), where it
// gets through.
//
// [Run] runs a lesson end to end and returns the step records and a [Verdict]: caught
// (the expected check failed for the expected reason) or not. It takes the provider's
// fault switch as the small [IdP] interface, so the package does not import the bundled
// IdP: the flows rule (DESIGN.md) keeps the engine and its oracle apart.
package lesson

import (
	"fmt"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// Lesson is one guided scenario. Everything a front end needs to list it, explain it
// and start it is here; [Run] runs it.
type Lesson struct {
	// Name is the kebab-case name used on the command line (`oauthx lesson NAME`).
	Name string
	// Title is a short heading ("CSRF through a tampered state").
	Title string
	// Summary is one line for a menu.
	Summary string
	// Topic groups related lessons in a menu ("CSRF", "ID token", "code", "redirect").
	Topic string
	// Attack explains the attack in plain words: who the attacker is, what they do and
	// what they gain.
	Attack string

	// Kind is the flow the lesson runs, with the bundled IdP's demo client for it.
	Kind flows.Kind
	// User logs in for the attacked session ("alice" when empty).
	User string
	// Setup is what the lesson changes before and during the flow.
	Setup Setup
	// Expect is where the flow must fail, and why, for the defence to count as working.
	Expect Expect
	// Defence says what stops the attack, with the spec text.
	Defence Defence
	// Contrast, when set, runs the same attack against a provider that skips its own
	// check, to show what the defence prevents.
	Contrast *Contrast
}

// Setup is what a lesson changes: faults on the provider, the provider's clock, edits
// to the requests the client sends, and a victim's session to take values from.
type Setup struct {
	// Faults are bundled IdP faults switched on for the run and off afterwards.
	Faults []string
	// Advance moves the provider's clock forward before the run. The clock only moves
	// forward: a front end that reuses the provider afterwards sees it moved.
	Advance time.Duration
	// Victim, when set, runs another person's session first; edits can take values
	// from it ([Edit.FromVictim]).
	Victim *Victim
	// Edits change the pending request of a step before it is sent.
	Edits []Edit
}

// Victim is a session run before the attack, by another user of the same client,
// whose values (an authorization code, say) the attacker gets hold of.
type Victim struct {
	// User logs in for the victim's session.
	User string
	// Through is the last step the victim's session runs: "callback" leaves the code
	// unredeemed (it was stolen before the victim's client used it), "token" redeems
	// it (the attacker replays a code already used).
	Through string
	// Story says in a sentence how the attacker got hold of the value.
	Story string
}

// Edit changes one parameter of a step's pending request before it is sent, as
// `oauthx run --set STEP.PARAM=VALUE` and `--unset STEP.PARAM` do.
type Edit struct {
	// Step is the id of the step whose request is edited ("authorize", "token").
	Step string
	// Param is the parameter name ("state", "code", "redirect_uri").
	Param string
	// Value is the new value (unless Remove or FromVictim).
	Value string
	// Remove takes the parameter out of the request.
	Remove bool
	// FromVictim takes the value of the victim session's artifact with this name
	// ("code", "code_verifier").
	FromVictim string
}

// String writes the edit as the command line would: "authorize.state=attacker-state",
// "-authorize.state" for a removal, "token.code=<victim's code>".
func (e Edit) String() string {
	switch {
	case e.Remove:
		return "remove " + e.Step + "." + e.Param
	case e.FromVictim != "":
		return e.Step + "." + e.Param + "=<the victim's " + e.FromVictim + ">"
	}
	return e.Step + "." + e.Param + "=" + e.Value
}

// Expect is where a lesson's flow must fail and why.
type Expect struct {
	// Step is the id of the step that must fail.
	Step string
	// Checks lists the client checks, any of which may be the first to fail there
	// ("iat" or "nbf" for a token from the future). Empty when the provider refuses.
	Checks []string
	// ErrorCode is the provider's OAuth error code (RFC 6749 §5.2), when the provider
	// refuses rather than a client check failing.
	ErrorCode string
	// ErrorKind is the kind of error when neither a check nor an OAuth error says it
	// (an error page instead of a redirect is [record.ErrResponse]).
	ErrorKind record.ErrorKind
	// Reason is a fragment of the failed check's reason, or of the error message.
	Reason string
}

// Defence is what stops the attack and the spec text that requires it.
type Defence struct {
	// By names the defence in a few words, after "caught by": "the client's state
	// check", "the provider's PKCE check".
	By string
	// Explanation says in plain words why it works.
	Explanation string
	// Quotes are the spec passages, most direct first.
	Quotes []Quote
}

// Quote is a passage of a spec, quoted word for word.
type Quote struct {
	Spec    string // "RFC 6749"
	Section string // "§10.12"
	Title   string // the section's title
	Text    string // the passage
	URL     string // where to read it
}

// Ref returns the quote's reference as the engine writes spec references.
func (q Quote) Ref() record.SpecRef {
	return record.SpecRef{Spec: q.Spec, Section: q.Section, Title: q.Title}
}

// Contrast is the same attack against a provider that skips one of its checks: it
// gets through, which is what the defence prevents.
type Contrast struct {
	// Title is a short heading ("Without PKCE on the server").
	Title string
	// Faults are switched on in addition to the lesson's (lax-server faults).
	Faults []string
	// Reaches is the id of the step that must succeed for the attack to have got
	// through ("token": the provider handed out the tokens).
	Reaches string
	// Shows is the artifact of the Reaches step that shows what the attacker got
	// ("callback_url", "access_token").
	Shows string
	// Story says what happened and what it means.
	Story string
}

// Command returns how to run the lesson from the command line.
func (l Lesson) Command() string { return "oauthx lesson " + l.Name }

// SetupLines describes the setup in short lines for a person ("fault wrong-aud on").
func (l Lesson) SetupLines() []string {
	var out []string
	if v := l.Setup.Victim; v != nil {
		out = append(out, fmt.Sprintf("first, %s's session runs the %s flow through the %s step", v.User, l.Kind, v.Through))
	}
	for _, f := range l.Setup.Faults {
		out = append(out, "bundled IdP fault "+f+" on")
	}
	if l.Setup.Advance > 0 {
		out = append(out, "bundled IdP clock moved "+l.Setup.Advance.String()+" ahead")
	}
	for _, e := range l.Setup.Edits {
		out = append(out, "request edit: "+e.String())
	}
	return out
}

// RunCommand returns the `oauthx run` command that makes the same attack without the
// lesson's story, when the flags can express it (no victim session, no clock move).
func (l Lesson) RunCommand() (string, bool) {
	if l.Setup.Victim != nil || l.Setup.Advance > 0 {
		return "", false
	}
	args := []string{"oauthx", "run", string(l.Kind)}
	if l.User != "" {
		args = append(args, "--user", l.User)
	}
	for _, f := range l.Setup.Faults {
		args = append(args, "--fault", f)
	}
	for _, e := range l.Setup.Edits {
		if e.Remove {
			args = append(args, "--unset", e.Step+"."+e.Param)
		} else {
			args = append(args, "--set", shellQuote(e.Step+"."+e.Param+"="+e.Value))
		}
	}
	return strings.Join(args, " "), true
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain characters.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/=,@+", r)
	}
	for _, r := range s {
		if !plain(r) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// ExpectLine says in one line where the flow must fail.
func (l Lesson) ExpectLine() string {
	e := l.Expect
	var what string
	switch {
	case len(e.Checks) > 0:
		what = "the " + strings.Join(e.Checks, " or ") + " check fails"
	case e.ErrorCode != "":
		what = "the provider answers " + e.ErrorCode
	case e.ErrorKind != "":
		what = "it fails with a " + string(e.ErrorKind) + " error"
	}
	return fmt.Sprintf("step %s: %s (%q)", e.Step, what, e.Reason)
}

// user returns the user of the attacked session.
func (l Lesson) user() string {
	if l.User == "" {
		return "alice"
	}
	return l.User
}

// Lookup finds a lesson by name.
func Lookup(name string) (Lesson, bool) {
	for _, l := range All() {
		if l.Name == name {
			return l, true
		}
	}
	return Lesson{}, false
}

// Names lists the lesson names, in menu order.
func Names() []string {
	var out []string
	for _, l := range All() {
		out = append(out, l.Name)
	}
	return out
}
