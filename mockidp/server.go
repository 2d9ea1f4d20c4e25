package mockidp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 64 << 10

// Options configure a [Server]. The zero value is a working demo provider.
type Options struct {
	// Issuer is the issuer identifier (OIDC Discovery §3, RFC 8414 §2). When
	// empty, it is derived per request from the scheme and Host, so that
	// httptest.NewServer(mockidp.New(…)) just works. Set it when known.
	Issuer string
	// Config holds users, clients, lifetimes and algorithms; nil means the
	// built-in demo users and clients.
	Config *Config
	// Now is the wall clock; nil means time.Now. The server adds its own
	// offset, moved by [Server.Advance].
	Now func() time.Time
	// Faults are switched on at start.
	Faults []Fault
	// Log gets one line per request (method, path, status, duration); nil is
	// silent. Query strings and bodies are never logged.
	Log io.Writer
	// KeyCacheDir, when set, is where generated signing keys are persisted
	// (mode 0600) and read back on the next start.
	KeyCacheDir string
	// Rand is the source of codes, tokens and ids; nil means crypto/rand.
	// (Key generation always uses crypto/rand.)
	Rand io.Reader
}

// Server is the mock provider. It is an [http.Handler]; all its methods are
// safe for concurrent use.
type Server struct {
	cfg     *resolved
	issuer  string // fixed issuer, or "" to derive per request
	wallNow func() time.Time
	offset  atomic.Int64 // nanoseconds added by Advance
	log     io.Writer
	logMu   sync.Mutex
	table   map[string]route
	cors    map[string]bool // paths that answer CORS requests

	keysReady chan struct{}
	keys      *keySet
	keysErr   error

	randMu sync.Mutex
	rand   io.Reader

	pageCache pageCache // rendered login and consent pages

	faultMu sync.RWMutex
	faults  map[Fault]bool

	mu            sync.Mutex
	pending       map[string]*authRequest
	sessions      map[string]*session
	codes         map[string]*authCode
	grants        map[string]*grant
	access        map[tokenKey]*accessRecord  // by SHA-256 of the access token
	refresh       map[tokenKey]*refreshRecord // by SHA-256 of the refresh token
	devices       map[string]*deviceGrant     // by device_code
	userCode      map[string]string           // user_code (normalised) → device_code
	pushed        map[string]*pushedRequest   // by PAR request_uri
	assertionJTIs map[string]time.Time        // client_id NUL jti of used client assertions → exp
	issued        int                         // records stored, ever
	sinceSweep    int                         // records stored since the last sweep
	sweepLeft     int                         // records the last sweep left
	sweeps        int                         // sweeps run, ever
}

// New returns a server. It returns at once: signing keys are generated (or
// read from Options.KeyCacheDir) in a background goroutine, and handlers
// that need them wait.
func New(opts Options) (*Server, error) {
	cfg, err := opts.Config.resolve()
	if err != nil {
		return nil, fmt.Errorf("mockidp: config: %w", err)
	}
	iss := opts.Issuer
	if iss == "" {
		iss = cfg.issuer
	} else if err := checkIssuer(iss); err != nil {
		return nil, fmt.Errorf("mockidp: issuer %q: %w", iss, err)
	}
	s := &Server{
		cfg:           cfg,
		issuer:        iss,
		wallNow:       opts.Now,
		log:           opts.Log,
		keysReady:     make(chan struct{}),
		rand:          opts.Rand,
		faults:        map[Fault]bool{},
		pending:       map[string]*authRequest{},
		sessions:      map[string]*session{},
		codes:         map[string]*authCode{},
		grants:        map[string]*grant{},
		access:        map[tokenKey]*accessRecord{},
		refresh:       map[tokenKey]*refreshRecord{},
		devices:       map[string]*deviceGrant{},
		userCode:      map[string]string{},
		pushed:        map[string]*pushedRequest{},
		assertionJTIs: map[string]time.Time{},
	}
	if s.wallNow == nil {
		s.wallNow = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	for _, f := range opts.Faults {
		if err := s.SetFault(f, true); err != nil {
			return nil, err
		}
	}
	go func() {
		defer close(s.keysReady)
		s.keys, s.keysErr = loadOrGenerateKeys(opts.KeyCacheDir)
	}()
	s.routes()
	return s, nil
}

// route is one endpoint: the handler per method.
type route map[string]http.HandlerFunc

// routes builds the routing table. It is a plain map rather than an
// http.ServeMux because registering patterns on a ServeMux costs hundreds of
// microseconds, and New must stay well under a millisecond.
func (s *Server) routes() {
	get := func(h http.HandlerFunc) route { return route{http.MethodGet: h} }
	post := func(h http.HandlerFunc) route { return route{http.MethodPost: h} }
	both := func(h http.HandlerFunc) route { return route{http.MethodGet: h, http.MethodPost: h} }
	s.table = map[string]route{
		"/.well-known/openid-configuration":       get(s.handleDiscovery),
		"/.well-known/oauth-authorization-server": get(s.handleDiscovery),
		"/jwks":                 get(s.handleJWKS),
		"/authorize":            both(s.handleAuthorize),
		"/login":                {http.MethodGet: s.handleLoginPage, http.MethodPost: s.handleLogin},
		"/consent":              {http.MethodGet: s.handleConsentPage, http.MethodPost: s.handleConsent},
		"/token":                post(s.handleToken),
		"/par":                  post(s.handlePAR),
		"/userinfo":             both(s.handleUserinfo),
		"/introspect":           post(s.handleIntrospect),
		"/revoke":               post(s.handleRevoke),
		"/device_authorization": post(s.handleDeviceAuthorization),
		"/device":               {http.MethodGet: s.handleDevicePage, http.MethodPost: s.handleDevice},
		"/end_session":          both(s.handleEndSession),
		"/api/me":               get(s.handleAPIMe),
		"/api/admin":            get(s.handleAPIAdmin),
		"/api/notes":            post(s.handleAPINotes),
		"/":                     get(s.handleIndex),
	}
	// The endpoints a browser app (a SPA) calls from its own origin answer
	// CORS requests from any origin. Cookies are never involved (no
	// Allow-Credentials), so this exposes nothing a server-side client could
	// not fetch anyway. The login, consent and device pages do not.
	s.cors = map[string]bool{}
	for _, p := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server", "/jwks",
		"/token", "/userinfo", "/revoke", "/introspect", "/device_authorization", "/par", "/api/me", "/api/admin", "/api/notes"} {
		s.cors[p] = true
	}
}

// dispatch finds the handler for a request: 404 for an unknown path, 405
// with Allow for a known path and another method (HEAD is served as GET).
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.table[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.cors[r.URL.Path] && r.Header.Get("Origin") != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
		if r.Method == http.MethodOptions { // CORS preflight (Fetch standard)
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	m := r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	h := rt[m]
	if h == nil {
		allow := make([]string, 0, 2)
		for _, x := range []string{http.MethodGet, http.MethodPost} {
			if rt[x] != nil {
				allow = append(allow, x)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h(w, r)
}

// ServeHTTP dispatches to the endpoints. Request bodies are limited to 64 KiB.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.dispatch(sw, r)
	if s.log != nil {
		s.logMu.Lock()
		fmt.Fprintf(s.log, "%s %s %d %s\n", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
		s.logMu.Unlock()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Now returns the server's clock: the wall clock plus what [Server.Advance] added.
func (s *Server) Now() time.Time {
	return s.wallNow().Add(time.Duration(s.offset.Load()))
}

// Advance moves the server clock forward by d, to show expiry without waiting.
func (s *Server) Advance(d time.Duration) {
	if d > 0 {
		s.offset.Add(int64(d))
		// What the last sweep left may all have expired now: sweep again
		// after the minimum number of insertions rather than half of it.
		s.mu.Lock()
		s.sweepLeft = 0
		s.mu.Unlock()
	}
}

// Clients returns copies of the registered clients.
func (s *Server) Clients() []Client {
	out := make([]Client, len(s.cfg.clients))
	for i, c := range s.cfg.clients {
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
		c.GrantTypes = slices.Clone(c.GrantTypes)
		c.ResponseTypes = slices.Clone(c.ResponseTypes)
		c.AuthMethods = slices.Clone(c.AuthMethods)
		c.Scopes = slices.Clone(c.Scopes)
		out[i] = c
	}
	return out
}

// Users returns copies of the users.
func (s *Server) Users() []User {
	out := make([]User, len(s.cfg.users))
	for i, u := range s.cfg.users {
		u.Claims = cloneClaims(u.Claims)
		u.Roles = slices.Clone(u.Roles)
		out[i] = u
	}
	return out
}

// Issuer returns the configured issuer, or "" when it is derived per request.
func (s *Server) Issuer() string { return s.issuer }

// WaitKeys blocks until the signing keys are ready or ctx is done. Handlers
// call it themselves; embedders may call it to pre-warm.
func (s *Server) WaitKeys(ctx context.Context) error {
	select {
	case <-s.keysReady:
		return s.keysErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) signingKeys(ctx context.Context) (*keySet, error) {
	if err := s.WaitKeys(ctx); err != nil {
		return nil, err
	}
	return s.keys, nil
}

// issuerFor returns the issuer for a request.
func (s *Server) issuerFor(r *http.Request) string {
	if s.issuer != "" {
		return s.issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// randomString returns n random bytes, base64url-encoded.
func (s *Server) randomString(n int) string {
	return base64.RawURLEncoding.EncodeToString(s.randomBytes(n))
}

func (s *Server) randomBytes(n int) []byte {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.rand, b)
	s.randMu.Unlock()
	if err != nil {
		// A failing random source is a programming error in the embedder.
		panic(fmt.Sprintf("mockidp: random source failed: %v", err))
	}
	return b
}

// parseForm parses a POST body (and query), refusing repeated parameters
// (RFC 6749 §3.1, §3.2) except those listed in multi.
func parseForm(r *http.Request, multi ...string) *oauthError {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &oauthError{Code: ErrorInvalidRequest, Description: "request body larger than 64 KiB", Status: http.StatusRequestEntityTooLarge}
		}
		return errf(ErrorInvalidRequest, "malformed request: "+err.Error())
	}
	for k, v := range r.Form {
		if len(v) > 1 && !slices.Contains(multi, k) {
			return errf(ErrorInvalidRequest, "parameter "+k+" is repeated (RFC 6749 §3.1)")
		}
	}
	return nil
}

// handleIndex is a small HTML page for people who open the issuer URL in a
// browser: the issuer, the discovery link (OIDC Discovery §4), clients, users.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	iss := s.issuerFor(r)
	renderPage(w, http.StatusOK, indexPage, map[string]any{"Issuer": iss, "Clients": s.cfg.clients, "Users": s.cfg.users})
}

func hasScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }

func joinScopes(s []string) string { return strings.Join(s, " ") }
