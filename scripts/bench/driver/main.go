// Command driver is the load driver of scripts/bench/side-by-side.sh: it starts
// `oauthx idp` and oidc-provider (scripts/interop/provider.mjs) on loopback, drives the
// same workloads against each for a fixed duration and concurrency, and prints
// requests/s, p50 and p99 latency for each and the throughput ratio.
//
// Workloads:
//
//	client-credentials  one token request (RFC 6749 §4.4) with client_secret_basic
//	                    as "machine", scope api:read
//	code-pkce           a full authorization code + PKCE round (RFC 7636) as
//	                    "native-app": a fresh browser (cookie jar) follows the
//	                    authorize URL, signs in as alice, consents, takes the code from
//	                    the redirect and exchanges it at the token endpoint
//	code                the same round as "web-app", a confidential client with
//	                    client_secret_basic and no PKCE (RFC 6749 §4.1)
//
// A round counts only when it ends with an access token; anything else is an error,
// and the driver exits 1 if any round failed. Every target serves only loopback and the
// load stops by itself after the given duration.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	os.Exit(run())
}

type options struct {
	oauthxBin    string
	providerMJS  string
	duration     time.Duration
	warmup       time.Duration
	concurrency  int
	workloads    []string
	targets      []string
	jsonOut      string
	startTimeout time.Duration
}

func run() int {
	var o options
	var workloads, targets string
	flag.StringVar(&o.oauthxBin, "oauthx", "/tmp/oauthx", "path of the oauthx binary (`oauthx idp` is started from it)")
	flag.StringVar(&o.providerMJS, "provider", "scripts/interop/provider.mjs", "path of scripts/interop/provider.mjs")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each workload runs against each target")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before measuring (JIT, caches, connection pools)")
	flag.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients")
	flag.StringVar(&workloads, "workloads", "client-credentials,code,code-pkce", "comma-separated workloads: client-credentials, code, code-pkce")
	flag.StringVar(&targets, "targets", "oauthx,oidc-provider", "comma-separated targets")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.DurationVar(&o.startTimeout, "start-timeout", 30*time.Second, "how long a target may take to start")
	flag.Parse()
	o.workloads = strings.Split(workloads, ",")
	o.targets = strings.Split(targets, ",")
	for _, w := range o.workloads {
		if _, ok := workloadFuncs[w]; !ok {
			fmt.Fprintf(os.Stderr, "driver: unknown workload %q (known: client-credentials, code-pkce, code)\n", w)
			return 2
		}
	}
	if o.concurrency < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "driver: -concurrency must be at least 1 and -duration positive")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Both targets run for the whole benchmark, and each workload runs against one
	// then the other, back to back: a change in the machine's load then hits both
	// sides of a ratio alike. An idle target costs nothing.
	var running []*target
	defer func() {
		for _, t := range running {
			t.stop()
		}
	}()
	for _, name := range o.targets {
		t, err := startTarget(ctx, name, o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "driver: %s: %v\n", name, err)
			return 1
		}
		running = append(running, t)
		fmt.Fprintf(os.Stderr, "driver: %s at %s (%s)\n", name, t.issuer, t.version)
	}
	loadBefore := loadAvg()
	var results []result
	failed := false
	for _, w := range o.workloads {
		for _, t := range running {
			r, err := measure(ctx, t, w, o)
			if err != nil {
				fmt.Fprintf(os.Stderr, "driver: %s %s: %v\n", t.name, w, err)
				failed = true
			}
			if r.Errors > 0 {
				failed = true
				fmt.Fprintf(os.Stderr, "driver: %s %s: %d errors, first: %s\n", t.name, w, r.Errors, r.FirstError)
			}
			results = append(results, r)
			if ctx.Err() != nil {
				return 1
			}
		}
	}
	fmt.Fprintf(os.Stderr, "driver: load average before %s, after %s\n", loadBefore, loadAvg())

	report(os.Stdout, results, o)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "driver: %v\n", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

// target is a running provider.
type target struct {
	name    string
	version string
	issuer  string
	meta    metadata
	client  *http.Client // shared transport, no cookies, no redirects followed
	cmd     *exec.Cmd
	exited  chan struct{}
	stdin   io.Closer
}

type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

func startTarget(ctx context.Context, name string, o options) (*target, error) {
	t := &target{name: name, exited: make(chan struct{})}
	switch name {
	case "oauthx":
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		t.issuer = "http://" + addr
		t.cmd = exec.Command(o.oauthxBin, "idp", "--addr", addr, "--quiet", "--key-cache", "")
		t.version = "oauthx idp"
	case "oidc-provider":
		t.cmd = exec.Command("node", o.providerMJS, "--port", "0", "--watch-stdin", "--quiet")
		t.version = "oidc-provider " + npmVersion(filepath.Dir(o.providerMJS)) + ", node " + nodeVersion()
	default:
		return nil, fmt.Errorf("unknown target (known: oauthx, oidc-provider)")
	}
	t.cmd.Stderr = os.Stderr
	dieWithParent(t.cmd)
	stdin, err := t.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	t.stdin = stdin
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := t.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = t.cmd.Wait(); close(t.exited) }()

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	if name == "oidc-provider" {
		select {
		case line, ok := <-lines:
			iss, found := strings.CutPrefix(line, "ISSUER ")
			if !ok || !found {
				t.stop()
				return nil, fmt.Errorf("provider.mjs printed %q, want \"ISSUER http://…\" (run bash scripts/interop/setup.sh?)", line)
			}
			t.issuer = iss
		case <-time.After(o.startTimeout):
			t.stop()
			return nil, fmt.Errorf("did not start within %s", o.startTimeout)
		}
	}

	t.client = &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        4 * o.concurrency,
			MaxIdleConnsPerHost: 4 * o.concurrency,
			IdleConnTimeout:     30 * time.Second,
		},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// Wait for discovery to answer: a bounded readiness check (the oauthx binary
	// prints no ready line we rely on).
	deadline := time.Now().Add(o.startTimeout)
	for {
		err := getJSON(ctx, t.client, t.issuer+"/.well-known/openid-configuration", &t.meta)
		if err == nil {
			break
		}
		select {
		case <-t.exited:
			return nil, fmt.Errorf("exited before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.stop()
			return nil, fmt.Errorf("discovery did not answer within %s: %v", o.startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if t.meta.Issuer != t.issuer {
		fmt.Fprintf(os.Stderr, "driver: %s: discovery says issuer %q, started at %q\n", name, t.meta.Issuer, t.issuer)
	}
	return t, nil
}

func (t *target) stop() {
	t.stdin.Close()
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// loadAvg returns the machine's 1, 5 and 15 minute load averages (Linux), or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// peakRSS reads the peak resident set size of a process from /proc (Linux).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func npmVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		return "?"
	}
	var p struct{ Version string }
	_ = json.Unmarshal(b, &p)
	return p.Version
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// result is one workload against one target.
type result struct {
	Target      string        `json:"target"`
	Version     string        `json:"version"`
	Workload    string        `json:"workload"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	Rounds      int64         `json:"rounds"`
	Requests    int64         `json:"http_requests"`
	Errors      int64         `json:"errors"`
	FirstError  string        `json:"first_error,omitempty"`
	RoundsPerS  float64       `json:"rounds_per_s"`
	RequestsPS  float64       `json:"http_requests_per_s"`
	P50         time.Duration `json:"p50_ns"`
	P99         time.Duration `json:"p99_ns"`
	// PeakRSS is the target's peak resident memory so far (VmHWM), in bytes; 0 when
	// /proc is not there.
	PeakRSS int64 `json:"peak_rss_bytes"`
}

// workload runs one round and returns how many HTTP requests it made.
type workload func(ctx context.Context, t *target) (int, error)

var workloadFuncs = map[string]workload{
	"client-credentials": clientCredentialsRound,
	"code-pkce":          codePKCERound,
	"code":               codeRound,
}

func measure(ctx context.Context, t *target, name string, o options) (result, error) {
	fn := workloadFuncs[name]
	r := result{Target: t.name, Version: t.version, Workload: name, Concurrency: o.concurrency, Duration: o.duration}

	// One round first, so a broken set-up says why at once.
	if _, err := fn(ctx, t); err != nil {
		return r, fmt.Errorf("first round: %w", err)
	}
	if o.warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, o.warmup)
		loadLoop(wctx, t, fn, o.concurrency, nil)
		cancel()
	}

	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var s stats
	start := time.Now()
	loadLoop(lctx, t, fn, o.concurrency, &s)
	elapsed := time.Since(start)

	lat := s.latencies()
	slices.Sort(lat)
	r.Rounds = int64(len(lat))
	r.Requests = s.requests.Load()
	r.Errors = s.errors.Load()
	if e := s.firstErr.Load(); e != nil {
		r.FirstError = e.(error).Error()
	}
	r.RoundsPerS = float64(r.Rounds) / elapsed.Seconds()
	r.RequestsPS = float64(r.Requests) / elapsed.Seconds()
	r.P50 = percentile(lat, 0.50)
	r.P99 = percentile(lat, 0.99)
	r.PeakRSS = peakRSS(t.cmd.Process.Pid)
	fmt.Fprintf(os.Stderr, "driver: %-13s %-18s %8.0f rounds/s  p50 %-9s p99 %-9s errors %d\n",
		t.name, name, r.RoundsPerS, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Errors)
	return r, nil
}

type stats struct {
	mu       sync.Mutex
	lat      []time.Duration
	requests atomic.Int64
	errors   atomic.Int64
	firstErr atomic.Value
}

func (s *stats) latencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lat)
}

func loadLoop(ctx context.Context, t *target, fn workload, n int, s *stats) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				reqs, err := fn(ctx, t)
				d := time.Since(t0)
				if s == nil {
					continue
				}
				s.requests.Add(int64(reqs))
				if err != nil {
					if ctx.Err() != nil {
						break // cut off by the end of the run, not a failure
					}
					s.errors.Add(1)
					s.firstErr.CompareAndSwap(nil, err)
					continue
				}
				mine = append(mine, d)
			}
			if s != nil {
				s.mu.Lock()
				s.lat = append(s.lat, mine...)
				s.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func report(w io.Writer, results []result, o options) {
	fmt.Fprintf(w, "side by side: %d concurrent clients, %s per workload (after %s warm-up), loopback, %d CPUs, load average %s\n\n",
		o.concurrency, o.duration, o.warmup, runtime.NumCPU(), loadAvg())
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttarget\trounds/s\tHTTP req/s\tp50\tp99\terrors\tpeak RSS\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\t%s\t%d\t%d MiB\t\n", r.Workload, r.Target, r.RoundsPerS, r.RequestsPS,
			fmtDur(r.P50), fmtDur(r.P99), r.Errors, r.PeakRSS>>20)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, wl := range o.workloads {
		var a, b *result
		for i := range results {
			if results[i].Workload != wl {
				continue
			}
			switch results[i].Target {
			case "oauthx":
				a = &results[i]
			case "oidc-provider":
				b = &results[i]
			}
		}
		if a != nil && b != nil && b.RoundsPerS > 0 {
			verdict := "oauthx idp ahead"
			if a.RoundsPerS < b.RoundsPerS {
				verdict = "oauthx idp BEHIND"
			}
			fmt.Fprintf(w, "ratio %-18s oauthx/oidc-provider = %.2fx (%s)\n", wl, a.RoundsPerS/b.RoundsPerS, verdict)
		}
	}
	seen := map[string]bool{}
	for _, r := range results {
		if !seen[r.Target] {
			seen[r.Target] = true
			fmt.Fprintf(w, "%s: %s\n", r.Target, r.Version)
		}
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
}

// clientCredentialsRound is RFC 6749 §4.4 with client_secret_basic.
func clientCredentialsRound(ctx context.Context, t *target) (int, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.meta.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("machine", "machine-secret")
	return 1, tokenResponse(t.client, req)
}

func tokenResponse(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token endpoint: status %d: %.200s", resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("token endpoint: no access_token in %.200s", body)
	}
	return nil
}

// codePKCERound is one authorization code + PKCE round as a fresh browser would make
// it, with the native-app demo client and the user alice.
func codePKCERound(ctx context.Context, t *target) (int, error) {
	return authorizationCodeRound(ctx, t, "native-app", "", true)
}

// codeRound is one authorization code round with the confidential web-app client.
func codeRound(ctx context.Context, t *target) (int, error) {
	return authorizationCodeRound(ctx, t, "web-app", "web-app-secret", false)
}

func authorizationCodeRound(ctx context.Context, t *target, clientID, secret string, pkce bool) (int, error) {
	const redirectURI = "http://127.0.0.1:49200/callback" // nothing listens: the round stops before it
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := rand.Text(), rand.Text()
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {redirectURI},
		"scope":         {"openid profile"},
		"state":         {state},
		"nonce":         {nonce},
	}
	if pkce {
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: t.client.Transport, Jar: jar, Timeout: t.client.Timeout, CheckRedirect: t.client.CheckRedirect}
	params, reqs, err := walkBrowser(ctx, browser, t.meta.AuthorizationEndpoint+"?"+q.Encode(), redirectURI, "alice", "alice")
	if err != nil {
		return reqs, err
	}
	if params.Get("state") != state {
		return reqs, fmt.Errorf("state %q came back, want %q", params.Get("state"), state)
	}
	code := params.Get("code")
	if code == "" {
		return reqs, fmt.Errorf("no code in the authorization response: %v", params)
	}
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURI},
	}
	if pkce {
		form.Set("code_verifier", verifier)
	}
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.meta.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return reqs, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(clientID, secret)
	}
	return reqs + 1, tokenResponse(t.client, req)
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonRE = regexp.MustCompile(`(?is)<button\b([^>]*)>(.*?)</button>`)
	attrRE   = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*"([^"]*)"`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	allowRE  = regexp.MustCompile(`(?i)\b(allow|approve|accept|consent|continue|authori[sz]e|yes|sign[ -]?in|log[ -]?in)\b`)
)

// walkBrowser follows redirects and submits the login and consent forms of either
// provider (oidc-provider's dev interactions: fields login, password, hidden prompt,
// an unnamed submit button; oauthx idp: username, password, hidden req, buttons
// action=login and decision=allow) until the redirect URI is reached.
func walkBrowser(ctx context.Context, c *http.Client, start, redirectURI, user, password string) (url.Values, int, error) {
	method, target, form := http.MethodGet, start, url.Values(nil)
	reqs := 0
	for range 16 {
		if strings.HasPrefix(target, redirectURI) {
			if method == http.MethodPost {
				return form, reqs, nil
			}
			u, err := url.Parse(target)
			if err != nil {
				return nil, reqs, err
			}
			if u.Fragment != "" {
				v, err := url.ParseQuery(u.Fragment)
				return v, reqs, err
			}
			return u.Query(), reqs, nil
		}
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, reqs, err
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		reqs++
		if err != nil {
			return nil, reqs, err
		}
		page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, reqs, err
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return nil, reqs, fmt.Errorf("%s %s: %w", method, target, err)
			}
			method, target, form = http.MethodGet, loc.String(), nil
		case resp.StatusCode == http.StatusOK:
			action, m, fields, ok := parseForm(string(page))
			if !ok {
				return nil, reqs, fmt.Errorf("%s %s: a page with no form: %.300s", method, target, page)
			}
			next, err := resp.Request.URL.Parse(action)
			if err != nil {
				return nil, reqs, err
			}
			for _, name := range []string{"login", "username"} {
				if fields.Has(name) {
					fields.Set(name, user)
				}
			}
			if fields.Has("password") {
				fields.Set("password", password)
			}
			method, target, form = strings.ToUpper(m), next.String(), fields
		default:
			return nil, reqs, fmt.Errorf("%s %s: status %d: %.300s", method, target, resp.StatusCode, page)
		}
	}
	return nil, reqs, fmt.Errorf("no redirect to %s after 16 requests", redirectURI)
}

// parseForm returns the first form of page with its fields, and the name and value of
// the button a person would press (the first allow-like one, else the first).
func parseForm(page string) (action, method string, fields url.Values, ok bool) {
	m := formRE.FindStringSubmatch(page)
	if m == nil {
		return "", "", nil, false
	}
	attrs := parseAttrs(m[1])
	method = attrs["method"]
	if method == "" {
		method = http.MethodGet
	}
	fields = url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
		a := parseAttrs(in[1])
		if a["name"] == "" || a["type"] == "submit" {
			continue
		}
		fields.Set(a["name"], a["value"])
	}
	var chosen map[string]string
	for i, b := range buttonRE.FindAllStringSubmatch(m[2], -1) {
		a := parseAttrs(b[1])
		if t := a["type"]; t != "" && t != "submit" {
			continue
		}
		text := html.UnescapeString(tagRE.ReplaceAllString(b[2], ""))
		if i == 0 {
			chosen = a
		}
		if allowRE.MatchString(text) || allowRE.MatchString(a["value"]) {
			chosen = a
			break
		}
	}
	if chosen != nil && chosen["name"] != "" {
		fields.Set(chosen["name"], chosen["value"])
	}
	return attrs["action"], method, fields, true
}

func parseAttrs(s string) map[string]string {
	attrs := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return attrs
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
