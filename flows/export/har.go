package export

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oauthx/oauthx/flows/record"
)

// The HAR 1.2 format (http://www.softwareishard.com/blog/har-12-spec/). Required
// members have no omitempty; custom members start with "_", as the spec asks.
type (
	harFile struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Pages   []harPage  `json:"pages,omitempty"`
		Entries []harEntry `json:"entries"`
		Comment string     `json:"comment,omitempty"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harPage struct {
		StartedDateTime string         `json:"startedDateTime"`
		ID              string         `json:"id"`
		Title           string         `json:"title"`
		PageTimings     harPageTimings `json:"pageTimings"`
	}
	harPageTimings struct{}
	harEntry       struct {
		PageRef         string      `json:"pageref,omitempty"`
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
	}
	harRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []harCookie  `json:"cookies"`
		Headers     []harNV      `json:"headers"`
		QueryString []harNV      `json:"queryString"`
		PostData    *harPostData `json:"postData,omitempty"`
		HeadersSize int          `json:"headersSize"`
		BodySize    int          `json:"bodySize"`
	}
	harResponse struct {
		Status      int         `json:"status"`
		StatusText  string      `json:"statusText"`
		HTTPVersion string      `json:"httpVersion"`
		Cookies     []harCookie `json:"cookies"`
		Headers     []harNV     `json:"headers"`
		Content     harContent  `json:"content"`
		RedirectURL string      `json:"redirectURL"`
		HeadersSize int         `json:"headersSize"`
		BodySize    int         `json:"bodySize"`
		Comment     string      `json:"comment,omitempty"`
		Error       string      `json:"_error,omitempty"` // as Chrome writes a failed request
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harCookie struct {
		Name     string `json:"name"`
		Value    string `json:"value"`
		Path     string `json:"path,omitempty"`
		Domain   string `json:"domain,omitempty"`
		Expires  string `json:"expires,omitempty"`
		HTTPOnly bool   `json:"httpOnly,omitempty"`
		Secure   bool   `json:"secure,omitempty"`
	}
	harPostData struct {
		MimeType string  `json:"mimeType"`
		Params   []harNV `json:"params,omitempty"`
		Text     string  `json:"text"`
	}
	harContent struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
		Encoding string `json:"encoding,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	harTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
)

// harTime is the ISO 8601 form HAR uses, with milliseconds.
const harTime = "2006-01-02T15:04:05.000Z07:00"

// WriteHAR writes every HTTP exchange of t as an HTTP Archive (HAR 1.2), which opens
// in the network panel of browser dev tools and in HAR viewers. Each step with
// exchanges is a page, so viewers group the requests by step. The log's comment says
// whether secrets were masked. Steps are masked when t.Masked is set.
//
// Only the total duration of an exchange is recorded, so it is reported as the
// "wait" timing; the other phases are -1 (not available), as the spec allows.
func WriteHAR(w io.Writer, t Transcript) error {
	t = t.masked()
	har := harFile{Log: harLog{
		Version: "1.2",
		Creator: harCreator{Name: "oauthx", Version: oauthxVersion()},
		Entries: []harEntry{},
	}}
	when := humanTime(t.Created)
	if t.Masked {
		har.Log.Comment = fmt.Sprintf("The %s flow against %s, exported by oauthx (recorded %s). Secrets were masked: "+
			"client secrets, passwords, refresh tokens and Authorization and Cookie credentials read %s.",
			t.Flow, orDash(t.Provider), when, record.Mask)
	} else {
		har.Log.Comment = fmt.Sprintf("The %s flow against %s, exported by oauthx (recorded %s). WARNING: secrets were "+
			"revealed on purpose; this file contains client secrets, passwords and tokens as sent. Do not share it.",
			t.Flow, orDash(t.Provider), when)
	}
	for i, s := range t.Steps {
		if len(s.Exchanges) == 0 {
			continue
		}
		page := harPage{
			StartedDateTime: harTimestamp(firstTime(s.Started, s.Exchanges[0].Started, t.Created)),
			ID:              fmt.Sprintf("step-%d", i+1),
			Title:           fmt.Sprintf("%d. %s", i+1, s.Title),
		}
		har.Log.Pages = append(har.Log.Pages, page)
		for j, ex := range s.Exchanges {
			e := harExchange(ex, firstTime(ex.Started, s.Started, t.Created))
			e.PageRef = page.ID
			e.Comment = fmt.Sprintf("step %d %q, exchange %d", i+1, s.Title, j+1)
			har.Log.Entries = append(har.Log.Entries, e)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(har); err != nil {
		return fmt.Errorf("writing HAR: %w", err)
	}
	return nil
}

func harExchange(ex record.Exchange, started time.Time) harEntry {
	ms := float64(ex.Duration) / float64(time.Millisecond)
	if ms < 0 {
		ms = 0
	}
	proto := "HTTP/1.1"
	if ex.Response != nil && ex.Response.Proto != "" {
		proto = ex.Response.Proto
	}
	e := harEntry{
		StartedDateTime: harTimestamp(started),
		Time:            ms,
		Request:         harReq(ex.Request, proto),
		Timings:         harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: ms},
	}
	if ex.Response == nil {
		e.Response = harResponse{
			Cookies: []harCookie{}, Headers: []harNV{},
			Content:     harContent{MimeType: "x-unknown"},
			HeadersSize: -1, BodySize: -1,
			Comment: "no response: " + ex.Error,
			Error:   ex.Error,
		}
		return e
	}
	r := ex.Response
	e.Response = harResponse{
		Status:      r.Status,
		StatusText:  http.StatusText(r.Status),
		HTTPVersion: proto,
		Cookies:     setCookies(r.Header),
		Headers:     harHeaders(r.Header),
		Content:     harBody(r.Body, r.Header.Get("Content-Type")),
		RedirectURL: r.Header.Get("Location"),
		HeadersSize: -1,
		BodySize:    len(r.Body),
	}
	if r.Truncated {
		e.Response.BodySize = -1
		e.Response.Content.Comment = fmt.Sprintf("oauthx kept only the first %d bytes of the body", len(r.Body))
	}
	if ex.Error != "" {
		e.Response.Comment = ex.Error
	}
	return e
}

func harReq(r record.HTTPRequest, proto string) harRequest {
	out := harRequest{
		Method:      r.Method,
		URL:         r.URL,
		HTTPVersion: proto,
		Cookies:     []harCookie{},
		Headers:     harHeaders(r.Header),
		QueryString: []harNV{},
		HeadersSize: -1,
		BodySize:    len(r.Body),
	}
	if u, err := url.Parse(r.URL); err == nil {
		u.Fragment, u.RawFragment = "", "" // "fragments are not included"
		out.URL = u.String()
		out.QueryString = formPairs(u.RawQuery)
	}
	for _, line := range r.Header.Values("Cookie") {
		if cookies, err := http.ParseCookie(line); err == nil {
			for _, c := range cookies {
				out.Cookies = append(out.Cookies, harCookie{Name: c.Name, Value: c.Value})
			}
		}
	}
	if r.Body != "" {
		mime := r.Header.Get("Content-Type")
		if mime == "" {
			mime = "application/octet-stream"
		}
		// The spec calls params and text mutually exclusive, but Chrome and Firefox
		// both write text for form posts too, and Chrome's importer shows the payload
		// from text alone: write both, so the payload shows in every viewer.
		out.PostData = &harPostData{MimeType: mime, Text: r.Body}
		if strings.HasPrefix(strings.ToLower(mime), "application/x-www-form-urlencoded") {
			out.PostData.Params = formPairs(r.Body)
		}
	}
	return out
}

func harBody(body, contentType string) harContent {
	c := harContent{Size: len(body), MimeType: contentType}
	if c.MimeType == "" {
		c.MimeType = "x-unknown"
	}
	if body == "" {
		return c
	}
	if utf8.ValidString(body) {
		c.Text = body
	} else {
		c.Text = base64.StdEncoding.EncodeToString([]byte(body))
		c.Encoding = "base64"
	}
	return c
}

// harHeaders lists headers sorted by name, each value on its own, as sent.
func harHeaders(h http.Header) []harNV {
	out := []harNV{}
	for _, name := range sortedKeys(h) {
		for _, v := range h[name] {
			out = append(out, harNV{Name: name, Value: v})
		}
	}
	return out
}

func setCookies(h http.Header) []harCookie {
	out := []harCookie{}
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		hc := harCookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain, HTTPOnly: c.HttpOnly, Secure: c.Secure}
		if !c.Expires.IsZero() {
			hc.Expires = harTimestamp(c.Expires)
		}
		out = append(out, hc)
	}
	return out
}

// formPairs decodes a query or form body into its pairs, in order (url.ParseQuery
// would lose the order and drop what does not decode).
func formPairs(s string) []harNV {
	out := []harNV{}
	for _, pair := range strings.Split(s, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, harNV{Name: k, Value: v})
	}
	return out
}

func harTimestamp(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.Format(harTime)
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// oauthxVersion is the module version oauthx was built as, or "devel".
func oauthxVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") {
		return bi.Main.Version
	}
	return "devel"
}
