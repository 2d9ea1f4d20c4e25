#!/bin/sh
# Sends the HTTP requests of an oauthx transcript again with curl: the "pkce" flow
# against bundled IdP (http://127.0.0.1:9443), recorded 2026-11-23 09:00:00 UTC.
#
# Each command sends one request as oauthx recorded it, in order. Response bodies
# go to stdout; which request runs and the status code that came back go to stderr.
# Requests only a browser can make (logging in, consenting) are not sent again:
# comments say where they were.
#
# Secrets were masked in this transcript, so they are not in this script either.
# These variables default to the values in the transcript:
#   CODE           the authorization code, used in step 5
#   CODE_VERIFIER  the PKCE code_verifier (RFC 7636 §4.1), used in step 5
# For example:  CODE='...' sh oauthx-pkce.sh
#
# An authorization code is single-use and short-lived (RFC 6749 §4.1.2, §10.5): the
# recorded one has been spent, so the provider answers invalid_grant. For a fresh
# one, open the authorization request (in the comments below) in a browser, log in,
# and set CODE to the code in the redirect.
# CODE_VERIFIER must be the verifier the request's code_challenge was made from:
# the recorded one, if you reuse the recorded authorization request.

set -eu

: "${CODE:=c-Zt4Nq8Wm2Vb6Xs1Y}"
: "${CODE_VERIFIER:=dBjftJeZ4CVP-mJ92IG7DN_eFGcd8M-rZpIAz9DZM4k}"

# ── Step 1: Discover the provider (OpenID Connect Discovery 1.0 §4, RFC 8414 §3)
printf '%s\n' '--> step 1: GET http://127.0.0.1:9443/.well-known/openid-configuration' >&2
curl -sS -g 'http://127.0.0.1:9443/.well-known/openid-configuration' \
  -w '\n%{stderr}<-- %{http_code} (recorded: 200)\n' \
  -H 'Accept: application/json'

# ── Step 2: Make the PKCE verifier and challenge (RFC 7636 §4.1, RFC 7636 §4.2)
# No HTTP request from the client in this step (done).

# ── Step 3: Log in and consent (RFC 6749 §4.1.1, RFC 6749 §4.1.2)
# These requests need a browser (a person logs in and consents; the provider
# keeps the session in cookies), so the script does not send them:
#   GET http://127.0.0.1:9443/authorize?response_type=code&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&scope=openid+profile+email+offline_access&state=st-Q2w9Er4Ty7&nonce=n-Lk8Jh3Gf5Ds1&code_challenge=HFUwxYS8k7jOrxlTsFHnuU7_7y7nWsyqfNg_PlndQB0&code_challenge_method=S256 -> 200 OK
#   POST http://127.0.0.1:9443/login -> 303 See Other
#   GET http://127.0.0.1:9443/consent -> 200 OK
#   POST http://127.0.0.1:9443/consent -> 302 Found
# To run it again, open the authorization request in a browser:
#   http://127.0.0.1:9443/authorize?response_type=code&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&scope=openid+profile+email+offline_access&state=st-Q2w9Er4Ty7&nonce=n-Lk8Jh3Gf5Ds1&code_challenge=HFUwxYS8k7jOrxlTsFHnuU7_7y7nWsyqfNg_PlndQB0&code_challenge_method=S256

# ── Step 4: Receive the callback (RFC 6749 §4.1.2, RFC 9207 §2.4)
# No HTTP request from the client in this step (done).

# ── Step 5: Exchange the code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.5, OIDC Core §3.1.3.7)
printf '%s\n' '--> step 5: POST http://127.0.0.1:9443/token' >&2
curl -sS -g 'http://127.0.0.1:9443/token' \
  -w '\n%{stderr}<-- %{http_code} (recorded: 200)\n' \
  -H 'Accept: application/json' \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode 'grant_type=authorization_code' \
  --data-urlencode "code=${CODE:?set CODE}" \
  --data-urlencode 'redirect_uri=http://127.0.0.1:53682/callback' \
  --data-urlencode "code_verifier=${CODE_VERIFIER:?set CODE_VERIFIER}" \
  --data-urlencode 'client_id=spa'

