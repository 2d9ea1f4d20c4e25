package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// tokensContent is the token inspector: the decoded header and claims of the selected
// token, each explained, times as dates and relative, and the checks made on it.
func (w walk) tokensContent(st Styles, now time.Time) string {
	d := newDoc(w.vps[paneTokens].Width())
	toks := tokensOf(w.shownRecords())
	if len(toks) == 0 {
		d.text(st.Muted, "", "No token yet. When the flow gets tokens, they are decoded here: header, claims, what each claim means, and the checks a good client makes.")
		return d.String()
	}
	sel := min(max(w.token, 0), len(toks)-1)
	var names []string
	for i, t := range toks {
		if i == sel {
			names = append(names, st.Selected.Render("["+sanitize(t.name)+"]"))
		} else {
			names = append(names, st.Muted.Render(sanitize(t.name)))
		}
	}
	hint := ""
	if len(toks) > 1 {
		hint = st.Muted.Render("  ←/→")
	}
	d.line(strings.Join(names, " ") + hint)
	t := toks[sel]
	tok := t.art.Token
	d.blank()
	switch {
	case tok == nil || tok.Format == record.FormatOpaque:
		d.text(st.Title, "", t.name+" · opaque")
		d.text(st.Muted, "", "An opaque reference: only the issuer can interpret it (RFC 6749 §1.4); introspection (RFC 7662) asks the provider about it.")
	default:
		d.text(st.Title, "", t.name+" · JWT")
		if tok.Verified {
			with := ""
			if tok.VerifiedWith != "" {
				with = " with " + tok.VerifiedWith
			}
			d.text(st.OK, "", "✓ signature verified"+with)
		} else {
			d.text(st.Warn, "", "⚠ unverified: decoded only, the signature has not been checked (yet)")
		}
	}
	if tok != nil && tok.DecodeError != "" {
		d.text(st.Fail, "", "✗ could not decode: "+tok.DecodeError)
	}
	if tok != nil {
		nameW := 3
		for _, c := range append(append([]record.Claim(nil), tok.Header...), tok.Claims...) {
			nameW = max(nameW, min(len(c.Name), 12))
		}
		if len(tok.Claims) > 0 {
			d.blank()
			d.text(st.Bold, "", "Claims")
			claims(d, tok.Claims, nameW, st, now)
		}
		if len(tok.Header) > 0 {
			d.blank()
			d.text(st.Bold, "", "Header")
			claims(d, tok.Header, nameW, st, now)
		}
		if len(tok.Checks) > 0 {
			d.blank()
			d.text(st.Bold, "", "Checks")
			checks(d, tok.Checks, st)
		}
	}
	d.blank()
	raw := t.art.Value
	if (t.art.Secret || secretParam(t.name)) && !w.reveal {
		raw = masked + " (r reveals)"
	}
	d.line(st.Bold.Render("Raw ") + st.Muted.Render("(c copies)"))
	d.hard(st.Plain, "  ", raw)
	return d.String()
}

func claims(d *doc, cs []record.Claim, nameW int, st Styles, now time.Time) {
	for _, c := range cs {
		v := c.Display
		if v == "" {
			v = fmt.Sprint(c.Value)
		}
		if c.Time != nil {
			v += " · " + relative(*c.Time, now)
		}
		d.kv(st.Accent, "  "+c.Name, nameW+2, st.Plain, v)
		if c.Explanation != "" || c.Spec != "" {
			ex := c.Explanation
			if c.Spec != "" {
				ex = strings.TrimSpace(ex + " (" + c.Spec + ")")
			}
			d.text(st.Muted, strings.Repeat(" ", min(nameW+4, d.w/3)), ex)
		}
	}
}

// relative says how far t is from now, in words: "in 59m", "2h 5m ago", "now".
func relative(t, now time.Time) string {
	diff := t.Sub(now)
	ago := diff < 0
	if ago {
		diff = -diff
	}
	if diff < time.Minute {
		return "now"
	}
	var s string
	switch {
	case diff < time.Hour:
		s = fmt.Sprintf("%dm", int(diff.Minutes()))
	case diff < 48*time.Hour:
		h := int(diff.Hours())
		m := int(diff.Minutes()) - h*60
		s = fmt.Sprintf("%dh", h)
		if m > 0 {
			s += fmt.Sprintf(" %dm", m)
		}
	default:
		s = fmt.Sprintf("%dd", int(diff.Hours()/24))
	}
	if ago {
		return s + " ago"
	}
	return "in " + s
}
