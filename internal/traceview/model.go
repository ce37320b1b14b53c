package traceview

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Source finds a trace by its ID (lowercase hex, see ParseTraceID).
type Source interface {
	Trace(ctx context.Context, traceID string) (*Trace, error)
}

// Trace is every span of one trace that the store has, with the log lines
// that carry its trace ID.
type Trace struct {
	TraceID string
	// Spans in no particular order; Analyze orders them.
	Spans []*Span
	// Logs are the trace's log lines whose span_id names no span of the
	// trace (the span has not arrived, or the line was logged outside
	// one). The others are in their span's Logs.
	Logs []LogLine
	// Partial is set when the store says it returned only part of the
	// trace (Tempo's v2 status PARTIAL), with its reason.
	Partial        bool
	PartialMessage string
	// Warnings are problems that did not stop the trace from being shown,
	// such as the log store being down.
	Warnings []string
}

// Span is one span as the stores keep it.
type Span struct {
	SpanID   string
	ParentID string
	Service  string
	Name     string
	// Kind is server, client, producer, consumer, internal or "".
	Kind       string
	Start, End time.Time
	// Status is "error", "ok" or "" (unset).
	Status        string
	StatusMessage string
	// Attributes have their values written as text.
	Attributes map[string]string
	Events     []Event
	Logs       []LogLine
}

// Duration is how long the span took.
func (s *Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Failed reports whether the span's status is error.
func (s *Span) Failed() bool { return s.Status == StatusError }

// Span statuses.
const (
	StatusError = "error"
	StatusOK    = "ok"
)

// Event is a span event, such as a recorded exception.
type Event struct {
	Time       time.Time
	Name       string
	Attributes map[string]string
}

// LogLine is one JSON log line of a service.
type LogLine struct {
	Time    time.Time
	Level   string
	Msg     string
	Service string
	SpanID  string
	// Fields are the line's other fields (not time, level, msg, service,
	// trace_id, span_id), as text.
	Fields map[string]string
}

// attachLogs puts each line under the span its span_id names and keeps
// the rest in t.Logs, every list in time order.
func (t *Trace) attachLogs(lines []LogLine) {
	byID := make(map[string]*Span, len(t.Spans))
	for _, s := range t.Spans {
		byID[s.SpanID] = s
	}
	for _, l := range lines {
		if s := byID[l.SpanID]; s != nil {
			s.Logs = append(s.Logs, l)
		} else {
			t.Logs = append(t.Logs, l)
		}
	}
	byTime := func(a, b LogLine) int { return a.Time.Compare(b.Time) }
	for _, s := range t.Spans {
		slices.SortStableFunc(s.Logs, byTime)
	}
	slices.SortStableFunc(t.Logs, byTime)
}

// dedupe drops repeated copies of a span (a store may hold a span twice,
// e.g. in a rotated file and, after a retry, in the current one).
func (t *Trace) dedupe() {
	slices.SortStableFunc(t.Spans, func(a, b *Span) int { return cmp.Compare(a.SpanID, b.SpanID) })
	t.Spans = slices.CompactFunc(t.Spans, func(a, b *Span) bool { return a.SpanID == b.SpanID })
}
