package export

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// The fixtures are realistic flows against the bundled IdP, built by hand with a fixed
// clock so the golden exports are stable. Their secrets are listed here so the masking
// tests can look for them in every format.
const (
	fixtureIssuer   = "http://127.0.0.1:9443"
	fixtureRedirect = "http://127.0.0.1:53682/callback"

	secretClient   = "w3b-s3cret+/="                               // client_secret of web-app (needs form-url-encoding)
	secretPassword = "wonderland-pw"                               // alice's password, in the login form
	secretRefresh  = "rt-5Qm2zY8vLx0KpR3e"                         // the refresh token
	secretSession  = "sid-9f8e7d6c5b4a"                            // the provider's session cookie
	accessToken    = "at-Hk2mQ9wXv7Lp3Rt8"                         // not a secret in exports (short-lived)
	authCode       = "c-Zt4Nq8Wm2Vb6Xs1Y"                          // the authorization code
	verifier       = "dBjftJeZ4CVP-mJ92IG7DN_eFGcd8M-rZpIAz9DZM4k" // 43 unreserved characters
)

// fixtureSecrets are the values no masked export may contain, including the Basic
// credentials in their encoded form.
func fixtureSecrets() []string {
	basic := base64.StdEncoding.EncodeToString([]byte("web-app:" + url.QueryEscape(secretClient)))
	return []string{secretClient, url.QueryEscape(secretClient), secretPassword, secretRefresh, secretSession, basic}
}

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func sha256Hex(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// fakeJWT is a JWS compact serialisation with a made-up signature: enough to decode.
func fakeJWT(header, claims string) string {
	return b64(header) + "." + b64(claims) + ".c2lnbmF0dXJlLW5vdC1yZWFsbHktY2hlY2tlZA"
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}

// fixtureCode is the authorization code flow of a confidential client (web-app, HTTP
// Basic) with PKCE and OpenID Connect, against the bundled IdP at issuer, where every
// check passes. base is the provider's URL (fixtureIssuer for the goldens).
func fixtureCode(base string) []record.Step {
	state, nonce := "st-Q2w9Er4Ty7", "n-Lk8Jh3Gf5Ds1"
	chal := challenge(verifier)
	scope := "openid profile email offline_access"

	discovery := record.Step{
		Flow: "authorization-code", Index: 0, ID: "discovery", Title: "Discover the provider", Status: record.StatusDone,
		Explanation: "The client reads the provider's metadata: where its endpoints are, which keys sign its tokens, what it supports.",
		Specs:       []record.SpecRef{{Spec: "OpenID Connect Discovery 1.0", Section: "§4"}, {Spec: "RFC 8414", Section: "§3"}},
		Arrows:      []record.Arrow{{From: record.ActorClient, To: record.ActorAuthz, Label: "GET /.well-known/openid-configuration"}},
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "GET", URL: base + "/.well-known/openid-configuration",
				Header: http.Header{"Accept": {"application/json"}}},
			Response: &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: jsonHeader(),
				Body: `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/authorize","token_endpoint":"` + base +
					`/token","userinfo_endpoint":"` + base + `/userinfo","jwks_uri":"` + base +
					`/jwks","response_types_supported":["code","id_token","id_token token"],"code_challenge_methods_supported":["S256","plain"],"authorization_response_iss_parameter_supported":true}`},
			Started: at(1), Duration: 1200 * time.Microsecond,
		}},
		Checks: []record.Check{{Name: "issuer matches", Outcome: record.OutcomePass, Expected: base, Actual: base,
			Reason: "the metadata's issuer is the one we asked for", Spec: "OpenID Connect Discovery 1.0 §4.3"}},
		Started: at(0), Finished: at(3),
	}

	pkce := record.Step{
		Flow: "authorization-code", Index: 1, ID: "pkce", Title: "Make the PKCE verifier and challenge", Status: record.StatusDone,
		Explanation: "The client makes a random code_verifier and sends only its hash, the code_challenge. At the token endpoint it proves it started the flow by showing the verifier.",
		Specs:       []record.SpecRef{{Spec: "RFC 7636", Section: "§4.1"}, {Spec: "RFC 7636", Section: "§4.2", Title: "S256"}},
		Artifacts: []record.Artifact{
			{Name: "code_verifier", Value: verifier, Note: "43 characters from the unreserved set, 32 random bytes in base64url"},
			{Name: "code_challenge", Value: chal, Derivation: []string{
				"code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))",
				"SHA256(ASCII(code_verifier)) = " + sha256Hex(verifier),
				"BASE64URL = " + chal,
			}},
			{Name: "state", Value: state, Note: "binds the callback to this browser session (RFC 6749 §10.12)"},
			{Name: "nonce", Value: nonce, Note: "binds the ID token to this request (OIDC Core §15.5.2)"},
		},
		Started: at(3), Finished: at(4),
	}

	authParams := []record.Param{
		{Name: "response_type", Value: "code", Note: "the authorization code flow (RFC 6749 §4.1.1)"},
		{Name: "client_id", Value: "web-app"},
		{Name: "redirect_uri", Value: fixtureRedirect, Note: "loopback, any port (RFC 8252 §7.3)"},
		{Name: "scope", Value: scope},
		{Name: "state", Value: state},
		{Name: "nonce", Value: nonce},
		{Name: "code_challenge", Value: chal},
		{Name: "code_challenge_method", Value: "S256"},
	}
	q := url.Values{}
	authURL := base + "/authorize?"
	for i, p := range authParams {
		q.Set(p.Name, p.Value)
		if i > 0 {
			authURL += "&"
		}
		authURL += url.QueryEscape(p.Name) + "=" + url.QueryEscape(p.Value)
	}
	callback := fixtureRedirect + "?code=" + authCode + "&state=" + state + "&iss=" + url.QueryEscape(base)
	cookie := "oauthx_idp_session=" + secretSession
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	authorize := record.Step{
		Flow: "authorization-code", Index: 2, ID: "authorize", Title: "Log in and consent", Status: record.StatusDone,
		Explanation: "The browser takes the authorization request to the provider. The user logs in and consents; the provider sends the browser back to the redirect URI with a one-time code.",
		Specs:       []record.SpecRef{{Spec: "RFC 6749", Section: "§4.1.1"}, {Spec: "RFC 6749", Section: "§4.1.2"}},
		Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorBrowser, Label: "redirect to /authorize"},
			{From: record.ActorBrowser, To: record.ActorAuthz, Label: "GET /authorize, log in, consent"},
			{From: record.ActorAuthz, To: record.ActorBrowser, Label: "302 to the redirect URI with code"},
		},
		Request: &record.Request{StepID: "authorize", Method: "GET", URL: base + "/authorize", Params: authParams},
		Exchanges: []record.Exchange{
			{Request: record.HTTPRequest{Method: "GET", URL: authURL},
				Response: &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: http.Header{
					"Content-Type": {"text/html; charset=utf-8"}, "Set-Cookie": {cookie + "; Path=/; HttpOnly; SameSite=Lax"}},
					Body: `<!doctype html><title>Sign in</title><form method="post" action="/login"><input name="username"><input name="password" type="password"></form>`},
				Started: at(10), Duration: 900 * time.Microsecond},
			{Request: record.HTTPRequest{Method: "POST", URL: base + "/login", Header: http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {cookie}},
				Body: "username=alice&password=" + secretPassword},
				Response: &record.HTTPResponse{Status: 303, Proto: "HTTP/1.1", Header: http.Header{"Location": {"/consent"}}},
				Started:  at(20), Duration: 2 * time.Millisecond},
			{Request: record.HTTPRequest{Method: "GET", URL: base + "/consent", Header: http.Header{"Cookie": {cookie}}},
				Response: &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: html,
					Body: `<!doctype html><title>Allow web-app?</title><form method="post"><button name="consent" value="allow">Allow</button></form>`},
				Started: at(25), Duration: 700 * time.Microsecond},
			{Request: record.HTTPRequest{Method: "POST", URL: base + "/consent", Header: http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {cookie}}, Body: "consent=allow"},
				Response: &record.HTTPResponse{Status: 302, Proto: "HTTP/1.1", Header: http.Header{"Location": {callback}}},
				Started:  at(30), Duration: 1 * time.Millisecond},
		},
		Redirects: []record.Redirect{
			{From: base + "/login", To: base + "/consent", Status: 303, Method: "GET", Note: "login form submitted as alice"},
			{From: base + "/consent", To: callback, Status: 302, Method: "GET", Note: "consent given"},
		},
		Started: at(5), Finished: at(31),
	}

	callbackStep := record.Step{
		Flow: "authorization-code", Index: 3, ID: "callback", Title: "Receive the callback", Status: record.StatusDone,
		Explanation: "The loopback receiver gets the authorization response. The client checks that state is the one it sent, and that iss names the provider it talked to.",
		Specs:       []record.SpecRef{{Spec: "RFC 6749", Section: "§4.1.2"}, {Spec: "RFC 9207", Section: "§2.4"}},
		Arrows:      []record.Arrow{{From: record.ActorBrowser, To: record.ActorClient, Label: "GET /callback?code&state&iss"}},
		Artifacts:   []record.Artifact{{Name: "code", Value: authCode, Note: "single use, valid for 60 s"}},
		Checks: []record.Check{
			{Name: "state", Outcome: record.OutcomePass, Expected: state, Actual: state, Spec: "RFC 6749 §10.12"},
			{Name: "iss", Outcome: record.OutcomePass, Expected: base, Actual: base, Spec: "RFC 9207 §2.4"},
		},
		Started: at(31), Finished: at(32),
	}

	idHeader := `{"alg":"RS256","kid":"rsa-1","typ":"JWT"}`
	idClaims := `{"iss":"` + base + `","sub":"alice","aud":"web-app","azp":"web-app","exp":1795424700,"iat":1795424400,"nonce":"` + nonce + `","at_hash":"q7dJxvm0Kb1wVnPC3aFt2A"}`
	idToken := fakeJWT(idHeader, idClaims)
	tokenBody := "grant_type=authorization_code&code=" + authCode + "&redirect_uri=" + url.QueryEscape(fixtureRedirect) + "&code_verifier=" + verifier
	tokenResp := `{"access_token":"` + accessToken + `","token_type":"Bearer","expires_in":300,"refresh_token":"` + secretRefresh +
		`","id_token":"` + idToken + `","scope":"` + scope + `"}`
	exp, iat := time.Unix(1795424700, 0).UTC(), time.Unix(1795424400, 0).UTC()
	idCheckList := []record.Check{
		{Name: "signature", Outcome: record.OutcomePass, Expected: "RS256, a key from the JWKS", Actual: "RS256 kid=rsa-1", Spec: "OIDC Core §3.1.3.7 step 6"},
		{Name: "iss", Outcome: record.OutcomePass, Expected: base, Actual: base, Spec: "OIDC Core §3.1.3.7 step 2"},
		{Name: "aud", Outcome: record.OutcomePass, Expected: "contains web-app", Actual: "web-app", Spec: "OIDC Core §3.1.3.7 step 3"},
		{Name: "exp", Outcome: record.OutcomePass, Expected: "after 2026-11-23 09:00:00 UTC (60 s skew)", Actual: "2026-11-23 09:05:00 UTC", Spec: "OIDC Core §3.1.3.7 step 9"},
		{Name: "nonce", Outcome: record.OutcomePass, Expected: nonce, Actual: nonce, Spec: "OIDC Core §3.1.3.7 step 11"},
		{Name: "at_hash", Outcome: record.OutcomePass, Expected: "q7dJxvm0Kb1wVnPC3aFt2A", Actual: "q7dJxvm0Kb1wVnPC3aFt2A", Spec: "OIDC Core §3.2.2.9"},
	}
	idDecoded := &record.Token{
		Format: record.FormatJWT,
		Header: []record.Claim{
			{Name: "alg", Value: "RS256", Display: "RS256", Explanation: "the signature algorithm", Spec: "RFC 7515 §4.1.1"},
			{Name: "kid", Value: "rsa-1", Display: "rsa-1", Explanation: "which key of the JWKS signed it", Spec: "RFC 7515 §4.1.4"},
			{Name: "typ", Value: "JWT", Display: "JWT", Explanation: "the media type of the token", Spec: "RFC 7519 §5.1"},
		},
		Claims: []record.Claim{
			{Name: "iss", Value: base, Display: base, Explanation: "the issuer: who made the token", Spec: "OIDC Core §2"},
			{Name: "sub", Value: "alice", Display: "alice", Explanation: "the user, unique within the issuer", Spec: "OIDC Core §2"},
			{Name: "aud", Value: "web-app", Display: "web-app", Explanation: "who the token is for: this client", Spec: "OIDC Core §2"},
			{Name: "azp", Value: "web-app", Display: "web-app", Explanation: "the party the token was issued to", Spec: "OIDC Core §2"},
			{Name: "exp", Value: float64(1795424700), Display: "2026-11-23 09:05:00 UTC (in 5 minutes)", Time: &exp, Explanation: "expiry time", Spec: "RFC 7519 §4.1.4"},
			{Name: "iat", Value: float64(1795424400), Display: "2026-11-23 09:00:00 UTC", Time: &iat, Explanation: "when the token was issued", Spec: "RFC 7519 §4.1.6"},
			{Name: "nonce", Value: nonce, Display: nonce, Explanation: "echoes the nonce of the request", Spec: "OIDC Core §2"},
			{Name: "at_hash", Value: "q7dJxvm0Kb1wVnPC3aFt2A", Display: "q7dJxvm0Kb1wVnPC3aFt2A", Explanation: "half of the access token's hash", Spec: "OIDC Core §3.1.3.6"},
		},
		Signature: "c2lnbmF0dXJlLW5vdC1yZWFsbHktY2hlY2tlZA", Verified: true, VerifiedWith: "RS256 kid=rsa-1",
		Checks: idCheckList,
	}
	token := record.Step{
		Flow: "authorization-code", Index: 4, ID: "token", Title: "Exchange the code for tokens", Status: record.StatusDone,
		Explanation: "The client sends the code and the PKCE verifier to the token endpoint, authenticating with its secret. The provider checks that the verifier hashes to the challenge.",
		Specs:       []record.SpecRef{{Spec: "RFC 6749", Section: "§4.1.3"}, {Spec: "RFC 7636", Section: "§4.5"}, {Spec: "OIDC Core", Section: "§3.1.3.7"}},
		Arrows: []record.Arrow{
			{From: record.ActorClient, To: record.ActorAuthz, Label: "POST /token (code, code_verifier)"},
			{From: record.ActorAuthz, To: record.ActorClient, Label: "access, refresh and ID tokens"},
		},
		Request: &record.Request{StepID: "token", Method: "POST", URL: base + "/token", AuthMethod: "client_secret_basic", Params: []record.Param{
			{Name: "grant_type", Value: "authorization_code"},
			{Name: "code", Value: authCode},
			{Name: "redirect_uri", Value: fixtureRedirect, Note: "must equal the one in the authorization request"},
			{Name: "code_verifier", Value: verifier, Note: "RFC 7636 §4.5"},
			{Name: "client_id", Value: "web-app", Note: "sent with HTTP Basic"},
			{Name: "client_secret", Value: secretClient, Secret: true, Note: "sent with HTTP Basic"},
		}},
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "POST", URL: base + "/token", Header: http.Header{
				"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("web-app:"+url.QueryEscape(secretClient)))},
				"Content-Type":  {"application/x-www-form-urlencoded"},
				"Accept":        {"application/json"},
			}, Body: tokenBody},
			Response: &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: http.Header{
				"Content-Type": {"application/json;charset=UTF-8"}, "Cache-Control": {"no-store"}, "Pragma": {"no-cache"}},
				Body: tokenResp},
			Started: at(40), Duration: 3500 * time.Microsecond,
		}},
		Artifacts: []record.Artifact{
			{Name: "access_token", Value: accessToken, Token: &record.Token{Format: record.FormatOpaque}, Note: "Bearer, expires in 300 s"},
			{Name: "refresh_token", Value: secretRefresh, Secret: true, Token: &record.Token{Format: record.FormatOpaque}},
			{Name: "id_token", Value: idToken, Token: idDecoded},
		},
		Checks: append([]record.Check{
			{Name: "token_type", Outcome: record.OutcomePass, Expected: "Bearer", Actual: "Bearer", Spec: "RFC 6749 §5.1"},
		}, idCheckList...),
		Warnings: []string{"offline_access granted: the refresh token outlives this session"},
		Started:  at(35), Finished: at(47),
	}

	userinfo := record.Step{
		Flow: "authorization-code", Index: 5, ID: "userinfo", Title: "Ask for the user's claims", Status: record.StatusDone,
		Explanation: "The client calls the UserInfo endpoint with the access token, and checks that sub is the ID token's.",
		Specs:       []record.SpecRef{{Spec: "OIDC Core", Section: "§5.3"}},
		Arrows:      []record.Arrow{{From: record.ActorClient, To: record.ActorResource, Label: "GET /userinfo (Bearer)"}},
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "GET", URL: base + "/userinfo", Header: http.Header{"Authorization": {"Bearer " + accessToken}}},
			Response: &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: jsonHeader(),
				Body: `{"sub":"alice","name":"Alice Liddell","email":"alice@example.com","email_verified":true}`},
			Started: at(50), Duration: 800 * time.Microsecond,
		}},
		Checks:  []record.Check{{Name: "sub", Outcome: record.OutcomePass, Expected: "alice", Actual: "alice", Spec: "OIDC Core §5.3.4"}},
		Started: at(48), Finished: at(52),
	}
	return []record.Step{discovery, pkce, authorize, callbackStep, token, userinfo}
}

// fixtureFailed is the PKCE flow of a public client (spa) whose ID token names another
// audience: the aud check fails and the flow stops with a check error. The person had
// edited the scope before the authorization request.
func fixtureFailed(base string) []record.Step {
	steps := fixtureCode(base)[:5]
	for i := range steps {
		steps[i].Flow = "pkce"
	}
	// A public client: no secret, client_id in the form, no Basic.
	tok := &steps[4]
	req := *tok.Request
	req.AuthMethod = "none"
	req.Params = req.Params[:5]
	req.Params[4] = record.Param{Name: "client_id", Value: "spa", Note: "a public client identifies itself in the form"}
	tok.Request = &req
	ex := tok.Exchanges[0]
	ex.Request.Header = ex.Request.Header.Clone()
	ex.Request.Header.Del("Authorization")
	ex.Request.Body += "&client_id=spa"
	ex.Response = &record.HTTPResponse{Status: 200, Proto: "HTTP/1.1", Header: ex.Response.Header, Body: ex.Response.Body}
	tok.Exchanges = []record.Exchange{ex}
	tok.Explanation = "A public client has no secret: the PKCE verifier alone proves it started the flow."
	tok.Warnings = nil

	var checks []record.Check
	for _, c := range tok.Checks {
		if c.Name == "aud" {
			c = record.Check{Name: "aud", Outcome: record.OutcomeFail, Expected: "contains spa", Actual: "web-app",
				Reason: "the ID token was issued to another client: a token substitution attempt, or a misconfigured provider",
				Spec:   "OIDC Core §3.1.3.7 step 3"}
		}
		checks = append(checks, c)
	}
	tok.Checks = checks
	tok.Status = record.StatusFailed
	tok.Error = &record.Error{Kind: record.ErrCheck, Message: `ID token rejected: aud is "web-app", not this client "spa"`}
	id := tok.Artifacts[2]
	decoded := *id.Token
	decoded.Checks = checks[1:]
	id.Token = &decoded
	tok.Artifacts = []record.Artifact{tok.Artifacts[0], tok.Artifacts[1], id}

	// The person added offline_access to the scope before sending the authorization request.
	authz := &steps[2]
	authz.Edited = []record.Edit{{Name: "scope", From: "openid profile email", To: "openid profile email offline_access"}}
	return steps
}

// errorStep is a token request the provider refused, for the error rendering.
func errorStep(base string) record.Step {
	body := `{"error":"invalid_grant","error_description":"code already used"}`
	return record.Step{
		Flow: "pkce", Index: 5, ID: "refresh", Title: "Refresh the tokens", Status: record.StatusFailed,
		Explanation: "The client trades its refresh token for new tokens.",
		Specs:       []record.SpecRef{{Spec: "RFC 6749", Section: "§6"}},
		Request: &record.Request{StepID: "refresh", Method: "POST", URL: base + "/token", AuthMethod: "client_secret_post", Params: []record.Param{
			{Name: "grant_type", Value: "refresh_token"}, {Name: "refresh_token", Value: secretRefresh},
			{Name: "client_id", Value: "web-app"}, {Name: "client_secret", Value: secretClient},
		}},
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "POST", URL: base + "/token", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				Body: "grant_type=refresh_token&refresh_token=" + secretRefresh + "&client_id=web-app&client_secret=" + url.QueryEscape(secretClient)},
			Response: &record.HTTPResponse{Status: 400, Proto: "HTTP/1.1", Header: jsonHeader(), Body: body},
			Started:  at(60), Duration: 2 * time.Millisecond,
		}},
		Error: &record.Error{Kind: record.ErrProtocol, Message: "invalid_grant: code already used", Protocol: &record.ProtocolError{
			Code: "invalid_grant", Description: "code already used", HTTPStatus: 400,
			Meaning: "The grant (code or refresh token) is invalid, expired, revoked, or was issued to another client.",
			Spec:    "RFC 6749 §5.2",
		}},
		Started: at(58), Finished: at(63),
	}
}

// mustJSON is for test tables.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
