package catalog

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/database"
)

// querySpan starts the span of one SQL statement on the products table,
// named and attributed the way OpenTelemetry's database conventions name
// client calls ("SELECT products"), so that a trace shows each round trip
// to the database.
func (st *store) querySpan(ctx context.Context, query string) (context.Context, trace.Span) {
	return st.tracer.Start(ctx, "SELECT products", st.spanOptions[query]...)
}

// querySpanOptions are the span options of each of the store's queries,
// built once: they run on every request.
func querySpanOptions(d database.Dialect) map[string][]trace.SpanStartOption {
	system := semconv.DBSystemNameSQLite
	if d == database.Postgres {
		system = semconv.DBSystemNamePostgreSQL
	}
	opts := map[string][]trace.SpanStartOption{}
	for _, q := range []string{listProductsQuery, listNoStockQuery, stockQuery, getProductQuery} {
		opts[q] = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			system,
			semconv.DBOperationName("SELECT"),
			semconv.DBCollectionName("products"),
			semconv.DBQueryText(q),
		)}
	}
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
