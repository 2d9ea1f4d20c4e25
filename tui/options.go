// Package tui is the oauthx terminal explorer: Bubble Tea models that render the flow
// engine's step records and drive it one step at a time.
//
// The package never does protocol work or HTTP itself. It imports flows for the Flow
// contract and the record types; everything else (the bundled provider, the browser,
// the in-terminal login) comes in through [Options] as values, functions and small
// interfaces, wired by cmd/oauthx.
package tui

import (
	"time"

	"github.com/oauthx/oauthx/flows"
)

// Options configure the explorer. Only NewFlow is required.
type Options struct {
	// Providers to choose from, the bundled IdP first.
	Providers []Provider
	// NewFlow starts a flow of the given kind against the chosen provider. It is
	// called inside a command, never in Update.
	NewFlow func(ProviderChoice, flows.Kind) (flows.Flow, error)
	// LoginAs returns an Authorizer that logs in inside the program as username
	// (bundled IdP only). Nil when unavailable.
	LoginAs func(username string) flows.Authorizer
	// Browser returns an Authorizer that opens the real browser and waits for the
	// redirect on a loopback receiver (the `o` key). Nil when unavailable.
	Browser func() flows.Authorizer
	// Pasted returns an Authorizer that answers with a redirect URL the person pasted
	// back (the `p` key). Nil when unavailable.
	Pasted func(rawURL string) flows.Authorizer
	// Users are the demo users the in-terminal login can choose from.
	Users []string
	// Faults switches the bundled IdP's faults; nil for real providers.
	Faults FaultController
	// InitialFlow, when set, skips the menus and starts this flow against the first
	// provider (`oauthx --flow pkce`).
	InitialFlow flows.Kind
	// InitialUser is the demo user selected first (`--user bob`).
	InitialUser string
	// Dark forces a dark (true) or light (false) palette; nil asks the terminal.
	Dark *bool
	// Insecure says NewFlow does not verify real providers' TLS certificates
	// (`oauthx --insecure`); the header then warns on every screen of such a flow.
	Insecure bool
	// NoColor drops every colour (NO_COLOR).
	NoColor bool
	// Now is the clock used for relative times; nil means time.Now.
	Now func() time.Time
	// ClockOffset says how far the bundled IdP's clock is ahead of real time (its
	// clock API, moved by FaultController.Advance or POST /_oauthx/clock), so token
	// expiry is shown by the provider's clock. Nil means no offset.
	ClockOffset func() time.Duration

	// FollowUp starts a follow-up (refresh, introspect, revoke, userinfo, call-api,
	// logout…, see flows.FollowUps) on the tokens a finished flow holds. It is called
	// inside a command. Nil hides the follow-ups.
	FollowUp func(ProviderChoice, FollowUpRequest) (flows.Flow, error)
	// OpenURL opens a URL in the real browser (the device flow's verification URI,
	// the `o` key). It blocks until the browser was launched; the TUI calls it in a
	// command. Nil when unavailable.
	OpenURL func(url string) error

	// Export writes the transcript of the flow on screen (the `w` key), masked. It is
	// called inside a command and returns the path written, absolute; an existing
	// file is refused with an error wrapping [ErrExportExists] unless Overwrite is
	// set. Nil hides the key.
	Export func(ExportRequest) (string, error)
	// ReadOnly walks a recorded flow (`oauthx replay`): nothing can be edited, sent
	// differently, restarted or switched; the person steps back and forth through
	// the records, and esc quits. Recording says where the records come from.
	ReadOnly  bool
	Recording Recording
	// Present lays the explorer out for a projector (`--present`): one pane at a
	// time under a banner with the step's title, a high-contrast palette, and keys
	// to step back and forth.
	Present bool
	// Lessons are the attack lessons listed on the flow menu; StartLesson starts one
	// against a bundled IdP of its own, inside a command. Both nil without lessons.
	Lessons     []LessonInfo
	StartLesson func(name string) (LessonFlow, error)
	// InitialLesson, when set, skips the menus and opens this lesson
	// (`oauthx lesson NAME --tui`).
	InitialLesson string

	// Profiles creates and edits saved provider profiles from the provider screen
	// ("New profile…", e on a profile; tui/profileform.go). Nil hides both.
	Profiles ProfileStore
	// InitialProvider, when set, chooses the provider whose Profile it names and
	// opens the flow menu (`oauthx --profile NAME`).
	InitialProvider string
}

// Provider is an identity provider the person can choose.
type Provider struct {
	// Name is shown in the menu ("Bundled IdP").
	Name string
	// Issuer is the issuer URL.
	Issuer string
	// Bundled marks the in-process mock: in-terminal login and faults work with it.
	Bundled bool
	// Description says in one line what the provider is.
	Description string
	// Clients are the provider's demo clients, shown for information.
	Clients []Client
	// ClientID and ClientSecret preset the client for a real provider (from flags).
	ClientID, ClientSecret string
	// Profile names the saved profile this provider comes from; NewFlow resolves it.
	Profile string
	// AsksSecret: the profile asks for its client secret each time; the provider
	// screen prompts for it and hands it over in ProviderChoice.ClientSecret.
	AsksSecret bool
	// Problem says why the profile cannot be used as saved (naming the field); it is
	// listed, cannot be chosen, and can be edited.
	Problem string
}

// Client is a demo client of the bundled IdP.
type Client struct {
	ID          string
	Description string
}

// ProviderChoice is what the person chose on the provider screen.
type ProviderChoice struct {
	Provider Provider
	// ClientID and ClientSecret were typed in (or preset) for a real provider; empty
	// for the bundled IdP, whose demo clients NewFlow picks per flow.
	ClientID     string
	ClientSecret string
}

// FaultInfo describes one fault of the bundled IdP.
type FaultInfo struct {
	Name        string
	Title       string
	Description string
	// Catches says which client check should catch the fault.
	Catches string
	Spec    string
}

// FaultController switches the bundled IdP's faults and moves its clock.
// Implementations must be safe for concurrent use: the TUI calls them from commands.
type FaultController interface {
	// Catalog lists every fault in a stable order.
	Catalog() []FaultInfo
	// Active returns the names of the faults switched on.
	Active() []string
	// Set switches a fault on or off.
	Set(name string, on bool) error
	// Advance moves the provider's clock forward by d.
	Advance(d time.Duration)
}
