#!/usr/bin/env bash
# side-by-side.sh: the bundled provider (`oauthx idp`) next to an independent one
# (oidc-provider, the npm package) on loopback, under the same workloads in one run:
# client credentials, and full authorization code rounds, with a confidential client
# and with a public client + PKCE (a fresh browser logs
# in as alice and consents each round). Prints rounds/s, HTTP requests/s, p50 and p99
# for each, and the throughput ratio oauthx/oidc-provider (issue 8, target: above 1).
#
# Usage: bash scripts/bench/side-by-side.sh [driver flags]
#   e.g. bash scripts/bench/side-by-side.sh -duration 30s -concurrency 64
#        DURATION=5s CONCURRENCY=8 bash scripts/bench/side-by-side.sh
# Driver flags: -duration (10s) -warmup (2s) -concurrency (16)
#   -workloads client-credentials,code,code-pkce -targets oauthx,oidc-provider -json FILE
#
# Both servers and the load driver share this machine's CPUs: the figures compare the
# two providers with each other, not with a production deployment. Only loopback is
# used and the load stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

bash scripts/interop/setup.sh
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/oauthx" ./cmd/oauthx
go build -o "$tmp/driver" ./scripts/bench/driver

echo "go $(go env GOVERSION), node $(node --version), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)" >&2
"$tmp/driver" -oauthx "$tmp/oauthx" -provider scripts/interop/provider.mjs \
  -duration "${DURATION:-10s}" -concurrency "${CONCURRENCY:-16}" "$@"
