package traceview

import "time"

// Schema names the layout of View's JSON; it changes only when a field
// changes meaning or goes away.
const Schema = "shoplab.trace/v1"

// View is a trace laid out for reading: `shoplab trace --json` prints it.
// Times are milliseconds; offsets count from the trace's first span.
type View struct {
	Schema  string    `json:"schema"`
	TraceID string    `json:"trace_id"`
	Start   time.Time `json:"start"`
	// Root is the name of the span the trace starts with: the request.
	Root string `json:"root"`
	// ResponseMS is the root span's duration: how long the caller waited.
	ResponseMS float64 `json:"response_ms"`
	// DurationMS runs from the first span's start to the last one's end,
	// the asynchronous part included.
	DurationMS float64  `json:"duration_ms"`
	Services   []string `json:"services"`
	SpanCount  int      `json:"span_count"`
	// Errors counts the spans whose status is error.
	Errors int `json:"errors"`
	// Async summarises the part after the response; nil when the trace has
	// none.
	Async *Async `json:"async,omitempty"`
	// Spans in display order: the request's tree depth first, then the
	// asynchronous part's (Span.Async).
	Spans []ViewSpan `json:"spans"`
	// UnattachedLogs carry the trace ID but name no span of the trace.
	UnattachedLogs []ViewLog `json:"unattached_logs,omitempty"`
	Partial        bool      `json:"partial,omitempty"`
	PartialMessage string    `json:"partial_message,omitempty"`
	Warnings       []string  `json:"warnings,omitempty"`
}

// Async is the part of the trace that runs after the response: the order
// event relayed from the outbox, through Kafka, to the e-mail.
type Async struct {
	// AfterResponseMS is from the response to when the first consumer
	// (else the first asynchronous span) started.
	AfterResponseMS float64 `json:"after_response_ms"`
	// OutboxMS and KafkaMS are the first producer's and first consumer's
	// waits (ViewSpan.Wait), when the trace has them.
	OutboxMS *float64 `json:"outbox_ms,omitempty"`
	KafkaMS  *float64 `json:"kafka_ms,omitempty"`
	// EndMS is the offset at which the last asynchronous span ended.
	EndMS float64 `json:"end_ms"`
	// Continues is the span ID the asynchronous part hangs under.
	Continues string `json:"continues,omitempty"`
}

// ViewSpan is one span of a View.
type ViewSpan struct {
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	// Depth is the indentation: 0 for the root and for the top of the
	// asynchronous part.
	Depth   int    `json:"depth"`
	Service string `json:"service"`
	Name    string `json:"name"`
	// Kind is server, client, producer, consumer, internal or "".
	Kind       string  `json:"kind,omitempty"`
	OffsetMS   float64 `json:"offset_ms"`
	DurationMS float64 `json:"duration_ms"`
	// Status is "ok", "error" or "unset".
	Status        string `json:"status"`
	StatusMessage string `json:"status_message,omitempty"`
	// Critical marks the critical path: the spans whose time the request
	// (or, in the asynchronous part, the e-mail) waited for.
	Critical bool `json:"critical"`
	// Async marks the spans after the hand-off to the outbox and Kafka.
	Async bool `json:"async"`
	// Wait is the time between the parent's end and this span's start,
	// for a span that continues work its parent handed off.
	Wait *Wait `json:"wait,omitempty"`
	// ParentMissing is set when the span names a parent the trace lacks
	// (except for the root, whose parent is usually the caller's).
	ParentMissing bool              `json:"parent_missing,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	Events        []ViewEvent       `json:"events,omitempty"`
	Logs          []ViewLog         `json:"logs,omitempty"`
}

// Wait is time a piece of work spent waiting between two spans.
type Wait struct {
	// Where is "outbox" (a producer span: the event sat in the outbox
	// table until the relay published it), "kafka" (a consumer span: the
	// message sat in Kafka) or "queue" (any other span that starts after
	// its parent ended, e.g. the e-mail waiting in the send queue).
	Where string  `json:"where"`
	MS    float64 `json:"ms"`
}

// ViewEvent is a span event.
type ViewEvent struct {
	OffsetMS   float64           `json:"offset_ms"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ViewLog is a log line.
type ViewLog struct {
	OffsetMS float64           `json:"offset_ms"`
	Time     time.Time         `json:"time"`
	Level    string            `json:"level"`
	Msg      string            `json:"msg"`
	Service  string            `json:"service"`
	SpanID   string            `json:"span_id,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}
