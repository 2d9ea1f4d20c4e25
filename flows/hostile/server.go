// Package hostile is a test OpenID provider that misbehaves on purpose, one way at a
// time, for the hostile provider suite (hostile_test.go; issue 8 item 1).
//
// A [Server] behaves like a small, correct provider (discovery, an authorization
// endpoint that redirects straight back with a code, a token endpoint that issues an
// RS256 ID token, a JWKS) until a [Fault] makes one endpoint misbehave: HTML instead of
// JSON, truncated or hostile JSON, a body that never ends, headers that never come, an
// issuer or keys that do not fit, a connection reset mid-body, and so on.
//
// Only tests import this package: it is kept out of the oauthx binary. It imports
// nothing of the project, so the engine's import rules hold for it.
package hostile

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault names one way the server misbehaves. The zero value behaves.
type Fault string

// The faults, by endpoint. Each is described in [Faults].
const (
	None Fault = ""

	DiscoveryHTML          Fault = "discovery-html"
	DiscoveryTruncated     Fault = "discovery-truncated"
	DiscoveryTextPlain     Fault = "discovery-text-plain"
	Discovery500JSON       Fault = "discovery-500-json"
	Discovery503Empty      Fault = "discovery-503-empty"
	DiscoveryRedirectLoop  Fault = "discovery-redirect-loop"
	DiscoveryHuge          Fault = "discovery-50mib"
	DiscoveryTrickle       Fault = "discovery-trickle"
	DiscoveryNoHeaders     Fault = "discovery-no-headers"
	DiscoveryIssuer        Fault = "discovery-issuer-mismatch"
	DiscoveryMissing       Fault = "discovery-missing-endpoints"
	DiscoveryNotURLs       Fault = "discovery-endpoints-not-urls"
	DiscoveryDeep          Fault = "discovery-deep-nesting"
	DiscoveryManyMembers   Fault = "discovery-many-members"
	DiscoveryBadUTF8       Fault = "discovery-invalid-utf8"
	DiscoveryIssuerNumber  Fault = "discovery-issuer-number"
	DiscoveryGzipBomb      Fault = "discovery-gzip-bomb"
	DiscoveryResetMidBody  Fault = "discovery-reset-mid-body"
	DiscoveryArray         Fault = "discovery-array"
	DiscoveryAlgNoneListed Fault = "discovery-lists-alg-none"

	JWKSHTML         Fault = "jwks-html"
	JWKSEmpty        Fault = "jwks-empty"
	JWKSDuplicateKid Fault = "jwks-duplicate-kid"
	JWKSMissingKid   Fault = "jwks-missing-kid"
	JWKSWrongKeyType Fault = "jwks-wrong-key-type"
	JWKS500          Fault = "jwks-500"
	JWKSDeep         Fault = "jwks-deep-nesting"
	JWKSHuge         Fault = "jwks-50mib"
	JWKSNoHeaders    Fault = "jwks-no-headers"

	TokenHTML           Fault = "token-html-502"
	TokenTruncated      Fault = "token-truncated"
	TokenTextPlain      Fault = "token-json-as-text-plain"
	Token500JSON        Fault = "token-500-json"
	Token500Empty       Fault = "token-500-empty"
	TokenNoAccessToken  Fault = "token-no-access-token"
	TokenTypeMAC        Fault = "token-type-mac"
	TokenTypeNumber     Fault = "token-type-number"
	TokenExpiresObject  Fault = "token-expires-in-object"
	Token200Error       Fault = "token-200-with-error"
	TokenManyMembers    Fault = "token-many-members"
	TokenDeep           Fault = "token-deep-nesting"
	TokenBadUTF8        Fault = "token-invalid-utf8"
	TokenAlgNone        Fault = "token-id-token-alg-none"
	TokenKeyConfusion   Fault = "token-id-token-hs256-key-confusion"
	TokenRedirectLoop   Fault = "token-redirect-loop"
	TokenHuge           Fault = "token-50mib"
	TokenTrickle        Fault = "token-trickle"
	TokenNoHeaders      Fault = "token-no-headers"
	TokenGzipBomb       Fault = "token-gzip-bomb"
	TokenResetMidBody   Fault = "token-reset-mid-body"
	TokenIDTokenGarbage Fault = "token-id-token-garbage"

	AuthzErrorXSS       Fault = "authz-error-xss"
	AuthzErrorANSI      Fault = "authz-error-terminal-escapes"
	AuthzDuplicateState Fault = "authz-duplicate-state"
	AuthzOtherRedirect  Fault = "authz-other-redirect-uri"
	AuthzRedirectLoop   Fault = "authz-redirect-loop"
	AuthzNoState        Fault = "authz-no-state"
	AuthzWrongState     Fault = "authz-wrong-state"
	AuthzNoHeaders      Fault = "authz-no-headers"
	AuthzHTMLNoForm     Fault = "authz-html-without-form"

	UserinfoHTML       Fault = "userinfo-html"
	Userinfo401        Fault = "userinfo-401-invalid-token"
	UserinfoSubOther   Fault = "userinfo-sub-mismatch"
	UserinfoNoSub      Fault = "userinfo-no-sub"
	UserinfoTruncated  Fault = "userinfo-truncated"
	UserinfoHuge       Fault = "userinfo-50mib"
	UserinfoNoHeaders  Fault = "userinfo-no-headers"
	UserinfoJWTGarbage Fault = "userinfo-jwt-garbage"

	IntrospectActiveString Fault = "introspect-active-string"
	Introspect500HTML      Fault = "introspect-500-html"
	IntrospectTruncated    Fault = "introspect-truncated"
	IntrospectArray        Fault = "introspect-array"
	IntrospectHuge         Fault = "introspect-50mib"
	IntrospectNoHeaders    Fault = "introspect-no-headers"
	IntrospectRedirectLoop Fault = "introspect-redirect-loop"
)

// Faults describes each fault in one line, for the docs and test names.
var Faults = map[Fault]string{
	DiscoveryHTML:          "discovery answers an HTML page (200, text/html)",
	DiscoveryTruncated:     "discovery answers JSON cut off in the middle",
	DiscoveryTextPlain:     "discovery answers a correct document as text/plain",
	Discovery500JSON:       "discovery answers 500 with a JSON error body",
	Discovery503Empty:      "discovery answers 503 with no body",
	DiscoveryRedirectLoop:  "discovery redirects to itself forever",
	DiscoveryHuge:          "discovery streams a 50 MiB body",
	DiscoveryTrickle:       "discovery sends headers, then a byte every 50 ms, forever",
	DiscoveryNoHeaders:     "discovery accepts the request and never answers",
	DiscoveryIssuer:        "the metadata names another issuer",
	DiscoveryMissing:       "the metadata has no authorization, token or jwks endpoint",
	DiscoveryNotURLs:       "the metadata's endpoints are not URLs",
	DiscoveryDeep:          "discovery answers JSON nested 100 000 levels deep",
	DiscoveryManyMembers:   "the metadata has 200 000 extra members (about 3.5 MiB)",
	DiscoveryBadUTF8:       "the metadata's issuer holds invalid UTF-8",
	DiscoveryIssuerNumber:  "the metadata's issuer is a number",
	DiscoveryGzipBomb:      "discovery answers a gzip bomb (Content-Encoding: gzip, 200 MiB inflated)",
	DiscoveryResetMidBody:  "discovery resets the connection in the middle of the body",
	DiscoveryArray:         "discovery answers a JSON array",
	DiscoveryAlgNoneListed: "the metadata lists alg none for ID tokens",

	JWKSHTML:         "the JWKS is an HTML page",
	JWKSEmpty:        `the JWKS is {"keys": []}`,
	JWKSDuplicateKid: "the JWKS has two keys with the ID token's kid",
	JWKSMissingKid:   "the JWKS lacks the ID token's kid",
	JWKSWrongKeyType: "the JWKS key with the ID token's kid is an EC key, the token RS256",
	JWKS500:          "the JWKS answers 500",
	JWKSDeep:         "the JWKS is nested 100 000 levels deep",
	JWKSHuge:         "the JWKS streams a 50 MiB body",
	JWKSNoHeaders:    "the JWKS never answers",

	TokenHTML:           "the token endpoint answers a 502 HTML page",
	TokenTruncated:      "the token response is JSON cut off in the middle",
	TokenTextPlain:      "the token response is correct JSON served as text/plain",
	Token500JSON:        `the token endpoint answers 500 {"error":"server_error"}`,
	Token500Empty:       "the token endpoint answers 500 with no body",
	TokenNoAccessToken:  "the token response has no access_token",
	TokenTypeMAC:        `the token response says token_type "mac"`,
	TokenTypeNumber:     "the token response's token_type is a number",
	TokenExpiresObject:  "the token response's expires_in is an object",
	Token200Error:       `the token endpoint answers 200 with {"error":"invalid_grant"}`,
	TokenManyMembers:    "the token response has 100 000 members",
	TokenDeep:           "the token response is nested 100 000 levels deep",
	TokenBadUTF8:        "the token error's description holds invalid UTF-8",
	TokenAlgNone:        "the ID token is unsigned (alg none)",
	TokenKeyConfusion:   "the ID token is HS256, keyed with the RSA public key (PEM) as the secret",
	TokenRedirectLoop:   "the token endpoint redirects (307) to itself forever",
	TokenHuge:           "the token endpoint streams a 50 MiB body",
	TokenTrickle:        "the token endpoint sends headers, then a byte every 50 ms, forever",
	TokenNoHeaders:      "the token endpoint never answers",
	TokenGzipBomb:       "the token endpoint answers a gzip bomb (200 MiB inflated)",
	TokenResetMidBody:   "the token endpoint resets the connection in the middle of the body",
	TokenIDTokenGarbage: "the id_token is not a JWT",

	AuthzErrorXSS:       "the authorization response is an error whose description is a <script>",
	AuthzErrorANSI:      "the authorization error's description holds terminal escape sequences",
	AuthzDuplicateState: "the authorization response carries state twice",
	AuthzOtherRedirect:  "the provider sends the browser to another redirect URI",
	AuthzRedirectLoop:   "the authorization endpoint redirects to itself forever",
	AuthzNoState:        "the authorization response has no state",
	AuthzWrongState:     "the authorization response carries another state",
	AuthzNoHeaders:      "the authorization endpoint never answers",
	AuthzHTMLNoForm:     "the authorization endpoint shows a page with no login form",

	UserinfoHTML:       "the UserInfo endpoint answers an HTML page (200)",
	Userinfo401:        `the UserInfo endpoint refuses the token (401, WWW-Authenticate: Bearer error="invalid_token")`,
	UserinfoSubOther:   "the UserInfo response is about another subject than the ID token",
	UserinfoNoSub:      "the UserInfo response has no sub",
	UserinfoTruncated:  "the UserInfo response is JSON cut off in the middle",
	UserinfoHuge:       "the UserInfo endpoint streams a 50 MiB body",
	UserinfoNoHeaders:  "the UserInfo endpoint never answers",
	UserinfoJWTGarbage: "the UserInfo response says application/jwt and is not a JWT",

	IntrospectActiveString: `the introspection response says "active": "true" (a string)`,
	Introspect500HTML:      "the introspection endpoint answers a 500 HTML page",
	IntrospectTruncated:    "the introspection response is JSON cut off in the middle",
	IntrospectArray:        "the introspection response is a JSON array",
	IntrospectHuge:         "the introspection endpoint streams a 50 MiB body",
	IntrospectNoHeaders:    "the introspection endpoint never answers",
	IntrospectRedirectLoop: "the introspection endpoint redirects (307) to itself forever",
}

// Kid is the kid of the server's signing key.
const Kid = "hostile-rsa-1"

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	bombOnce sync.Once
	bomb     []byte
)

func keys() (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, ecKey
}

// gzipBomb returns a gzip stream that inflates to 200 MiB of zeros: one member holding
// 1 MiB of zeros (about 1 KiB compressed), repeated; gzip readers read concatenated
// members as one stream.
func gzipBomb() []byte {
	bombOnce.Do(func() {
		var one bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
		zw.Write(make([]byte, 1<<20))
		zw.Close()
		bomb = bytes.Repeat(one.Bytes(), 200)
	})
	return bomb
}

// Server is a provider that misbehaves in one way. Its issuer is its URL.
type Server struct {
	*httptest.Server
	Fault Fault
	// Issuer is the server's URL (https for a TLS server).
	Issuer string

	quit chan struct{}
	// manyBody is the document of the ManyMembers faults, made before the server
	// starts: building 3.5 MiB under the race detector takes longer than the
	// client's timeout.
	manyBody string
	codes    sync.Map // code → nonce
	n        atomic.Int64
	once     sync.Once
}

// New starts a server with the fault on, over TLS (with httptest's certificate, which
// no client trusts) when tls is set. Close it when done.
func New(f Fault, tls bool) *Server {
	keys()
	s := &Server{Fault: f, quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("/.well-known/oauth-authorization-server", http.NotFound)
	mux.HandleFunc("/authorize", s.authorize)
	mux.HandleFunc("/elsewhere", s.elsewhere)
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/jwks", s.jwks)
	mux.HandleFunc("/userinfo", s.userinfo)
	mux.HandleFunc("/introspect", s.introspect)
	s.Server = httptest.NewUnstartedServer(mux)
	if tls {
		s.Issuer = "https://" + s.Listener.Addr().String()
	} else {
		s.Issuer = "http://" + s.Listener.Addr().String()
	}
	switch f {
	case DiscoveryManyMembers:
		s.manyBody = many(s.Metadata(), 200_000)
	case TokenManyMembers:
		s.manyBody = many(map[string]any{"access_token": "at-many", "token_type": "Bearer", "expires_in": 3600}, 100_000)
	}
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	return s
}

// Close unblocks the handlers that hang on purpose and stops the server.
func (s *Server) Close() {
	s.once.Do(func() { close(s.quit) })
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// ClosedPort returns an http URL on loopback where nothing listens: port 1 (tcpmux),
// which needs privileges to bind, rather than a free port another test could take.
func ClosedPort() string { return "http://127.0.0.1:1" }

// Metadata returns the server's correct discovery document.
func (s *Server) Metadata() map[string]any {
	return map[string]any{
		"issuer":                                         s.Issuer,
		"authorization_endpoint":                         s.Issuer + "/authorize",
		"token_endpoint":                                 s.Issuer + "/token",
		"jwks_uri":                                       s.Issuer + "/jwks",
		"userinfo_endpoint":                              s.Issuer + "/userinfo",
		"introspection_endpoint":                         s.Issuer + "/introspect",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code", "client_credentials"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "none"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"subject_types_supported":                        []string{"public"},
		"scopes_supported":                               []string{"openid"},
		"authorization_response_iss_parameter_supported": true,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, ctype, body string) {
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const htmlPage = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n"

// deep is a JSON value nested n arrays deep inside an object member.
func deep(member string, n int) string {
	return `{"` + member + `":` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}"
}

// many is a JSON object with the members of base and n more.
func many(base map[string]any, n int) string {
	b, _ := json.Marshal(base)
	out := make([]byte, 0, len(b)+n*20)
	out = append(out, b[:len(b)-1]...)
	for i := range n {
		out = append(out, `,"x`...)
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, `":"`...)
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, '"')
	}
	return string(append(out, '}'))
}

// huge streams 50 MiB: the start of a JSON string, then spaces, as fast as the
// client reads, until it hangs up.
func (s *Server) huge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"issuer":"`)
	chunk := bytes.Repeat([]byte{' '}, 64<<10)
	for sent := 0; sent < 50<<20; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// trickle sends the headers and the start of a body, then a byte every 50 ms until
// the client hangs up or the server closes.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"issuer":"`)
	w.(http.Flusher).Flush()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.quit:
			return
		case <-t.C:
			if _, err := io.WriteString(w, "a"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// hang never answers.
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.quit:
	}
}

// gzipped answers the bomb with Content-Encoding: gzip.
func (s *Server) gzipped(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	w.Write(gzipBomb())
}

// reset writes the headers and part of the body, then resets the connection (RST).
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"access_token\":\"abc")
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	m := s.Metadata()
	switch s.Fault {
	case DiscoveryHTML:
		writeRaw(w, 200, "text/html; charset=utf-8", htmlPage)
	case DiscoveryTruncated:
		b, _ := json.Marshal(m)
		writeRaw(w, 200, "application/json", string(b[:len(b)/2]))
	case DiscoveryTextPlain:
		b, _ := json.Marshal(m)
		writeRaw(w, 200, "text/plain", string(b))
	case Discovery500JSON:
		writeJSON(w, 500, map[string]any{"error": "server_error", "error_description": "database down"})
	case Discovery503Empty:
		w.WriteHeader(503)
	case DiscoveryRedirectLoop:
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	case DiscoveryHuge:
		s.huge(w, r)
	case DiscoveryTrickle:
		s.trickle(w, r)
	case DiscoveryNoHeaders:
		s.hang(w, r)
	case DiscoveryIssuer:
		m["issuer"] = "https://evil.example"
		writeJSON(w, 200, m)
	case DiscoveryMissing:
		delete(m, "authorization_endpoint")
		delete(m, "token_endpoint")
		delete(m, "jwks_uri")
		writeJSON(w, 200, m)
	case DiscoveryNotURLs:
		m["authorization_endpoint"] = "javascript:alert(1)"
		m["token_endpoint"] = "not a url"
		m["jwks_uri"] = "/jwks"
		writeJSON(w, 200, m)
	case DiscoveryDeep:
		writeRaw(w, 200, "application/json", deep("issuer", 100_000))
	case DiscoveryManyMembers:
		writeRaw(w, 200, "application/json", s.manyBody)
	case DiscoveryBadUTF8:
		b, _ := json.Marshal(m)
		b = bytes.Replace(b, []byte(`"issuer":"`), []byte("\"issuer\":\"\xff\xfe"), 1)
		writeRaw(w, 200, "application/json", string(b))
	case DiscoveryIssuerNumber:
		m["issuer"] = 42
		writeJSON(w, 200, m)
	case DiscoveryGzipBomb:
		s.gzipped(w, r)
	case DiscoveryResetMidBody:
		s.reset(w, r)
	case DiscoveryArray:
		writeJSON(w, 200, []any{m})
	case DiscoveryAlgNoneListed:
		m["id_token_signing_alg_values_supported"] = []string{"none", "RS256"}
		writeJSON(w, 200, m)
	case TokenKeyConfusion:
		// Tempt the client: HS256 is listed, so a naive verifier keys HMAC with
		// whatever key the JWKS gives for the kid.
		m["id_token_signing_alg_values_supported"] = []string{"RS256", "HS256"}
		writeJSON(w, 200, m)
	default:
		writeJSON(w, 200, m)
	}
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, state := q.Get("redirect_uri"), q.Get("state")
	code := fmt.Sprintf("code-%d", s.n.Add(1))
	s.codes.Store(code, q.Get("nonce"))
	back := func(params string) {
		w.Header().Set("Location", redirect+"?"+params)
		w.WriteHeader(http.StatusFound)
	}
	ok := "code=" + code + "&state=" + url.QueryEscape(state) + "&iss=" + url.QueryEscape(s.Issuer)
	switch s.Fault {
	case AuthzErrorXSS:
		back("error=access_denied&error_description=" + url.QueryEscape(`<script>alert(document.cookie)</script>`) +
			"&state=" + url.QueryEscape(state) + "&iss=" + url.QueryEscape(s.Issuer))
	case AuthzErrorANSI:
		back("error=access_denied&error_description=" + url.QueryEscape("denied\x1b]0;pwned\x07\x1b[2J\x1b[31mRED") +
			"&state=" + url.QueryEscape(state) + "&iss=" + url.QueryEscape(s.Issuer))
	case AuthzDuplicateState:
		back(ok + "&state=attacker")
	case AuthzOtherRedirect:
		w.Header().Set("Location", s.Issuer+"/elsewhere?"+ok)
		w.WriteHeader(http.StatusFound)
	case AuthzRedirectLoop:
		w.Header().Set("Location", r.URL.String())
		w.WriteHeader(http.StatusFound)
	case AuthzNoState:
		back("code=" + code + "&iss=" + url.QueryEscape(s.Issuer))
	case AuthzWrongState:
		back("code=" + code + "&state=attacker&iss=" + url.QueryEscape(s.Issuer))
	case AuthzNoHeaders:
		s.hang(w, r)
	case AuthzHTMLNoForm:
		writeRaw(w, 200, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><p>Something went wrong.</p></body></html>")
	default:
		back(ok)
	}
}

// elsewhere is where [AuthzOtherRedirect] sends the browser: a page that is not the
// client's redirect URI.
func (s *Server) elsewhere(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, 200, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><p>Thanks, we kept your code.</p></body></html>")
}

func (s *Server) clientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		return id
	}
	return r.PostForm.Get("client_id")
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]any{"error": "invalid_request"})
		return
	}
	now := time.Now()
	resp := map[string]any{
		"access_token": "at-" + fmt.Sprint(s.n.Add(1)),
		"token_type":   "Bearer",
		"expires_in":   3600,
	}
	if r.PostForm.Get("grant_type") == "authorization_code" {
		nonce, _ := s.codes.LoadAndDelete(r.PostForm.Get("code"))
		claims := map[string]any{
			"iss": s.Issuer, "sub": "alice", "aud": s.clientID(r),
			"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		}
		if n, _ := nonce.(string); n != "" {
			claims["nonce"] = n
		}
		alg := "RS256"
		switch s.Fault {
		case TokenAlgNone:
			alg = "none"
		case TokenKeyConfusion:
			alg = "HS256"
		}
		resp["id_token"] = Sign(alg, Kid, claims)
		if s.Fault == TokenIDTokenGarbage {
			resp["id_token"] = "not.a-jwt"
		}
	}
	switch s.Fault {
	case TokenHTML:
		writeRaw(w, 502, "text/html", htmlPage)
	case TokenTruncated:
		b, _ := json.Marshal(resp)
		writeRaw(w, 200, "application/json", string(b[:len(b)/2]))
	case TokenTextPlain:
		b, _ := json.Marshal(resp)
		w.Header().Set("Cache-Control", "no-store")
		writeRaw(w, 200, "text/plain", string(b))
	case Token500JSON:
		writeJSON(w, 500, map[string]any{"error": "server_error", "error_description": "database down"})
	case Token500Empty:
		w.WriteHeader(500)
	case TokenNoAccessToken:
		delete(resp, "access_token")
		writeJSON(w, 200, resp)
	case TokenTypeMAC:
		resp["token_type"] = "mac"
		writeJSON(w, 200, resp)
	case TokenTypeNumber:
		resp["token_type"] = 1
		writeJSON(w, 200, resp)
	case TokenExpiresObject:
		resp["expires_in"] = map[string]any{"seconds": 3600}
		writeJSON(w, 200, resp)
	case Token200Error:
		writeJSON(w, 200, map[string]any{"error": "invalid_grant", "error_description": "code expired"})
	case TokenManyMembers:
		writeRaw(w, 200, "application/json", s.manyBody)
	case TokenDeep:
		writeRaw(w, 200, "application/json", deep("access_token", 100_000))
	case TokenBadUTF8:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, "{\"error\":\"invalid_request\",\"error_description\":\"bad \xff\xfe bytes\"}")
	case TokenRedirectLoop:
		w.Header().Set("Location", "/token")
		w.WriteHeader(http.StatusTemporaryRedirect)
	case TokenHuge:
		s.huge(w, r)
	case TokenTrickle:
		s.trickle(w, r)
	case TokenNoHeaders:
		s.hang(w, r)
	case TokenGzipBomb:
		s.gzipped(w, r)
	case TokenResetMidBody:
		s.reset(w, r)
	default:
		writeJSON(w, 200, resp)
	}
}

// JWKS returns the server's correct key set document.
func JWKS() map[string]any {
	return map[string]any{"keys": []any{rsaJWK(Kid)}}
}

func rsaJWK(kid string) map[string]any {
	pub := &rsaKey.PublicKey
	return map[string]any{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}
}

func ecJWK(kid string) map[string]any {
	raw, err := ecKey.PublicKey.Bytes() // 0x04 || X || Y (SEC 1 uncompressed)
	if err != nil {
		panic(err) // a P-256 key generated by this package always encodes
	}
	x, y := raw[1:33], raw[33:65]
	return map[string]any{"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": b64(x), "y": b64(y)}
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	switch s.Fault {
	case JWKSHTML:
		writeRaw(w, 200, "text/html", htmlPage)
	case JWKSEmpty:
		writeJSON(w, 200, map[string]any{"keys": []any{}})
	case JWKSDuplicateKid:
		writeJSON(w, 200, map[string]any{"keys": []any{rsaJWK(Kid), rsaJWK(Kid)}})
	case JWKSMissingKid:
		writeJSON(w, 200, map[string]any{"keys": []any{rsaJWK("another-kid")}})
	case JWKSWrongKeyType:
		writeJSON(w, 200, map[string]any{"keys": []any{ecJWK(Kid)}})
	case JWKS500:
		writeRaw(w, 500, "text/plain", "internal error")
	case JWKSDeep:
		writeRaw(w, 200, "application/json", deep("keys", 100_000))
	case JWKSHuge:
		s.huge(w, r)
	case JWKSNoHeaders:
		s.hang(w, r)
	default:
		writeJSON(w, 200, JWKS())
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign makes a JWT with the server's RSA key (RS256), no signature (none), or HMAC
// keyed with the PEM of the RSA public key (HS256: the key confusion attack).
func Sign(alg, kid string, claims map[string]any) string {
	keys()
	h, _ := json.Marshal(map[string]any{"alg": alg, "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		sig, _ = rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, sum[:])
	case "HS256":
		der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		m := hmac.New(sha256.New, pemKey)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	}
	return input + "." + b64(sig)
}

// userinfo answers the claims of alice (OIDC Core §5.3), whatever the bearer token.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	claims := map[string]any{"sub": "alice", "name": "Alice"}
	switch s.Fault {
	case UserinfoHTML:
		writeRaw(w, 200, "text/html; charset=utf-8", htmlPage)
	case Userinfo401:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="the access token expired"`)
		writeRaw(w, 401, "", "")
	case UserinfoSubOther:
		claims["sub"] = "mallory"
		writeJSON(w, 200, claims)
	case UserinfoNoSub:
		delete(claims, "sub")
		writeJSON(w, 200, claims)
	case UserinfoTruncated:
		b, _ := json.Marshal(claims)
		writeRaw(w, 200, "application/json", string(b[:len(b)/2]))
	case UserinfoHuge:
		s.huge(w, r)
	case UserinfoNoHeaders:
		s.hang(w, r)
	case UserinfoJWTGarbage:
		writeRaw(w, 200, "application/jwt", "this is not a JWT")
	default:
		writeJSON(w, 200, claims)
	}
}

// introspect says every token is active (RFC 7662 §2.2).
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	resp := map[string]any{"active": true, "client_id": "x", "scope": "openid", "token_type": "Bearer"}
	switch s.Fault {
	case IntrospectActiveString:
		resp["active"] = "true"
		writeJSON(w, 200, resp)
	case Introspect500HTML:
		writeRaw(w, 500, "text/html", htmlPage)
	case IntrospectTruncated:
		b, _ := json.Marshal(resp)
		writeRaw(w, 200, "application/json", string(b[:len(b)/2]))
	case IntrospectArray:
		writeJSON(w, 200, []any{resp})
	case IntrospectHuge:
		s.huge(w, r)
	case IntrospectNoHeaders:
		s.hang(w, r)
	case IntrospectRedirectLoop:
		w.Header().Set("Location", "/introspect")
		w.WriteHeader(http.StatusTemporaryRedirect)
	default:
		writeJSON(w, 200, resp)
	}
}
