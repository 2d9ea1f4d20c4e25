package export

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oauthx/oauthx/flows/record"
)

// WriteCurl writes t as a POSIX shell script of curl commands that sends each HTTP
// exchange of the flow again, in order, as it was recorded.
//
// Requests that only a browser can make (the authorization request, the login and
// consent forms and their redirects) are left out, with a comment saying where they
// were. Masked secrets become shell variables the person sets before running the
// script (the header lists them), never the mask itself; a masked HTTP Basic header
// becomes curl -u with the client id and secret form-url-encoded first, as RFC 6749
// §2.3.1 requires. The authorization code and PKCE verifier of a token request are
// variables too, defaulting to the recorded values, so a fresh code can be pasted in.
func WriteCurl(w io.Writer, t Transcript) error {
	t = t.masked()
	c := &curlScript{}
	var body strings.Builder
	for i, s := range t.Steps {
		c.step(&body, i, s)
	}
	m := &errWriter{w: w}
	m.print("#!/bin/sh\n")
	m.printf("# Sends the HTTP requests of an oauthx transcript again with curl: the %s flow\n", comment(strconv.Quote(t.Flow)))
	m.printf("# against %s, recorded %s.\n", comment(orDash(t.Provider)), humanTime(t.Created))
	m.print("#\n",
		"# Each command sends one request as oauthx recorded it, in order. Response bodies\n",
		"# go to stdout; which request runs and the status code that came back go to stderr.\n")
	if c.browser {
		m.print("# Requests only a browser can make (logging in, consenting) are not sent again:\n",
			"# comments say where they were.\n")
	}
	m.print("#\n")
	if t.Masked {
		m.print("# Secrets were masked in this transcript, so they are not in this script either.\n")
	} else {
		m.print("# WARNING: secrets were revealed when this transcript was exported: this script\n",
			"# contains client secrets, passwords or tokens as they were sent. Do not share it.\n")
	}
	var required, defaulted []*curlVar
	for _, v := range c.vars {
		if v.hasDef {
			defaulted = append(defaulted, v)
		} else {
			required = append(required, v)
		}
	}
	width := 0
	for _, v := range c.vars {
		width = max(width, len(v.name))
	}
	if len(required) > 0 {
		m.print("# Set these variables before running it:\n")
		for _, v := range required {
			m.printf("#   %-*s  %s, %s\n", width, v.name, comment(v.desc), stepList(v.steps))
		}
	}
	if len(defaulted) > 0 {
		m.print("# These variables default to the values in the transcript:\n")
		for _, v := range defaulted {
			m.printf("#   %-*s  %s, %s\n", width, v.name, comment(v.desc), stepList(v.steps))
		}
	}
	if len(c.vars) > 0 {
		example := c.vars[0]
		if len(required) > 0 {
			example = required[0]
		}
		m.printf("# For example:  %s='...' sh %s\n", example.name, comment(scriptName(t)))
	}
	if c.hasVar("CODE") {
		m.print("#\n",
			"# An authorization code is single-use and short-lived (RFC 6749 §4.1.2, §10.5): the\n",
			"# recorded one has been spent, so the provider answers invalid_grant. For a fresh\n",
			"# one, open the authorization request (in the comments below) in a browser, log in,\n",
			"# and set CODE to the code in the redirect.\n")
		if c.hasVar("CODE_VERIFIER") {
			m.print("# CODE_VERIFIER must be the verifier the request's code_challenge was made from:\n",
				"# the recorded one, if you reuse the recorded authorization request.\n")
		}
	}
	m.print("\nset -eu\n\n")
	for _, v := range c.vars {
		if v.hasDef {
			m.printf(": \"${%s:=%s}\"\n", v.name, v.def)
		} else {
			// Only the name goes in the message: a description can hold text from
			// the transcript, which must not be expanded inside double quotes.
			m.printf(": \"${%s:?set %s, see the top of this script}\"\n", v.name, v.name)
		}
	}
	if len(c.vars) > 0 {
		m.print("\n")
	}
	if c.basic {
		m.print("# RFC 6749 §2.3.1: the client id and secret are form-url-encoded\n",
			"# (application/x-www-form-urlencoded) before they go into HTTP Basic. curl -u\n",
			"# does not do that, so this function does (space as +, like Go's url.QueryEscape).\n",
			"form_urlencode() {\n",
			"\tV=\"$1\" LC_ALL=C awk 'BEGIN {\n",
			"\t\tfor (i = 1; i < 256; i++) ord[sprintf(\"%c\", i)] = i\n",
			"\t\ts = ENVIRON[\"V\"]\n",
			"\t\tfor (i = 1; i <= length(s); i++) {\n",
			"\t\t\tc = substr(s, i, 1)\n",
			"\t\t\tif (c ~ /[A-Za-z0-9._~-]/) printf \"%s\", c\n",
			"\t\t\telse if (c == \" \") printf \"+\"\n",
			"\t\t\telse printf \"%%%02X\", ord[c]\n",
			"\t\t}\n",
			"\t}'\n",
			"}\n\n")
	}
	m.print(body.String())
	return m.err
}

// curlVar is a shell variable the script reads.
type curlVar struct {
	name   string
	desc   string
	def    string // shell-safe default (see safeDefault)
	hasDef bool
	steps  []int
}

type curlScript struct {
	vars    []*curlVar
	basic   bool // form_urlencode is needed
	browser bool // some requests were left out as browser-only
}

func (c *curlScript) hasVar(name string) bool {
	return slices.ContainsFunc(c.vars, func(v *curlVar) bool { return v.name == name })
}

// use declares a variable and returns a reference to it for a double-quoted word.
func (c *curlScript) use(name, desc string, step int) string {
	return c.useDefault(name, desc, "", false, step)
}

func (c *curlScript) useDefault(name, desc, def string, hasDef bool, step int) string {
	i := slices.IndexFunc(c.vars, func(v *curlVar) bool { return v.name == name })
	if i < 0 {
		c.vars = append(c.vars, &curlVar{name: name, desc: desc, def: def, hasDef: hasDef})
		i = len(c.vars) - 1
	}
	v := c.vars[i]
	if !slices.Contains(v.steps, step+1) {
		v.steps = append(v.steps, step+1)
	}
	return "${" + name + ":?set " + name + "}"
}

func (c *curlScript) step(b *strings.Builder, i int, s record.Step) {
	title := fmt.Sprintf("Step %d: %s", i+1, orDash(s.Title))
	if len(s.Specs) > 0 {
		var refs []string
		for _, r := range s.Specs {
			refs = append(refs, r.String())
		}
		title += " (" + strings.Join(refs, ", ") + ")"
	}
	fmt.Fprintf(b, "# ── %s\n", comment(title))
	if len(s.Exchanges) == 0 {
		fmt.Fprintf(b, "# No HTTP request from the client in this step (%s).\n\n", comment(string(s.Status)))
		return
	}
	var browser []record.Exchange
	for _, ex := range s.Exchanges {
		if browserOnly(s, ex) {
			browser = append(browser, ex)
			continue
		}
		if len(browser) > 0 {
			c.writeBrowser(b, browser)
			browser = nil
		}
		c.writeCommand(b, i, s, ex)
	}
	if len(browser) > 0 {
		c.writeBrowser(b, browser)
	}
}

// browserOnly reports whether an exchange is a hop only a browser can make: the step
// runs in the user agent (an arrow from or to the browser), or the request carries a
// session cookie, or it is a redirect, or it is an authorization request.
func browserOnly(s record.Step, ex record.Exchange) bool {
	for _, a := range s.Arrows {
		if a.From == record.ActorBrowser || a.To == record.ActorBrowser {
			return true
		}
	}
	if ex.Request.Header.Get("Cookie") != "" {
		return true
	}
	if r := ex.Response; r != nil && r.Status >= 300 && r.Status < 400 && r.Header.Get("Location") != "" {
		return true
	}
	if u, err := url.Parse(ex.Request.URL); err == nil && u.Query().Has("response_type") {
		return true
	}
	return false
}

func (c *curlScript) writeBrowser(b *strings.Builder, exs []record.Exchange) {
	c.browser = true
	b.WriteString("# These requests need a browser (a person logs in and consents; the provider\n" +
		"# keeps the session in cookies), so the script does not send them:\n")
	for _, ex := range exs {
		line := ex.Request.Method + " " + ex.Request.URL
		if ex.Response != nil {
			line += " -> " + statusLine(ex.Response.Status)
		}
		fmt.Fprintf(b, "#   %s\n", comment(line))
	}
	for _, ex := range exs {
		if u, err := url.Parse(ex.Request.URL); err == nil && u.Query().Has("response_type") {
			fmt.Fprintf(b, "# To run it again, open the authorization request in a browser:\n#   %s\n", comment(ex.Request.URL))
			break
		}
	}
	b.WriteString("\n")
}

func (c *curlScript) writeCommand(b *strings.Builder, i int, s record.Step, ex record.Exchange) {
	req := ex.Request
	recorded := "no response"
	if ex.Response != nil {
		recorded = strconv.Itoa(ex.Response.Status)
	}
	var notes []string
	if ex.Error != "" && ex.Response == nil {
		notes = append(notes, "Recorded: no response ("+ex.Error+").")
	}
	first := []string{"curl", "-sS", "-g"}
	switch {
	case req.Method == http.MethodHead:
		first = append(first, "--head")
	case req.Method == http.MethodGet && req.Body == "":
	case req.Method == http.MethodPost && req.Body != "":
	default:
		first = append(first, "-X", shellQuote(comment(req.Method)))
	}
	first = append(first, c.maskedWord(cleanURL(req.URL), i, urlVarName, "URL-encoded"))
	args := []string{strings.Join(first, " ")}
	args = append(args, "-w "+shellQuote(`\n%{stderr}<-- %{http_code} (recorded: `+recorded+`)\n`))
	for _, name := range sortedKeys(req.Header) {
		canon := http.CanonicalHeaderKey(name)
		if canon == "Content-Length" {
			continue
		}
		for _, v := range req.Header[name] {
			if strings.ContainsAny(v, "\r\n\x00") || strings.ContainsAny(name, "\r\n\x00") {
				notes = append(notes, "The "+canon+" header is left out: its recorded value holds a line break or NUL, which HTTP does not allow.")
				continue
			}
			args = append(args, c.headerArg(&notes, i, s, canon, name, v))
		}
	}
	if req.Body != "" {
		args = append(args, c.bodyArgs(&notes, i, req)...)
	}
	for _, n := range notes {
		fmt.Fprintf(b, "# %s\n", comment(n))
	}
	fmt.Fprintf(b, "printf '%%s\\n' %s >&2\n", shellQuote(comment(fmt.Sprintf("--> step %d: %s %s", i+1, req.Method, cleanURL(req.URL)))))
	b.WriteString(strings.Join(args, " \\\n  "))
	b.WriteString("\n\n")
}

// headerArg turns one request header into a curl argument.
func (c *curlScript) headerArg(notes *[]string, i int, s record.Step, canon, name, v string) string {
	if !strings.Contains(v, record.Mask) {
		if canon == "Authorization" && strings.HasPrefix(strings.ToLower(v), "basic ") {
			*notes = append(*notes, "HTTP Basic carries client_id:client_secret, each form-url-encoded first (RFC 6749 §2.3.1).")
		}
		return "-H " + shellQuote(name+": "+v)
	}
	scheme, _, hasScheme := strings.Cut(v, " ")
	switch {
	case canon == "Authorization" && strings.EqualFold(scheme, "Basic"):
		c.basic = true
		id := ""
		if s.Request != nil {
			id = s.Request.Get("client_id")
		}
		var idRef string
		if safeDefault(id) {
			idRef = c.useDefault("CLIENT_ID", "the client id", id, true, i)
		} else {
			idRef = c.use("CLIENT_ID", "the client id", i)
		}
		secretRef := c.use("CLIENT_SECRET", "the client secret", i)
		*notes = append(*notes, "HTTP Basic client authentication (RFC 6749 §2.3.1); the credentials were masked.")
		return `-u "$(form_urlencode "` + idRef + `"):$(form_urlencode "` + secretRef + `")"`
	case canon == "Authorization" && strings.EqualFold(scheme, "Bearer"):
		return `-H "` + name + `: ` + scheme + ` ` + c.use("ACCESS_TOKEN", "the access token from the token response (sent as a Bearer token, RFC 6750 §2.1)", i) + `"`
	case canon == "Authorization" && hasScheme && schemeRE.MatchString(scheme):
		return `-H "` + name + `: ` + scheme + ` ` + c.use("AUTHORIZATION_CREDENTIALS", "the credentials of the "+scheme+" Authorization header", i) + `"`
	}
	vn := varName(canon)
	return "-H " + c.maskedWord(name+": "+v, i, func(string) (string, string) {
		return vn, "the value of the " + canon + " header"
	}, "")
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// bodyArgs turns a request body into curl arguments: each form field on its own, with
// --data-urlencode so it reads as sent, or the body as is with --data-raw.
func (c *curlScript) bodyArgs(notes *[]string, i int, req record.HTTPRequest) []string {
	ct := strings.ToLower(req.Header.Get("Content-Type"))
	if strings.Contains(req.Body, "\x00") {
		*notes = append(*notes, "The recorded body holds NUL bytes, which a shell word cannot carry: it is sent empty.")
		return []string{"--data-raw ''"}
	}
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return []string{"--data-raw " + c.maskedWord(req.Body, i, jsonVarName, "")}
	}
	pairs := strings.Split(req.Body, "&")
	codeGrant := slices.Contains(pairs, "grant_type=authorization_code")
	var args []string
	for _, pair := range pairs {
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if !ok || err1 != nil || err2 != nil || !plainName(name) || strings.IndexByte(value, 0) >= 0 {
			args = append(args, "--data-raw "+c.maskedWord(pair, i, urlVarName, "form-url-encoded"))
			continue
		}
		switch {
		case value == record.Mask:
			vn := varName(name)
			args = append(args, `--data-urlencode "`+name+`=`+c.use(vn, describeVar(name), i)+`"`)
		case codeGrant && (name == "code" || name == "code_verifier") && safeDefault(value):
			desc := "the authorization code"
			if name == "code_verifier" {
				desc = "the PKCE code_verifier (RFC 7636 §4.1)"
			}
			args = append(args, `--data-urlencode "`+name+`=`+c.useDefault(varName(name), desc, value, true, i)+`"`)
		default:
			args = append(args, "--data-urlencode "+shellQuote(name+"="+value))
		}
	}
	return args
}

// maskedWord quotes s as one shell word, with every mask in it (raw or
// percent-encoded) replaced by a variable named by nameFor from the text before it.
func (c *curlScript) maskedWord(s string, i int, nameFor func(before string) (string, string), encoding string) string {
	enc := url.QueryEscape(record.Mask)
	var b strings.Builder
	lit := func(x string) {
		if x != "" {
			b.WriteString(shellQuote(x))
		}
	}
	rest, done := s, ""
	for {
		j, n := strings.Index(rest, record.Mask), len(record.Mask)
		if k := strings.Index(rest, enc); k >= 0 && (j < 0 || k < j) {
			j, n = k, len(enc)
		}
		if j < 0 {
			break
		}
		lit(rest[:j])
		name, desc := nameFor(done + rest[:j])
		if encoding != "" {
			desc += ", " + encoding
		}
		b.WriteString(`"` + c.use(name, desc, i) + `"`)
		done += rest[:j+n]
		rest = rest[j+n:]
	}
	lit(rest)
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

// urlVarName names the variable for a masked query or form value from its parameter.
func urlVarName(before string) (string, string) {
	k := before[strings.LastIndexAny(before, "?&#;")+1:]
	k = strings.TrimSuffix(k, "=")
	if name, err := url.QueryUnescape(k); err == nil && name != "" {
		return varName(name), describeVar(name)
	}
	return "SECRET", "a masked value"
}

var jsonKeyRE = regexp.MustCompile(`"([^"\\]+)"\s*:\s*"$`)

// jsonVarName names the variable for a masked JSON string from its member name.
func jsonVarName(before string) (string, string) {
	if m := jsonKeyRE.FindStringSubmatch(before); m != nil {
		return varName(m[1]), describeVar(m[1])
	}
	return "SECRET", "a masked value"
}

func describeVar(param string) string {
	switch param {
	case "client_id":
		return "the client id"
	case "client_secret":
		return "the client secret"
	case "refresh_token":
		return "the refresh token"
	case "password":
		return "the user's password"
	case "client_assertion":
		return "a fresh client assertion JWT (RFC 7523 §2.2)"
	}
	return "the value of " + param
}

// varName turns a parameter or header name into a shell variable name.
func varName(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		return "V_" + string(b)
	}
	return string(b)
}

// plainName reports whether a form field name can be given to --data-urlencode as is
// (curl encodes only the part after "=").
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// safeDefault reports whether v can be written inside "${X:=v}" as is: nothing the
// shell would expand or end the word on.
func safeDefault(v string) bool {
	if v == "" || len(v) > 2048 {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/=:@,%", c) >= 0) {
			return false
		}
	}
	return true
}

// cleanURL percent-encodes the bytes no URL may hold raw (controls, space), which a
// transcript could carry; a URL recorded on the wire has none.
func cleanURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// shellQuote quotes s as one shell word in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// comment makes s safe inside a "#" comment: one line, no control characters, so text
// from a transcript can never end the comment and run as a command.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

func stepList(steps []int) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, strconv.Itoa(s))
	}
	if len(parts) == 1 {
		return "used in step " + parts[0]
	}
	return "used in steps " + strings.Join(parts, ", ")
}

func scriptName(t Transcript) string {
	name := "oauthx-" + t.Flow + ".sh"
	if !plainName(strings.TrimSuffix(name, ".sh")) {
		return "transcript.sh"
	}
	return name
}
