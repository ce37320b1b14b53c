package catalog

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// querySpan starts the span of one SQL statement on the products table,
// named and attributed the way OpenTelemetry's database conventions name
// client calls ("SELECT products"), so that a trace shows each round trip
// to the database.
func (st *store) querySpan(ctx context.Context, query string) (context.Context, trace.Span) {
	return st.tracer.Start(ctx, "SELECT products", st.querySpanOptions(query)...)
}

// querySpanOptions are query's span options, built on its first call: a
// store runs a handful of fixed queries, each on every request.
func (st *store) querySpanOptions(query string) []trace.SpanStartOption {
	if opts, ok := st.spanOptions.Load(query); ok {
		return opts.([]trace.SpanStartOption)
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", st.system),
		attribute.String("db.operation.name", "SELECT"),
		attribute.String("db.collection.name", "products"),
		attribute.String("db.query.text", query),
	)}
	st.spanOptions.Store(query, opts)
	return opts
}

// endQuery ends a statement's span, marking it failed when err is.
func endQuery(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}

// stall waits d, or until ctx ends: what a query slowed by a missing index
// or a cold cache costs its caller.
func stall(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
