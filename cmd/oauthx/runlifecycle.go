package main

// The token lifecycle in headless mode: `oauthx run device` and the follow-ups of
// `oauthx run FLOW --then refresh,introspect,…` (flows.NewFollowUp).

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
)

// lifecycleOptions are the flags of the device flow and the follow-ups.
type lifecycleOptions struct {
	then      string
	apiURL    string
	apiMethod string
	token     string
	// resolved
	followUps []flows.Kind
	prompt    bool // the device flow waits for a person: print the code
}

func addLifecycleFlags(fs *flag.FlagSet, o *lifecycleOptions) {
	var names []string
	for _, k := range flows.FollowUps() {
		names = append(names, string(k.Kind))
	}
	fs.StringVar(&o.then, "then", "", "after the flow, run these follow-ups on its tokens, in order, comma-separated: "+strings.Join(names, ", "))
	fs.StringVar(&o.apiURL, "api-url", "", "call-api: the URL to call (bundled IdP default: ISSUER/api/me; also /api/admin, /api/notes)")
	fs.StringVar(&o.apiMethod, "api-method", "", "call-api: the HTTP method (default GET)")
	fs.StringVar(&o.token, "token", "", "introspect, revoke: access_token (default) or refresh_token")
}

// lifecycleSetup checks the lifecycle flags and wires the device flow: against the
// bundled IdP (or with --user) the built-in user agent approves; otherwise the person
// does, and the code is printed on stderr.
func lifecycleSetup(kind flows.Kind, cfg *flows.Config, o *runOptions, bundled bool, client *http.Client) error {
	lo := &o.life
	for _, name := range strings.FieldsFunc(lo.then, func(r rune) bool { return r == ',' || r == ' ' }) {
		info, ok := flows.LookupFollowUp(name)
		if !ok {
			var names []string
			for _, k := range flows.FollowUps() {
				names = append(names, string(k.Kind))
			}
			return fmt.Errorf("--then: unknown follow-up %q (%s)", name, strings.Join(names, ", "))
		}
		lo.followUps = append(lo.followUps, info.Kind)
	}
	switch lo.token {
	case "", flows.TokenAccess, flows.TokenRefresh:
	default:
		return fmt.Errorf("--token takes %s or %s, not %q", flows.TokenAccess, flows.TokenRefresh, lo.token)
	}
	if bundled && o.scope == "" && len(lo.followUps) > 0 && kind != flows.KindClientCredentials {
		// The demo API needs api:read; a refresh token needs offline_access (OIDC Core §11).
		for _, s := range []string{"offline_access", "api:read"} {
			if !slices.Contains(cfg.Scopes, s) {
				cfg.Scopes = append(cfg.Scopes, s)
			}
		}
	}
	if kind == flows.KindDevice {
		if o.user != "" || bundled {
			user := o.user
			if user == "" {
				user = "alice"
			}
			cfg.DeviceApprover = &useragent.Agent{Username: user, Password: o.password, Decision: o.consent, Client: client}
		} else {
			lo.prompt = true
		}
	}
	return nil
}

// lifecyclePlan adds the steps of the follow-ups to the plan, so --set and --unset
// can name them (e.g. --set call-api.access_token=forged).
func lifecyclePlan(plan []record.StepPlan, o *runOptions, cfg flows.Config) []record.StepPlan {
	some := flows.Tokens{AccessToken: "a", RefreshToken: "r", IDToken: "i"}
	for _, k := range o.life.followUps {
		if f, err := flows.NewFollowUp(k, cfg, some, followUpOptions(o, cfg)); err == nil {
			plan = append(plan, f.Plan()...)
		}
	}
	return plan
}

// followUpOptions are the follow-ups' settings from the flags. A public client cannot
// authenticate to the introspection endpoint (RFC 7662 §2.1): against the bundled IdP
// its confidential demo client web-app stands for the resource server.
func followUpOptions(o *runOptions, cfg flows.Config) flows.FollowUpOptions {
	opt := flows.FollowUpOptions{Token: o.life.token, APIURL: o.life.apiURL, APIMethod: o.life.apiMethod}
	if cfg.Provider.Name == "bundled IdP" && cfg.Client.Secret == "" {
		opt.IntrospectionClient = &flows.Client{ID: "web-app", Secret: "web-app-secret", AuthMethod: flows.AuthClientSecretBasic}
	}
	return opt
}

// printDevicePrompt tells the person what to do while the device flow polls.
func printDevicePrompt(w io.Writer, s record.Step, o *runOptions) {
	if !o.life.prompt || s.ID != "device-authorization" || s.Failed() {
		return
	}
	code, _ := s.Artifact("user_code")
	uri, _ := s.Artifact("verification_uri")
	fmt.Fprintf(w, "\nOn a phone or computer, open\n\n  %s\n\nand enter the code\n\n  %s\n\n", uri.Value, code.Value)
	if qr, ok := s.Artifact("verification_qr"); ok {
		complete, _ := s.Artifact("verification_uri_complete")
		fmt.Fprintf(w, "or scan this QR code (%s):\n\n%s\n", complete.Value, qr.Value)
	}
	fmt.Fprintln(w, "Waiting for the approval (Ctrl-C to give up)…")
}

// runFollowUps runs the --then follow-ups in order, each on the tokens the one before
// left, and returns the exit status: the first failure stops the chain.
func runFollowUps(ctx context.Context, code int, flow flows.Flow, cfg flows.Config, edits requestEdits, o *runOptions, stdout, stderr io.Writer) int {
	if code != exitOK {
		return code
	}
	tokens := flow.Tokens()
	for _, k := range o.life.followUps {
		f, err := flows.NewFollowUp(k, cfg, tokens, followUpOptions(o, cfg))
		if err != nil {
			fmt.Fprintf(stderr, "oauthx run: cannot run %s: %v\n", k, err)
			return exitFailure
		}
		if c := drive(ctx, f, edits, o, stdout, stderr); c != exitOK {
			return c
		}
		tokens = f.Tokens()
	}
	return exitOK
}
