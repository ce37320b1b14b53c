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
			sw := captureStatus(w)
			next.ServeHTTP(sw, r.WithContext(ctx))

			code := sw.code()
			attrs := []any{
				"method", r.Method,
				"route", routeOf(r),
				"path", r.URL.Path,
				"status", code,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			}
			if state.code != "" {
				attrs = append(attrs, "error_code", state.code)
			}
			if state.cause != nil {
				attrs = append(attrs, "error", state.cause.Error())
			}
			level := slog.LevelInfo
			if code >= 500 {
				level = slog.LevelError
			}
			log.Log(ctx, level, "http request handled", attrs...)
		})
	}
}
