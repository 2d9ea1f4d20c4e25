#!/usr/bin/env bash
# tui-smoke.sh: end-to-end run of the oauthx TUI in a real terminal (tmux).
#
# Builds the binary, starts it in a detached 100x30 tmux session against the bundled
# IdP, chooses the PKCE flow from the menu, walks every step by keystrokes alone
# (logging in inside the terminal as alice), and checks that the decoded ID token
# claims are on screen; then runs a refresh follow-up and finds the rotation chain on
# the token timeline. It also prints how long the first frame took.
#
# Needs only go and tmux. Exits non-zero, printing the screen, on failure; the tmux
# session and the temporary files are removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
SESSION="oauthx-smoke-$$"
SOCKET="oauthx-smoke-$$" # a private tmux server: never touches the person's own sessions
BIN="$TMP/oauthx"
TIMEOUT=${TUI_SMOKE_TIMEOUT:-15}   # seconds for each wait

tmux() { command tmux -L "$SOCKET" "$@"; }

cleanup() {
	tmux kill-session -t "$SESSION" 2>/dev/null || true
	tmux kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKET"
	rm -rf "$TMP"
}
trap cleanup EXIT

command -v tmux >/dev/null || { echo "tui-smoke: tmux is not installed" >&2; exit 2; }

echo "tui-smoke: building"
(cd "$ROOT" && go build -o "$BIN" ./cmd/oauthx)

screen() { tmux capture-pane -p -t "$SESSION" 2>/dev/null || true; }

fail() {
	echo "tui-smoke: FAIL: $*" >&2
	echo "----- screen -----" >&2
	screen >&2
	echo "------------------" >&2
	exit 1
}

# wait_for PATTERN WHAT: poll the screen (every 20 ms) until it matches the extended
# regular expression PATTERN, or fail after TIMEOUT seconds.
wait_for() {
	local deadline=$((SECONDS + TIMEOUT))
	while ((SECONDS < deadline)); do
		if screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.02
	done
	fail "timed out waiting for $2 (/$1/)"
}

now_ms() { date +%s%3N; }

# A hermetic environment, given on the command line (a tmux server does not pass the
# client's environment on): no saved profiles, no colour, a known terminal.
mkdir -p "$TMP/config" "$TMP/home"
ENVS="XDG_CONFIG_HOME=$TMP/config HOME=$TMP/home NO_COLOR=1 TERM=xterm-256color"

start=$(now_ms)
tmux new-session -d -s "$SESSION" -x 100 -y 30 "env $ENVS $BIN --theme dark; sleep 60"
# First frame: the first capture that shows the flow menu.
deadline=$((SECONDS + TIMEOUT))
until screen | grep -q "Choose a flow"; do
	((SECONDS < deadline)) || fail "no first frame"
	sleep 0.005
done
first=$(($(now_ms) - start))
echo "tui-smoke: first frame after ${first} ms (includes tmux start-up)"

# Choose PKCE (second entry) and start it.
tmux send-keys -t "$SESSION" j Enter
wait_for "Authorization code \+ PKCE" "the PKCE walkthrough"
wait_for "1\. Discover the provider ← next" "the first step to be next"

# Walk each step: n, then wait for its ✓ on the status line before the next key.
steps=("Discover the provider" "Prepare state" "Build the authorization request"
	"User logs in and consents" "Check the authorization response"
	"Exchange the code for tokens" "Validate the ID token")
for s in "${steps[@]}"; do
	if [[ $s == "User logs in and consents" ]]; then
		wait_for "log in as alice" "the in-terminal login offer"
	fi
	tmux send-keys -t "$SESSION" n
	wait_for "^✓ $s" "step \"$s\" to finish"
done
wait_for "flow complete" "the flow to complete"
pid=$(pgrep -f "^$BIN --theme dark" | head -n1 || true)
if [[ -n $pid ]]; then
	rss=$(ps -o rss= -p "$pid" | tr -d ' ')
	echo "tui-smoke: resident memory after the flow: $((rss / 1024)) MB (${rss} KiB, ps -o rss)"
fi

# The token inspector is focused: check the decoded ID token claims, scrolling down
# to the e-mail claim.
wait_for "id_token · JWT" "the decoded ID token"
wait_for "[│┃] +sub +[[:alnum:]]" "the sub claim"
wait_for "[│┃] +iss +http://127\.0\.0\.1:" "the iss claim"
screen | grep -q "signature verified" || fail "the ID token is not shown as verified"
found=""
for _ in $(seq 1 150); do
	if screen | grep -q "alice@example.com"; then
		found=1
		break
	fi
	tmux send-keys -t "$SESSION" j
	sleep 0.02
done
sleep 0.1
screen | grep -q "alice@example.com" && found=1
[[ -n $found ]] || fail "alice@example.com not found in the token inspector"

# A follow-up on the tokens held: t opens the menu (Call an API first), j Enter runs
# Refresh; walk its steps, then the token timeline (T) shows the rotation chain.
tmux send-keys -t "$SESSION" t
wait_for "Follow-ups on the tokens held" "the follow-up menu"
tmux send-keys -t "$SESSION" j Enter
wait_for "Refresh the tokens" "the refresh walkthrough"
for s in "Discover the provider" "Refresh the tokens" "Validate the refreshed ID token"; do
	tmux send-keys -t "$SESSION" n
	wait_for "^✓ $s" "follow-up step \"$s\" to finish"
done
tmux send-keys -t "$SESSION" T
wait_for "Token timeline" "the token timeline"
wait_for "sha256:[0-9a-f]{8} \(spent\) → sha256:[0-9a-f]{8} \(current\)" "the refresh token rotation chain"

# Quit, and check the program exited (the shell's sleep keeps the pane alive).
tmux send-keys -t "$SESSION" q
deadline=$((SECONDS + TIMEOUT))
while pgrep -f "^$BIN --theme dark" >/dev/null; do
	((SECONDS < deadline)) || fail "q did not quit"
	sleep 0.02
done
echo "tui-smoke: OK: PKCE walked by keystrokes; decoded ID token claims (sub, iss, alice@example.com) on screen; a refresh follow-up rotated the refresh token (timeline chain)"
