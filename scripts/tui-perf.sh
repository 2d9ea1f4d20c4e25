#!/usr/bin/env bash
# tui-perf.sh: figures of the real oauthx binary in a real terminal (tmux), for
# docs/benchmarks.md (issue 4, item 9). Prints; never fails on a slow machine.
#
#   first frame   time from launching the binary in a tmux pane to the flow menu on
#                 screen ("Choose a flow"), bundled IdP in process, fresh HOME (no
#                 saved keys) and with a warm key cache; RUNS launches each. tmux
#                 start-up and screen polling (every 5 ms) are in it: the same
#                 launch of `printf "Choose a flow"` is measured and shown as the floor.
#   memory        VmRSS and VmHWM (peak) of the process from /proc after the first
#                 frame, after walking a whole PKCE flow by keystrokes (the decoded
#                 tokens on screen), and after 40 key presses scrolling the tokens.
#   key press     time from sending a key (j, scroll) to the screen changing, over
#                 20 presses: tmux round trips included, so an upper bound; the
#                 in-process figure is `go test ./tui -bench Keypress`.
#
# Usage: bash scripts/tui-perf.sh        (RUNS=5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
SOCKET="oauthx-perf-$$"
RUNS=${RUNS:-5}
tmux() { command tmux -L "$SOCKET" "$@"; }
cleanup() {
	tmux kill-server 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
command -v tmux >/dev/null || { echo "tui-perf: tmux is not installed" >&2; exit 2; }
(cd "$ROOT" && go build -o "$TMP/oauthx" ./cmd/oauthx)
now_ms() { date +%s%3N; }
screen() { tmux capture-pane -p -t "$1" 2>/dev/null || true; }
wait_for() { # SESSION PATTERN
	local deadline=$((SECONDS + 20))
	until screen "$1" | grep -Eq -- "$2"; do
		((SECONDS < deadline)) || { echo "tui-perf: timed out waiting for /$2/" >&2; screen "$1" >&2; exit 1; }
		sleep 0.005
	done
}
# first_frame HOME CMD...: launch, return ms to the flow menu.
first_frame() {
	local home=$1 s="perf-$RANDOM" start
	shift
	mkdir -p "$home/config"
	start=$(now_ms)
	tmux new-session -d -s "$s" -x 100 -y 30 "env XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache HOME=$home NO_COLOR=1 TERM=xterm-256color $*; sleep 30"
	wait_for "$s" "Choose a flow"
	echo $(($(now_ms) - start))
	tmux kill-session -t "$s"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
kb() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$2/status"; }

# One idle session keeps the tmux server up, so no launch pays for starting it.
tmux new-session -d -s keeper "sleep 3600"
echo "== $(go env GOVERSION), $(nproc) CPUs, tmux $(command tmux -V | cut -d' ' -f2), $(date -u +%Y-%m-%dT%H:%MZ)"
floor=(); cold=(); warm=()
for i in $(seq "$RUNS"); do
	floor+=("$(first_frame "$TMP/floor" printf "'Choose a flow\n'")")
	cold+=("$(first_frame "$TMP/cold-$i" "$TMP/oauthx" --theme dark)")
	warm+=("$(first_frame "$TMP/warm" "$TMP/oauthx" --theme dark)")
done
echo "first frame, ms over $RUNS launches (median; all):"
echo "  tmux floor (printf)        $(printf '%s\n' "${floor[@]}" | median)   (${floor[*]})"
echo "  oauthx, fresh key cache    $(printf '%s\n' "${cold[@]}" | median)   (${cold[*]})"
echo "  oauthx, warm key cache     $(printf '%s\n' "${warm[@]}" | median)   (${warm[*]})"

# Memory during a flow, and key presses.
s="perf-flow"
home="$TMP/warm"
tmux new-session -d -s "$s" -x 100 -y 30 "env XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache HOME=$home NO_COLOR=1 TERM=xterm-256color $TMP/oauthx --theme dark; sleep 30"
wait_for "$s" "Choose a flow"
pid=$(tmux list-panes -t "$s" -F '#{pane_pid}')
pid=$(pgrep -P "$pid" -f "oauthx --theme dark" || echo "$pid")
echo "memory (VmRSS / VmHWM peak, MiB):"
printf '  after the first frame      %6.1f / %6.1f\n' "$(echo "$(kb VmRSS "$pid")/1024" | bc -l)" "$(echo "$(kb VmHWM "$pid")/1024" | bc -l)"
tmux send-keys -t "$s" j Enter
wait_for "$s" "1\. Discover the provider ← next"
for step in "Discover the provider" "Prepare state" "Build the authorization request" "User logs in and consents" \
	"Check the authorization response" "Exchange the code for tokens" "Validate the ID token"; do
	tmux send-keys -t "$s" n
	wait_for "$s" "^✓ $step"
done
wait_for "$s" "flow complete"
printf '  after a whole PKCE flow    %6.1f / %6.1f\n' "$(echo "$(kb VmRSS "$pid")/1024" | bc -l)" "$(echo "$(kb VmHWM "$pid")/1024" | bc -l)"
lat=()
for _ in $(seq 20); do
	before=$(screen "$s" | md5sum)
	start=$(date +%s%N)
	tmux send-keys -t "$s" j
	for _ in $(seq 400); do
		[[ $(screen "$s" | md5sum) != "$before" ]] && break
		sleep 0.002
	done
	lat+=($((($(date +%s%N) - start) / 1000000)))
done
for _ in $(seq 20); do tmux send-keys -t "$s" k; done
sleep 0.3
printf '  after 40 key presses       %6.1f / %6.1f\n' "$(echo "$(kb VmRSS "$pid")/1024" | bc -l)" "$(echo "$(kb VmHWM "$pid")/1024" | bc -l)"
echo "key press to changed screen (j, token inspector), ms: median $(printf '%s\n' "${lat[@]}" | median) (${lat[*]}) — tmux round trips included"
tmux send-keys -t "$s" q
