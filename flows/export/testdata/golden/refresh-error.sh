#!/bin/sh
# Sends the HTTP requests of an oauthx transcript again with curl: the "refresh" flow
# against http://127.0.0.1:9443, recorded 2026-11-23 09:00:00 UTC.
#
# Each command sends one request as oauthx recorded it, in order. Response bodies
# go to stdout; which request runs and the status code that came back go to stderr.
#
# Secrets were masked in this transcript, so they are not in this script either.
# Set these variables before running it:
#   REFRESH_TOKEN  the refresh token, used in step 1
#   CLIENT_SECRET  the client secret, used in step 1
# For example:  REFRESH_TOKEN='...' sh oauthx-refresh.sh

set -eu

: "${REFRESH_TOKEN:?set REFRESH_TOKEN, see the top of this script}"
: "${CLIENT_SECRET:?set CLIENT_SECRET, see the top of this script}"

# ── Step 1: Refresh the tokens (RFC 6749 §6)
printf '%s\n' '--> step 1: POST http://127.0.0.1:9443/token' >&2
curl -sS -g 'http://127.0.0.1:9443/token' \
  -w '\n%{stderr}<-- %{http_code} (recorded: 400)\n' \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode 'grant_type=refresh_token' \
  --data-urlencode "refresh_token=${REFRESH_TOKEN:?set REFRESH_TOKEN}" \
  --data-urlencode 'client_id=web-app' \
  --data-urlencode "client_secret=${CLIENT_SECRET:?set CLIENT_SECRET}"

