package gateway

import (
	"log/slog"
	"net/http"
	"time"
)

// logRequests writes one line per request, with the request's context so
// that the line carries its trace ID, span ID and region. A 5xx is logged
// at error level with the cause the client was not shown.
func logRequests(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx, state := withRequestState(r.Context())
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
			sw := captureStatus(w)
			next.ServeHTTP(sw, r)

			code := sw.code()
			level := slog.LevelInfo
			if code >= 500 {
				level = slog.LevelError
			}
			if !log.Enabled(ctx, level) {
				return
			}
			// slog.Attrs, not alternating keys and values: no value is
			// boxed into an interface.
			attrs := [7]slog.Attr{
				slog.String("method", r.Method),
				slog.String("route", routeOf(r)),
				slog.String("path", r.URL.Path),
				slog.Int("status", code),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			}
			n := 5
			if state.code != "" {
				attrs[n] = slog.String("error_code", state.code)
				n++
			}
			if state.cause != nil {
				attrs[n] = slog.String("error", state.cause.Error())
				n++
			}
			log.LogAttrs(ctx, level, "http request handled", attrs[:n]...)
		})
	}
}
