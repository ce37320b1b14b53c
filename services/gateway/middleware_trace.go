package gateway

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TraceIDHeader is the response header that names the request's trace, so
// that a user or the load generator can look it up.
const TraceIDHeader = "X-Trace-Id"

// traceRequests opens the request's server span. It is named
// "METHOD /route/template" once the route is known, never after the raw
// path, which would make every product its own span name.
func traceRequests(tracer trace.Tracer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := methodLabel(r.Method)
			attrs := []attribute.KeyValue{
				semconv.HTTPRequestMethodKey.String(method),
				semconv.URLPath(r.URL.Path),
				attribute.String(telemetry.RegionAttribute, regionLabel(r)),
			}
			if method != r.Method {
				attrs = append(attrs, semconv.HTTPRequestMethodOriginal(r.Method))
			}
			if ua := r.UserAgent(); ua != "" {
				attrs = append(attrs, semconv.UserAgentOriginal(ua))
			}
			ctx, span := tracer.Start(r.Context(), method,
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attrs...),
			)
			defer span.End()
			w.Header().Set(TraceIDHeader, span.SpanContext().TraceID().String())

			sw := captureStatus(w)
			next.ServeHTTP(sw, r.WithContext(ctx))

			// No http.route for an unmatched request, as the conventions say;
			// its name stays the bare method.
			if route := routeOf(r); route != routeUnmatched {
				span.SetName(method + " " + route)
				span.SetAttributes(semconv.HTTPRoute(route))
			}
			code := sw.code()
			span.SetAttributes(semconv.HTTPResponseStatusCode(code))
			if code >= 500 {
				span.SetStatus(codes.Error, http.StatusText(code))
			}
		})
	}
}
