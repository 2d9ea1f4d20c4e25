package flows_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/useragent"
	"github.com/oauthx/oauthx/mockidp"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// goldenIssuer is the issuer the golden provider claims. Every connection is dialled
// to the test's own listener whatever the address, so the random port never shows
// (it would otherwise be inside signed tokens, not only in URLs).
const goldenIssuer = "http://127.0.0.1:8484"

// goldenNow is the fixed clock of the golden transcripts.
var goldenNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// detRand is a deterministic byte stream: SHA-256 of a label and a counter.
type detRand struct {
	mu    sync.Mutex
	label string
	n     uint64
	buf   []byte
}

func (r *detRand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.buf) < len(p) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], r.n)
		r.n++
		sum := sha256.Sum256(append([]byte(r.label), c[:]...))
		r.buf = append(r.buf, sum[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// goldenIdP starts the bundled IdP with a fixed clock, randomness and signing keys
// (testdata/idpkeys), and deterministic signatures (EdDSA access tokens: ES256
// signatures are randomised). It returns an HTTP client whose connections all reach it.
func goldenIdP(t testing.TB, faults ...mockidp.Fault) *http.Client {
	t.Helper()
	now := func() time.Time { return goldenNow }
	s, err := mockidp.New(mockidp.Options{
		Issuer: goldenIssuer, Now: now, Rand: &detRand{label: "idp"}, Faults: faults,
		KeyCacheDir: filepath.Join("testdata", "idpkeys"),
		Config:      &mockidp.Config{AccessTokenAlg: mockidp.AlgEdDSA},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	tr := httprec.NewTransport(false)
	addr := ts.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// goldenFlow runs one flow deterministically and returns its JSON Lines transcript of
// redacted records.
func goldenFlow(t testing.TB, kind flows.Kind, tweak func(*flows.Config)) []byte {
	t.Helper()
	client := goldenIdP(t)
	now := func() time.Time { return goldenNow }
	cfg := demoConfig(kind, goldenIssuer)
	cfg.HTTPClient, cfg.Now, cfg.Rand = client, now, &detRand{label: "client"}
	if cfg.Authorizer != nil {
		cfg.Authorizer = &useragent.Agent{Username: "alice", Password: "alice", Client: client, Now: now}
	}
	if tweak != nil {
		tweak(&cfg)
	}
	recs := runAll(t, newFlow(t, kind, cfg), nil)
	var buf bytes.Buffer
	for _, r := range recs {
		b, err := json.Marshal(normalise(r.Redacted()))
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// normalise drops what the test cannot fix: the Date header the HTTP server sets.
func normalise(s record.Step) record.Step {
	for i := range s.Exchanges {
		if r := s.Exchanges[i].Response; r != nil && r.Header != nil {
			r.Header = r.Header.Clone()
			r.Header.Del("Date")
		}
	}
	return s
}

func TestGoldenTranscripts(t *testing.T) {
	cases := []struct {
		name  string
		kind  flows.Kind
		tweak func(*flows.Config)
	}{
		{"authorization-code", flows.KindAuthorizationCode, nil},
		{"pkce", flows.KindPKCE, nil},
		{"pkce-oauth", flows.KindPKCE, func(c *flows.Config) { c.Scopes = []string{"api:read"} }},
		{"implicit", flows.KindImplicit, nil},
		{"client-credentials", flows.KindClientCredentials, nil},
		{"client-credentials-post", flows.KindClientCredentials, func(c *flows.Config) { c.Client.AuthMethod = flows.AuthClientSecretPost }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := goldenFlow(t, tc.kind, tc.tweak)
			if again := goldenFlow(t, tc.kind, tc.tweak); !bytes.Equal(got, again) {
				t.Fatalf("two runs differ: the transcript is not deterministic\n%s", firstDiff(got, again))
			}
			path := filepath.Join("testdata", "golden", tc.name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("transcript differs from %s (run with -update if the change is intended)\n%s", path, firstDiff(want, got))
			}
			if strings.Contains(string(got), "web-app-secret") || strings.Contains(string(got), "machine-secret") {
				t.Error("a client secret leaked into the redacted transcript")
			}
		})
	}
}

// firstDiff shows the first line that differs.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			lo := max(0, j-80)
			return "line " + strconv.Itoa(i+1) + ":\n- …" + x[lo:min(len(x), j+120)] + "\n+ …" + y[lo:min(len(y), j+120)]
		}
	}
	return ""
}
