#!/bin/sh
# Sends the HTTP requests of an oauthx transcript again with curl: the "authorization-code" flow
# against bundled IdP (http://127.0.0.1:9443), recorded 2026-11-23 09:00:00 UTC.
#
# Each command sends one request as oauthx recorded it, in order. Response bodies
# go to stdout; which request runs and the status code that came back go to stderr.
# Requests only a browser can make (logging in, consenting) are not sent again:
# comments say where they were.
#
# Secrets were masked in this transcript, so they are not in this script either.
# Set these variables before running it:
#   CLIENT_SECRET  the client secret, used in step 5
#   ACCESS_TOKEN   the access token from the token response (sent as a Bearer token, RFC 6750 §2.1), used in step 6
# These variables default to the values in the transcript:
#   CLIENT_ID      the client id, used in step 5
#   CODE           the authorization code, used in step 5
#   CODE_VERIFIER  the PKCE code_verifier (RFC 7636 §4.1), used in step 5
# For example:  CLIENT_SECRET='...' sh oauthx-authorization-code.sh
#
# An authorization code is single-use and short-lived (RFC 6749 §4.1.2, §10.5): the
# recorded one has been spent, so the provider answers invalid_grant. For a fresh
# one, open the authorization request (in the comments below) in a browser, log in,
# and set CODE to the code in the redirect.
# CODE_VERIFIER must be the verifier the request's code_challenge was made from:
# the recorded one, if you reuse the recorded authorization request.

set -eu

: "${CLIENT_ID:=web-app}"
: "${CLIENT_SECRET:?set CLIENT_SECRET, see the top of this script}"
: "${CODE:=c-Zt4Nq8Wm2Vb6Xs1Y}"
: "${CODE_VERIFIER:=dBjftJeZ4CVP-mJ92IG7DN_eFGcd8M-rZpIAz9DZM4k}"
: "${ACCESS_TOKEN:?set ACCESS_TOKEN, see the top of this script}"

# RFC 6749 §2.3.1: the client id and secret are form-url-encoded
# (application/x-www-form-urlencoded) before they go into HTTP Basic. curl -u
# does not do that, so this function does (space as +, like Go's url.QueryEscape).
form_urlencode() {
	V="$1" LC_ALL=C awk 'BEGIN {
		for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
		s = ENVIRON["V"]
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c ~ /[A-Za-z0-9._~-]/) printf "%s", c
			else if (c == " ") printf "+"
			else printf "%%%02X", ord[c]
		}
	}'
}

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
# HTTP Basic client authentication (RFC 6749 §2.3.1); the credentials were masked.
printf '%s\n' '--> step 5: POST http://127.0.0.1:9443/token' >&2
curl -sS -g 'http://127.0.0.1:9443/token' \
  -w '\n%{stderr}<-- %{http_code} (recorded: 200)\n' \
  -H 'Accept: application/json' \
  -u "$(form_urlencode "${CLIENT_ID:?set CLIENT_ID}"):$(form_urlencode "${CLIENT_SECRET:?set CLIENT_SECRET}")" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode 'grant_type=authorization_code' \
  --data-urlencode "code=${CODE:?set CODE}" \
  --data-urlencode 'redirect_uri=http://127.0.0.1:53682/callback' \
  --data-urlencode "code_verifier=${CODE_VERIFIER:?set CODE_VERIFIER}"

# ── Step 6: Ask for the user's claims (OIDC Core §5.3)
printf '%s\n' '--> step 6: GET http://127.0.0.1:9443/userinfo' >&2
curl -sS -g 'http://127.0.0.1:9443/userinfo' \
  -w '\n%{stderr}<-- %{http_code} (recorded: 200)\n' \
  -H "Authorization: Bearer ${ACCESS_TOKEN:?set ACCESS_TOKEN}"

