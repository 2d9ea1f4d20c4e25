package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/oauthx/oauthx/flows/record"
)

// actorOrder is the column order of the diagram; the user shares the browser's lane.
func actorOrder() []record.Actor {
	return []record.Actor{record.ActorBrowser, record.ActorClient, record.ActorAuthz, record.ActorResource}
}

func actorName(a record.Actor) string {
	switch a {
	case record.ActorUser:
		return "user"
	case record.ActorBrowser:
		return "browser"
	case record.ActorClient:
		return "client"
	case record.ActorAuthz:
		return "authorization server"
	case record.ActorResource:
		return "resource server"
	}
	return string(a)
}

func actorLabel(a record.Actor) string {
	switch a {
	case record.ActorBrowser:
		return "Browser"
	case record.ActorClient:
		return "Client"
	case record.ActorAuthz:
		return "Auth server"
	case record.ActorResource:
		return "Resource"
	}
	return string(a)
}

func lane(a record.Actor) record.Actor {
	if a == record.ActorUser {
		return record.ActorBrowser
	}
	return a
}

// diagramContent draws the flow as a sequence diagram from the plan's arrows: done
// steps plain, the selected step highlighted, steps not run yet dimmed.
func (w walk) diagramContent(st Styles) string {
	width := w.vps[paneDiagram].Width()
	d := newDoc(width)
	// the actors the flow uses, always with client and authorization server
	used := map[record.Actor]bool{record.ActorClient: true, record.ActorAuthz: true}
	for _, p := range w.snap.plan {
		for _, a := range p.Arrows {
			used[lane(a.From)], used[lane(a.To)] = true, true
		}
	}
	var actors []record.Actor
	for _, a := range actorOrder() {
		if used[a] {
			actors = append(actors, a)
		}
	}
	const gutter = 3 // the step number
	n := len(actors)
	labelW := 0
	for _, a := range actors {
		labelW = max(labelW, len(actorLabel(a)))
	}
	span := max((width-gutter-labelW)/max(n-1, 1), 4)
	pos := make(map[record.Actor]int, n)
	for i, a := range actors {
		pos[a] = min(gutter+labelW/2+i*span, width-1)
	}
	// header: the actor names centred on their lifelines
	head := []rune(strings.Repeat(" ", width))
	for _, a := range actors {
		l := []rune(actorLabel(a))
		start := min(max(pos[a]-len(l)/2, 0), max(width-len(l), 0))
		for i, r := range l {
			if start+i < width {
				head[start+i] = r
			}
		}
	}
	d.line(st.Bold.Render(strings.TrimRight(string(head), " ")))
	d.line(st.Muted.Render(lifelines(width, actors, pos)))
	for i, p := range w.snap.plan {
		sty := st.Diagram
		switch {
		case i == w.sel:
			sty = st.DiagramCurrent
		case w.stepStatus(i) == record.StatusPending:
			sty = st.DiagramPending
		}
		if len(p.Arrows) == 0 {
			continue
		}
		for j, a := range p.Arrows {
			label, arrow := arrowRows(width, actors, pos, a)
			num := "   "
			if j == 0 {
				num = padRight(itoa(i+1), gutter)
			}
			label = num + string([]rune(label)[gutter:])
			marker := ""
			if i == w.sel {
				marker = "◀"
			}
			d.line(sty.Render(strings.TrimRight(label, " ")))
			d.line(sty.Render(strings.TrimRight(arrow, " ") + marker))
		}
	}
	d.line(st.Muted.Render(lifelines(width, actors, pos)))
	return d.String()
}

func lifelines(width int, actors []record.Actor, pos map[record.Actor]int) string {
	row := []rune(strings.Repeat(" ", width))
	for _, a := range actors {
		row[pos[a]] = '│'
	}
	return strings.TrimRight(string(row), " ")
}

// arrowRows returns the label row and the arrow row of one message.
func arrowRows(width int, actors []record.Actor, pos map[record.Actor]int, a record.Arrow) (string, string) {
	from, to := pos[lane(a.From)], pos[lane(a.To)]
	label := []rune(lifelines(width, actors, pos) + strings.Repeat(" ", width))[:width]
	row := slices.Clone(label)
	lo, hi := min(from, to), max(from, to)
	if lo == hi { // a message to itself: its label runs up to the next lifeline
		if hi+2 < width {
			row[hi+1], row[hi+2] = '─', '↺'
		}
		next := width
		for _, x := range pos {
			if x > hi {
				next = min(next, x)
			}
		}
		lo, hi = hi, next
	} else {
		for x := lo + 1; x < hi; x++ {
			row[x] = '─'
		}
		if to > from {
			row[hi-1] = '▶'
		} else {
			row[lo+1] = '◀'
		}
	}
	room := hi - lo - 2
	if room < 3 { // no room between the lifelines: write the label after the rightmost
		lo, room = hi, width-hi-2
	}
	if room > 0 {
		text := []rune(ansi.Truncate(sanitize(a.Label), room, "…"))
		for i, r := range text {
			if lo+2+i < width {
				label[lo+2+i] = r
			}
		}
	}
	return string(label), string(row)
}
