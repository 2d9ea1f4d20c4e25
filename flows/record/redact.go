package record

import (
	"net/http"
	"net/url"
	"strings"
)

// Mask is what a secret is replaced with when shown or written.
const Mask = "••••••"

// secretParams are request and response parameters that are secret wherever they
// appear: client credentials, passwords and refresh tokens (DESIGN.md: "Secrets …
// are masked by default wherever they are shown or written").
var secretParams = map[string]bool{
	"client_secret":    true,
	"password":         true,
	"refresh_token":    true,
	"client_assertion": true,
}

// secretHeaders are HTTP headers whose values are secret.
var secretHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"}

// IsSecretParam reports whether a parameter of this name is always masked.
func IsSecretParam(name string) bool { return secretParams[name] }

// Redacted returns a copy of the step with secrets masked: secret parameters and
// artifacts, credentials in headers, secret form fields in request bodies and
// secret fields in JSON response bodies. The receiver is not changed.
func (s Step) Redacted() Step {
	out := s
	if s.Request != nil {
		r := *s.Request
		r.Params = make([]Param, len(s.Request.Params))
		for i, p := range s.Request.Params {
			if p.Secret || secretParams[p.Name] {
				p.Value = maskValue(p.Value)
			}
			r.Params[i] = p
		}
		out.Request = &r
	}
	if s.Edited != nil {
		out.Edited = make([]Edit, len(s.Edited))
		for i, e := range s.Edited {
			if secretParams[e.Name] {
				e.From, e.To = maskValue(e.From), maskValue(e.To)
			}
			out.Edited[i] = e
		}
	}
	if s.Exchanges != nil {
		out.Exchanges = make([]Exchange, len(s.Exchanges))
		for i, ex := range s.Exchanges {
			out.Exchanges[i] = ex.Redacted()
		}
	}
	if s.Artifacts != nil {
		out.Artifacts = make([]Artifact, len(s.Artifacts))
		for i, a := range s.Artifacts {
			if a.Secret || secretParams[a.Name] {
				a.Value = maskValue(a.Value)
				if a.Name == "client_assertion" && a.Token != nil {
					// Its header and claims say nothing secret and are the lesson
					// (RFC 7523 §3); without the signature it cannot be replayed.
					t := *a.Token
					t.Signature = maskValue(t.Signature)
					a.Token = &t
				} else {
					a.Token = nil
				}
			}
			out.Artifacts[i] = a
		}
	}
	return out
}

// Redacted returns a copy of the exchange with credentials masked.
func (e Exchange) Redacted() Exchange {
	out := e
	out.Request.Header = redactHeader(e.Request.Header)
	out.Request.URL = redactURL(e.Request.URL)
	out.Request.Body = redactBody(e.Request.Body, e.Request.Header.Get("Content-Type"))
	if e.Response != nil {
		r := *e.Response
		r.Header = redactHeader(e.Response.Header)
		r.Body = redactBody(e.Response.Body, e.Response.Header.Get("Content-Type"))
		if loc := r.Header.Get("Location"); loc != "" {
			r.Header.Set("Location", redactURL(loc))
		}
		out.Response = &r
	}
	return out
}

func maskValue(v string) string {
	if v == "" {
		return ""
	}
	return Mask
}

func redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for _, name := range secretHeaders {
		vals := out.Values(name)
		for i, v := range vals {
			// Keep the scheme ("Basic", "Bearer") so the reader still sees how the
			// client authenticated.
			if scheme, _, ok := strings.Cut(v, " "); ok && name != "Cookie" && name != "Set-Cookie" {
				vals[i] = scheme + " " + Mask
			} else {
				vals[i] = Mask
			}
		}
	}
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.RawQuery == "" && u.Fragment == "") {
		return raw
	}
	if u.RawQuery != "" {
		u.RawQuery = redactForm(u.RawQuery)
	}
	if u.Fragment != "" && strings.Contains(u.Fragment, "=") {
		u.Fragment = redactForm(u.Fragment)
		u.RawFragment = ""
	}
	return u.String()
}

// redactForm masks secret fields of a form-urlencoded string, keeping the order.
func redactForm(s string) string {
	parts := strings.Split(s, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if ok && err == nil && secretParams[name] {
			parts[i] = k + "=" + url.QueryEscape(Mask)
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(parts, "&")
}

func redactBody(body, contentType string) string {
	if body == "" {
		return body
	}
	switch {
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		return redactForm(body)
	case strings.Contains(contentType, "json"):
		return redactJSONFields(body)
	}
	return body
}

// redactJSONFields masks the string values of secret members in a JSON text without
// re-encoding it, so the body keeps the provider's exact formatting.
func redactJSONFields(body string) string {
	for name := range secretParams {
		key := `"` + name + `"`
		from := 0
		for {
			i := strings.Index(body[from:], key)
			if i < 0 {
				break
			}
			j := from + i + len(key)
			k := j
			for k < len(body) && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r' || body[k] == ':') {
				k++
			}
			if k >= len(body) || body[k] != '"' || !strings.Contains(body[j:k], ":") {
				from = j
				continue
			}
			end := k + 1
			for end < len(body) && body[end] != '"' {
				if body[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(body) {
				break
			}
			body = body[:k+1] + Mask + body[end:]
			from = k + 1 + len(Mask)
		}
	}
	return body
}
