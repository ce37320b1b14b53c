package traceview

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Marks of the waterfall.
const (
	critMark    = "*"
	barCritical = '█'
	barOther    = '░'
	barWaiting  = '·'
	markError   = "✗"
)

// MinWidth is the narrowest width Lines lays out for; a narrower one is
// treated as MinWidth.
const MinWidth = 60

// WriteJSON writes v as indented JSON (the shoplab.trace/v1 schema).
func (v *View) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes v as a waterfall width columns wide.
func (v *View) WriteText(w io.Writer, width int) error {
	_, err := io.WriteString(w, strings.Join(v.Lines(width), "\n")+"\n")
	return err
}

// layout is the waterfall's columns for one width.
type layout struct {
	width, name, bar int
}

const (
	colService = 12
	colTime    = 8
)

func newLayout(width int) layout {
	width = max(width, MinWidth)
	l := layout{width: width, name: max(24+(width-80)/4, 12)}
	// mark 2, name, sp, service, sp, start, sp, took, 2 sp, bar, sp, status.
	l.bar = width - (2 + l.name + 1 + colService + 1 + colTime + 1 + colTime + 2 + 1 + 1)
	return l
}

// Lines renders v as a waterfall width columns wide: a header, one line
// per span (indented by parent, its bar to scale over the whole trace),
// under each span its key attributes, events and log lines, then the
// asynchronous part under a line that says how long the order event
// waited, and a legend. No line is longer than width.
func (v *View) Lines(width int) []string {
	lines, _ := v.SpanLines(width)
	return lines
}

// SpanLines is Lines with, for each span of v.Spans in order, the index
// of its line: what a screen that selects spans needs.
func (v *View) SpanLines(width int) (lines []string, spanAt []int) {
	l := newLayout(width)
	var out []string
	emit := func(s string) { out = append(out, fit(s, l.width)) }
	if len(v.Spans) == 0 {
		emit(fmt.Sprintf("Trace %s: no spans", v.TraceID))
		for _, w := range v.Warnings {
			emit("! " + w)
		}
		return out, nil
	}

	emit(fmt.Sprintf("Trace %s: %s", v.TraceID, v.Root))
	summary := fmt.Sprintf("response %s, end to end %s · %d spans in %d services", fmtMS(v.ResponseMS), fmtMS(v.DurationMS), v.SpanCount, len(v.Services))
	if v.Errors > 0 {
		summary += fmt.Sprintf(" · %d failed %s", v.Errors, plural(v.Errors, "span", "spans"))
	}
	emit(summary)
	if v.Partial {
		emit("! Tempo returned part of this trace only: " + v.PartialMessage)
	}
	emit("")
	emit(l.header(v.DurationMS))

	attrs := make(map[string]map[string]string, len(v.Spans))
	for _, s := range v.Spans {
		attrs[s.SpanID] = s.Attributes
	}
	asyncShown := false
	for _, s := range v.Spans {
		if s.Async && !asyncShown && v.Async != nil {
			asyncShown = true
			emit(l.rule(asyncHeading(v.Async)))
		}
		spanAt = append(spanAt, len(out))
		emit(l.spanLine(s, v.DurationMS))
		indent := strings.Repeat(" ", 2+2*s.Depth+2)
		if a := keyAttributes(s, attrs[s.ParentID]); len(a) > 0 {
			emit(indent + strings.Join(a, " · "))
		}
		for _, e := range s.Events {
			emit(indent + eventText(e))
		}
		for _, lg := range s.Logs {
			emit(indent + "│ " + logText(lg, false))
		}
	}
	if len(v.UnattachedLogs) > 0 {
		emit(l.rule("log lines of spans not in the trace"))
		for _, lg := range v.UnattachedLogs {
			emit("  │ " + logText(lg, true))
		}
	}
	emit("")
	for _, w := range v.Warnings {
		emit("! " + w)
	}
	emit(fmt.Sprintf("%s critical path  %c critical  %c other  %c waiting (outbox, Kafka, queue)  %s failed",
		critMark, barCritical, barOther, barWaiting, markError))
	return out, spanAt
}

func (l layout) header(totalMS float64) string {
	scale := "0" + pad(fmtMS(totalMS), l.bar-1, true)
	return "  " + pad("SPAN", l.name, false) + " " + pad("SERVICE", colService, false) + " " +
		pad("START", colTime, true) + " " + pad("TOOK", colTime, true) + "  " + scale
}

// rule is a heading across the whole width.
func (l layout) rule(title string) string {
	s := "── " + title + " "
	return s + strings.Repeat("─", max(l.width-utf8.RuneCountInString(s), 2))
}

func (l layout) spanLine(s ViewSpan, totalMS float64) string {
	mark := " "
	if s.Critical {
		mark = critMark
	}
	indent := strings.Repeat("  ", s.Depth)
	name := indent + shortName(s.Name, l.name-len(indent))
	status := " "
	if s.Status == StatusError {
		status = markError
	}
	return mark + " " + pad(name, l.name, false) + " " + pad(s.Service, colService, false) + " " +
		pad(fmtMS(s.OffsetMS), colTime, true) + " " + pad(fmtMS(s.DurationMS), colTime, true) + "  " +
		bar(s, totalMS, l.bar) + " " + status
}

// bar draws the span over the whole trace's time, cells cols wide, and
// the wait before it when it has one.
func bar(s ViewSpan, totalMS float64, cols int) string {
	cells := []rune(strings.Repeat(" ", cols))
	cell := func(atMS float64, up bool) int {
		if totalMS <= 0 {
			return 0
		}
		x := atMS / totalMS * float64(cols)
		if up {
			return min(int(math.Ceil(x)), cols)
		}
		return min(int(math.Floor(x)), cols-1)
	}
	if s.Wait != nil && s.Wait.MS > 0 {
		for i := cell(s.OffsetMS-s.Wait.MS, false); i < cell(s.OffsetMS, false); i++ {
			cells[i] = barWaiting
		}
	}
	fill := barOther
	if s.Critical {
		fill = barCritical
	}
	from := cell(s.OffsetMS, false)
	to := max(cell(s.OffsetMS+s.DurationMS, true), from+1)
	for i := from; i < to; i++ {
		cells[i] = fill
	}
	return string(cells)
}

// shortName drops the package of a gRPC method's name
// ("shop.v1.Catalog/ReserveStock" is "Catalog/ReserveStock") when the
// whole name does not fit in n columns.
func shortName(name string, n int) string {
	slash := strings.IndexByte(name, '/')
	if utf8.RuneCountInString(name) <= n || slash < 0 || strings.ContainsRune(name[:slash], ' ') {
		return name
	}
	if dot := strings.LastIndexByte(name[:slash], '.'); dot >= 0 {
		return name[dot+1:]
	}
	return name
}

func asyncHeading(a *Async) string {
	var waits []string
	if a.OutboxMS != nil {
		waits = append(waits, "outbox "+fmtMS(*a.OutboxMS))
	}
	if a.KafkaMS != nil {
		waits = append(waits, "Kafka "+fmtMS(*a.KafkaMS))
	}
	h := "after the response: +" + fmtMS(a.AfterResponseMS)
	if len(waits) > 0 {
		h += " in outbox/Kafka (" + strings.Join(waits, ", ") + ")"
	}
	return h
}

// keyAttributes are the attributes worth a glance, in a fixed order. A
// value that is the span's whole name is left out (a gRPC span is named
// after its method), and so is a region that is the parent's.
func keyAttributes(s ViewSpan, parent map[string]string) []string {
	a := s.Attributes
	var out []string
	add := func(label, key string) {
		if val := a[key]; val != "" && val != s.Name {
			out = append(out, label+val)
		}
	}
	add("route ", "http.route")
	add("HTTP ", "http.response.status_code")
	add("rpc ", "rpc.method")
	if c := a["rpc.response.status_code"]; c != "" && c != "OK" {
		out = append(out, "gRPC "+c)
	}
	add("topic ", "messaging.destination.name")
	if w := s.Wait; w != nil {
		switch w.Where {
		case "outbox":
			out = append(out, "waited "+fmtMS(w.MS)+" in the outbox")
		case "kafka":
			out = append(out, "waited "+fmtMS(w.MS)+" in Kafka")
		default:
			out = append(out, "queued "+fmtMS(w.MS))
		}
	}
	if r := a["shoplab.region"]; r != "" && r != parent["shoplab.region"] {
		out = append(out, "region "+r)
	}
	add("fault ", "shoplab.fault")
	add("error code ", "shoplab.error.code")
	if s.Status == StatusError && s.StatusMessage != "" {
		out = append(out, markError+" "+s.StatusMessage)
	}
	if s.ParentMissing {
		out = append(out, "parent "+s.ParentID+" not in the trace")
	}
	return out
}

func eventText(e ViewEvent) string {
	if e.Name == "exception" {
		t := "! exception"
		if typ := e.Attributes["exception.type"]; typ != "" {
			t += " " + typ
		}
		return t + ": " + e.Attributes["exception.message"]
	}
	return "• " + e.Name + fields(e.Attributes, nil)
}

// logText is a log line: level, message and its fields, the error first;
// region is left out, the span shows it.
func logText(lg ViewLog, withService bool) string {
	t := pad(strings.ToUpper(lg.Level), 5, false) + " "
	if withService {
		t += lg.Service + ": "
	}
	return t + lg.Msg + fields(lg.Fields, []string{"error"})
}

// fields writes m as " k=v k=v": the keys in first, then the others in
// order.
func fields(m map[string]string, first []string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "region" && !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range append(slices.Clone(first), keys...) {
		if v, ok := m[k]; ok {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	return b.String()
}

// fmtMS writes a duration in milliseconds with three significant digits.
func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	case v < 10_000:
		return fmt.Sprintf("%.2fs", v/1000)
	case v < 100_000:
		return fmt.Sprintf("%.1fs", v/1000)
	}
	return fmt.Sprintf("%.0fs", v/1000)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// pad fits s into n columns: cut with an ellipsis, or padded (on the left
// when right is set).
func pad(s string, n int, right bool) string {
	c := utf8.RuneCountInString(s)
	if c > n {
		return cut(s, n)
	}
	if right {
		return strings.Repeat(" ", n-c) + s
	}
	return s + strings.Repeat(" ", n-c)
}

func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fit cuts a line to width and drops its trailing blanks.
func fit(s string, width int) string {
	return strings.TrimRight(cut(s, width), " ")
}
