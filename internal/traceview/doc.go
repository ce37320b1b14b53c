// Package traceview fetches one trace with its log lines and shows it as a
// waterfall: what `shoplab trace ID` prints and the TUI's trace screen
// shows.
//
// A Source finds a trace by ID. Local reads what local mode records
// itself: every service's spans in <logDir>/spans/<service>.jsonl
// (OTLP/JSON lines, written by package telemetry when Config.SpanDir is
// set) and its log lines in <logDir>/<service>.log. Compose reads the
// stack's Tempo (GET /api/v2/traces/<id>) and Loki (query_range).
//
// Analyze turns a Trace into a View: spans in tree order with their
// offsets, the critical path, the asynchronous part after the response
// and the time the order event waited in the outbox and in Kafka. A View
// renders as text for a terminal width (WriteText) or as JSON (the
// shoplab.trace/v1 schema, WriteJSON).
//
// Errors say which of the distinct failures happened (ErrMalformedID,
// ErrNotFound, ErrUnavailable, ErrNoLoadRun); ExitCode maps them to the
// command's exit codes.
package traceview
