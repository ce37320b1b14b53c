package gateway

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// requestState collects, for the request's single log line, what went
// wrong deeper down.
type requestState struct {
	code  string
	cause error
}

type requestStateKey struct{}

func withRequestState(ctx context.Context) (context.Context, *requestState) {
	s := &requestState{}
	return context.WithValue(ctx, requestStateKey{}, s), s
}

// noteError records e on the request's state and span, so that the log
// line and the trace show why the request failed.
func noteError(ctx context.Context, e apiError) {
	if s, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		s.code, s.cause = e.Code, e.Cause
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("shoplab.error.code", e.Code))
}
