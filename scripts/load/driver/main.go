// Command driver is the load test of `oauthx idp` (scripts/load/run.sh; issue 8
// item 3). It starts the bundled provider from a built oauthx binary on a free
// loopback port, drives it with concurrent clients for a fixed time, and reports:
//
//   - errors (the run fails unless there are none) and the first few of them;
//   - throughput and p50/p99 latency of each workload, and of the first and last
//     fifth of the run (a provider that slows down as it fills up shows here);
//   - the provider process before the load, right after it and some seconds later:
//     resident memory (VmRSS, and VmHWM, the peak), OS threads, open file descriptors
//     (each connection is one, and one goroutine), and the live heap after the last
//     garbage collection (from GODEBUG=gctrace=1 on its stderr);
//   - the heap kept per token issued, and the load average of the machine.
//
// Workloads, half of the clients each:
//
//	code-pkce           a full authorization code + PKCE round as "native-app": the
//	                    built-in user agent (flows/useragent, fresh cookies) follows the
//	                    authorize URL, logs in as alice, consents; the code is then
//	                    exchanged at the token endpoint
//	client-credentials  one token request as "machine" (client_secret_basic)
//
// `oauthx idp` has no statistics endpoint (goroutines, heap) and no pprof: the figures
// come from /proc/PID and the GC trace, and the goroutine count is not measured
// (the open descriptors stand in for leaked connections).
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/useragent"
)

func main() { os.Exit(run()) }

type options struct {
	bin         string
	label       string
	duration    time.Duration
	settle      time.Duration
	concurrency int
	runs        int
}

func run() int {
	var o options
	flag.StringVar(&o.bin, "oauthx", "", "path of the oauthx binary (required)")
	flag.StringVar(&o.label, "label", "", "a name for this run in the report (e.g. race)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the load runs")
	flag.DurationVar(&o.settle, "settle", 10*time.Second, "how long after the load to measure again")
	flag.IntVar(&o.concurrency, "concurrency", 64, "concurrent clients (half PKCE rounds, half client credentials)")
	flag.IntVar(&o.runs, "runs", 1, "load runs one after the other against the same provider (does each leave it bigger?)")
	flag.Parse()
	if o.bin == "" || o.concurrency < 2 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "driver: -oauthx BIN is required; -concurrency ≥ 2; -duration > 0")
		return 2
	}
	idp, err := startIdP(o.bin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "driver: %v\n", err)
		return 1
	}
	defer idp.stop()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.concurrency * 2
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	meta, err := discover(client, idp.issuer)
	if err != nil {
		fmt.Fprintf(os.Stderr, "driver: %v\n", err)
		return 1
	}
	// Warm up: one round of each, so key loading and first-use costs are not in the
	// baseline growth.
	if err := pkceRound(context.Background(), client, meta); err != nil {
		fmt.Fprintf(os.Stderr, "driver: warm-up PKCE round: %v\n", err)
		return 1
	}
	if err := ccRound(context.Background(), client, meta); err != nil {
		fmt.Fprintf(os.Stderr, "driver: warm-up client credentials: %v\n", err)
		return 1
	}
	time.Sleep(time.Second)
	failed := false
	label := o.label
	for r := 1; r <= max(1, o.runs); r++ {
		if o.runs > 1 {
			o.label = strings.TrimPrefix(fmt.Sprintf("%s, run %d of %d", label, r, o.runs), ", ")
		}
		before := idp.sample()
		loadBefore := loadAvg()

		res := load(client, meta, o)

		after := idp.sample()
		tr.CloseIdleConnections()
		time.Sleep(o.settle)
		settled := idp.sample()

		report(os.Stdout, o, idp, res, before, after, settled, loadBefore)
		fmt.Println()
		failed = failed || res.errors.Load() > 0
	}
	if failed {
		return 1
	}
	return 0
}

// idp is the running `oauthx idp` process.
type idp struct {
	cmd    *exec.Cmd
	issuer string

	mu      sync.Mutex
	live    float64 // MB live after the last GC (gctrace's third heap figure)
	gcs     int
	stderrs []string // non-gctrace lines
}

var gcLine = regexp.MustCompile(`^gc (\d+) .*?([\d.]+)->([\d.]+)->([\d.]+) MB`)

func startIdP(bin string) (*idp, error) {
	cmd := exec.Command(bin, "idp", "--addr", "127.0.0.1:0", "--quiet", "--key-cache", "")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &idp{cmd: cmd}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			if m := gcLine.FindStringSubmatch(line); m != nil {
				p.live, _ = strconv.ParseFloat(m[4], 64)
				p.gcs, _ = strconv.Atoi(m[1])
			} else if len(p.stderrs) < 20 {
				p.stderrs = append(p.stderrs, line)
			}
			p.mu.Unlock()
		}
	}()
	issuer := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Issuer:"); ok {
				issuer <- strings.TrimSpace(v)
			}
		}
	}()
	select {
	case p.issuer = <-issuer:
		return p, nil
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, errors.New("oauthx idp printed no issuer within 60 s")
	}
}

func (p *idp) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
	}
}

// sample is the provider process at one moment.
type sample struct {
	rssKB, hwmKB int64
	threads      int64
	fds          int
	liveMB       float64
	gcs          int
}

func (p *idp) sample() sample {
	var s sample
	pid := p.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
			switch k {
			case "VmRSS":
				s.rssKB = n
			case "VmHWM":
				s.hwmKB = n
			case "Threads":
				s.threads = n
			}
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.fds = len(ents)
	}
	p.mu.Lock()
	s.liveMB, s.gcs = p.live, p.gcs
	p.mu.Unlock()
	return s
}

// metadata is what the driver needs of the discovery document.
type metadata struct {
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

func discover(c *http.Client, issuer string) (metadata, error) {
	var m metadata
	resp, err := c.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return m, fmt.Errorf("discovery: HTTP %d", resp.StatusCode)
	}
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

const redirectURI = "http://127.0.0.1:49201/callback" // nothing listens: the agent stops before it

// pkceRound is one authorization code + PKCE round as native-app, alice.
func pkceRound(ctx context.Context, c *http.Client, m metadata) error {
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	state := rand.Text()
	q := url.Values{
		"response_type": {"code"}, "client_id": {"native-app"}, "redirect_uri": {redirectURI},
		"scope": {"openid profile"}, "state": {state}, "nonce": {rand.Text()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	agent := &useragent.Agent{Username: "alice", Client: c}
	res, err := agent.Authorize(ctx, flows.AuthorizeRequest{URL: m.AuthorizationEndpoint + "?" + q.Encode(), RedirectURI: redirectURI, ResponseMode: "query"})
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	p := res.Callback.Params
	if p["state"] != state || p["code"] == "" {
		return fmt.Errorf("authorization response without the code or state: %v", p)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {p["code"]}, "redirect_uri": {redirectURI},
		"client_id": {"native-app"}, "code_verifier": {verifier}}
	return token(ctx, c, m, form, "", "")
}

// ccRound is one client credentials token request as machine.
func ccRound(ctx context.Context, c *http.Client, m metadata) error {
	return token(ctx, c, m, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, "machine", "machine-secret")
}

func token(ctx context.Context, c *http.Client, m metadata, form url.Values, id, secret string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &tr) != nil || tr.AccessToken == "" {
		return fmt.Errorf("token: HTTP %d: %.200s", resp.StatusCode, body)
	}
	return nil
}

// results of the load.
type results struct {
	took     time.Duration
	errors   atomic.Int64
	mu       sync.Mutex
	firstErr []string
	lat      map[string][]time.Duration
	// per workload, latencies in the first and last fifth of the run
	early, late map[string][]time.Duration
}

func load(c *http.Client, m metadata, o options) *results {
	res := &results{lat: map[string][]time.Duration{}, early: map[string][]time.Duration{}, late: map[string][]time.Duration{}}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.concurrency {
		name, fn := "code-pkce", pkceRound
		if i%2 == 1 {
			name, fn = "client-credentials", ccRound
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat, early, late []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				err := fn(ctx, c, m)
				d := time.Since(t0)
				if ctx.Err() != nil {
					break // cut by the end of the run: neither a success nor an error
				}
				if err != nil {
					res.errors.Add(1)
					res.mu.Lock()
					if len(res.firstErr) < 5 {
						res.firstErr = append(res.firstErr, name+": "+err.Error())
					}
					res.mu.Unlock()
					continue
				}
				lat = append(lat, d)
				switch at := time.Since(start); {
				case at < o.duration/5:
					early = append(early, d)
				case at > o.duration*4/5:
					late = append(late, d)
				}
			}
			res.mu.Lock()
			res.lat[name] = append(res.lat[name], lat...)
			res.early[name] = append(res.early[name], early...)
			res.late[name] = append(res.late[name], late...)
			res.mu.Unlock()
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func report(w io.Writer, o options, p *idp, r *results, before, after, settled sample, loadBefore string) {
	label := ""
	if o.label != "" {
		label = " (" + o.label + ")"
	}
	fmt.Fprintf(w, "oauthx idp load%s: %d clients for %s, settle %s; load average before %s, after %s\n",
		label, o.concurrency, o.duration, o.settle, loadBefore, loadAvg())
	fmt.Fprintf(w, "errors: %d\n", r.errors.Load())
	for _, e := range r.firstErr {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "%-20s %9s %9s %10s %10s %16s %16s\n", "workload", "rounds", "rounds/s", "p50", "p99", "p50 first fifth", "p50 last fifth")
	var tokens int
	for _, name := range []string{"code-pkce", "client-credentials"} {
		l := r.lat[name]
		tokens += len(l)
		if name == "code-pkce" {
			tokens += len(l) // an access token and an ID token (and the code) per round
		}
		fmt.Fprintf(w, "%-20s %9d %9.0f %10s %10s %16s %16s\n", name, len(l), float64(len(l))/r.took.Seconds(),
			ms(pct(l, .5)), ms(pct(l, .99)), ms(pct(r.early[name], .5)), ms(pct(r.late[name], .5)))
	}
	fmt.Fprintf(w, "\n%-12s %10s %10s %8s %6s %12s %6s\n", "idp", "VmRSS", "VmHWM", "threads", "fds", "live heap", "GCs")
	for _, s := range []struct {
		name string
		s    sample
	}{{"before", before}, {"right after", after}, {fmt.Sprintf("%s after", o.settle), settled}} {
		fmt.Fprintf(w, "%-12s %7.1f MiB %7.1f MiB %8d %6d %9.1f MB %6d\n", s.name, float64(s.s.rssKB)/1024, float64(s.s.hwmKB)/1024,
			s.s.threads, s.s.fds, s.s.liveMB, s.s.gcs)
	}
	if tokens > 0 {
		grow := (after.liveMB - before.liveMB) * 1e6
		fmt.Fprintf(w, "\nlive heap growth over the load: %.1f MB for about %d tokens issued: %.2f KiB per token (kept after the load: %.1f MB)\n",
			grow/1e6, tokens, grow/1024/float64(tokens), settled.liveMB-before.liveMB)
	}
	fmt.Fprintf(w, "peak RSS of the idp: %.1f MiB\n", float64(settled.hwmKB)/1024)
	p.mu.Lock()
	for _, l := range p.stderrs {
		if !strings.Contains(l, "gc ") {
			fmt.Fprintf(w, "idp stderr: %s\n", l)
		}
	}
	p.mu.Unlock()
}
