// Package loopback receives the authorization response in the person's own browser:
// a one-shot HTTP server on the loopback interface at the redirect URI (RFC 8252
// §7.3), and [Browser], the [flows.Authorizer] that opens the authorization URL in
// the browser and waits for the response to come back to it.
//
// The [Receiver] binds 127.0.0.1 or [::1] (both for localhost) before the browser is
// opened, never all interfaces unless the person explicitly asks ([Config.Remote];
// RFC 8252 §8.3). The redirect URI the provider sees and the address bound may
// differ ([Config]): a remote terminal reached through `ssh -L`, a container. It has
// its own ServeMux on which only the redirect path counts, answers only requests from
// loopback addresses whose Host header names the redirect URI's host or the loopback
// interface (a DNS-rebinding page cannot reach it), and understands the
// three ways a response arrives: the query of a GET, the fragment (a relay page posts
// location.hash back, since browsers never send the fragment), and a form_post. The
// browser then shows a page that says what happened, in plain words.
//
// Which request ends the wait: the first one on the redirect path that carries
// authorization response parameters (code, access_token, id_token, error or state).
// Requests without any (a person reloading the bare path, a browser probing) are
// answered and ignored. A response whose state is not the expected one ([Receiver.Expect])
// is shown in the browser as rejected AND returned as the result, params and all, so
// the engine's state check (RFC 6749 §10.12) fails visibly instead of the flow
// waiting for a timeout: tampering must be seen, not swallowed. A response that cannot
// be parsed (a parameter twice, too large) is returned as an error for the same reason.
package loopback

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows/callback"
	"github.com/oauthx/oauthx/flows/record"
)

// DefaultPath is the redirect path when none is given.
const DefaultPath = "/callback"

// DefaultTimeout is how long [Browser] waits for the person to log in.
const DefaultTimeout = 5 * time.Minute

// relayField is the form field the fragment relay page posts location.hash in.
const relayField = "oauthx_fragment"

// Errors returned by [Receiver.Wait] and [Browser.Authorize], wrapped.
var (
	// ErrClosed: the receiver was closed before a response arrived.
	ErrClosed = errors.New("loopback receiver closed")
	// ErrTimeout: no response arrived in time.
	ErrTimeout = errors.New("timed out waiting for the authorization response")
)

// Receiver is a loopback HTTP server waiting for one authorization response. Create
// it with [Listen], [ListenFor] or [Start] before the browser opens; [Receiver.Close]
// shuts it down. Its methods are safe for concurrent use.
type Receiver struct {
	lns    []net.Listener // one, or two for localhost (127.0.0.1 and ::1)
	srv    *http.Server
	mux    *http.ServeMux
	path   string
	uri    string
	hosts  map[string]bool // Host header values accepted
	remote bool            // answers requests from any address (Config.Remote)
	now    func() time.Time

	mu        sync.Mutex
	expected  string
	expectSet bool
	delivered bool

	results   chan outcome // buffered 1: the first response
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

type outcome struct {
	cb  record.Callback
	err error
}

// Config says where a [Receiver] listens and which redirect URI it answers at. The
// two differ on remote terminals and awkward networks: the provider may send the
// browser to http://localhost:8765/callback (what was registered) while the receiver
// binds 127.0.0.1:8765, the end of an `ssh -L` tunnel.
type Config struct {
	// RedirectURI is the redirect URI the provider sees and sends the browser to; its
	// path is the one served, and its host is accepted in the Host header. A loopback
	// http URI without a port (or with port 0) gets the port actually bound (any port
	// is allowed for loopback, RFC 8252 §7.3). Empty means derived from Listen:
	// http://HOST:PORT/callback.
	RedirectURI string
	// Listen is the address bound, host:port. Empty means the redirect URI's host and
	// port, which must then be loopback. "localhost" binds both 127.0.0.1 and [::1]
	// on the same port where the machine has IPv6, since a browser may resolve
	// localhost to either; 127.0.0.1 and [::1] bind that family only.
	Listen string
	// Remote allows a Listen address that is not loopback (0.0.0.0, a LAN address,
	// all interfaces), for a browser on another machine or outside a container, and
	// then answers requests from any address. RFC 8252 §8.3 says a native client
	// binds the loopback interface only: set it only when the person asked, and say so.
	// The Host header is still checked against the redirect URI.
	Remote bool
}

// Listen binds addr, a loopback host and port ("127.0.0.1:0" for a free port, the
// default when addr is ""; "[::1]:8765"; "localhost:8765", which binds 127.0.0.1 and
// [::1] and keeps "localhost" in the redirect URI for providers that registered it),
// and serves the redirect path (DefaultPath when ""). Any other host is refused: RFC
// 8252 §8.3 says to bind the loopback interface only, never all interfaces.
func Listen(addr, path string) (*Receiver, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if path == "" {
		path = DefaultPath
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return start(Config{Listen: addr}, path)
}

// ListenFor binds the receiver a loopback redirect URI names, such as
// "http://127.0.0.1:8765/callback" registered with a real provider. The URI must be
// http with a loopback host and an explicit port (RFC 8252 §7.3).
func ListenFor(redirectURI string) (*Receiver, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("redirect URI %q: %v", redirectURI, err)
	}
	if u.Port() == "" && u.Scheme == "http" {
		return nil, fmt.Errorf("redirect URI %q has no port; give one (any port is allowed for loopback, RFC 8252 §7.3)", redirectURI)
	}
	return Start(Config{RedirectURI: redirectURI})
}

// Start binds the receiver c describes. Without c.Remote, both the redirect URI and
// the listen address must be loopback; with it, the listen address may be any, and a
// redirect URI must say how the browser reaches this machine.
func Start(c Config) (*Receiver, error) {
	path := DefaultPath
	if c.RedirectURI != "" {
		u, err := url.Parse(c.RedirectURI)
		if err != nil {
			return nil, fmt.Errorf("redirect URI %q: %v", c.RedirectURI, err)
		}
		if u.Scheme != "http" && (c.Listen == "" || u.Scheme != "https") {
			return nil, fmt.Errorf("redirect URI %q: the loopback receiver needs an http:// URI on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)", c.RedirectURI)
		}
		if u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("redirect URI %q: want http://HOST:PORT/PATH", c.RedirectURI)
		}
		if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.RedirectURI, "?") || strings.Contains(c.RedirectURI, "#") {
			return nil, fmt.Errorf("redirect URI %q: the loopback receiver serves a path without a query or fragment", c.RedirectURI)
		}
		if path = u.EscapedPath(); path == "" {
			path = "/"
		}
		if err := checkPath(path); err != nil {
			return nil, err
		}
		if c.Listen == "" {
			if !IsLoopbackHost(u.Hostname()) {
				return nil, fmt.Errorf("redirect URI %q: %s is not a loopback address; the receiver binds 127.0.0.1, [::1] "+
					"or localhost (RFC 8252 §7.3). To receive it elsewhere, say where to listen (--listen)", c.RedirectURI, u.Hostname())
			}
			port := u.Port()
			if port == "" {
				port = "0"
			}
			c.Listen = net.JoinHostPort(u.Hostname(), port)
		}
	}
	return start(c, path)
}

func checkPath(path string) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#{} \t\r\n") {
		return fmt.Errorf("redirect path %q: want an absolute path such as /callback, with no query, fragment or braces", path)
	}
	return nil
}

// IsLoopbackHost reports whether host (a name or an address, without brackets or
// port) is the loopback interface: localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// start binds c.Listen and serves path; c.RedirectURI, when set, has been checked.
func start(c Config, path string) (*Receiver, error) {
	addr := c.Listen
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %v (want host:port, e.g. 127.0.0.1:8765)", addr, err)
	}
	var binds []string // hosts to bind, the first one required
	uriHost := host
	switch {
	case strings.EqualFold(host, "localhost"):
		binds, uriHost = []string{"127.0.0.1", "::1"}, "localhost"
	case IsLoopbackHost(host):
		binds = []string{host}
	case !c.Remote:
		what := host + " is not a loopback address"
		if host == "" || isUnspecified(host) {
			what = "that is every interface"
		}
		return nil, fmt.Errorf("listen address %q: %s; RFC 8252 §8.3 says the receiver binds 127.0.0.1 or [::1] only "+
			"(listening wider needs an explicit request: --listen-remote)", addr, what)
	default:
		binds = []string{host}
		if c.RedirectURI == "" {
			return nil, fmt.Errorf("listen address %q is not loopback: give the redirect URI the browser will use to reach "+
				"this machine (--redirect-uri http://HOST:%s/callback, registered with the provider)", addr, port)
		}
	}
	var lns []net.Listener
	for i, h := range binds {
		p := port
		if i > 0 {
			_, p, _ = net.SplitHostPort(lns[0].Addr().String()) // the same port on the other family
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(h, p))
		if err != nil {
			if i > 0 {
				continue // no IPv6 loopback here, or the port is taken there: IPv4 alone serves localhost
			}
			return nil, fmt.Errorf("cannot listen on %s: %v (is another program using port %s? use port 0 for a free one)",
				net.JoinHostPort(h, p), err, p)
		}
		lns = append(lns, ln)
	}
	_, actual, _ := net.SplitHostPort(lns[0].Addr().String())
	r := &Receiver{
		lns:     lns,
		path:    path,
		remote:  c.Remote && !IsLoopbackHost(host),
		now:     time.Now,
		results: make(chan outcome, 1),
		closed:  make(chan struct{}),
		hosts: map[string]bool{
			net.JoinHostPort("127.0.0.1", actual): true,
			net.JoinHostPort("::1", actual):       true,
			net.JoinHostPort("localhost", actual): true,
		},
	}
	if c.RedirectURI == "" {
		r.uri = "http://" + net.JoinHostPort(uriHost, actual) + path
	} else {
		u, _ := url.Parse(c.RedirectURI)
		if u.Scheme == "http" && IsLoopbackHost(u.Hostname()) && (u.Port() == "" || u.Port() == "0") {
			u.Host = net.JoinHostPort(u.Hostname(), actual)
		}
		r.uri = u.String()
		r.hosts[strings.ToLower(u.Host)] = true
	}
	r.hosts[net.JoinHostPort(strings.ToLower(uriHost), actual)] = true
	r.mux = http.NewServeMux()
	r.mux.HandleFunc(path, r.handleCallback)
	if path != "/" {
		r.mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
			writePage(w, http.StatusNotFound, pageData{Title: "Not found",
				Lead: "oauthx is waiting for the authorization response at " + r.uri + ", not here."})
		})
	}
	r.srv = &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // never write to the terminal the TUI owns
	}
	for _, ln := range lns {
		go r.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	}
	return r, nil
}

func isUnspecified(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}

// RedirectURI returns the redirect URI the receiver answers at, e.g.
// http://127.0.0.1:53712/callback.
func (r *Receiver) RedirectURI() string { return r.uri }

// Addr returns the address the receiver listens on (the first, for localhost).
func (r *Receiver) Addr() net.Addr { return r.lns[0].Addr() }

// Listening returns every address the receiver listens on, e.g. ["127.0.0.1:8765",
// "[::1]:8765"] for localhost.
func (r *Receiver) Listening() []string {
	out := make([]string, len(r.lns))
	for i, ln := range r.lns {
		out[i] = ln.Addr().String()
	}
	return out
}

// Remote reports whether the receiver listens beyond the loopback interface and
// answers requests from any address ([Config.Remote]).
func (r *Receiver) Remote() bool { return r.remote }

// Expect sets the state the authorization request carried. A response with another
// state (or none) is shown in the browser as rejected and still returned by Wait, so
// the engine's state check fails visibly. Without Expect, no state is compared.
func (r *Receiver) Expect(state string) {
	r.mu.Lock()
	r.expected, r.expectSet = state, true
	r.mu.Unlock()
}

// SetClock sets the clock of Callback.ReceivedAt (tests); nil means time.Now.
func (r *Receiver) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

// Wait returns the first authorization response that reached the redirect path, or
// the error that response carried (unparsable), or an error when ctx is done
// (ctx.Err()) or the receiver is closed (ErrClosed).
func (r *Receiver) Wait(ctx context.Context) (record.Callback, error) {
	select {
	case o := <-r.results:
		r.results <- o // keep it for another Wait
		return o.cb, o.err
	case <-ctx.Done():
		return record.Callback{}, ctx.Err()
	case <-r.closed:
		select {
		case o := <-r.results:
			r.results <- o
			return o.cb, o.err
		default:
		}
		return record.Callback{}, fmt.Errorf("%w before the authorization response arrived", ErrClosed)
	}
}

// Close shuts the receiver down and frees its port. Requests in progress (the page
// that tells the person they can close the tab) get up to two seconds to finish.
func (r *Receiver) Close() error {
	r.closeOnce.Do(func() {
		close(r.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := r.srv.Shutdown(ctx); err != nil {
			r.closeErr = r.srv.Close()
		}
		// Shutdown closes the listeners Serve tracks; if the Serve goroutine has not
		// started yet, it would close ln only later. Close it now so the port is free
		// when Close returns.
		for _, ln := range r.lns {
			if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) && r.closeErr == nil {
				r.closeErr = err
			}
		}
	})
	return r.closeErr
}

// ServeHTTP answers requests from loopback addresses (from any address only when
// listening remotely) whose Host is the redirect URI's or a loopback one, then routes
// them on the receiver's own ServeMux.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
	if !r.remote && !fromLoopback(req.RemoteAddr) {
		writePage(w, http.StatusForbidden, pageData{Title: "Refused",
			Lead: "The oauthx receiver only answers requests from this machine (RFC 8252 §8.3)."})
		return
	}
	if !r.hosts[strings.ToLower(req.Host)] {
		writePage(w, http.StatusMisdirectedRequest, pageData{Title: "Refused",
			Lead: "The oauthx receiver only answers requests addressed to the redirect URI " + r.uri +
				" or the loopback interface (Host 127.0.0.1, [::1] or localhost); this one was for " + req.Host + "."})
		return
	}
	r.mux.ServeHTTP(w, req)
}

func fromLoopback(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	return ap.Addr().Unmap().IsLoopback()
}

// handleCallback serves the redirect path.
func (r *Receiver) handleCallback(w http.ResponseWriter, req *http.Request) {
	// The URL the browser loaded: the redirect URI's scheme (https when a proxy in
	// front terminates TLS), the Host it asked for, the path and query.
	scheme, _, _ := strings.Cut(r.uri, "://")
	full := scheme + "://" + req.Host + req.URL.RequestURI()
	switch req.Method {
	case http.MethodGet:
		q, _ := url.ParseQuery(req.URL.RawQuery)
		if !callback.IsResponse(q) {
			// The response may be in the fragment, which the browser did not send:
			// serve the relay page that posts it back.
			writeRelay(w, req.URL.RequestURI())
			return
		}
		cb, err := callback.Parse(full, r.clock()())
		r.respond(w, req, cb, err)
	case http.MethodPost:
		ctype, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if ctype != "application/x-www-form-urlencoded" {
			writePage(w, http.StatusUnsupportedMediaType, pageData{Title: "Not an authorization response",
				Lead: "A response posted to the redirect URI is an application/x-www-form-urlencoded form " +
					"(OAuth 2.0 Form Post Response Mode §2); this was " + orNone(ctype) + "."})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, callback.MaxSize+int64(len(relayField))+1))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				r.respond(w, req, record.Callback{}, &callback.ParseError{Err: callback.ErrTooLarge,
					Msg: fmt.Sprintf("the form posted to the redirect URI is larger than %d bytes", callback.MaxSize)})
			}
			return
		}
		form, _ := url.ParseQuery(string(body))
		if frag, ok := form[relayField]; ok && len(form) == 1 {
			if len(frag) != 1 || frag[0] == "" {
				writePage(w, http.StatusBadRequest, pageData{Title: "No authorization response",
					Lead: "The relay page found no parameters in the URL fragment."})
				return
			}
			cb, err := callback.Parse(full+"#"+frag[0], r.clock()())
			r.respond(w, req, cb, err)
			return
		}
		if !callback.IsResponse(form) {
			writePage(w, http.StatusBadRequest, pageData{Title: "No authorization response",
				Lead: "This form has no code, token, error or state parameter, so it is not an authorization response."})
			return
		}
		cb, err := callback.ParseForm(string(body), full, r.clock()())
		r.respond(w, req, cb, err)
	default:
		w.Header().Set("Allow", "GET, POST")
		writePage(w, http.StatusMethodNotAllowed, pageData{Title: "Method not allowed",
			Lead: "The redirect URI receives the authorization response by GET (query or fragment) or POST (form_post)."})
	}
}

// respond hands the first response to Wait and shows the browser what happened.
func (r *Receiver) respond(w http.ResponseWriter, req *http.Request, cb record.Callback, err error) {
	cb.From = req.RemoteAddr
	r.mu.Lock()
	first := !r.delivered
	r.delivered = true
	expected, expectSet := r.expected, r.expectSet
	r.mu.Unlock()
	if !first {
		writePage(w, http.StatusConflict, pageData{Title: "Already answered",
			Lead: "oauthx has already received an authorization response for this flow and ignores this one. " +
				"Return to the terminal."})
		return
	}
	if err != nil {
		r.results <- outcome{err: err}
		writePage(w, http.StatusBadRequest, pageData{Title: "Broken authorization response",
			Lead: "oauthx received the response but cannot accept it: " + err.Error(), Terminal: true})
		return
	}
	r.results <- outcome{cb: cb}
	if got, ok := cb.Params["state"]; expectSet && (!ok || subtle.ConstantTimeCompare([]byte(got), []byte(expected)) != 1) {
		lead := "The state in this response is not the one oauthx sent, so it may not answer oauthx's request: " +
			"a forged or replayed response (cross-site request forgery). oauthx rejects it."
		if !ok {
			lead = "This response has no state, but oauthx sent one, so it cannot be tied to oauthx's request. oauthx rejects it."
		}
		writePage(w, http.StatusBadRequest, pageData{Title: "Response rejected: state mismatch", Lead: lead,
			Spec: "RFC 6749 §10.12", Terminal: true})
		return
	}
	if code, ok := cb.Params["error"]; ok {
		meaning, spec := callback.ErrorMeaning(code)
		d := pageData{Title: "The provider returned an error", Lead: "The authorization server did not grant access.",
			Details: []detail{{"error", code}}, Meaning: meaning, Spec: spec, Terminal: true}
		if v := cb.Params["error_description"]; v != "" {
			d.Details = append(d.Details, detail{"error_description", v})
		}
		if v := cb.Params["error_uri"]; v != "" {
			d.Details = append(d.Details, detail{"error_uri", v})
		}
		writePage(w, http.StatusOK, d)
		return
	}
	writePage(w, http.StatusOK, pageData{Title: "Signed in",
		Lead: "oauthx received the authorization response. You can close this tab and return to the terminal.",
		OK:   true})
}

func (r *Receiver) clock() func() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}
