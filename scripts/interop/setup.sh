#!/usr/bin/env bash
# setup.sh installs oidc-provider for the interop tests (flows/interop) and the
# side-by-side benchmark (scripts/bench). Idempotent: it does nothing when
# node_modules already matches package-lock.json. Needs node >= 20 and npm, and the
# npm registry.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

die() { echo "scripts/interop/setup.sh: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH; install Node.js 20 or later (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install npm (Debian: apt-get install npm)"

major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || die "node $(node -v) is too old: oidc-provider needs Node.js 20 or later"

# npm ci removes and reinstalls node_modules every time; skip it when the installed
# tree already matches the lock file (npm writes node_modules/.package-lock.json).
if [ -f node_modules/.package-lock.json ] && [ -f package-lock.json ] \
  && [ node_modules/.package-lock.json -nt package-lock.json ] \
  && [ -f node_modules/oidc-provider/package.json ]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if [ -f package-lock.json ]; then
  cmd=(npm ci --no-audit --no-fund --loglevel=error)
else
  cmd=(npm install --no-audit --no-fund --loglevel=error)
fi
if ! "${cmd[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|network|fetch failed' "$log"; then
    die "npm cannot reach the registry ($(npm config get registry 2>/dev/null)); the interop tests need oidc-provider from npm"
  fi
  die "'${cmd[*]}' failed (output above)"
fi
echo "scripts/interop: oidc-provider $(node -p 'require("./node_modules/oidc-provider/package.json").version') installed" >&2
