package tui

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
	"github.com/shoplab/shoplab/internal/traceview"
)

func portOf(hostPort string) string {
	if _, p, err := net.SplitHostPort(hostPort); err == nil {
		return p
	}
	return hostPort
}

// containerURL is where a compose container can be reached from this
// machine, and its port.
func containerURL(service string) (string, string) {
	if service == "kafka" {
		return "", portOf(stack.KafkaBrokers)
	}
	for _, c := range stack.Containers() {
		if c.Service == service && c.URL != "" {
			u, err := url.Parse(c.URL)
			if err != nil {
				return c.URL, ""
			}
			return c.URL, u.Port()
		}
	}
	return "", ""
}

// role says what a component is for, for a newcomer's first look.
func role(name string) string {
	switch strings.TrimSuffix(name, " (embedded)") {
	case "gateway":
		return "the shop's API (REST/JSON), the only public entry"
	case "auth":
		return "accounts and logins (JWT)"
	case "catalog":
		return "products and stock"
	case "orders":
		return "places orders, publishes order.placed"
	case "notification":
		return "sends the e-mails for events"
	case "kafka":
		return "event broker between the services"
	case "prometheus":
		return "metrics"
	case "loki":
		return "logs"
	case "tempo":
		return "traces"
	case "alertmanager":
		return "routes firing alerts (pages, tickets)"
	case "grafana":
		return "dashboards over metrics, logs and traces"
	case "alloy", "promtail":
		return "ships logs/*.log to Loki"
	case "mailpit":
		return "catches the shop's e-mails"
	case "kafka-ui":
		return "browse Kafka's topics"
	}
	return ""
}

func (m Model) healthCell(r stackRow) string {
	s := styles()
	switch {
	case r.health == healthUp:
		return s.ok.Render("●") + " " + r.status
	case r.health == healthDown:
		return s.bad.Render("○") + " " + r.status
	case r.kind == "container":
		return s.warn.Render("◌") + " " + r.status
	default:
		return s.dim.Render("◌ " + r.status)
	}
}

func (m Model) viewStack(w, h int) []string {
	s := styles()
	rows := m.stackRows()
	const nameW, healthW = 17, 11
	portW := 10
	if w >= 100 {
		portW = 11 // room for two five-digit ports
	}
	urlW := w - 2 - nameW - healthW - portW - 3
	detailW := 0
	if w >= 100 {
		urlW = 38
		detailW = w - 2 - nameW - healthW - portW - urlW - 4
	}
	line := func(cur string, name, health, port, u, detail string) string {
		l := cur + cell(name, nameW) + " " + cell(health, healthW) + " " + cell(port, portW) + " " + cell(u, urlW)
		if detailW > 0 {
			l += " " + cell(detail, detailW)
		}
		return strings.TrimRight(l, " ")
	}
	heading := func(first string) string {
		detail := ""
		if detailW > 0 {
			detail = "WHAT IT IS"
		}
		return s.header.Render(strings.TrimRight(line("  ", first, "HEALTH", "PORT", "URL", detail), " "))
	}
	row := func(i int, r stackRow) string {
		u := r.url
		if u == "" && r.kind == "broker" {
			u = s.dim.Render("(Kafka protocol, no web page)")
		}
		detail := s.dim.Render(role(r.name))
		if r.health == healthDown && r.detail != "" {
			detail = s.bad.Render(shortErr(r.detail))
		}
		return line(cursor(i == m.stackCursor && m.tab == tabStack), r.name, m.healthCell(r), r.port, u, detail)
	}

	var out []string
	out = append(out, heading("SERVICE"))
	i := 0
	for ; i < len(rows) && rows[i].kind != "container"; i++ {
		out = append(out, row(i, rows[i]))
	}
	out = append(out, "")
	switch {
	case m.deps.Containers == nil:
	case m.docker == dockerUnknown:
		out = append(out, s.dim.Render("  Containers: asking Docker…"))
	case m.docker == dockerMissing:
		out = append(out, "  Containers: "+s.dim.Render("Docker is not installed: local mode only (no Grafana)."))
	case m.docker == dockerBroken:
		for i, l := range wrap("Containers: "+m.dockerDetail, w-4) {
			if i > 0 {
				l = "  " + l
			}
			out = append(out, "  "+s.warn.Render(l))
		}
	case len(m.containers) == 0:
		out = append(out, "  Containers: "+s.dim.Render("the Docker stack is not running (u starts it with the lab)."))
	default:
		out = append(out, heading("CONTAINER"))
		for ; i < len(rows); i++ {
			out = append(out, row(i, rows[i]))
		}
	}
	out = append(out, "")
	if m.showsAlerts() && !m.showsLabOp() {
		// Before what to do next: on a small terminal the alerts matter
		// more than the tip.
		out = append(out, m.viewAlerts(w, h-len(out))...)
		out = append(out, "")
	}
	out = append(out, m.viewLabActivity(w, h-len(out))...)
	if m.deps.RecentTraces == nil || m.showsLabOp() {
		return out
	}
	return append(append(out, ""), m.viewRecent(w)...)
}

// showsLabOp reports whether the Stack screen shows a lab start or stop
// (under way, or failed) with its output.
func (m Model) showsLabOp() bool {
	return m.op.id != 0 && (m.op.running || m.op.err != "")
}

// viewRecent lists the newest traces, selectable after the components.
func (m Model) viewRecent(w int) []string {
	s := styles()
	r := m.recent
	head := " " + s.bold.Render("Recent traces")
	switch {
	case !r.answered:
		return []string{head + s.dim.Render(" — looking…")}
	case r.err != nil && !errors.Is(r.err, traceview.ErrUnavailable):
		return []string{head + ": " + s.warn.Render(shortErr(firstLine(r.err.Error())))}
	case len(r.list) == 0:
		return []string{head + s.dim.Render(" — none yet: they appear as the shop serves requests (2 sends it some).")}
	}
	hint := " (newest first; enter shows one)"
	if m.deps.Trace == nil {
		hint = " (newest first; enter opens one in Grafana)"
	}
	out := []string{head + s.dim.Render(hint)}
	const idW, durW, svcW = 32, 8, 12
	withService := w >= 100
	nameW := w - 2 - 1 - durW - 3 - idW - 2
	if withService {
		nameW -= svcW + 1
	}
	nameW = min(nameW, 40)
	first := len(m.stackRows())
	for i, t := range r.list {
		line := cursor(m.tab == tabStack && m.stackCursor == first+i) + cell(t.Name, nameW) + " "
		if withService {
			line += cell(t.Service, svcW) + " "
		}
		mark := " "
		if t.Failed {
			mark = s.bad.Render("✗")
		}
		out = append(out, line+fmt.Sprintf("%*s", durW, fmtMS(t.DurationMS))+" "+mark+" "+t.TraceID)
	}
	return out
}

// viewLabActivity is the start or stop in progress with its output, or
// what to do next.
func (m Model) viewLabActivity(w, h int) []string {
	if h <= 0 {
		return nil
	}
	s := styles()
	if m.showsLabOp() {
		title := m.spin.View() + " " + s.bold.Render(m.op.title+"…")
		switch {
		case m.op.err != "":
			title = s.bad.Render("✗ " + m.op.title + " failed:")
		case m.quitting:
			title += s.dim.Render(" (quitting: stopping it)")
		}
		out := []string{" " + title}
		lines := m.op.lines
		if n := h - 1; len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for _, l := range lines {
			out = append(out, "   "+s.dim.Render(l))
		}
		return out
	}
	var tip string
	switch n, all := m.servicesUp(), len(m.services); {
	case !m.polled:
		tip = "Checking the lab…"
	case all > 0 && n == all:
		tip = "The lab is running. Press 2 to send it traffic, d to stop it."
		if !m.containersRunning() && m.docker != dockerMissing && m.deps.Containers != nil {
			tip = "The lab is running in local mode. Press 2 to send it traffic, d to stop it."
		}
	case n == 0 && (m.docker == dockerMissing || m.docker == dockerBroken):
		tip = "The lab is not running. Press l to start it (the shop and an embedded Kafka)."
	case n == 0:
		tip = "The lab is not running. Press l to start it without Docker, or u to start it with the Docker stack (Grafana, Prometheus, Loki, Tempo…)."
	case m.docker == dockerMissing || m.docker == dockerBroken:
		tip = "Part of the lab is down. d stops what runs, then l starts it again."
	default:
		tip = "Part of the lab is down. d stops what runs, then l or u starts it again."
	}
	out := wrap(tip, w-2)
	for i := range out {
		out[i] = " " + out[i]
	}
	return out
}

// shortErr keeps the end of a wrapped error, the part that says what went
// wrong ("connection refused"), when the whole is too long for a column.
func shortErr(s string) string {
	const long = 30
	for len(s) > long {
		i := strings.Index(s, ": ")
		if i < 0 {
			break
		}
		s = s[i+2:]
	}
	return s
}

// stackRow is one line of the Stack screen.
type stackRow struct {
	name, kind string
	health     health
	status     string
	port       string
	url        string
	detail     string
}

func (m Model) stackRows() []stackRow {
	var rows []stackRow
	for i, e := range m.deps.Services {
		r := stackRow{name: e.Service, kind: "service", port: portOf(e.HTTP), url: "http://" + e.HTTP + "/metrics"}
		if e.Service == topology.Gateway {
			r.url = "http://" + e.HTTP + "/api/v1/products"
		}
		if e.GRPC != "" {
			r.port += "/" + portOf(e.GRPC)
		}
		r.health, r.status, r.detail = m.services[i].health, statusWord(m.services[i].health), m.services[i].detail
		rows = append(rows, r)
	}
	for i, b := range m.deps.Brokers {
		p := m.brokers[i]
		// In compose mode the stack's Kafka container replaces the
		// embedded broker, which then is not down but unused.
		if b.Embedded && p.health != healthUp && m.containersRunning() {
			continue
		}
		rows = append(rows, stackRow{name: b.Name, kind: "broker", port: portOf(b.Addr), health: p.health, status: statusWord(p.health), detail: p.detail})
	}
	for _, c := range m.containers {
		r := stackRow{name: c.Service, kind: "container", status: c.Status()}
		switch {
		case c.Ready():
			r.health = healthUp
		case c.Failed():
			r.health = healthDown
		}
		if u, port := containerURL(c.Service); u != "" || port != "" {
			r.url, r.port = u, port
		}
		rows = append(rows, r)
	}
	return rows
}

func statusWord(h health) string {
	switch h {
	case healthUp:
		return "healthy"
	case healthDown:
		return "down"
	default:
		return "checking"
	}
}
