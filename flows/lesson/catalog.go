package lesson

import (
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/record"
)

// AttackerRedirectURI is the redirect URI the open-redirect lesson sends: an open
// redirector under the registered callback path of the client's own origin, forwarding
// the browser (and the code in its URL) to the attacker.
const AttackerRedirectURI = "http://127.0.0.1/callback/redirect?to=https://attacker.example/"

// The spec passages the lessons quote, word for word.
var (
	quoteCSRF = Quote{Spec: "RFC 6749", Section: "§10.12", Title: "Cross-Site Request Forgery",
		URL: "https://www.rfc-editor.org/rfc/rfc6749#section-10.12",
		Text: "The client MUST implement CSRF protection for its redirection URI. This is typically accomplished by " +
			"requiring any request sent to the redirection URI endpoint to include a value that binds the request to " +
			"the user-agent's authenticated state (e.g., a hash of the session cookie used to authenticate the " +
			"user-agent). The client SHOULD utilize the \"state\" request parameter to deliver this value to the " +
			"authorization server when making an authorization request."}
	quoteBCPCSRF = Quote{Spec: "RFC 9700", Section: "§4.7", Title: "Cross-Site Request Forgery",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.7",
		Text: "An attacker might attempt to inject a request to the redirection URI of the legitimate client on the " +
			"victim's device, e.g., to cause the client to access resources under the attacker's control. This is a " +
			"variant of an attack known as Cross-Site Request Forgery (CSRF)."}
	quotePKCEVerify = Quote{Spec: "RFC 7636", Section: "§4.6", Title: "Server Verifies code_verifier before Returning the Tokens",
		URL: "https://www.rfc-editor.org/rfc/rfc7636#section-4.6",
		Text: "If the values are equal, the token endpoint MUST continue processing as normal (as defined by OAuth 2.0 " +
			"[RFC6749]). If the values are not equal, an error response indicating \"invalid_grant\" as described in " +
			"Section 5.2 of [RFC6749] MUST be returned."}
	quotePKCEAbstract = Quote{Spec: "RFC 7636", Section: "Abstract", Title: "Proof Key for Code Exchange by OAuth Public Clients",
		URL: "https://www.rfc-editor.org/rfc/rfc7636",
		Text: "OAuth 2.0 public clients utilizing the Authorization Code Grant are susceptible to the authorization " +
			"code interception attack. This specification describes the attack as well as a technique to mitigate " +
			"against the threat through the use of Proof Key for Code Exchange (PKCE, pronounced \"pixy\")."}
	quoteInjection = Quote{Spec: "RFC 9700", Section: "§4.5", Title: "Authorization Code Injection",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.5",
		Text: "In an authorization code injection attack, the attacker attempts to inject a stolen authorization code " +
			"into the attacker's own session with the client. The aim is to associate the attacker's session at the " +
			"client with the victim's resources or identity, thereby giving the attacker at least limited access to " +
			"the victim's resources."}
	quoteInjectionPKCE = Quote{Spec: "RFC 9700", Section: "§4.5.3.1", Title: "PKCE",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.5.3.1",
		Text: "The PKCE mechanism specified in [RFC7636] can be used as a countermeasure (even though it was originally " +
			"designed to secure native apps). When the attacker attempts to inject an authorization code, the check of " +
			"the code_verifier fails: the client uses its correct verifier, but the code is associated with a " +
			"code_challenge that does not match this verifier."}
	quoteSingleUse = Quote{Spec: "RFC 6749", Section: "§4.1.2", Title: "Authorization Response",
		URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
		Text: "The client MUST NOT use the authorization code more than once. If an authorization code is used more " +
			"than once, the authorization server MUST deny the request and SHOULD revoke (when possible) all tokens " +
			"previously issued based on that authorization code."}
	quoteSingleUseBCP = Quote{Spec: "RFC 9700", Section: "§4.2.4", Title: "Countermeasures (Leakage of Authorization Codes through the Referer Header)",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.2.4",
		Text: "As described in Section 4.1.2 of [RFC6749], authorization codes MUST be invalidated by the authorization " +
			"server after their first use at the token endpoint. For example, if an authorization server invalidated " +
			"the code after the legitimate client redeemed it, the attacker would fail to exchange this code later."}
	quoteAud = Quote{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7 step 3", Title: "ID Token Validation",
		URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
		Text: "The Client MUST validate that the aud (audience) Claim contains its client_id value registered at the " +
			"Issuer identified by the iss (issuer) Claim as an audience. The aud (audience) Claim MAY contain an array " +
			"with more than one element. The ID Token MUST be rejected if the ID Token does not list the Client as a " +
			"valid audience, or if it contains additional audiences not trusted by the Client."}
	quoteAzp = Quote{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7 steps 4–5", Title: "ID Token Validation (errata set 1 wording)",
		URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
		Text: "If the ID Token contains multiple audiences, the Client SHOULD verify that an azp Claim is present. " +
			"If an azp (authorized party) Claim is present, the Client SHOULD verify that its client_id is the Claim Value."}
	quoteIss = Quote{Spec: "RFC 9207", Section: "§2.4", Title: "Validating the Issuer Identifier",
		URL: "https://www.rfc-editor.org/rfc/rfc9207#section-2.4",
		Text: "Clients that support this specification MUST extract the value of the iss parameter from authorization " +
			"responses they receive if the parameter is present. Clients MUST then decode the value from its " +
			"\"application/x-www-form-urlencoded\" form according to Appendix B of [RFC6749] and compare the result to " +
			"the issuer identifier of the authorization server where the authorization request was sent to. This " +
			"comparison MUST use simple string comparison as defined in Section 6.2.1 of [RFC3986]. If the value does " +
			"not match the expected issuer identifier, clients MUST reject the authorization response and MUST NOT " +
			"proceed with the authorization grant."}
	quoteMixUp = Quote{Spec: "RFC 9700", Section: "§4.4.2", Title: "Countermeasures (Mix-Up Attacks)",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.4.2",
		Text: "When an OAuth client can only interact with one authorization server, a mix-up defense is not required. " +
			"In scenarios where an OAuth client interacts with two or more authorization servers, however, clients " +
			"MUST prevent mix-up attacks."}
	quoteAlgVerify = Quote{Spec: "RFC 8725", Section: "§3.1", Title: "Perform Algorithm Verification",
		URL: "https://www.rfc-editor.org/rfc/rfc8725#section-3.1",
		Text: "Libraries MUST enable the caller to specify a supported set of algorithms and MUST NOT use any other " +
			"algorithms when performing cryptographic operations. The library MUST ensure that the \"alg\" or \"enc\" " +
			"header specifies the same algorithm that is used for the cryptographic operation. Moreover, each key MUST " +
			"be used with exactly one algorithm, and this MUST be checked when the cryptographic operation is performed."}
	quoteAlgNone = Quote{Spec: "RFC 8725", Section: "§2.1", Title: "Weak Signatures and Insufficient Signature Validation",
		URL: "https://www.rfc-editor.org/rfc/rfc8725#section-2.1",
		Text: "The algorithm can be changed to \"none\" by an attacker, and some libraries would trust this value and " +
			"\"validate\" the JWT without checking any signature."}
	quoteAlgConfusion = Quote{Spec: "RFC 8725", Section: "§2.1", Title: "Weak Signatures and Insufficient Signature Validation",
		URL: "https://www.rfc-editor.org/rfc/rfc8725#section-2.1",
		Text: "An \"RS256\" (RSA, 2048 bit) parameter value can be changed into \"HS256\" (HMAC, SHA-256), and some " +
			"libraries would try to validate the signature using HMAC-SHA256 and using the RSA public key as the HMAC " +
			"shared secret (see [McLean] and [CVE-2015-9235])."}
	quoteAlgOIDC = Quote{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7 step 7", Title: "ID Token Validation",
		URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
		Text: "The alg value SHOULD be the default of RS256 or the algorithm sent by the Client in the " +
			"id_token_signed_response_alg parameter during Registration."}
	quoteExp = Quote{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7 step 9", Title: "ID Token Validation",
		URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
		Text: "The current time MUST be before the time represented by the exp Claim (possibly allowing for some small " +
			"leeway to account for clock skew)."}
	quoteIat = Quote{Spec: "OpenID Connect Core 1.0", Section: "§3.1.3.7 step 10", Title: "ID Token Validation",
		URL: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
		Text: "The iat Claim can be used to reject tokens that were issued too far away from the current time, limiting " +
			"the amount of time that nonces need to be stored to prevent attacks. The acceptable range is Client specific."}
	quoteNbf = Quote{Spec: "RFC 7519", Section: "§4.1.5", Title: "\"nbf\" (Not Before) Claim",
		URL: "https://www.rfc-editor.org/rfc/rfc7519#section-4.1.5",
		Text: "The \"nbf\" (not before) claim identifies the time before which the JWT MUST NOT be accepted for " +
			"processing. The processing of the \"nbf\" claim requires that the current date/time MUST be after or equal " +
			"to the not-before date/time listed in the \"nbf\" claim. Implementers MAY provide for some small leeway, " +
			"usually no more than a few minutes, to account for clock skew."}
	quoteExactMatch = Quote{Spec: "RFC 9700", Section: "§2.1", Title: "Protecting Redirect-Based Flows",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-2.1",
		Text: "When comparing client redirection URIs against pre-registered URIs, authorization servers MUST utilize " +
			"exact string matching except for port numbers in localhost redirection URIs of native apps."}
	quoteNoRedirect = Quote{Spec: "RFC 6749", Section: "§4.1.2.1", Title: "Error Response",
		URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
		Text: "If the request fails due to a missing, invalid, or mismatching redirection URI, or if the client " +
			"identifier is missing or invalid, the authorization server SHOULD inform the resource owner of the error " +
			"and MUST NOT automatically redirect the user-agent to the invalid redirection URI."}
	quoteOpenRedirector = Quote{Spec: "RFC 9700", Section: "§4.1.3", Title: "Countermeasures (Insufficient Redirect URI Validation)",
		URL: "https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3",
		Text: "This means the authorization server MUST ensure that the two URIs are equal; see Section 6.2.1 of " +
			"[RFC3986], Simple String Comparison, for details. [...] Web servers on which redirection URIs are hosted " +
			"MUST NOT expose open redirectors."}
)

// All returns every lesson, in the order a menu shows them.
func All() []Lesson {
	csrfDefence := Defence{
		By: "the client's state check",
		Explanation: "The client made a random state for this session, kept it, and sent it in the authorization " +
			"request. A response that does not carry the same value was not produced for this session: the client " +
			"throws it away before using the code.",
		Quotes: []Quote{quoteCSRF, quoteBCPCSRF},
	}
	return []Lesson{
		{
			Name: "csrf-tampered-state", Topic: "CSRF",
			Title:   "CSRF through a tampered state",
			Summary: "A forged authorization response with someone else's state is refused by the state check.",
			Attack: "The attacker starts a login with the web app on their own device, stops at the callback, and " +
				"plants that callback URL (their own code, their own state) in a page the victim visits. The victim's " +
				"browser delivers it to the app, which, without a state check, would finish the login with the " +
				"attacker's code: the victim is now signed in to the attacker's account and whatever they save lands " +
				"there. Here the request's state is swapped for attacker-state, so the response that comes back " +
				"carries a state this session never made — exactly what the forged response looks like to the client.",
			Kind:    flows.KindAuthorizationCode,
			Setup:   Setup{Edits: []Edit{{Step: "authorize", Param: "state", Value: "attacker-state"}}},
			Expect:  Expect{Step: "callback", Checks: []string{"state"}, Reason: "another state"},
			Defence: csrfDefence,
		},
		{
			Name: "csrf-missing-state", Topic: "CSRF",
			Title:   "CSRF against a client that sends no state",
			Summary: "A response without state cannot be tied to the session, so the client refuses it.",
			Attack: "A client that sends no state cannot tell its own authorization responses from ones an attacker " +
				"feeds to the victim's browser (a login CSRF: the victim ends up in the attacker's account). Here the " +
				"state parameter is removed from the request: the response comes back without one, and a careful " +
				"client refuses to use it.",
			Kind:    flows.KindAuthorizationCode,
			Setup:   Setup{Edits: []Edit{{Step: "authorize", Param: "state", Remove: true}}},
			Expect:  Expect{Step: "callback", Checks: []string{"state"}, Reason: "has no state"},
			Defence: csrfDefence,
		},
		{
			Name: "code-injection-pkce", Topic: "code",
			Title:   "Authorization code injection, stopped by PKCE",
			Summary: "A code stolen from another session fails PKCE: invalid_grant.",
			Attack: "The attacker steals the victim's authorization code (from a log, a Referer header, a malicious app " +
				"on the device) and injects it into their own session with the app: they start a login as themselves " +
				"and swap the code in the callback for the stolen one. The app redeems it with its own credentials and, " +
				"unprotected, would sign the attacker in as the victim. Here alice is the victim and bob the attacker; " +
				"the token request carries alice's code with the code_verifier of bob's session.",
			Kind: flows.KindPKCE, User: "bob",
			Setup: Setup{
				Victim: &Victim{User: "alice", Through: "callback",
					Story: "alice's authorization code, issued but not yet redeemed, leaks to the attacker"},
				Edits: []Edit{{Step: "token", Param: "code", FromVictim: "code"}},
			},
			Expect: Expect{Step: "token", ErrorCode: "invalid_grant", Reason: "does not match the code_challenge"},
			Defence: Defence{
				By: "the provider's PKCE check",
				Explanation: "The stolen code is bound to the code_challenge of alice's session. The attacker's session " +
					"sends its own code_verifier, whose hash is a different challenge, so the provider refuses the " +
					"exchange. Only the session that started the flow holds the verifier.",
				Quotes: []Quote{quotePKCEVerify, quoteInjectionPKCE, quoteInjection, quotePKCEAbstract},
			},
			Contrast: &Contrast{
				Title: "Against a provider that skips PKCE", Faults: []string{"pkce-not-verified"},
				Reaches: "token", Shows: "access_token",
				Story: "The provider ignores the code_verifier and hands alice's tokens to the attacker's session. " +
					"With openid, the ID token's nonce still belongs to alice's session, so the client's nonce check " +
					"refuses it (RFC 9700 §4.5.3.2) — the access token, though, was already issued.",
			},
		},
		{
			Name: "code-replay", Topic: "code",
			Title:   "Code replay: a used code is refused and its tokens revoked",
			Summary: "Redeeming a code a second time gets invalid_grant, and the first tokens are revoked.",
			Attack: "Codes travel in URLs, so they end up in browser history, proxy logs and Referer headers. An " +
				"attacker who finds one after the victim's app redeemed it injects it into their own session with the " +
				"same app, hoping the provider will exchange it again. Here alice redeems her code first; then bob's " +
				"session sends the same code to the token endpoint.",
			Kind: flows.KindAuthorizationCode, User: "bob",
			Setup: Setup{
				Victim: &Victim{User: "alice", Through: "token",
					Story: "alice's client redeems her code; the URL with the code stays in her browser history, where the attacker finds it"},
				Edits: []Edit{{Step: "token", Param: "code", FromVictim: "code"}},
			},
			Expect: Expect{Step: "token", ErrorCode: "invalid_grant", Reason: "already used"},
			Defence: Defence{
				By: "the provider's single-use code check",
				Explanation: "A code can be redeemed once. A second attempt is refused, and because it shows the code " +
					"leaked, the provider also revokes every token issued from it: alice's access token stops working " +
					"(the lesson asks the introspection endpoint to show it).",
				Quotes: []Quote{quoteSingleUse, quoteSingleUseBCP},
			},
			Contrast: &Contrast{
				Title: "Against a provider that lets codes be replayed", Faults: []string{"code-replay-allowed"},
				Reaches: "token", Shows: "access_token",
				Story: "The provider exchanges the code a second time and issues new tokens for alice's grant to the " +
					"attacker's session, and nothing of alice's is revoked. With openid, the ID token's nonce still " +
					"belongs to alice's session, so the client's nonce check refuses it — the access token, though, " +
					"was already issued.",
			},
		},
		{
			Name: "token-substitution-aud", Topic: "ID token",
			Title:   "Token substitution: an ID token for another client (aud)",
			Summary: "An ID token issued to another client is refused by the aud check.",
			Attack: "An ID token proves who logged in, but only to the client it was issued to. A malicious or " +
				"compromised app that received a user's ID token could present it to another app (token substitution) " +
				"to log in there as that user. Here the provider issues the ID token with aud = another-client.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"wrong-aud"}},
			Expect: Expect{Step: "id-token", Checks: []string{"aud"}, Reason: "issued to another client"},
			Defence: Defence{
				By: "the client's aud check",
				Explanation: "The client accepts an ID token only if its aud lists the client's own client_id. A token " +
					"minted for another client is useless here, whoever presents it.",
				Quotes: []Quote{quoteAud},
			},
		},
		{
			Name: "token-substitution-azp", Topic: "ID token",
			Title:   "Token substitution: another authorized party (azp)",
			Summary: "An ID token whose azp names another client is refused by the azp check.",
			Attack: "The same substitution with a subtler token: its aud lists this client among others, but azp says " +
				"it was issued to another client (the party it was really meant for). A client that only looks at aud " +
				"would accept a token obtained by a different app. Here the provider sets azp = another-client.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"wrong-azp"}},
			Expect: Expect{Step: "id-token", Checks: []string{"azp"}, Reason: "another client"},
			Defence: Defence{
				By: "the client's azp check",
				Explanation: "When azp is present it names the client the token was issued to; it must be this " +
					"client's client_id.",
				Quotes: []Quote{quoteAzp, quoteAud},
			},
		},
		{
			Name: "mix-up", Topic: "mix-up",
			Title:   "Mix-up: a response from another provider (RFC 9207 iss)",
			Summary: "An authorization response naming another issuer is refused by the RFC 9207 iss check.",
			Attack: "A client that works with several providers can be tricked into sending a code from the honest " +
				"provider to the attacker's provider (a mix-up attack): the attacker's provider starts the login, " +
				"bounces the user to the honest one, and the client, believing the response came from the attacker's " +
				"provider, redeems the code there. The iss parameter in the authorization response says who really " +
				"answered. Here the response says iss = https://evil.example.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"iss-mismatch-authz"}},
			Expect: Expect{Step: "callback", Checks: []string{"iss (RFC 9207)"}, Reason: "mix-up"},
			Defence: Defence{
				By: "the client's RFC 9207 iss check",
				Explanation: "The client remembers which issuer it sent the user to and compares the response's iss " +
					"with it, character by character; a response from another issuer is dropped before the code goes " +
					"anywhere.",
				Quotes: []Quote{quoteIss, quoteMixUp},
			},
		},
		{
			Name: "alg-none", Topic: "ID token",
			Title:   "alg: none — an unsigned ID token",
			Summary: "An ID token with alg none is refused by the algorithm allow-list.",
			Attack: "Anyone can write an unsigned JWT. If a client lets the token's own header choose the algorithm " +
				"and honours \"none\", an attacker can forge any identity: edit the claims, set alg to none, drop the " +
				"signature. Here the provider issues unsigned ID tokens.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"alg-none"}},
			Expect: Expect{Step: "id-token", Checks: []string{"alg allowed"}, Reason: "none"},
			Defence: Defence{
				By: "the client's algorithm allow-list",
				Explanation: "The client decides which algorithms it accepts (those the provider advertises for ID " +
					"tokens, never none) before it looks at a signature; the token's header does not get a vote.",
				Quotes: []Quote{quoteAlgVerify, quoteAlgNone, quoteAlgOIDC},
			},
		},
		{
			Name: "key-confusion", Topic: "ID token",
			Title:   "Key confusion: HS256 signed with the RSA public key",
			Summary: "An HS256 token keyed with the public RSA key is refused: the algorithm is pinned.",
			Attack: "The provider's RSA public key is public: it is in the JWKS. A verifier that lets the token's alg " +
				"decide how to use the key would check an HS256 token with HMAC, using the RSA key's bytes as the " +
				"secret — which the attacker also has, so they can sign anything. Here the provider signs ID tokens " +
				"with HS256 keyed with its own RSA public key, and keeps the RSA key's kid.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"alg-confusion"}},
			Expect: Expect{Step: "id-token", Checks: []string{"alg allowed"}, Reason: "HS256"},
			Defence: Defence{
				By: "the client's algorithm allow-list",
				Explanation: "HS256 is not among the algorithms the provider signs ID tokens with, and an RSA key is " +
					"only ever used for RSA signatures, so the token is refused before any HMAC is computed.",
				Quotes: []Quote{quoteAlgVerify, quoteAlgConfusion, quoteAlgOIDC},
			},
		},
		{
			Name: "expired-token", Topic: "time",
			Title:   "An expired ID token",
			Summary: "An ID token that expired an hour ago is refused by the exp check.",
			Attack: "A token stolen or cached long ago is replayed after its lifetime: a client that ignores exp " +
				"would accept an old login forever. Here the provider issues ID tokens that expired an hour ago.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"expired"}},
			Expect: Expect{Step: "id-token", Checks: []string{"exp"}, Reason: "expired"},
			Defence: Defence{
				By: "the client's exp check",
				Explanation: "The client compares exp with its own clock, allowing only a small, stated skew (60 s " +
					"by default).",
				Quotes: []Quote{quoteExp},
			},
		},
		{
			Name: "not-yet-valid", Topic: "time",
			Title:   "An ID token from the future",
			Summary: "An ID token issued an hour ahead is refused by the iat/nbf checks.",
			Attack: "A token minted with a future iat and nbf (by a provider with a wrong clock, or one prepared in " +
				"advance) would stay usable long after it should have expired. Here the provider's ID tokens have iat " +
				"and nbf an hour in the future.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Faults: []string{"not-yet-valid"}},
			Expect: Expect{Step: "id-token", Checks: []string{"iat", "nbf"}, Reason: "beyond the"},
			Defence: Defence{
				By: "the client's iat and nbf checks",
				Explanation: "A token is not accepted before its nbf, and one issued in the future is implausible; " +
					"both are compared with the client's clock, with a small skew allowed.",
				Quotes: []Quote{quoteNbf, quoteIat},
			},
		},
		{
			Name: "clock-skew", Topic: "time",
			Title:   "Clock skew: the provider's clock runs ten minutes fast",
			Summary: "Tokens stamped by a clock 10 minutes ahead fall outside the 60 s skew allowed.",
			Attack: "Not an attacker this time, but the same check at work: clocks drift. The provider's clock is " +
				"moved ten minutes forward, so its ID tokens say they were issued ten minutes from now. A client that " +
				"accepted any iat would also accept tokens an attacker pre-dated; one with no tolerance at all would " +
				"break on every second of drift. The checks allow 60 s and say so.",
			Kind:   flows.KindPKCE,
			Setup:  Setup{Advance: 10 * time.Minute},
			Expect: Expect{Step: "id-token", Checks: []string{"iat", "nbf"}, Reason: "60 s"},
			Defence: Defence{
				By: "the client's iat check, with a stated 60 s skew",
				Explanation: "Time checks compare the token with the client's clock and allow a small skew for drift; " +
					"ten minutes is beyond it. Keep clocks in sync (NTP) rather than widening the skew.",
				Quotes: []Quote{quoteIat, quoteExp, quoteNbf},
			},
		},
		{
			Name: "open-redirect", Topic: "redirect",
			Title:   "Open redirect through a loose redirect_uri",
			Summary: "A strict provider refuses an unregistered redirect_uri; a prefix-matching one sends the code away.",
			Attack: "The attacker sends the victim a login link for the real app and the real provider, with one " +
				"change: redirect_uri points to " + AttackerRedirectURI + ", an open redirector on the app's own " +
				"origin that forwards the browser to the attacker. If the provider accepts that URI because it starts " +
				"with the registered one, the victim logs in as usual and the code goes, via the redirector, to the " +
				"attacker, who injects it into their own session.",
			Kind:  flows.KindAuthorizationCode,
			Setup: Setup{Edits: []Edit{{Step: "authorize", Param: "redirect_uri", Value: AttackerRedirectURI}}},
			Expect: Expect{Step: "login", ErrorKind: record.ErrResponse,
				Reason: "error page instead of redirecting back"},
			Defence: Defence{
				By: "the provider's exact redirect URI matching",
				Explanation: "The provider compares redirect_uri with the registered URIs as exact strings (only the " +
					"port of a loopback URI may vary) and, when it does not match, shows an error page instead of " +
					"redirecting: the code never leaves.",
				Quotes: []Quote{quoteExactMatch, quoteNoRedirect, quoteOpenRedirector},
			},
			Contrast: &Contrast{
				Title: "Against a provider that matches redirect URIs by prefix", Faults: []string{"redirect-uri-prefix"},
				Reaches: "login", Shows: "callback_url",
				Story: "The provider accepts the URI because it starts with http://127.0.0.1/callback, and redirects " +
					"the browser, code and all, to the open redirector, which forwards it to attacker.example.",
			},
		},
	}
}
