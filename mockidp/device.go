package mockidp

import (
	"net/http"
	"strings"
	"time"
)

// userCodeAlphabet is the base-20 alphabet of RFC 8628 §6.1 (no vowels, no
// look-alike characters).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

type deviceGrant struct {
	deviceCode string
	userCode   string
	issuer     string
	client     *Client
	scopes     []string
	expiresAt  time.Time
	interval   time.Duration
	lastPoll   time.Time
	polls      int
	status     string // "pending", "approved", "denied"
	username   string
	authTime   time.Time
	sid        string
}

// handleDeviceAuthorization is the device authorization endpoint, RFC 8628 §3.1-3.2.
func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		writeTokenError(w, e)
		return
	}
	client, e := s.authenticateClient(r)
	if e == nil {
		e = s.checkGrantAllowed(client, GrantDeviceCode)
	}
	if e != nil {
		writeTokenError(w, e)
		return
	}
	scopes, e := s.checkScopes(client, r.PostForm.Get("scope"), nil)
	if e != nil {
		writeTokenError(w, e)
		return
	}
	iss := s.issuerFor(r)
	lt := s.cfg.lifetimes
	dg := &deviceGrant{deviceCode: s.randomString(32), issuer: iss, client: client, scopes: scopes,
		expiresAt: s.Now().Add(lt.DeviceCode), interval: lt.DeviceInterval, status: "pending"}
	s.mu.Lock()
	for tries := 0; ; tries++ {
		dg.userCode = s.newUserCode()
		if _, taken := s.userCode[dg.userCode]; !taken {
			break
		}
		if tries == 20 { // only a degenerate Options.Rand gets here
			s.mu.Unlock()
			writeTokenError(w, &oauthError{Code: ErrorServerError, Description: "could not allocate a unique user code", Status: http.StatusServiceUnavailable})
			return
		}
	}
	s.devices[dg.deviceCode] = dg
	s.noteInsertLocked()
	s.userCode[dg.userCode] = dg.deviceCode
	s.mu.Unlock()
	display := dg.userCode[:4] + "-" + dg.userCode[4:]
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               dg.deviceCode,
		"user_code":                 display,
		"verification_uri":          iss + "/device",
		"verification_uri_complete": iss + "/device?user_code=" + display,
		"expires_in":                int64(lt.DeviceCode / time.Second),
		"interval":                  int64(lt.DeviceInterval / time.Second),
	})
}

// newUserCode returns 8 characters of the RFC 8628 §6.1 alphabet (about 34
// bits); s.randMu guards the random source, not s.mu.
func (s *Server) newUserCode() string {
	raw := s.randomBytes(8)
	var b strings.Builder
	for i := 0; i < 8; i++ {
		b.WriteByte(userCodeAlphabet[int(raw[i])%len(userCodeAlphabet)]) // 256 % 20 bias is harmless here
	}
	return b.String()
}

// normaliseUserCode drops dashes and spaces and upper-cases (RFC 8628 §6.1).
func normaliseUserCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// handleDevicePage is the verification URI (RFC 8628 §3.3): the user enters
// the code, or confirms it when verification_uri_complete was used (§3.3.1).
func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	uc := r.URL.Query().Get("user_code")
	renderPage(w, http.StatusOK, devicePage, map[string]any{"Issuer": s.issuerFor(r), "UserCode": uc, "Prefilled": uc != ""})
}

// handleDevice takes the user code (RFC 8628 §3.3, normalised as §6.1
// suggests) and starts login and consent for it.
func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(r); e != nil {
		renderError(w, http.StatusBadRequest, "Invalid request", e.Description)
		return
	}
	iss := s.issuerFor(r)
	uc := normaliseUserCode(r.PostForm.Get("user_code"))
	s.mu.Lock()
	dg := s.devices[s.userCode[uc]]
	ok := dg != nil && dg.status == "pending" && s.Now().Before(dg.expiresAt)
	s.mu.Unlock()
	if !ok {
		renderPage(w, http.StatusOK, devicePage, map[string]any{"Issuer": iss, "UserCode": r.PostForm.Get("user_code"),
			"Error": "That code is unknown, already used or expired. Check the code on your device."})
		return
	}
	ar := &authRequest{id: s.randomString(16), kind: "device", issuer: iss, created: s.Now(), client: dg.client,
		scopes: dg.scopes, maxAge: -1, deviceCode: dg.deviceCode}
	sess := s.currentSession(r)
	s.mu.Lock()
	if sess != nil {
		ar.username = sess.username
	}
	s.pending[ar.id] = ar
	s.noteInsertLocked()
	s.mu.Unlock()
	if sess == nil {
		s.renderLogin(w, http.StatusOK, ar, "", "")
		return
	}
	// Always ask: RFC 8628 §5.4 warns of remote phishing, so the user must
	// see which client is asking.
	s.renderConsent(w, ar, sess.username)
}

// finishDevice records the user's decision on a device grant.
func (s *Server) finishDevice(w http.ResponseWriter, ar *authRequest, sess *session, allow bool) {
	s.mu.Lock()
	delete(s.pending, ar.id)
	dg := s.devices[ar.deviceCode]
	ok := dg != nil && dg.status == "pending" && s.Now().Before(dg.expiresAt)
	if ok {
		if allow {
			dg.status, dg.username, dg.authTime, dg.sid = "approved", sess.username, sess.authTime, sess.sid
		} else {
			dg.status = "denied"
		}
		delete(s.userCode, dg.userCode)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		renderError(w, http.StatusBadRequest, "Code expired", "The device code expired or was already used. Start again on the device.")
	case allow:
		renderMessage(w, http.StatusOK, "Device connected", "You may now return to your device.")
	default:
		renderMessage(w, http.StatusOK, "Request denied", "The device was not given access.")
	}
}

// grantDevice is the device access token request, RFC 8628 §3.4-3.5.
func (s *Server) grantDevice(r *http.Request, client *Client) (*tokenSet, *oauthError) {
	if e := s.checkGrantAllowed(client, GrantDeviceCode); e != nil {
		return nil, e
	}
	dc := r.PostForm.Get("device_code")
	if dc == "" {
		return nil, errf(ErrorInvalidRequest, "device_code is required")
	}
	now := s.Now()
	s.mu.Lock()
	dg := s.devices[dc]
	if dg == nil || dg.client.ID != client.ID {
		s.mu.Unlock()
		return nil, errf(ErrorInvalidGrant, "unknown device_code")
	}
	if !now.Before(dg.expiresAt) {
		delete(s.devices, dc)
		delete(s.userCode, dg.userCode)
		s.mu.Unlock()
		return nil, errf(ErrorExpiredToken, "the device code expired; start again (RFC 8628 §3.5)")
	}
	dg.polls++
	last := dg.lastPoll
	dg.lastPoll = now
	switch dg.status {
	case "denied":
		delete(s.devices, dc)
		s.mu.Unlock()
		return nil, errf(ErrorAccessDenied, "the user denied the request")
	case "pending":
		if (s.fault(FaultDeviceSlowDown) && dg.polls == 1) || (!last.IsZero() && now.Sub(last) < dg.interval) {
			dg.interval += 5 * time.Second // RFC 8628 §3.5
			s.mu.Unlock()
			return nil, errf(ErrorSlowDown, "polling too fast: wait at least "+dg.interval.String()+" between requests")
		}
		s.mu.Unlock()
		return nil, errf(ErrorAuthorizationPending, "the user has not finished yet")
	}
	delete(s.devices, dc) // approved: single use
	s.mu.Unlock()
	g := s.newGrant(&grant{issuer: dg.issuer, clientID: client.ID, username: dg.username, scopes: dg.scopes,
		authTime: dg.authTime, sid: dg.sid})
	withRefresh := client.allowsGrant(GrantRefreshToken) && hasScope(g.scopes, "offline_access")
	return s.issueTokens(r.Context(), g, client, withRefresh, hasScope(g.scopes, "openid"), idTokenParams{})
}
