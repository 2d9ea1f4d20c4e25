package mockidp

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"time"
)

// AdminHandler returns the control API of a running server, for `oauthx idp`
// and scripts. Mount it at /_oauthx/ next to the server:
//
//	GET  /_oauthx/faults   {"active": [...], "catalog": [...]}
//	POST /_oauthx/faults   {"fault": "wrong-iss", "on": true}  (or {"clear": true})
//	GET  /_oauthx/clock    {"now": "...", "offset": "1h0m0s"}
//	POST /_oauthx/clock    {"advance": "90s"}
//
// It answers only requests from a loopback address with a loopback Host
// header (against DNS rebinding), and POST bodies must be application/json,
// which a cross-site HTML form cannot send without a CORS preflight.
func (s *Server) AdminHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /_oauthx/faults", s.adminFaults)
	m.HandleFunc("POST /_oauthx/faults", s.adminSetFault)
	m.HandleFunc("GET /_oauthx/clock", s.adminClock)
	m.HandleFunc("POST /_oauthx/clock", s.adminAdvance)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackRequest(r) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "the admin API answers loopback clients only"})
			return
		}
		if r.Method == http.MethodPost {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send application/json"})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		m.ServeHTTP(w, r)
	})
}

func loopbackRequest(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	return isLoopbackHost(h)
}

type faultJSON struct {
	Name        Fault  `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Catches     string `json:"catches"`
	Spec        string `json:"spec"`
}

func (s *Server) faultState() map[string]any {
	active := s.ActiveFaults()
	if active == nil {
		active = []Fault{}
	}
	var cat []faultJSON
	for _, f := range FaultCatalog() {
		cat = append(cat, faultJSON(f))
	}
	return map[string]any{"active": active, "catalog": cat}
}

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.faultState())
}

func (s *Server) adminSetFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Fault Fault `json:"fault"`
		On    *bool `json:"on"`
		Clear bool  `json:"clear"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON like {\"fault\": \"wrong-iss\", \"on\": true}"})
		return
	}
	if req.Clear {
		for _, f := range s.ActiveFaults() {
			_ = s.SetFault(f, false)
		}
	} else {
		on := req.On == nil || *req.On
		if err := s.SetFault(req.Fault, on); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, s.faultState())
}

func (s *Server) clockState() map[string]any {
	return map[string]any{"now": s.Now().UTC().Format(time.RFC3339), "offset": time.Duration(s.offset.Load()).String()}
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState())
}

func (s *Server) adminAdvance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string `json:"advance"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON like {\"advance\": \"90s\"}"})
		return
	}
	d, err := time.ParseDuration(req.Advance)
	if err != nil || d <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "advance must be a positive duration such as \"90s\" or \"2h\"; the clock only moves forward"})
		return
	}
	s.Advance(d)
	writeJSON(w, http.StatusOK, s.clockState())
}
