package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/oauthx/oauthx/mockidp"
)

// faultList is a repeatable --fault flag.
type faultList []mockidp.Fault

func (f *faultList) String() string {
	s := make([]string, len(*f))
	for i, x := range *f {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

func (f *faultList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*f = append(*f, mockidp.Fault(name))
		}
	}
	return nil
}

// runIdp runs `oauthx idp`: the bundled provider on its own, until SIGINT or SIGTERM.
func runIdp(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runIdpContext(ctx, args, stdout, stderr, nil)
}

// runIdpContext is runIdp with the stop signal as a context; ready, when not
// nil, is called with the issuer once the listener is bound (for tests).
func runIdpContext(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(issuer string)) int {
	fs := flag.NewFlagSet("oauthx idp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address; use 127.0.0.1:0 for a free port")
	configPath := fs.String("config", "", "TOML config file with users, clients and lifetimes (see docs/mockidp.md)")
	issuer := fs.String("issuer", "", "issuer URL, when it differs from http://ADDR (e.g. behind a proxy)")
	allowRemote := fs.Bool("allow-remote", false, "allow binding a non-loopback address (the demo secrets become reachable)")
	defCache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		defCache = filepath.Join(dir, "oauthx", "keys")
	}
	keyCache := fs.String("key-cache", defCache, "directory where signing keys are kept between runs (\"\" to generate fresh keys)")
	quiet := fs.Bool("quiet", false, "do not log requests")
	var faults faultList
	fs.Var(&faults, "fault", "switch a fault on at start (repeatable, or comma-separated); see --list-faults")
	listFaults := fs.Bool("list-faults", false, "list the faults and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx idp [flags]")
		fmt.Fprintln(stderr, "\nStart the bundled OAuth 2.0 / OpenID Connect provider. Faults and the clock can be")
		fmt.Fprintln(stderr, "changed while it runs through the loopback-only admin API at /_oauthx/ (docs/mockidp.md).")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "oauthx idp: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *listFaults {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, f := range mockidp.FaultCatalog() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Title, f.Spec)
		}
		tw.Flush()
		return exitOK
	}

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "oauthx idp: --addr %q: %v\n", *addr, err)
		return exitUsage
	}
	if !isLoopbackAddr(host) {
		if !*allowRemote {
			fmt.Fprintf(stderr, "oauthx idp: --addr %q is not a loopback address; the mock IdP has public demo secrets, so binding it needs --allow-remote (RFC 8252 §8.3)\n", *addr)
			return exitUsage
		}
		fmt.Fprintf(stderr, "WARNING: the mock IdP listens on %s, reachable from other machines. Its users and client secrets are public demo values.\n", *addr)
	}

	var cfg *mockidp.Config
	if *configPath != "" {
		cfg, err = mockidp.LoadConfig(*configPath)
		if err != nil {
			fmt.Fprintf(stderr, "oauthx idp: %v\n", err)
			return exitUsage
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "oauthx idp: %v\n", err)
		return exitFailure
	}
	iss := *issuer
	if iss == "" && cfg != nil {
		iss = cfg.Issuer
	}
	if iss == "" && isLoopbackAddr(host) {
		iss = "http://" + ln.Addr().String()
	}
	var logw io.Writer
	if !*quiet {
		logw = stderr
	}
	srv, err := mockidp.New(mockidp.Options{Issuer: iss, Config: cfg, Faults: faults, Log: logw, KeyCacheDir: *keyCache})
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "oauthx idp: %v\n", err)
		return exitUsage
	}
	shown := iss
	if shown == "" {
		shown = "(derived from each request's Host, listening on " + ln.Addr().String() + ")"
	}
	printIdpBanner(stdout, srv, shown)

	mux := http.NewServeMux()
	admin := srv.AdminHandler()
	if logw != nil {
		admin = logAdmin(logw, admin)
	}
	mux.Handle("/_oauthx/", admin)
	mux.Handle("/", srv)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if ready != nil {
		ready(iss)
	}
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "oauthx idp: %v\n", err)
		return exitFailure
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "oauthx idp: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "oauthx idp: shutdown: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func isLoopbackAddr(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printIdpBanner prints the issuer, the clients with their secrets (they are
// public demo values) and the users.
func printIdpBanner(w io.Writer, srv *mockidp.Server, issuer string) {
	fmt.Fprintf(w, "oauthx mock IdP\n\nIssuer:    %s\n", issuer)
	if strings.HasPrefix(issuer, "http") {
		fmt.Fprintf(w, "Discovery: %s/.well-known/openid-configuration\n", issuer)
	}
	if strings.HasPrefix(issuer, "http") {
		fmt.Fprintf(w, "Admin:     %s/_oauthx/faults, %s/_oauthx/clock (loopback only, docs/mockidp.md)\n", issuer, issuer)
	}
	if f := srv.ActiveFaults(); len(f) > 0 {
		fmt.Fprintf(w, "Faults on: %v\n", f)
	}
	fmt.Fprintln(w, "\nClients:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  id\tsecret\tauth\tgrants\tconsent")
	for _, c := range srv.Clients() {
		secret := c.Secret
		if c.Public {
			secret = "(public)"
		}
		grants := strings.ReplaceAll(strings.Join(c.GrantTypes, ","), "urn:ietf:params:oauth:grant-type:", "")
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.ID, secret, strings.Join(c.AuthMethods, ","), grants, c.ConsentAsked())
	}
	tw.Flush()
	fmt.Fprintln(w, "\nUsers:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  username\tpassword\troles")
	for _, u := range srv.Users() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Username, u.Password, strings.Join(u.Roles, ","))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// logAdmin logs admin API requests in the same one-line format as the IdP.
func logAdmin(w io.Writer, h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &adminStatus{ResponseWriter: rw, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		mu.Lock()
		fmt.Fprintf(w, "%s %s %d %s\n", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
		mu.Unlock()
	})
}

type adminStatus struct {
	http.ResponseWriter
	status int
}

func (a *adminStatus) WriteHeader(code int) {
	a.status = code
	a.ResponseWriter.WriteHeader(code)
}
