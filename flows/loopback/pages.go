package loopback

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// relayScript is what the fragment relay page runs: it posts the fragment (which the
// browser never sends to a server) back to the same URL as a form, and removes it
// from the address bar and history first, since it may hold tokens.
const relayScript = `(function () {
  var h = window.location.hash;
  if (!h || h.length < 2) {
    document.getElementById("title").textContent = "No authorization response here";
    document.getElementById("lead").textContent = "This URL has no query or fragment parameters. Return to the terminal.";
    return;
  }
  var f = document.getElementById("relay");
  f.elements["` + relayField + `"].value = h.substring(1);
  if (window.history && history.replaceState) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  f.submit();
})();`

// pageCSP allows no resource but inline styles and the relay script (by its hash),
// and forms only to this receiver.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(relayScript))
	return "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

const pageHead = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · oauthx</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.4rem}.ok{color:#1b7a2f}.bad{color:#b00020}dt{font-weight:600;margin-top:.5rem}
dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}.muted{color:#666;font-size:.9em}</style>
</head><body><p class="muted">oauthx · loopback redirect receiver</p>{{end}}`

type detail struct{ Name, Value string }

type pageData struct {
	Title    string
	Lead     string
	Details  []detail
	Meaning  string // what the spec says an error means
	Spec     string
	OK       bool
	Terminal bool // add "return to the terminal"
}

var (
	messagePage = template.Must(template.New("message").Parse(pageHead + `{{template "head" .Title}}
<h1 class="{{if .OK}}ok{{else}}bad{{end}}">{{.Title}}</h1>
<p>{{.Lead}}</p>
{{with .Details}}<dl>{{range .}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
{{with .Meaning}}<p><strong>What it means:</strong> {{.}}</p>{{end}}
{{with .Spec}}<p class="muted">See {{.}}.</p>{{end}}
{{if .Terminal}}<p>You can close this tab; the terminal shows the details.</p>{{end}}
</body></html>`))

	relayPage = template.Must(template.New("relay").Parse(pageHead + `{{template "head" "Returning to oauthx"}}
<h1 id="title">Passing the response to oauthx…</h1>
<p id="lead">The provider put the authorization response in the URL fragment (after the #), which browsers
never send to a server. This page posts it to oauthx on this machine.</p>
<form id="relay" method="post" action="{{.Action}}"><input type="hidden" name="` + relayField + `" value=""></form>
<noscript><p class="bad">JavaScript is off, so this page cannot pass the fragment to oauthx.
Copy the whole URL from the address bar and paste it into oauthx instead (paste mode).</p></noscript>
<script>{{.Script}}</script>
</body></html>`))
)

func writePage(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := messagePage.Execute(&buf, d); err != nil {
		http.Error(w, d.Title+": "+d.Lead, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the browser went away
}

func writeRelay(w http.ResponseWriter, action string) {
	var buf bytes.Buffer
	err := relayPage.Execute(&buf, map[string]any{"Action": action, "Script": template.JS(relayScript)})
	if err != nil {
		http.Error(w, "relay page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes()) //nolint:errcheck
}
