package gateway

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// requestState carries what the handlers learn back out to the
// middleware that reports the request: for its log line, what went wrong
// deeper down; for the per-user counter, whose request it was.
type requestState struct {
	code   string
	cause  error
	userID string
}

type requestStateKey struct{}

// withRequestState returns the request's state, made by the outermost
// middleware that asks: the metrics and the log line share one.
func withRequestState(ctx context.Context) (context.Context, *requestState) {
	if s, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		return ctx, s
	}
	s := &requestState{}
	return context.WithValue(ctx, requestStateKey{}, s), s
}

// noteCaller records that the request is userID's.
func noteCaller(ctx context.Context, userID string) {
	if s, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		s.userID = userID
	}
}

// noteError records e on the request's state and span, so that the log
// line and the trace show why the request failed.
func noteError(ctx context.Context, e apiError) {
	if s, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		s.code, s.cause = e.Code, e.Cause
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("shoplab.error.code", e.Code))
}
