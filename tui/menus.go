package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/oauthx/oauthx/flows"
)

// providerMenu chooses the provider: the bundled IdP, a configured one, or an issuer
// typed in with a client id and secret.
type providerMenu struct {
	providers []Provider
	cursor    int // len(providers) is "another provider…"
	form      bool
	inputs    [3]textinput.Model // issuer, client id, client secret
	focus     int
	err       string
	// profiles are the saved-profile parts: the New/Edit profile form and the secret
	// prompt of a profile that asks for it (tui/profileform.go).
	profiles providerProfiles
}

func newProviderMenu(ps []Provider, st Styles) providerMenu {
	m := providerMenu{providers: ps}
	labels := [3]string{"issuer        ", "client id     ", "client secret "}
	holders := [3]string{"https://login.example.com", "my-client", "(empty for a public client)"}
	for i := range m.inputs {
		in := textinput.New()
		in.Prompt = labels[i]
		in.Placeholder = holders[i]
		in.SetStyles(st.Input)
		m.inputs[i] = in
	}
	m.inputs[2].EchoMode = textinput.EchoPassword
	return m
}

func (m *providerMenu) setStyles(st Styles) {
	for i := range m.inputs {
		m.inputs[i].SetStyles(st.Input)
	}
	m.profiles.setStyles(st)
}

func (m *providerMenu) setWidth(w int) {
	for i := range m.inputs {
		m.inputs[i].SetWidth(max(w-len(m.inputs[i].Prompt)-2, 8))
	}
	m.profiles.setWidth(w)
}

// Update returns the choice when the person made one.
func (m providerMenu) Update(msg tea.Msg, km keyMap) (providerMenu, tea.Cmd, *ProviderChoice) {
	if next, cmd, choice, handled := m.updateProfiles(msg, km); handled {
		return next, cmd, choice
	}
	k, isKey := msg.(tea.KeyPressMsg)
	if m.form {
		switch {
		case isKey && key.Matches(k, km.Cancel):
			m.form = false
			m.inputs[m.focus].Blur()
			return m, nil, nil
		case isKey && (key.Matches(k, km.Confirm) || key.Matches(k, km.NextPane) || key.Matches(k, km.PrevPane) || k.String() == "up" || k.String() == "down"):
			if key.Matches(k, km.Confirm) && m.focus == len(m.inputs)-1 {
				issuer := strings.TrimSpace(m.inputs[0].Value())
				id := strings.TrimSpace(m.inputs[1].Value())
				if issuer == "" || id == "" {
					m.err = "the issuer and the client id are needed"
					return m, nil, nil
				}
				m.err = ""
				return m, nil, &ProviderChoice{
					Provider:     Provider{Name: issuer, Issuer: issuer},
					ClientID:     id,
					ClientSecret: m.inputs[2].Value(),
				}
			}
			m.inputs[m.focus].Blur()
			if key.Matches(k, km.PrevPane) || k.String() == "up" {
				m.focus = (m.focus + len(m.inputs) - 1) % len(m.inputs)
			} else {
				m.focus = (m.focus + 1) % len(m.inputs)
			}
			return m, m.inputs[m.focus].Focus(), nil
		}
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
		return m, cmd, nil
	}
	if !isKey {
		return m, nil, nil
	}
	switch {
	case key.Matches(k, km.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, km.Down):
		m.cursor = min(m.cursor+1, m.lastEntry())
	case key.Matches(k, km.Select):
		if m.cursor < len(m.providers) {
			p := m.providers[m.cursor]
			return m, nil, &ProviderChoice{Provider: p, ClientID: p.ClientID, ClientSecret: p.ClientSecret}
		}
		m.form = true
		m.focus = 0
		return m, m.inputs[0].Focus(), nil
	}
	return m, nil, nil
}

func (m providerMenu) View(st Styles, w, h int) string {
	if m.profiles.editing {
		return m.profiles.form.View(st, w)
	}
	d, _ := m.view(st, w, false)
	if h > 0 && len(d.lines) > h {
		// Too tall (80×24 with saved profiles): only the entry under the cursor keeps
		// its details, and the list scrolls to keep it in sight.
		var at int
		d, at = m.view(st, w, true)
		if len(d.lines) > h {
			start := min(max(at-h/3, 0), len(d.lines)-h)
			d.lines = d.lines[start : start+h]
		}
	}
	return d.String()
}

// view lays the menu out; compact keeps the details of the entry under the cursor
// only. at is the line of that entry.
func (m providerMenu) view(st Styles, w int, compact bool) (d *doc, at int) {
	d = newDoc(w)
	d.text(st.Title, "", "Choose a provider")
	d.blank()
	for i, p := range m.providers {
		selected := i == m.cursor && !m.form
		mark, name := "  ", st.Bold.Render(sanitize(p.Name))
		if selected {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(sanitize(p.Name))
			at = len(d.lines)
		}
		d.line(mark + name + st.Muted.Render("  "+sanitize(p.Issuer)))
		if compact && !selected {
			if p.Problem != "" {
				d.text(st.Fail, "    ", "✗ cannot be used as saved")
			}
			continue
		}
		if p.Description != "" {
			d.text(st.Muted, "    ", p.Description)
		}
		if compact && len(p.Clients) > 0 {
			var ids []string
			for _, c := range p.Clients {
				ids = append(ids, c.ID)
			}
			d.text(st.Muted, "    ", "demo clients: "+strings.Join(ids, ", "))
		} else {
			for _, c := range p.Clients {
				d.text(st.Muted, "    ", "client "+c.ID+": "+c.Description)
			}
		}
		m.profiles.entryView(d, st, p, selected)
	}
	mark, name := "  ", st.Bold.Render("Another provider…")
	if m.cursor == len(m.providers) {
		mark, name = st.Selected.Render("▸ "), st.Selected.Render("Another provider…")
		at = len(d.lines)
	}
	d.line(mark + name)
	if !compact || m.cursor == len(m.providers) {
		d.text(st.Muted, "    ", "an issuer URL with your client id and secret; flows start with discovery (OIDC Discovery §4, RFC 8414)")
	}
	if m.form {
		d.blank()
		for _, in := range m.inputs {
			d.line("    " + in.View())
		}
		d.blank()
		d.text(st.Muted, "    ", "tab/↓ next field · enter on the last field continues · esc back")
		d.text(st.Muted, "    ", "register the redirect URI http://127.0.0.1/callback (any port, RFC 8252 §7.3) with your provider")
		at = len(d.lines) - 1
	}
	if m.cursor == len(m.providers)+1 {
		at = len(d.lines)
	}
	m.profiles.newEntryView(d, st, m.cursor == len(m.providers)+1, compact)
	if m.err != "" {
		d.text(st.Fail, "    ", m.err)
		at = len(d.lines) - 1
	}
	return d, at
}

// flowMenu chooses the flow.
type flowMenu struct {
	kinds  []flows.KindInfo
	cursor int
	err    string
	// lessons is the number of lessons: when there are any, the entry after the
	// flows opens them (tui/lessons.go), and wantLessons says it was chosen.
	lessons     int
	wantLessons bool
}

func newFlowMenu() flowMenu { return flowMenu{kinds: flows.Kinds()} }

// Update returns the chosen flow when the person chose one.
func (m flowMenu) Update(msg tea.Msg, km keyMap) (flowMenu, *flows.KindInfo) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, km.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, km.Down):
		last := len(m.kinds) - 1
		if m.lessons > 0 {
			last++
		}
		m.cursor = min(m.cursor+1, last)
	case key.Matches(k, km.Select):
		if m.cursor < len(m.kinds) {
			ki := m.kinds[m.cursor]
			return m, &ki
		}
		m.wantLessons = m.lessons > 0
	}
	return m, nil
}

func (m flowMenu) View(st Styles, provider string, w, h int) string {
	d := m.view(st, provider, w, false)
	if len(d.lines) > h {
		// Too tall (80×24 with the lessons): only the chosen entry keeps its summary.
		d = m.view(st, provider, w, true)
	}
	return d.String()
}

func (m flowMenu) view(st Styles, provider string, w int, compact bool) *doc {
	d := newDoc(w)
	d.text(st.Title, "", "Choose a flow")
	d.text(st.Muted, "", "against "+provider)
	d.blank()
	for i, k := range m.kinds {
		mark, name := "  ", st.Bold.Render(k.Title)
		if i == m.cursor {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render(k.Title)
		}
		tag := st.Muted.Render("  " + k.Spec)
		if k.Deprecated != "" {
			tag += st.Warn.Render("  deprecated")
		}
		d.line(mark + name + tag)
		if compact && i != m.cursor {
			continue
		}
		d.text(st.Plain, "    ", k.Summary)
		if k.Deprecated != "" && i == m.cursor {
			d.text(st.Warn, "    ", "⚠ "+k.Deprecated)
		}
		if !compact {
			d.blank()
		}
	}
	if m.lessons > 0 {
		if compact {
			d.blank()
		}
		mark, name := "  ", st.Bold.Render("Lessons…")
		if m.cursor == len(m.kinds) {
			mark, name = st.Selected.Render("▸ "), st.Selected.Render("Lessons…")
		}
		d.line(mark + name + st.Muted.Render("  "+itoa(m.lessons)+" attacks"))
		if !compact || m.cursor == len(m.kinds) {
			d.text(st.Plain, "    ", "Guided attacks (CSRF, code injection, mix-up, alg none…) and the check that stops each.")
		}
	}
	if m.err != "" {
		d.blank()
		d.text(st.Fail, "", "✗ "+m.err)
	}
	return d
}
