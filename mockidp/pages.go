package mockidp

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"sync"
)

// The pages are small, need no JavaScript (except the form_post auto-submit,
// which has a <noscript> button) and are built with html/template, so every
// value is escaped.

const pageHead = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · oauthx mock IdP</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
input{display:block;margin:.2rem 0 .8rem;padding:.4rem;width:100%;box-sizing:border-box}
button{padding:.4rem .9rem;margin:.2rem .3rem .2rem 0}.err{color:#b00020}.muted{color:#666;font-size:.9em}
code{background:#f2f2f2;padding:0 .2rem}</style></head><body>
<p class="muted">oauthx mock identity provider</p>{{end}}`

var (
	loginPage = template.Must(template.New("login").Parse(pageHead + `{{template "head" "Sign in"}}
<h1>Sign in</h1>
<p><strong>{{.Client.Name}}</strong> (<code>{{.Client.ID}}</code>) wants you to sign in.</p>
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Issuer}}/login">
<input type="hidden" name="req" value="{{.Req}}">
<label>Username <input type="text" name="username" value="{{.Username}}" autocomplete="username" autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit" name="action" value="login">Sign in</button>
{{if .Demo}}<p>Or continue as a demo user:</p>
{{range .Demo}}<button type="submit" name="demo_user" value="{{.Username}}">{{.Label}}</button>
{{end}}{{end}}</form>
</body></html>`))

	consentPage = template.Must(template.New("consent").Parse(pageHead + `{{template "head" "Consent"}}
<h1>Allow access?</h1>
<p>Signed in as <strong>{{.User}}</strong>.
<strong>{{.Client.Name}}</strong> (<code>{{.Client.ID}}</code>) asks for:</p>
<ul>{{range .Scopes}}<li><code>{{.Name}}</code>: {{.Meaning}}</li>{{end}}</ul>
{{if .Device}}<p>This request comes from a device that showed you a code. Allow it only if you started the sign-in on that device yourself.</p>
{{end}}<form method="post" action="{{.Issuer}}/consent">
<input type="hidden" name="req" value="{{.Req}}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>`))

	formPostPage = template.Must(template.New("formpost").Parse(pageHead + `{{template "head" "Returning to the application"}}
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>JavaScript is off: press the button to return to the application.</p>
<button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit()</script>
</body></html>`))

	errorPage = template.Must(template.New("error").Parse(pageHead + `{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p class="err" role="alert">{{.Message}}</p>
</body></html>`))

	messagePage = template.Must(template.New("message").Parse(pageHead + `{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body></html>`))

	devicePage = template.Must(template.New("device").Parse(pageHead + `{{template "head" "Connect a device"}}
<h1>Connect a device</h1>
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Issuer}}/device">
{{if .Prefilled}}<p>Confirm that your device shows the code <strong>{{.UserCode}}</strong>.</p>
<input type="hidden" name="user_code" value="{{.UserCode}}">
<button type="submit" name="action" value="continue">Continue</button>
{{else}}<label>Code shown on your device <input type="text" name="user_code" value="{{.UserCode}}" autocomplete="off" autofocus></label>
<button type="submit" name="action" value="continue">Continue</button>{{end}}
</form>
</body></html>`))

	indexPage = template.Must(template.New("index").Parse(pageHead + `{{template "head" "Mock IdP"}}
<h1>oauthx mock IdP</h1>
<p>Issuer <code>{{.Issuer}}</code>. Discovery: <a href="{{.Issuer}}/.well-known/openid-configuration">/.well-known/openid-configuration</a>.</p>
<h2>Clients</h2><ul>{{range .Clients}}<li><code>{{.ID}}</code>: {{.Description}}</li>{{end}}</ul>
<h2>Users</h2><ul>{{range .Users}}<li><code>{{.Username}}</code></li>{{end}}</ul>
</body></html>`))
)

// renderPage executes t into a buffer first, so a template error never
// leaves a half-written page.
func renderPage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	writePage(w, status, buf.Bytes())
}

// pageCache keeps the login and consent pages, which differ from one
// request to the next only by the pending request's id once the client,
// the user and the scopes are the same: executing html/template costs tens
// of microseconds a page, the largest part of the provider's own work in an
// authorization round after the signatures (docs/benchmarks.md). A page is
// executed once with a marker for the id, split there, and the id, which
// needs no escaping, is put between the halves.
type pageCache struct {
	mu    sync.Mutex
	pages map[string][2][]byte
}

// idMarker stands for the id while a page is executed; html/template
// leaves it as it is in every context.
const idMarker = "oauthxPendingRequestIdMarker"

// pageCacheMax bounds the cache: the issuer is taken from the Host header
// when it is not fixed, so the keys are not all ours.
const pageCacheMax = 256

// render writes page t for the data made by data, with "Req" set to id.
// key must name everything else the data holds.
func (c *pageCache) render(w http.ResponseWriter, status int, t *template.Template, key string, pageData func() map[string]any, id string) {
	if !plainID(id) {
		data := pageData()
		data["Req"] = id
		renderPage(w, status, t, data)
		return
	}
	c.mu.Lock()
	halves, ok := c.pages[key]
	c.mu.Unlock()
	if !ok {
		data := pageData()
		data["Req"] = idMarker
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			http.Error(w, "template error", http.StatusInternalServerError)
			return
		}
		before, after, found := bytes.Cut(buf.Bytes(), []byte(idMarker))
		if !found || bytes.Contains(after, []byte(idMarker)) { // the marker in a client's name, say
			data["Req"] = id
			renderPage(w, status, t, data)
			return
		}
		halves = [2][]byte{before, after}
		c.mu.Lock()
		if c.pages == nil || len(c.pages) >= pageCacheMax {
			c.pages = make(map[string][2][]byte)
		}
		c.pages[key] = halves
		c.mu.Unlock()
	}
	body := make([]byte, 0, len(halves[0])+len(id)+len(halves[1]))
	body = append(append(append(body, halves[0]...), id...), halves[1]...)
	writePage(w, status, body)
}

// plainID reports whether id is made of base64url characters only, which
// are the same escaped or not in every HTML context (ids come from
// randomString).
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return id != ""
}

// writePage sends a rendered page with the headers every page has.
func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	// A Content-Length keeps the page in one write, not chunked (the login
	// page is over net/http's 2 KiB buffer).
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func renderError(w http.ResponseWriter, status int, title, msg string) {
	renderPage(w, status, errorPage, map[string]string{"Title": title, "Message": msg})
}

func renderMessage(w http.ResponseWriter, status int, title, msg string) {
	renderPage(w, status, messagePage, map[string]string{"Title": title, "Message": msg})
}
