package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/lesson"
	"github.com/oauthx/oauthx/flows/loopback"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
	"github.com/oauthx/oauthx/tui"
)

// runTUI opens the explorer. The bundled IdP starts in-process on a free loopback
// port first (mockidp.New returns at once; its keys are generated in the background,
// so the first frame never waits for them), then the engine, the IdP and the TUI are
// wired together here: the tui package imports neither mockidp nor net/http clients.
func runTUI(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	start := time.Now()
	fs := flag.NewFlagSet("oauthx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flowName := fs.String("flow", "", "start this flow at once: "+kindNames()+" (or an alias)")
	user := fs.String("user", "alice", "demo user of the bundled IdP selected for the in-terminal login")
	issuer := fs.String("issuer", "", "a real provider's issuer URL (flows start with discovery)")
	clientID := fs.String("client-id", "", "the client id registered with --issuer")
	secretEnv := fs.String("client-secret-env", "", "environment variable holding the client secret for --issuer")
	theme := fs.String("theme", "auto", "colours for a dark or light terminal: auto, dark or light")
	present := fs.Bool("present", false, "presenter mode for a projector: one pane at a time, big step titles, high contrast, b/n step back and forth")
	lessonName := fs.String("lesson", "", "open this attack lesson at once (oauthx lesson lists them)")
	profileName := fs.String("profile", "", "open the flow menu against the saved profile `NAME` (oauthx providers lists them)")
	insecure := fs.Bool("insecure", false, "do not verify real providers' TLS certificates (a development provider with a self-signed certificate); the header warns on every screen")
	configPath := fs.String("config", "", "profiles file (default $OAUTHX_CONFIG, else the user config directory's oauthx/profiles.toml)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx [--flow NAME | --lesson NAME] [--present] [--user NAME] [--profile NAME | --issuer URL --client-id ID [--client-secret-env VAR]]")
		fmt.Fprintln(stderr, "\nOpens the explorer against the bundled IdP (and any saved profiles). NO_COLOR drops colours;")
		fmt.Fprintln(stderr, "OAUTHX_DEBUG=FILE (or 1 for oauthx-debug.log) writes a debug log.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "oauthx: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (subcommands: oauthx help)", fs.Arg(0))
	}
	var initial flows.Kind
	if *flowName != "" {
		k, ok := flows.LookupKind(*flowName)
		if !ok {
			return usageErr("unknown flow %q (%s)", *flowName, kindNames())
		}
		initial = k.Kind
	}
	if *lessonName != "" {
		if _, ok := lesson.Lookup(*lessonName); !ok {
			return usageErr("no lesson %q (oauthx lesson lists them)", *lessonName)
		}
		if initial != "" {
			return usageErr("--flow and --lesson: one at a time")
		}
	}
	var dark *bool
	switch *theme {
	case "auto":
	case "dark", "light":
		d := *theme == "dark"
		dark = &d
	default:
		return usageErr("--theme takes auto, dark or light, not %q", *theme)
	}
	if *issuer == "" && (*clientID != "" || *secretEnv != "") {
		return usageErr("--client-id and --client-secret-env go with --issuer")
	}
	if *issuer != "" && *clientID == "" {
		return usageErr("--issuer needs --client-id")
	}
	if *profileName != "" && *issuer != "" {
		return usageErr("choose --profile or --issuer, not both")
	}
	if *profileName != "" {
		// Checked before the terminal is taken over: a bad profile is an error that
		// names it and the field, on a terminal left as it was.
		if err := checkTUIProfile(*configPath, *profileName, stderr); err != nil {
			return usageErr("%v", err)
		}
	}
	secret := ""
	if *secretEnv != "" {
		if secret = os.Getenv(*secretEnv); secret == "" {
			return usageErr("--client-secret-env %s: the variable is not set", *secretEnv)
		}
	}

	if path := os.Getenv("OAUTHX_DEBUG"); path != "" {
		if path == "1" || path == "true" {
			path = "oauthx-debug.log"
		}
		f, err := tea.LogToFile(path, "oauthx ")
		if err != nil {
			return usageErr("OAUTHX_DEBUG: %v", err)
		}
		defer f.Close()
	}
	debugf := func(format string, a ...any) {
		if os.Getenv("OAUTHX_DEBUG") != "" {
			logf(format, a...)
		}
	}

	w, err := newWiring()
	if err != nil {
		fmt.Fprintf(stderr, "oauthx: starting the bundled IdP: %v\n", err)
		return exitInternal
	}
	defer w.close()
	w.insecure = *insecure
	debugf("bundled IdP at %s after %s", w.issuer, time.Since(start))

	users := []string{}
	for _, u := range w.idp.Users() {
		users = append(users, u.Username)
	}
	var clients []tui.Client
	for _, c := range w.idp.Clients() {
		clients = append(clients, tui.Client{ID: c.ID, Description: c.Description})
	}
	bundled := tui.Provider{Name: "Bundled IdP", Issuer: w.issuer, Bundled: true, Clients: clients,
		Description: "in-process and offline; users " + strings.Join(users, ", ") + " (password = name); faults with f"}
	providers := []tui.Provider{bundled}
	if *issuer != "" {
		providers = []tui.Provider{{Name: *issuer, Issuer: *issuer, ClientID: *clientID, ClientSecret: secret,
			Description: "from the command line"}, bundled}
	}
	// Saved profiles, broken ones listed with their problem; the store lets the
	// provider screen create and edit them (tuiprofiles.go).
	store, loadErr := newProfileStore(*configPath)
	w.profiles = store
	providers = moveFirst(append(providers, store.providers(loadErr)...), *profileName)

	opts := tui.Options{
		Providers:       providers,
		NewFlow:         w.newFlow,
		LoginAs:         func(u string) flows.Authorizer { return &useragent.Agent{Username: u} },
		Browser:         w.browser,
		Pasted:          callback.PastedURL,
		Users:           users,
		Faults:          faultController{w.idp},
		InitialFlow:     initial,
		InitialUser:     *user,
		Profiles:        store,
		InitialProvider: *profileName,
		Dark:            dark,
		NoColor:         os.Getenv("NO_COLOR") != "",
		Insecure:        *insecure,
	}
	// The token lifecycle: follow-ups, the device flow's browser, the IdP's clock.
	opts.FollowUp = w.followUp
	opts.OpenURL = loopback.OpenBrowser
	opts.ClockOffset = w.clockOffset
	// The `w` key, presenter mode and the lessons (each on a bundled IdP of its own).
	lessons := &lessonStarter{}
	defer lessons.close()
	opts.Export = tuiExport(liveTranscript)
	opts.Present = *present
	opts.Lessons = lessonInfos()
	opts.StartLesson = lessons.start
	opts.InitialLesson = *lessonName
	model := tui.New(opts)
	var first sync.Once
	p := tea.NewProgram(model, tea.WithInput(stdin), tea.WithOutput(stdout),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			first.Do(func() { debugf("first message after %s", time.Since(start)) })
			return msg
		}))
	debugf("program starting after %s", time.Since(start))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		// The terminal is restored by the time Run returns.
		fmt.Fprintf(stderr, "oauthx: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// logf writes to the standard logger, which tea.LogToFile points at the debug file.
func logf(format string, a ...any) { log.Printf(format, a...) }

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// wiring holds what the TUI's functions share: the bundled IdP, its HTTP server, the
// saved profiles and the loopback receiver of the current flow.
type wiring struct {
	idp      *mockidp.Server
	hs       *http.Server
	issuer   string
	profiles *profileStore // tuiprofiles.go
	insecure bool          // --insecure: real providers' TLS certificates are not verified

	mu       sync.Mutex
	receiver *loopback.Receiver // bound for the current flow, before its request is built
	polls    *pollFeed          // the current device flow's polling, followed live (tuilife.go)
}

func newWiring() (*wiring, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()
	srv, err := mockidp.New(mockidp.Options{Issuer: issuer})
	if err != nil {
		ln.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLogger()}
	go hs.Serve(ln) //nolint:errcheck // ErrServerClosed after Shutdown
	return &wiring{idp: srv, hs: hs, issuer: issuer}, nil
}

func (w *wiring) close() {
	w.mu.Lock()
	if w.receiver != nil {
		w.receiver.Close()
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.hs.Shutdown(ctx)
}

// newFlow builds a flow for the TUI. Browser flows get a loopback receiver bound now,
// so the redirect URI in the request is where the real browser (`o`) will land; the
// in-terminal login and a pasted URL work with it too.
func (w *wiring) newFlow(choice tui.ProviderChoice, kind flows.Kind) (flows.Flow, error) {
	cfg, err := w.flowConfig(choice, kind)
	if err != nil {
		return nil, err
	}
	return w.startFlow(kind, *cfg, w.profileListen(choice))
}

// profileListen is where the receiver binds for a profile that says it differs from
// its redirect URI (listen, behind a tunnel); "" otherwise.
func (w *wiring) profileListen(choice tui.ProviderChoice) string {
	if choice.Provider.Profile == "" {
		return ""
	}
	p, err := w.profiles.lookup(choice.Provider.Profile)
	if err != nil {
		return ""
	}
	return p.Listen
}

// flowConfig is the configuration of a flow of kind against the chosen provider; the
// follow-ups (tuilife.go) use the configuration of the flow they follow.
func (w *wiring) flowConfig(choice tui.ProviderChoice, kind flows.Kind) (*flows.Config, error) {
	var cfg flows.Config
	switch {
	case choice.Provider.Bundled:
		cfg = bundledTUIDemo(kind)
		cfg.Provider = flows.Provider{Name: "bundled IdP", Issuer: w.issuer}
	case choice.Provider.Profile != "":
		p, err := w.profiles.lookup(choice.Provider.Profile)
		if err != nil {
			return nil, err
		}
		r, err := p.Resolve()
		if err != nil {
			return nil, err
		}
		secret, err := p.Secret(nil, func(string) (string, error) {
			if choice.ClientSecret == "" {
				return "", fmt.Errorf("profile %q asks for its client secret, and none was typed in", p.Name)
			}
			return choice.ClientSecret, nil // typed in on the provider screen, for this flow
		})
		if err != nil {
			return nil, err
		}
		cfg = r.FlowConfig(secret)
	default:
		cfg = flows.Config{
			Provider: flows.Provider{Name: choice.Provider.Name, Issuer: choice.Provider.Issuer},
			Client:   flows.Client{ID: choice.ClientID, Secret: choice.ClientSecret},
		}
		if kind != flows.KindClientCredentials {
			cfg.Scopes = []string{"openid", "profile", "email"}
		}
	}
	if w.insecure && !choice.Provider.Bundled {
		cfg.HTTPClient = &http.Client{Transport: httprec.NewTransport(true), Timeout: httprec.DefaultTimeout}
	}
	return &cfg, nil
}

// startFlow binds the loopback receiver of a browser flow (at listen when it differs
// from the redirect URI) and builds the flow.
func (w *wiring) startFlow(kind flows.Kind, cfg flows.Config, listen string) (flows.Flow, error) {
	info, _ := flows.LookupKind(string(kind))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.receiver != nil {
		w.receiver.Close()
		w.receiver = nil
	}
	if info.Browser {
		var rc *loopback.Receiver
		var err error
		switch {
		case cfg.Client.RedirectURI == "" || cfg.Client.RedirectURI == bundledRedirectURI:
			rc, err = loopback.Listen("127.0.0.1:0", loopback.DefaultPath)
		default:
			rc, err = loopback.Start(loopback.Config{RedirectURI: cfg.Client.RedirectURI, Listen: listen})
		}
		if err == nil {
			cfg.Client.RedirectURI = rc.RedirectURI()
			w.receiver = rc
		} else if cfg.Client.RedirectURI == "" {
			return nil, fmt.Errorf("loopback receiver: %w", err)
		}
	}
	return w.build(kind, cfg)
}

// browser is the `o` key: the real browser, answering to the current flow's receiver.
func (w *wiring) browser() flows.Authorizer {
	w.mu.Lock()
	defer w.mu.Unlock()
	return explorerBrowser(w.receiver, os.Getenv) // tuiremote.go: over SSH, nothing opens remotely
}

// faultController lets the TUI switch the bundled IdP's faults.
type faultController struct{ s *mockidp.Server }

func (f faultController) Catalog() []tui.FaultInfo {
	var out []tui.FaultInfo
	for _, c := range mockidp.FaultCatalog() {
		out = append(out, tui.FaultInfo{Name: string(c.Name), Title: c.Title, Description: c.Description, Catches: c.Catches, Spec: c.Spec})
	}
	return out
}

func (f faultController) Active() []string {
	var out []string
	for _, a := range f.s.ActiveFaults() {
		out = append(out, string(a))
	}
	return out
}

func (f faultController) Set(name string, on bool) error {
	return f.s.SetFault(mockidp.Fault(name), on)
}
func (f faultController) Advance(d time.Duration) { f.s.Advance(d) }
