package lesson

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// IdP is the part of a bundled provider a lesson drives: its fault switch and its
// clock. The bundled IdP (mockidp.Server) fits it through a small adapter in the
// caller, since this package must not import it.
type IdP interface {
	// SetFault switches the named fault on or off; an unknown name is an error.
	// It must be safe to call while the provider serves requests.
	SetFault(name string, on bool) error
	// Advance moves the provider's clock forward by d.
	Advance(d time.Duration)
}

// Env is where and how a lesson runs.
type Env struct {
	// Issuer is the bundled IdP's issuer URL.
	Issuer string
	// IdP switches its faults and moves its clock; required.
	IdP IdP
	// Demo returns the bundled IdP's demo client and scopes for a flow (the redirect
	// URI, client id and secret, scopes); required.
	Demo func(flows.Kind) flows.Config
	// Authorizer returns the user agent that logs the named user in and consents
	// (the built-in user agent for the bundled IdP); required for every lesson,
	// which all run browser flows.
	Authorizer func(user string) flows.Authorizer
	// HTTPClient, Now and Rand are passed to the flows (see [flows.Config]).
	HTTPClient *http.Client
	Now        func() time.Time
	Rand       io.Reader
	// OnStep, when set, is called with each record as soon as its step has run, so
	// a front end can show progress.
	OnStep func(role Role, rec record.Step)
}

// Role says which part of a lesson a run of records belongs to.
type Role string

// The parts of a lesson run, in the order they run.
const (
	RoleVictim          Role = "victim"             // the victim's session, before the attack
	RoleAttack          Role = "attack"             // the attacked flow: where the defence must catch it
	RoleAftermath       Role = "aftermath"          // what the attack left behind (the victim's token revoked?)
	RoleContrastVictim  Role = "contrast-victim"    // the victim's session again, for the contrast
	RoleContrast        Role = "contrast"           // the same attack on a provider that skips its check
	RoleContrastAfterma Role = "contrast-aftermath" // what the contrast left behind
)

// Part is one flow of a lesson run, with its records.
type Part struct {
	Role    Role
	Title   string
	Kind    flows.Kind
	User    string
	Faults  []string
	Records []record.Step
}

// Outcome is how a run ended, measured against the lesson's expectation.
type Outcome string

// The outcomes.
const (
	// Caught: the flow failed at the expected step, for the expected reason.
	Caught Outcome = "caught"
	// Missed: the flow succeeded; nothing stopped the attack.
	Missed Outcome = "missed"
	// Unexpected: the flow failed, but elsewhere or for another reason.
	Unexpected Outcome = "unexpected"
	// Through: in a contrast run, the attack got past the step it was meant to.
	Through Outcome = "through"
)

// Verdict says whether the defence caught the attack as the lesson expects.
type Verdict struct {
	Outcome Outcome
	// Step is the id of the step the flow ended at.
	Step string
	// By is the failed check's name, or the provider's error code, or the error kind.
	By string
	// Reason is the failed check's reason or the error message.
	Reason string
	// Spec is the failed check's (or protocol error's) spec reference.
	Spec string
	// Summary is one line for a person: "caught by the client's state check: …".
	Summary string
	// Aftermath says what the attack left behind, when the lesson looks (is the
	// victim's access token still active?).
	Aftermath string `json:",omitempty"`
	// Own are the changes the person made to the attacked requests on top of the
	// lesson's (see [Runner.NextWith]); the verdict is on the run as they sent it.
	Own []record.Edit `json:",omitempty"`
}

// Caught reports whether the defence caught the attack as expected.
func (v Verdict) Caught() bool { return v.Outcome == Caught }

// Result is a lesson run: every part's records and the verdicts.
type Result struct {
	Lesson Lesson
	Parts  []Part
	// Verdict is the verdict on the attack run.
	Verdict Verdict
	// Contrast is the verdict on the contrast run (Outcome Through when the attack got
	// through there, as the lesson says it should); nil without a contrast.
	Contrast *Verdict
}

// Part returns the part with the given role.
func (r Result) Part(role Role) (Part, bool) {
	for _, p := range r.Parts {
		if p.Role == role {
			return p, true
		}
	}
	return Part{}, false
}

// Run runs a lesson end to end on the bundled IdP described by env: the victim's
// session when there is one, the attacked flow with the lesson's faults and edits,
// what the attack left behind, then the contrast when there is one. Faults are
// switched off again before Run returns; a clock moved forward stays moved.
//
// An error means the lesson could not be set up (a missing Env field, an unknown
// fault, a victim session that failed) or ctx ended; a defence that did not catch
// the attack is a Verdict, not an error.
func Run(ctx context.Context, l Lesson, env Env) (Result, error) {
	r, err := Start(l, env)
	if err != nil {
		return Result{Lesson: l}, err
	}
	defer r.Close()
	for !r.Done() {
		_, rec, err := r.Next(ctx)
		if err != nil {
			return r.Result(), err
		}
		if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
			return r.Result(), fmt.Errorf("lesson %s: %s", l.Name, rec.Error.Message)
		}
	}
	return r.Result(), nil
}

// Runner runs a lesson one step at a time, like [flows.Flow]: a front end calls
// [Runner.Next] (in the TUI, inside a tea.Cmd) and shows each record as it comes.
//
// One Next at a time; the other methods may be called between Next calls. Close
// switches the lesson's faults off if the run stops early.
type Runner struct {
	l   Lesson
	env Env

	phases []phase
	i      int
	flow   flows.Flow // the current phase's flow, built on its first step
	edits  []Edit
	own    []record.Edit // the person's changes in the current phase (NextWith)
	victim []record.Step // the current act's victim records
	tokens flows.Tokens  // the tokens the victim's session got
	on     []string      // faults switched on by the current act
	res    Result
	err    error
}

// phase is one part of a lesson run.
type phase struct {
	role     Role
	contrast bool
}

// Start prepares a lesson run; nothing is sent until the first [Runner.Next].
func Start(l Lesson, env Env) (*Runner, error) {
	if env.IdP == nil || env.Demo == nil || env.Authorizer == nil || env.Issuer == "" {
		return nil, errors.New("lesson: Env needs Issuer, IdP, Demo and Authorizer")
	}
	r := &Runner{l: l, env: env, res: Result{Lesson: l}}
	act := func(victim, attack, aftermath Role, contrast bool) {
		if l.Setup.Victim != nil {
			r.phases = append(r.phases, phase{role: victim, contrast: contrast})
		}
		r.phases = append(r.phases, phase{role: attack, contrast: contrast})
		if v := l.Setup.Victim; v != nil && v.Through == "token" { // the victim holds tokens to ask about
			r.phases = append(r.phases, phase{role: aftermath, contrast: contrast})
		}
	}
	act(RoleVictim, RoleAttack, RoleAftermath, false)
	if l.Contrast != nil {
		act(RoleContrastVictim, RoleContrast, RoleContrastAfterma, true)
	}
	return r, nil
}

// Lesson returns the lesson being run.
func (r *Runner) Lesson() Lesson { return r.l }

// Done reports whether the run has finished (or failed to set up).
func (r *Runner) Done() bool { return r.err != nil || r.i >= len(r.phases) }

// Role returns the part the next step belongs to.
func (r *Runner) Role() Role {
	if r.Done() {
		return ""
	}
	return r.phases[r.i].role
}

// Flow returns the flow of the current part, once its first step has run (for its
// Plan); nil before.
func (r *Runner) Flow() flows.Flow { return r.flow }

// Result returns the parts run so far and the verdicts reached so far.
func (r *Runner) Result() Result {
	res := r.res
	res.Parts = slices.Clone(res.Parts)
	if r.flow != nil && !r.Done() { // the part in progress
		res.Parts = append(res.Parts, r.part(r.phases[r.i], r.flow.Records()))
	}
	return res
}

// Close switches off the faults the run switched on, if it stopped early.
func (r *Runner) Close() { r.faultsOff() }

// Next runs the next step and returns the part it belongs to and its record. An error
// means the lesson could not go on (an unknown fault, a victim session that failed);
// the run is then done. A step cancelled through ctx comes back as the flow returns
// it (an error of kind canceled) and can be run again.
func (r *Runner) Next(ctx context.Context) (Role, record.Step, error) {
	return r.NextWith(ctx, nil)
}

// NextWith is Next with the request the person wants sent instead of the one
// [Runner.Pending] shows: that one with changes of their own on top of the
// lesson's, to try a variant of the attack. Their changes are recorded in the
// part's verdict (Verdict.Own). Only the attack and its contrast take them: the
// victim's session and the aftermath run as the lesson sets them up. req nil, or
// for a part that takes none, is Next.
func (r *Runner) NextWith(ctx context.Context, req *record.Request) (Role, record.Step, error) {
	if r.err != nil {
		return "", record.Step{}, r.err
	}
	if r.Done() {
		return "", record.Step{}, errors.New("lesson: the run is over")
	}
	ph := r.phases[r.i]
	if r.flow == nil {
		if err := r.begin(ph); err != nil {
			r.faultsOff()
			r.err = fmt.Errorf("lesson %s: %w", r.l.Name, err)
			return ph.role, record.Step{}, r.err
		}
	}
	var in flows.StepInput
	if pending, ok := r.flow.Pending(); ok {
		attack, changed := applyEdits(pending, r.edits)
		if changed {
			in.Request = &attack
		}
		if own := diffParams(attack, req); len(own) > 0 && (ph.role == RoleAttack || ph.role == RoleContrast) {
			in.Request = req
			r.own = append(r.own, own...)
		}
	}
	rec := r.flow.Next(ctx, in)
	notify(r.env, ph.role, rec)
	if rec.Error != nil && rec.Error.Kind == record.ErrCanceled {
		return ph.role, rec, nil
	}
	victim := ph.role == RoleVictim || ph.role == RoleContrastVictim
	if r.flow.Done() || victim && rec.ID == r.l.Setup.Victim.Through {
		if err := r.finish(ph); err != nil {
			r.err = err
			return ph.role, rec, err
		}
	}
	return ph.role, rec, nil
}

// begin builds the phase's flow; for the attack, it switches the faults on, moves
// the clock and resolves the edits first.
func (r *Runner) begin(ph phase) error {
	user := r.l.user()
	switch ph.role {
	case RoleVictim, RoleContrastVictim:
		user = r.l.Setup.Victim.User
	case RoleAftermath, RoleContrastAfterma:
		// A resource server asks the provider whether the victim's access token is
		// still active; the demo client of the client credentials flow stands for it.
		cfg := flowConfig(r.l.Kind, r.env, r.l.Setup.Victim.User)
		cfg.Authorizer = nil
		rs := r.env.Demo(flows.KindClientCredentials).Client
		f, err := flows.NewFollowUp(flows.KindIntrospect, cfg, r.tokens, flows.FollowUpOptions{IntrospectionClient: &rs})
		if err != nil {
			return err
		}
		r.flow = f
		return nil
	default:
		faults := slices.Clone(r.l.Setup.Faults)
		if ph.contrast {
			faults = append(faults, r.l.Contrast.Faults...)
		}
		for _, f := range faults {
			if err := r.env.IdP.SetFault(f, true); err != nil {
				return err
			}
			r.on = append(r.on, f)
		}
		if d := r.l.Setup.Advance; d > 0 && !ph.contrast { // the clock has moved already
			r.env.IdP.Advance(d)
		}
		edits, err := resolveEdits(r.l.Setup.Edits, r.victim)
		if err != nil {
			return err
		}
		r.edits = edits
	}
	f, err := newFlow(r.l.Kind, r.env, user)
	if err != nil {
		return err
	}
	r.flow = f
	return nil
}

// finish closes the phase: its part, and the verdict after an attack.
func (r *Runner) finish(ph phase) error {
	recs, tokens := r.flow.Records(), r.flow.Tokens()
	r.res.Parts = append(r.res.Parts, r.part(ph, recs))
	own := r.own
	r.flow, r.edits, r.own = nil, nil, nil
	r.i++
	switch ph.role {
	case RoleVictim, RoleContrastVictim:
		r.victim, r.tokens = recs, tokens
		if last := recs[len(recs)-1]; last.Failed() || last.ID != r.l.Setup.Victim.Through {
			return fmt.Errorf("lesson %s: the victim's session ended at step %s (%s), before it could be attacked",
				r.l.Name, last.ID, last.Status)
		}
	case RoleAttack:
		r.faultsOff()
		r.res.Verdict = withOwn(Judge(r.l, recs), own)
	case RoleContrast:
		r.faultsOff()
		v := withOwn(judgeContrast(*r.l.Contrast, recs), own)
		r.res.Contrast = &v
	case RoleAftermath:
		r.res.Verdict.Aftermath = aftermath(r.l.Setup.Victim.User, recs)
	case RoleContrastAfterma:
		if r.res.Contrast != nil {
			r.res.Contrast.Aftermath = aftermath(r.l.Setup.Victim.User, recs)
		}
	}
	return nil
}

// aftermath says what the introspection of the victim's access token found.
func aftermath(user string, recs []record.Step) string {
	for _, rec := range recs {
		for _, c := range rec.Checks {
			if rec.ID != "introspect" || c.Name != "active" {
				continue
			}
			if c.Actual == "false" {
				return user + "'s access token is no longer active: the provider revoked what the code had issued"
			}
			return user + "'s access token is still active: the replay revoked nothing"
		}
	}
	last := recs[len(recs)-1]
	if last.Error != nil {
		return "could not ask whether " + user + "'s access token is still active: " + last.Error.Message
	}
	return "could not tell whether " + user + "'s access token is still active"
}

func (r *Runner) part(ph phase, recs []record.Step) Part {
	p := Part{Role: ph.role, Kind: r.l.Kind, Records: recs}
	switch ph.role {
	case RoleVictim, RoleContrastVictim:
		p.User = r.l.Setup.Victim.User
		p.Title = p.User + "'s session (the victim)"
	case RoleAttack:
		p.User, p.Title, p.Faults = r.l.user(), r.l.user()+"'s session (the attack)", r.l.Setup.Faults
	case RoleContrast:
		p.User, p.Title = r.l.user(), r.l.Contrast.Title
		p.Faults = slices.Concat(r.l.Setup.Faults, r.l.Contrast.Faults)
	default:
		p.Kind, p.User = flows.KindIntrospect, r.l.Setup.Victim.User
		p.Title = "Is " + p.User + "'s access token still active?"
	}
	return p
}

func (r *Runner) faultsOff() {
	for _, f := range r.on {
		_ = r.env.IdP.SetFault(f, false)
	}
	r.on = nil
}

func notify(env Env, role Role, rec record.Step) {
	if env.OnStep != nil {
		env.OnStep(role, rec)
	}
}

// newFlow builds the lesson's flow with the demo client, logging in as user.
func newFlow(kind flows.Kind, env Env, user string) (flows.Flow, error) {
	return flows.New(kind, flowConfig(kind, env, user))
}

// flowConfig is the configuration of the lesson's flow for user.
func flowConfig(kind flows.Kind, env Env, user string) flows.Config {
	demo := env.Demo(kind)
	return flows.Config{
		Provider:   flows.Provider{Name: "bundled IdP", Issuer: env.Issuer},
		Client:     demo.Client,
		Scopes:     demo.Scopes,
		Authorizer: env.Authorizer(user),
		HTTPClient: env.HTTPClient,
		Now:        env.Now,
		Rand:       env.Rand,
	}
}

// resolveEdits fills in the values taken from the victim's session.
func resolveEdits(edits []Edit, victim []record.Step) ([]Edit, error) {
	out := slices.Clone(edits)
	for i, e := range out {
		if e.FromVictim == "" {
			continue
		}
		v := artifact(victim, e.FromVictim)
		if v == "" {
			return nil, fmt.Errorf("edit %s: the victim's session has no %s", e, e.FromVictim)
		}
		out[i].Value = v
	}
	return out, nil
}

// withOwn records the person's own changes in a verdict and says so in its
// summary: the run judged is theirs, not the lesson's alone.
func withOwn(v Verdict, own []record.Edit) Verdict {
	if len(own) == 0 {
		return v
	}
	v.Own = own
	var names []string
	for _, e := range own {
		if !slices.Contains(names, e.Name) {
			names = append(names, e.Name)
		}
	}
	// Names only: a value may be a secret, and Own has them for who masks them.
	v.Summary = "with your own changes to " + strings.Join(names, ", ") + ": " + v.Summary
	if v.Outcome == Missed {
		v.Summary += ", unless your changes undid the attack"
	}
	return v
}

// diffParams lists how req differs from base, parameter by parameter; nil
// when req is nil or the same.
func diffParams(base record.Request, req *record.Request) []record.Edit {
	if req == nil {
		return nil
	}
	var out []record.Edit
	for _, p := range req.Params {
		if from := base.Get(p.Name); !base.Has(p.Name) || from != p.Value {
			out = append(out, record.Edit{Name: p.Name, From: from, To: p.Value})
		}
	}
	for _, p := range base.Params {
		if !req.Has(p.Name) {
			out = append(out, record.Edit{Name: p.Name, From: p.Value})
		}
	}
	return out
}

// applyEdits applies the edits for the request's step.
func applyEdits(req record.Request, edits []Edit) (record.Request, bool) {
	changed := false
	for _, e := range edits {
		if e.Step != req.StepID {
			continue
		}
		if e.Remove {
			req = req.Without(e.Param)
		} else {
			req = req.With(e.Param, e.Value)
		}
		changed = true
	}
	return req, changed
}

// artifact returns the value of the last artifact with that name in recs.
func artifact(recs []record.Step, name string) string {
	for i := len(recs) - 1; i >= 0; i-- {
		if a, ok := recs[i].Artifact(name); ok {
			return a.Value
		}
	}
	return ""
}

// Judge compares an attacked flow's records with the lesson's expectation.
func Judge(l Lesson, recs []record.Step) Verdict {
	if len(recs) == 0 {
		return Verdict{Outcome: Unexpected, Summary: "the flow did not run"}
	}
	last := recs[len(recs)-1]
	v := Verdict{Step: last.ID}
	if !last.Failed() {
		v.Outcome = Missed
		v.Summary = "not caught: the flow succeeded, the attack got through"
		return v
	}
	e := l.Expect
	if last.Error != nil {
		v.By, v.Reason = string(last.Error.Kind), last.Error.Message
		if p := last.Error.Protocol; p != nil {
			v.By, v.Spec = p.Code, p.Spec
			if p.Description != "" {
				v.Reason = p.Description
			}
		}
	}
	var matched bool
	switch {
	case len(e.Checks) > 0:
		if failed := last.FailedChecks(); len(failed) > 0 {
			c := failed[0]
			v.By, v.Reason, v.Spec = c.Name, c.Reason, c.Spec
			matched = slices.Contains(e.Checks, c.Name) && strings.Contains(c.Reason, e.Reason)
		}
	case e.ErrorCode != "":
		p := last.Error.Protocol
		matched = p != nil && p.Code == e.ErrorCode &&
			(strings.Contains(p.Description, e.Reason) || strings.Contains(last.Error.Message, e.Reason))
	case e.ErrorKind != "":
		matched = last.Error != nil && last.Error.Kind == e.ErrorKind && strings.Contains(last.Error.Message, e.Reason)
	}
	matched = matched && last.ID == e.Step
	if v.Spec == "" && len(l.Defence.Quotes) > 0 {
		v.Spec = l.Defence.Quotes[0].Ref().String()
	}
	if matched {
		v.Outcome = Caught
		v.Summary = "caught by " + l.Defence.By + ": " + shortReason(v.Reason)
		return v
	}
	v.Outcome = Unexpected
	v.Summary = fmt.Sprintf("not caught as expected: the flow failed at %s (%s: %s), the lesson expects %s",
		last.ID, v.By, v.Reason, l.ExpectLine())
	return v
}

// judgeContrast checks that the attack got past the step it was meant to.
func judgeContrast(c Contrast, recs []record.Step) Verdict {
	v := Verdict{Outcome: Unexpected}
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		v.Step = last.ID
		if last.Error != nil {
			v.By, v.Reason = string(last.Error.Kind), last.Error.Message
		}
	}
	for _, r := range recs {
		if r.ID != c.Reaches || r.Status != record.StatusDone {
			continue
		}
		v.Outcome = Through
		v.Summary = "the attack got through: step " + r.ID + " succeeded"
		if a, ok := r.Artifact(c.Shows); ok {
			val := a.Value
			if strings.Contains(c.Shows, "token") {
				val = abbreviate(val, 40)
			}
			v.Summary += "; " + c.Shows + " = " + val
		}
		return v
	}
	v.Summary = fmt.Sprintf("the attack did not get through step %s (the flow ended at %s: %s)", c.Reaches, v.Step, v.Reason)
	return v
}

// shortReason cuts a long error message before its parenthesised details.
func shortReason(s string) string {
	if len(s) <= 160 {
		return s
	}
	if i := strings.Index(s, " ("); i >= 40 {
		return s[:i]
	}
	return s
}

func abbreviate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
