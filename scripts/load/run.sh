#!/usr/bin/env bash
# run.sh: the load test of `oauthx idp` (issue 8, item 3). Prints figures; never
# fails on a slow machine, only on errors, a leak or a data race.
#
#   1. out of process: builds oauthx and starts `oauthx idp` on a free loopback
#      port; 64 clients (half full authorization code + PKCE rounds, half client
#      credentials) for 30 s, twice against the same provider (does the second run
#      grow it further?): throughput, p50/p99, errors, RSS and its peak, threads,
#      open descriptors, live heap (GC trace) before, right after and 10 s after;
#   2. in process (scripts/load/driver/load_test.go): the same workloads against
#      mockidp in this process, to read goroutines and the heap after a GC after
#      each of two runs, then after moving the provider's clock past the records'
#      retention (the sweep);
#   3. the in-process test again under -race, with 8 clients for 5 s.
#
# Usage: bash scripts/load/run.sh            (DURATION=30s CONCURRENCY=64 RUNS=2)
#        DURATION=5s CONCURRENCY=8 bash scripts/load/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
duration="${DURATION:-30s}"
concurrency="${CONCURRENCY:-64}"
runs="${RUNS:-2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/oauthx" ./cmd/oauthx
go build -o "$tmp/driver" ./scripts/load/driver
echo "== $(go env GOVERSION), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "== 1. oauthx idp out of process: $concurrency clients, $duration, $runs runs on one provider"
"$tmp/driver" -oauthx "$tmp/oauthx" -duration "$duration" -concurrency "$concurrency" -runs "$runs"
echo
echo "== 2. in process: $concurrency clients, $duration per run"
LOAD_DURATION="$duration" LOAD_CLIENTS="$concurrency" go test ./scripts/load/driver -run TestLoadInProcess -count 1 -v | grep -E 'load_test|^(ok|FAIL|---)'
echo
echo "== 3. in process under -race: 8 clients, 5s per run"
LOAD_DURATION=5s LOAD_CLIENTS=8 go test -race ./scripts/load/driver -run TestLoadInProcess -count 1 -v | grep -E 'load_test|DATA RACE|^(ok|FAIL|---)'
