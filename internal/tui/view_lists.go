package tui

import (
	"fmt"
	"strconv"

	"github.com/shoplab/shoplab/internal/dashboards"
)

// grafanaReady reports whether the compose stack's Grafana container is
// up, as the last poll saw it.
func (m Model) grafanaReady() bool {
	for _, c := range m.containers {
		if c.Service == "grafana" {
			return c.Ready()
		}
	}
	return false
}

// grafanaHint tells where links into Grafana, opened with key, lead.
func (m Model) grafanaHint(w int, key string) []string {
	s := styles()
	text := "Grafana (" + m.deps.GrafanaURL + ") is not running here: " + key + " shows the link. It runs with the Docker stack (Stack screen, u)."
	if m.grafanaReady() {
		text = "Grafana runs at " + m.deps.GrafanaURL + "."
	}
	lines := wrap(text, w-2)
	for i := range lines {
		lines[i] = " " + s.dim.Render(lines[i])
	}
	return lines
}

func (m Model) viewTraces(w, h int) []string {
	if m.detail.open {
		return m.viewTrace(w, h)
	}
	s := styles()
	grafanaKey := "enter"
	if m.deps.Trace != nil {
		grafanaKey = "g"
	}
	if len(m.traces) == 0 {
		text := "No load test has ended yet. When one does, its slowest requests are listed here with their trace IDs, and enter opens a trace in Grafana. Start one on the Load screen (2)."
		if m.deps.Trace != nil {
			text = "No load test has ended yet. When one does, its slowest requests are listed here with their trace IDs: enter shows a trace here, g opens it in Grafana. Start one on the Load screen (2)."
		}
		if m.run.active() {
			text = "A load test is running: its slowest requests are listed here when it ends (the engine reports them with its result)."
		}
		return append(indent(wrap(text, w-2)), append([]string{""}, m.grafanaHint(w, grafanaKey)...)...)
	}
	r := m.run
	title := fmt.Sprintf("Slowest requests of the last load test (%s, %s)", r.scenario, r.duration)
	out := []string{" " + s.bold.Render(title), ""}

	const latW, epW, regW, stW = 8, 25, 8, 6
	withStatus := w >= 100
	idW := 32
	head := "  " + cell("LATENCY", latW) + " " + cell("ENDPOINT", epW) + " " + cell("REGION", regW) + " "
	if withStatus {
		head += cell("STATUS", stW) + " "
	}
	out = append(out, s.header.Render(head+"TRACE ID")+s.dim.Render("  (✗ failed)"))

	hint := m.grafanaHint(w, grafanaKey)
	visible := max(h-len(out)-len(hint)-1, 1)
	first := 0
	if m.traceCursor >= visible {
		first = m.traceCursor - visible + 1
	}
	for i := first; i < len(m.traces) && i < first+visible; i++ {
		t := m.traces[i]
		lat := fmtMS(t.latencyMS)
		if t.failed {
			lat = s.bad.Render(lat + " ✗")
		}
		line := cursor(i == m.traceCursor) + cell(lat, latW) + " " + cell(t.endpoint, epW) + " " + cell(t.region, regW) + " "
		if withStatus {
			st := "none"
			if t.status != 0 {
				st = strconv.Itoa(t.status)
			}
			if t.failed {
				st = s.bad.Render(st)
			}
			line += cell(st, stW) + " "
		}
		out = append(out, line+cell(t.traceID, idW))
	}
	out = append(out, "")
	return append(out, hint...)
}

func (m Model) viewDashboards(w, h int) []string {
	s := styles()
	out := []string{" " + s.bold.Render("Grafana dashboards (folder “"+dashboards.Folder+"”)") + s.dim.Render(" — enter opens one in your browser"), ""}
	const titleW = 20
	for i, d := range dashboards.All() {
		out = append(out, cursor(i == m.dashCursor)+cell(d.Title, titleW)+" "+s.dim.Render(dashboards.URL(m.deps.GrafanaURL, d.UID)))
	}
	out = append(out, "")
	return append(out, m.grafanaHint(w, "enter")...)
}
