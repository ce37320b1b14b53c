package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanics turns a handler's panic into a 500 answer and an error log
// line, so that one bad request cannot take the gateway down.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := captureStatus(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					// net/http's own signal to drop the connection silently.
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic in HTTP handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				e := internalError(fmt.Errorf("panic: %v", p))
				if sw.wroteHeader() {
					// Too late for an error body; the log line still tells.
					noteError(r.Context(), e)
					return
				}
				fail(log, sw, r, e)
			}()
			next.ServeHTTP(sw, r)
		})
	}
}
