package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/oauthx/oauthx/mockidp"
)

// TestLoadInProcess runs the driver's workloads against the bundled provider in this
// process, so that `go test -race` checks the provider (and the driver's client side)
// for data races under concurrent load, and so that goroutines and the heap can be
// read directly, which the out-of-process driver cannot do. It runs the load twice,
// then moves the provider's clock past the retention of its records and checks the
// sweep gives their memory back.
//
// It asserts no errors, no goroutine left behind, and a heap that comes back down
// after the sweep; never a throughput or a latency. LOAD_DURATION (default 1s) and
// LOAD_CLIENTS (default 4) make it a real load test:
//
//	LOAD_DURATION=30s LOAD_CLIENTS=64 go test ./scripts/load/driver -run InProcess -v
func TestLoadInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	o := options{duration: time.Second, concurrency: 4}
	if v, err := time.ParseDuration(os.Getenv("LOAD_DURATION")); err == nil && v > 0 {
		o.duration = v
	}
	if v, err := strconv.Atoi(os.Getenv("LOAD_CLIENTS")); err == nil && v >= 2 {
		o.concurrency = v
	}
	srv, err := mockidp.New(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.concurrency * 2
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	meta, err := discover(client, hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := pkceRound(context.Background(), client, meta); err != nil {
		t.Fatalf("warm-up PKCE round: %v", err)
	}
	if err := ccRound(context.Background(), client, meta); err != nil {
		t.Fatalf("warm-up client credentials: %v", err)
	}
	tr.CloseIdleConnections()
	baseG := settleGoroutines(t, -1)
	baseHeap := heapAfterGC()
	t.Logf("%d clients for %s per run, GOMAXPROCS %d; before: %d goroutines, heap %.1f MiB",
		o.concurrency, o.duration, runtime.GOMAXPROCS(0), baseG, mib(baseHeap))

	heaps := []uint64{baseHeap}
	for run := 1; run <= 2; run++ {
		res := load(client, meta, o)
		tr.CloseIdleConnections()
		g := settleGoroutines(t, baseG)
		h := heapAfterGC()
		pk, cc := len(res.lat["code-pkce"]), len(res.lat["client-credentials"])
		t.Logf("run %d: %d PKCE rounds (%.0f/s, p50 %s, p99 %s), %d client credentials (%.0f/s, p50 %s, p99 %s), %d errors; after: %d goroutines, heap %.1f MiB (+%.1f MiB, %.2f KiB per token)",
			run, pk, float64(pk)/res.took.Seconds(), ms(pct(res.lat["code-pkce"], .5)), ms(pct(res.lat["code-pkce"], .99)),
			cc, float64(cc)/res.took.Seconds(), ms(pct(res.lat["client-credentials"], .5)), ms(pct(res.lat["client-credentials"], .99)),
			res.errors.Load(), g, mib(h), mib(h)-mib(heaps[len(heaps)-1]),
			(float64(h)-float64(heaps[len(heaps)-1]))/1024/float64(max(1, 2*pk+cc)))
		if n := res.errors.Load(); n > 0 {
			t.Errorf("run %d: %d errors, first: %v", run, n, res.firstErr)
		}
		heaps = append(heaps, h)
	}

	// The provider keeps each record until a day after it expired (an access token:
	// 1 h + 24 h) and sweeps once enough records were stored since the last sweep
	// (1024 right after its clock moves). Move its clock past that and store more
	// than 1024: what the two runs stored must go.
	srv.Advance(26 * time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sweepErr error
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 1100; i += 8 {
				if err := ccRound(context.Background(), client, meta); err != nil {
					mu.Lock()
					sweepErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if sweepErr != nil {
		t.Fatalf("client credentials after moving the clock: %v", sweepErr)
	}
	tr.CloseIdleConnections()
	settleGoroutines(t, baseG)
	swept := heapAfterGC()
	grown := float64(heaps[2]) - float64(baseHeap)
	t.Logf("after the clock moved 26 h and 1100 more tokens: heap %.1f MiB (the two runs had added %.1f MiB)", mib(swept), grown/(1<<20))
	// The 1100 tokens that trigger the sweep are live and stay; against a small load
	// (the short run CI makes under -race adds 2-3 MiB) they are the same size as what
	// was swept, so the heap says nothing. The record counts are checked exactly by
	// mockidp's TestSweep*; here the heap is judged only after a real load.
	if grown < 16<<20 {
		t.Logf("the runs added only %.1f MiB: too little to judge the sweep by the heap (LOAD_DURATION=30s LOAD_CLIENTS=64 does)", grown/(1<<20))
		return
	}
	if float64(swept) > float64(baseHeap)+grown/2 {
		t.Errorf("the sweep gave back too little: heap %.1f MiB, %.1f MiB before the load, %.1f MiB after it",
			mib(swept), mib(baseHeap), mib(heaps[2]))
	}
}

// settleGoroutines waits for the goroutines of finished connections to end and
// returns the count; with base ≥ 0 it fails the test if more than base+2 are
// still running after 10 s (a leak, not a slow machine: closed connections end
// their goroutines within milliseconds).
func settleGoroutines(t *testing.T, base int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if base < 0 {
			time.Sleep(100 * time.Millisecond)
			return runtime.NumGoroutine()
		}
		if n <= base+2 {
			return n
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines 10 s after the load, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
