package tui

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shoplab/shoplab/internal/traceview"
)

// viewTrace is the open trace: its waterfall, the selected span marked,
// above that span's details; or the load under way, or why it failed.
func (m Model) viewTrace(w, h int) []string {
	s := styles()
	d := m.detail
	switch {
	case d.loading:
		return []string{" " + s.bold.Render("Trace "+d.id), "", " " + s.dim.Render("Loading the trace and its log lines…")}
	case d.err != nil:
		return m.viewTraceError(w)
	}
	wf := m.waterfall()
	wh, dh := tracePanes(h)
	top := min(d.top, max(len(wf.lines)-wh, 0))
	var out []string
	for i := top; i < top+wh && i < len(wf.lines); i++ {
		line := strings.ReplaceAll(wf.lines[i], "✗", s.bad.Render("✗"))
		mark := " "
		if len(wf.spanAt) > 0 && i == wf.spanAt[d.span] {
			mark, line = s.accent.Render("›"), s.selected.Reverse(true).Render(wf.lines[i])
		}
		out = append(out, mark+line)
	}
	out = append(out, make([]string, wh-len(out))...)
	if len(d.view.Spans) == 0 {
		return out
	}
	where := fmt.Sprintf("span %d of %d · lines %d-%d of %d", d.span+1, len(d.view.Spans), top+1, min(top+wh, len(wf.lines)), len(wf.lines))
	return append(out, spanDetails(d.view, d.span, w, dh, where)...)
}

// viewTraceError says why the trace is not shown, and what to do.
func (m Model) viewTraceError(w int) []string {
	s := styles()
	d := m.detail
	var head string
	switch {
	case errors.Is(d.err, traceview.ErrMalformedID):
		head = d.id + " is not a trace ID."
	case errors.Is(d.err, traceview.ErrNotFound):
		head = "Trace " + d.id + " is not there (yet)."
	case errors.Is(d.err, traceview.ErrUnavailable):
		head = "No trace store can be read."
	default:
		head = "Trace " + d.id + " could not be loaded."
	}
	out := []string{" " + s.warn.Render(head), ""}
	for _, l := range strings.Split(d.err.Error(), "\n") {
		for _, wl := range wrap(l, w-2) {
			out = append(out, " "+s.dim.Render(wl))
		}
	}
	next := "r tries again · esc goes back"
	if m.deps.TraceURL != nil {
		next = "r tries again · g opens it in Grafana · esc goes back"
	}
	return append(out, "", " "+next)
}

// spanDetails is span i of v in h lines: a rule, then its IDs and timing,
// every attribute, its events and its log lines.
func spanDetails(v *traceview.View, i, w, h int, where string) []string {
	s := styles()
	sp := v.Spans[i]
	title := "── " + sp.Service + " · " + sp.Name + " "
	tail := " " + where + " ──"
	rule := title + strings.Repeat("─", max(w-len([]rune(title))-len([]rune(tail)), 1)) + tail
	out := []string{s.dim.Render(rule)}

	var body []string
	add := func(text string) {
		for _, l := range wrap(text, w-2) {
			body = append(body, " "+l)
		}
	}
	add(spanFacts(sp))
	if len(sp.Attributes) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(sp.Attributes)) {
			kv = append(kv, k+"="+sp.Attributes[k])
		}
		add("attributes: " + strings.Join(kv, " · "))
	}
	for _, e := range sp.Events {
		add(eventLine(e))
	}
	for _, l := range sp.Logs {
		body = append(body, " "+logLine(l))
	}
	if len(sp.Logs) == 0 {
		body = append(body, " "+s.dim.Render("no log lines in this span"))
	}
	if room := h - 1; len(body) > room {
		more := len(body) - room + 1
		body = append(body[:room-1], " "+s.dim.Render(fmt.Sprintf("… %d more lines: shoplab trace %s prints them all", more, v.TraceID)))
	}
	return append(out, body...)
}

// spanFacts is one line about a span: its IDs, kind, timing and status.
func spanFacts(sp traceview.ViewSpan) string {
	facts := []string{"span " + sp.SpanID}
	switch {
	case sp.ParentMissing:
		facts = append(facts, "parent "+sp.ParentID+" (not in the trace)")
	case sp.ParentID != "":
		facts = append(facts, "parent "+sp.ParentID)
	}
	if sp.Kind != "" {
		facts = append(facts, sp.Kind)
	}
	start := "at +" + fmtMS(sp.OffsetMS)
	if sp.OffsetMS == 0 {
		start = "at 0"
	}
	facts = append(facts, start, "took "+fmtMS(sp.DurationMS))
	if w := sp.Wait; w != nil && w.MS > 0 {
		facts = append(facts, "waited "+fmtMS(w.MS)+" in the "+w.Where)
	}
	switch {
	case sp.Status == traceview.StatusError && sp.StatusMessage != "":
		facts = append(facts, "✗ failed: "+sp.StatusMessage)
	case sp.Status == traceview.StatusError:
		facts = append(facts, "✗ failed")
	case sp.Status == traceview.StatusOK:
		facts = append(facts, "status ok")
	}
	if sp.Critical {
		facts = append(facts, "on the critical path")
	}
	if sp.Async {
		facts = append(facts, "after the response")
	}
	return strings.Join(facts, " · ")
}

func eventLine(e traceview.ViewEvent) string {
	if e.Name == "exception" {
		return fmt.Sprintf("+%s ! exception %s: %s", fmtMS(e.OffsetMS), e.Attributes["exception.type"], e.Attributes["exception.message"])
	}
	return fmt.Sprintf("+%s • %s%s", fmtMS(e.OffsetMS), e.Name, fieldText(e.Attributes))
}

// logLine is a log line with its offset in the trace, its level and all
// its fields, the error first.
func logLine(l traceview.ViewLog) string {
	return fmt.Sprintf("│ +%s %-5s %s%s", fmtMS(l.OffsetMS), strings.ToUpper(l.Level), l.Msg, fieldText(l.Fields))
}

func fieldText(m map[string]string) string {
	var b strings.Builder
	if e, ok := m["error"]; ok {
		b.WriteString(" error=" + e)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "error" {
			b.WriteString(" " + k + "=" + m[k])
		}
	}
	return b.String()
}
