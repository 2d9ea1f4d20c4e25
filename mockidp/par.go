package mockidp

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// parPrefix starts every request_uri the PAR endpoint hands out (RFC 9126 §2.2).
const parPrefix = "urn:ietf:params:oauth:request_uri:"

// parLifetime is expires_in of a pushed request; RFC 9126 §2.2 suggests 5 to 600 s.
const parLifetime = 60 * time.Second

type pushedRequest struct {
	clientID  string
	params    url.Values
	expiresAt time.Time
}

// handlePAR is the pushed authorization request endpoint, RFC 9126 §2.1-2.3:
// the client authenticates and sends the authorization request parameters in
// the body; they are validated as /authorize would, and stored under a
// one-time request_uri that lives 60 s.
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r, "resource"); e != nil {
		writeTokenError(w, e)
		return
	}
	client, e := s.authenticateClient(r)
	if e != nil {
		writeTokenError(w, e)
		return
	}
	f := r.PostForm
	if f.Has("request_uri") {
		writeTokenError(w, errf(ErrorInvalidRequest, "request_uri must not be pushed (RFC 9126 §2.1)"))
		return
	}
	redirect := f.Get("redirect_uri")
	if redirect == "" || !s.redirectURIAllowed(client.RedirectURIs, redirect) {
		writeTokenError(w, errf(ErrorInvalidRequest, "redirect_uri is missing or not registered for "+client.ID+" (RFC 9126 §2.1)"))
		return
	}
	ar := &authRequest{client: client, redirectURI: redirect, responseType: normaliseResponseType(f.Get("response_type")),
		nonce: f.Get("nonce"), challenge: f.Get("code_challenge"), method: f.Get("code_challenge_method"),
		prompt: strings.Fields(f.Get("prompt")), maxAge: -1, resource: f["resource"]}
	ar.responseMode = defaultResponseMode(ar.responseType)
	if e := s.validateAuthRequest(ar, f); e != nil {
		writeTokenError(w, e)
		return
	}
	params := url.Values{}
	for k, v := range f {
		if k != "client_secret" {
			params[k] = v
		}
	}
	params.Set("client_id", client.ID)
	uri := parPrefix + s.randomString(24)
	s.mu.Lock()
	s.pushed[uri] = &pushedRequest{clientID: client.ID, params: params, expiresAt: s.Now().Add(parLifetime)}
	s.noteInsertLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": uri, "expires_in": int64(parLifetime / time.Second)})
}

// resolvePushed replaces an authorization request that carries a PAR
// request_uri by the pushed parameters (RFC 9126 §4). The request_uri is
// single-use and must come with the same client_id. On failure it returns a
// reason for the error page: the redirect URI cannot be trusted yet.
func (s *Server) resolvePushed(q url.Values) (url.Values, string) {
	uri := q.Get("request_uri")
	s.mu.Lock()
	p := s.pushed[uri]
	delete(s.pushed, uri)
	s.mu.Unlock()
	switch {
	case p == nil:
		return nil, "request_uri " + strconv.Quote(uri) + " is unknown or was already used (RFC 9126 §4: it is single-use)."
	case !s.Now().Before(p.expiresAt):
		return nil, "request_uri expired: a pushed request lives 60 s (RFC 9126 §2.2)."
	case p.clientID != q.Get("client_id"):
		return nil, "request_uri was pushed by another client than client_id (RFC 9126 §4)."
	}
	return p.params, ""
}
