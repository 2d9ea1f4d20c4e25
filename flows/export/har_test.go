package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// harSchema is the part of HAR 1.2 that viewers rely on: for each object, its required
// members and their JSON types ("string", "number", "boolean", "object", "array"),
// from http://www.softwareishard.com/blog/har-12-spec/.
var harSchema = map[string]map[string]string{
	"log":         {"version": "string", "creator": "object", "entries": "array"},
	"creator":     {"name": "string", "version": "string"},
	"page":        {"startedDateTime": "string", "id": "string", "title": "string", "pageTimings": "object"},
	"entry":       {"startedDateTime": "string", "time": "number", "request": "object", "response": "object", "cache": "object", "timings": "object"},
	"request":     {"method": "string", "url": "string", "httpVersion": "string", "cookies": "array", "headers": "array", "queryString": "array", "headersSize": "number", "bodySize": "number"},
	"response":    {"status": "number", "statusText": "string", "httpVersion": "string", "cookies": "array", "headers": "array", "content": "object", "redirectURL": "string", "headersSize": "number", "bodySize": "number"},
	"nameValue":   {"name": "string", "value": "string"},
	"cookie":      {"name": "string", "value": "string"},
	"postData":    {"mimeType": "string"},
	"content":     {"size": "number", "mimeType": "string"},
	"timings":     {"send": "number", "wait": "number", "receive": "number"},
	"pageTimings": {},
}

// harOptional are optional members whose type is still checked when present.
var harOptional = map[string]map[string]string{
	"log":      {"pages": "array", "comment": "string"},
	"entry":    {"pageref": "string", "comment": "string", "serverIPAddress": "string", "connection": "string"},
	"request":  {"postData": "object"},
	"postData": {"params": "array", "text": "string"},
	"content":  {"text": "string", "encoding": "string", "compression": "number"},
	"timings":  {"blocked": "number", "dns": "number", "connect": "number", "ssl": "number"},
	"cookie":   {"path": "string", "domain": "string", "expires": "string", "httpOnly": "boolean", "secure": "boolean"},
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// checkHAR validates a HAR document against harSchema and the rules the spec adds
// (ISO 8601 times, time = sum of timings, custom members start with "_"), and returns
// every problem found.
func checkHAR(data []byte) []string {
	var problems []string
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	obj := func(path, kind string, v any) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: %s, want an object", path, jsonType(v)))
			return nil
		}
		for name, typ := range harSchema[kind] {
			got, ok := m[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: required member %q missing", path, name))
			} else if jsonType(got) != typ {
				problems = append(problems, fmt.Sprintf("%s.%s: %s, want %s", path, name, jsonType(got), typ))
			}
		}
		for name, got := range m {
			if typ, ok := harOptional[kind][name]; ok && jsonType(got) != typ {
				problems = append(problems, fmt.Sprintf("%s.%s: %s, want %s", path, name, jsonType(got), typ))
			}
			_, req := harSchema[kind][name]
			_, opt := harOptional[kind][name]
			if !req && !opt && name != "comment" && !strings.HasPrefix(name, "_") && kind != "pageTimings" {
				problems = append(problems, fmt.Sprintf("%s: unknown member %q (custom members start with _)", path, name))
			}
		}
		return m
	}
	list := func(path, kind string, v any) {
		items, _ := v.([]any)
		for i, it := range items {
			obj(fmt.Sprintf("%s[%d]", path, i), kind, it)
		}
	}
	isoTime := func(path string, v any) {
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not an ISO 8601 time: %v", path, s, err))
		}
	}
	log := obj("log", "log", doc["log"])
	if log == nil {
		return problems
	}
	if log["version"] != "1.2" {
		problems = append(problems, fmt.Sprintf("log.version = %v, want 1.2", log["version"]))
	}
	obj("log.creator", "creator", log["creator"])
	pages := map[string]bool{}
	if ps, ok := log["pages"].([]any); ok {
		for i, p := range ps {
			path := fmt.Sprintf("log.pages[%d]", i)
			if m := obj(path, "page", p); m != nil {
				isoTime(path+".startedDateTime", m["startedDateTime"])
				obj(path+".pageTimings", "pageTimings", m["pageTimings"])
				id, _ := m["id"].(string)
				pages[id] = true
			}
		}
	}
	entries, _ := log["entries"].([]any)
	for i, e := range entries {
		path := fmt.Sprintf("log.entries[%d]", i)
		m := obj(path, "entry", e)
		if m == nil {
			continue
		}
		isoTime(path+".startedDateTime", m["startedDateTime"])
		if ref, ok := m["pageref"].(string); ok && !pages[ref] {
			problems = append(problems, fmt.Sprintf("%s.pageref %q names no page", path, ref))
		}
		if req := obj(path+".request", "request", m["request"]); req != nil {
			list(path+".request.headers", "nameValue", req["headers"])
			list(path+".request.queryString", "nameValue", req["queryString"])
			list(path+".request.cookies", "cookie", req["cookies"])
			if pd, ok := req["postData"]; ok {
				if p := obj(path+".request.postData", "postData", pd); p != nil {
					if p["params"] == nil && p["text"] == nil {
						problems = append(problems, path+".request.postData: neither params nor text")
					}
					list(path+".request.postData.params", "nameValue", p["params"])
				}
			}
		}
		if resp := obj(path+".response", "response", m["response"]); resp != nil {
			list(path+".response.headers", "nameValue", resp["headers"])
			list(path+".response.cookies", "cookie", resp["cookies"])
			obj(path+".response.content", "content", resp["content"])
		}
		if tm := obj(path+".timings", "timings", m["timings"]); tm != nil {
			sum := 0.0
			for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
				if v, ok := tm[k].(float64); ok && v >= 0 {
					sum += v
				} else if ok && v != -1 {
					problems = append(problems, fmt.Sprintf("%s.timings.%s = %v, want ≥ 0 or -1", path, k, v))
				}
			}
			for _, k := range []string{"send", "wait", "receive"} {
				if v, ok := tm[k].(float64); ok && v < 0 {
					problems = append(problems, fmt.Sprintf("%s.timings.%s = %v, want ≥ 0", path, k, v))
				}
			}
			if total, ok := m["time"].(float64); ok && (total-sum > 0.001 || sum-total > 0.001) {
				problems = append(problems, fmt.Sprintf("%s.time = %v, want the sum of the timings %v", path, total, sum))
			}
		}
	}
	return problems
}

func TestHARStructure(t *testing.T) {
	steps := append(fixtureCode(fixtureIssuer), errorStep(fixtureIssuer), record.Step{
		ID: "down", Title: "Provider down", Status: record.StatusFailed,
		Exchanges: []record.Exchange{{
			Request: record.HTTPRequest{Method: "GET", URL: "http://127.0.0.1:1/.well-known/openid-configuration"},
			Error:   "cannot connect to 127.0.0.1:1: connection refused (is the server running and the port right?)",
			Started: at(70),
		}},
	})
	for _, reveal := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteHAR(&buf, New("authorization-code", "idp", steps, t0, reveal)); err != nil {
			t.Fatal(err)
		}
		for _, p := range checkHAR(buf.Bytes()) {
			t.Errorf("reveal=%v: %s", reveal, p)
		}
		var har harFile
		if err := json.Unmarshal(buf.Bytes(), &har); err != nil {
			t.Fatal(err)
		}
		var exchanges int
		for _, s := range steps {
			exchanges += len(s.Exchanges)
		}
		if got := len(har.Log.Entries); got != exchanges {
			t.Errorf("reveal=%v: %d entries, want one per exchange (%d)", reveal, got, exchanges)
		}
		token := har.Log.Entries[5] // POST /token of step 5
		if token.Request.Method != "POST" || token.Request.PostData == nil || len(token.Request.PostData.Params) != 4 ||
			token.Request.PostData.Params[0] != (harNV{"grant_type", "authorization_code"}) {
			t.Errorf("reveal=%v: token request postData = %+v", reveal, token.Request.PostData)
		}
		login := har.Log.Entries[2]
		if login.Response.RedirectURL != "/consent" || login.Response.Status != 303 {
			t.Errorf("reveal=%v: login response = %d → %q, want 303 → /consent", reveal, login.Response.Status, login.Response.RedirectURL)
		}
		authz := har.Log.Entries[1]
		if len(authz.Request.QueryString) != 8 || authz.Request.QueryString[0] != (harNV{"response_type", "code"}) {
			t.Errorf("reveal=%v: authorization request queryString = %v", reveal, authz.Request.QueryString)
		}
		down := har.Log.Entries[len(har.Log.Entries)-1]
		if down.Response.Status != 0 || !strings.Contains(down.Response.Error, "connection refused") {
			t.Errorf("reveal=%v: failed request = %+v, want status 0 and _error", reveal, down.Response)
		}
		if reveal {
			if len(authz.Response.Cookies) != 1 || authz.Response.Cookies[0].Name != "oauthx_idp_session" || !authz.Response.Cookies[0].HTTPOnly {
				t.Errorf("Set-Cookie not parsed into cookies: %+v", authz.Response.Cookies)
			}
			if len(login.Request.Cookies) != 1 || login.Request.Cookies[0].Value != secretSession {
				t.Errorf("Cookie not parsed into cookies: %+v", login.Request.Cookies)
			}
		}
	}
}

func TestHARCheckerCatchesProblems(t *testing.T) {
	bad := `{"log":{"version":"1.1","creator":{"name":"x"},"entries":[{"startedDateTime":"yesterday","time":"5",
		"request":{"method":"GET","url":"/","httpVersion":"HTTP/1.1","cookies":[],"headers":[{"name":"a"}],"queryString":[],"headersSize":-1,"bodySize":0},
		"response":{"status":200},"cache":{},"timings":{"send":0,"wait":-1,"receive":0},"extra":1}]}}`
	problems := strings.Join(checkHAR([]byte(bad)), "\n")
	for _, want := range []string{"log.version", `"version" missing`, "not an ISO 8601 time", "time: string, want number",
		`headers[0]: required member "value" missing`, `"statusText" missing`, "timings.wait = -1", `unknown member "extra"`} {
		if !strings.Contains(problems, want) {
			t.Errorf("checker missed %q; it said:\n%s", want, problems)
		}
	}
}

func TestHARBinaryBody(t *testing.T) {
	steps := []record.Step{{ID: "bin", Status: record.StatusDone, Exchanges: []record.Exchange{{
		Request:  record.HTTPRequest{Method: "GET", URL: "http://h/x#frag"},
		Response: &record.HTTPResponse{Status: 200, Body: "\xff\xfe\x00a"},
	}}}}
	var buf bytes.Buffer
	if err := WriteHAR(&buf, New("x", "", steps, t0, false)); err != nil {
		t.Fatal(err)
	}
	var har harFile
	if err := json.Unmarshal(buf.Bytes(), &har); err != nil {
		t.Fatal(err)
	}
	e := har.Log.Entries[0]
	if e.Response.Content.Encoding != "base64" || e.Response.Content.Text != "//4AYQ==" || e.Response.Content.Size != 4 {
		t.Errorf("binary content = %+v", e.Response.Content)
	}
	if e.Request.URL != "http://h/x" {
		t.Errorf("request url = %q, want the fragment dropped", e.Request.URL)
	}
	for _, p := range checkHAR(buf.Bytes()) {
		t.Error(p)
	}
}
