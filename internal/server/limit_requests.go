package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// CodeOverloaded is the error code of the 503 a server answers when it
// already has MaxRequests requests in progress.
const CodeOverloaded = "overloaded"

// overloadRetryAfter is the Retry-After, in seconds, of that 503: most
// requests finish well within it.
const overloadRetryAfter = 1

// limitRequests answers 503 instead of starting more than n requests at
// once. It sheds rather than queues: a queue would only hold the excess
// until the client gave up, while a fast 503 tells it to back off.
func limitRequests(n int, next http.Handler) http.Handler {
	if n <= 0 {
		return next
	}
	sem := make(chan struct{}, n)
	body, err := json.Marshal(map[string]map[string]string{"error": {
		"code":    CodeOverloaded,
		"message": fmt.Sprintf("the server is handling its limit of %d requests; retry after %ds", n, overloadRetryAfter),
	}})
	if err != nil {
		// A map of strings always marshals; keep the answer well-formed
		// regardless.
		body = []byte(`{"error":{"code":"` + CodeOverloaded + `","message":"the server is overloaded"}}`)
	}
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAdminRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			next.ServeHTTP(w, r)
		default:
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Retry-After", strconv.Itoa(overloadRetryAfter))
			w.WriteHeader(http.StatusServiceUnavailable)
			// The client may be gone already; there is no one to tell.
			_, _ = w.Write(body)
		}
	})
}

// isAdminRequest reports whether r is one of AdminRoutes' endpoints. A
// profile is one too: an overload is when it is wanted. /livez must pass
// both the drain's gate and the request limit: a liveness probe refused
// while the process drains or sheds load would have it restarted.
func isAdminRequest(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch r.URL.Path {
	case "/metrics", LivePath, ReadyPath:
		return true
	}
	return isPprofRequest(r)
}
