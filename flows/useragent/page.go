package useragent

import (
	"io"
	"strings"

	"golang.org/x/net/html"
)

// page is what the agent understands of an HTML page: its forms, the texts that
// name it, and the messages it shows.
type page struct {
	title   string
	heading string   // the first h1 (or h2)
	alerts  []string // texts of elements that look like error messages
	forms   []form
	links   []link
	scripts bool // the page has a <script>
}

type form struct {
	action string // as written, unresolved; "" means the page's own URL
	method string // upper case; GET when absent
	fields []field
	// buttons are the submit controls: <button> (type submit, the default) and
	// <input type=submit>.
	buttons []button
}

type field struct {
	name, value, typ string
	checked          bool
}

type button struct {
	name, value, text string
}

type link struct {
	href, text string
}

// label is how a person would name the button.
func (b button) label() string {
	if t := strings.TrimSpace(b.text); t != "" {
		return t
	}
	return b.value
}

// hasPassword reports whether the form asks for a password.
func (f form) hasPassword() bool {
	for _, fd := range f.fields {
		if fd.typ == "password" {
			return true
		}
	}
	return false
}

// visible reports whether the form has a field a person would fill in.
func (f form) visible() bool {
	for _, fd := range f.fields {
		if fd.typ != "hidden" {
			return true
		}
	}
	return false
}

// shape names the form's fields, to tell the same form coming back from another one.
func (f form) shape() string {
	var names []string
	for _, fd := range f.fields {
		if fd.typ != "hidden" {
			names = append(names, fd.name+":"+fd.typ)
		}
	}
	return f.method + " " + strings.Join(names, ",")
}

// what names the page for a person: its title, else its first heading.
func (p page) what() string {
	switch {
	case p.title != "" && p.heading != "" && p.heading != p.title:
		return p.title + ": " + p.heading
	case p.title != "":
		return p.title
	case p.heading != "":
		return p.heading
	}
	return "untitled page"
}

var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// maxOpen bounds the elements whose text is collected at once.
const maxOpen = 32

// open is an element whose text is being collected.
type open struct {
	tag  string
	text *strings.Builder
	done func(text string)
}

// parsePage reads an HTML document with the html tokenizer. Malformed HTML is read the
// way the tokenizer reads it; nothing here fails.
func parsePage(r io.Reader) page {
	var (
		p      page
		z      = html.NewTokenizer(r)
		stack  []open
		cur    *form // forms do not nest (HTML §4.10.3)
		sel    *field
		selSet bool
	)
	z.SetMaxBuf(4 << 20)
	push := func(tag string, done func(string)) {
		stack = append(stack, open{tag: tag, text: &strings.Builder{}, done: done})
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].done != nil {
					stack[i].done(stack[i].text.String())
				}
			}
			if cur != nil {
				p.forms = append(p.forms, *cur)
			}
			return p
		case html.TextToken:
			text := string(z.Text())
			for _, o := range stack {
				if o.text.Len() < 4096 {
					o.text.WriteString(text)
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			tag := tok.Data
			a := attrs(tok.Attr)
			var done func(string)
			switch tag {
			case "title":
				done = func(s string) {
					if p.title == "" {
						p.title = squash(s)
					}
				}
			case "h1", "h2":
				done = func(s string) {
					if p.heading == "" {
						p.heading = squash(s)
					}
				}
			case "script":
				p.scripts = true
			case "form":
				if cur != nil {
					p.forms = append(p.forms, *cur)
				}
				cur = &form{action: a["action"], method: strings.ToUpper(strings.TrimSpace(a["method"]))}
				if cur.method == "" {
					cur.method = "GET"
				}
			case "input":
				if cur == nil {
					break
				}
				typ := strings.ToLower(a["type"])
				if typ == "" {
					typ = "text"
				}
				_, checked := a["checked"]
				switch typ {
				case "submit":
					cur.buttons = append(cur.buttons, button{name: a["name"], value: a["value"], text: a["value"]})
				case "button", "reset", "image", "file":
				default:
					if a["name"] != "" {
						value, ok := a["value"]
						if !ok && (typ == "checkbox" || typ == "radio") {
							value = "on"
						}
						cur.fields = append(cur.fields, field{name: a["name"], value: value, typ: typ, checked: checked})
					}
				}
			case "button":
				typ := strings.ToLower(a["type"])
				if cur != nil && (typ == "" || typ == "submit") {
					f := cur
					b := button{name: a["name"], value: a["value"]}
					done = func(s string) {
						b.text = squash(s)
						f.buttons = append(f.buttons, b)
					}
				}
			case "textarea":
				if cur != nil && a["name"] != "" {
					f, name := cur, a["name"]
					done = func(s string) { f.fields = append(f.fields, field{name: name, value: s, typ: "textarea"}) }
				}
			case "select":
				if cur != nil && a["name"] != "" {
					cur.fields = append(cur.fields, field{name: a["name"], typ: "select"})
					sel, selSet = &cur.fields[len(cur.fields)-1], false
				}
			case "option":
				if sel != nil {
					_, selected := a["selected"]
					value, hasValue := a["value"]
					s, set := sel, selSet
					if selected || !set {
						selSet = true
						if hasValue {
							s.value = value
						} else {
							done = func(text string) { s.value = squash(text) }
						}
					}
				}
			case "a":
				if href := a["href"]; href != "" {
					done = func(s string) { p.links = append(p.links, link{href: href, text: squash(s)}) }
				}
			}
			if done == nil && isAlert(a) {
				done = func(s string) {
					if s = squash(s); s != "" && len(p.alerts) < 10 {
						p.alerts = append(p.alerts, s)
					}
				}
			}
			// Only elements whose text is wanted are tracked, at most maxOpen deep, so
			// hostile nesting costs neither quadratic time nor memory.
			if done != nil && tt == html.StartTagToken && !voidElements[tag] && len(stack) < maxOpen {
				push(tag, done)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			// Close the element and any left open inside it (a </form> ends an
			// unclosed <button> first, so the button still counts).
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].tag != tag {
					continue
				}
				for j := len(stack) - 1; j >= i; j-- {
					if stack[j].done != nil {
						stack[j].done(stack[j].text.String())
					}
				}
				stack = stack[:i]
				break
			}
			if tag == "form" && cur != nil {
				p.forms = append(p.forms, *cur)
				cur, sel = nil, nil
			}
			if tag == "select" {
				sel = nil
			}
		}
	}
}

// isAlert reports whether an element's attributes mark it as an error message.
func isAlert(a map[string]string) bool {
	if strings.EqualFold(a["role"], "alert") {
		return true
	}
	for _, c := range strings.Fields(strings.ToLower(a["class"])) {
		if strings.HasPrefix(c, "err") || strings.Contains(c, "error") || strings.Contains(c, "alert") || strings.Contains(c, "danger") ||
			strings.Contains(c, "invalid") || c == "flash" || c == "warning" {
			return true
		}
	}
	return false
}

func attrs(list []html.Attribute) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		if _, dup := m[a.Key]; !dup { // the first one counts, as in browsers
			m[a.Key] = a.Val
		}
	}
	return m
}

// squash collapses white space and bounds the length of a text shown in a message.
func squash(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
