package lesson

import (
	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// PlannedStep is a step a lesson run takes, with the part it belongs to.
type PlannedStep struct {
	// Role and Title are the part's ([Part]).
	Role  Role
	Title string
	record.StepPlan
}

// Plan lists every step of the run, part by part, so a front end can show the whole
// lesson before it runs: the steps that ran as they ran, the current part's as its
// flow plans them, and the parts to come as their flows would (built without any
// network call). A victim's session ends at [Victim.Through]. A part that ended
// early (the attack, caught) lists the steps it ran.
func (r *Runner) Plan() []PlannedStep {
	var out []PlannedStep
	add := func(ph phase, plan []record.StepPlan) {
		title := r.part(ph, nil).Title
		for _, p := range plan {
			out = append(out, PlannedStep{Role: ph.role, Title: title, StepPlan: p})
			if (ph.role == RoleVictim || ph.role == RoleContrastVictim) && p.ID == r.l.Setup.Victim.Through {
				break
			}
		}
	}
	for j, ph := range r.phases {
		switch {
		case j < r.i && j < len(r.res.Parts):
			var plan []record.StepPlan
			for _, rec := range r.res.Parts[j].Records {
				plan = append(plan, record.StepPlan{ID: rec.ID, Title: rec.Title, Arrows: rec.Arrows})
			}
			add(ph, plan)
		case j == r.i && r.flow != nil:
			add(ph, r.flow.Plan())
		default:
			add(ph, r.plannedFlow(ph))
		}
	}
	return out
}

// plannedFlow is the plan of a part that has not begun.
func (r *Runner) plannedFlow(ph phase) []record.StepPlan {
	var f flows.Flow
	var err error
	switch ph.role {
	case RoleAftermath, RoleContrastAfterma:
		cfg := flowConfig(r.l.Kind, r.env, r.l.Setup.Victim.User)
		cfg.Authorizer = nil
		rs := r.env.Demo(flows.KindClientCredentials).Client
		// Only the plan is wanted: the victim's token is not known yet.
		f, err = flows.NewFollowUp(flows.KindIntrospect, cfg, flows.Tokens{AccessToken: "planned"},
			flows.FollowUpOptions{IntrospectionClient: &rs})
	default:
		user := r.l.user()
		if ph.role == RoleVictim || ph.role == RoleContrastVictim {
			user = r.l.Setup.Victim.User
		}
		f, err = newFlow(r.l.Kind, r.env, user)
	}
	if err != nil {
		return nil
	}
	return f.Plan()
}

// Pending returns the request the next step will send, with the lesson's edits
// applied (the attack), and the edits as changes from the request the flow built.
// It is false when the next step sends nothing, or its part has not begun.
func (r *Runner) Pending() (record.Request, []record.Edit, bool) {
	if r.flow == nil || r.Done() {
		return record.Request{}, nil, false
	}
	req, ok := r.flow.Pending()
	if !ok {
		return record.Request{}, nil, false
	}
	edited, changed := applyEdits(req, r.edits)
	if !changed {
		return req, nil, true
	}
	return edited, diffParams(req, &edited), true
}

// Tokens returns the tokens the current part's flow holds.
func (r *Runner) Tokens() flows.Tokens {
	if r.flow == nil {
		return flows.Tokens{}
	}
	return r.flow.Tokens()
}
