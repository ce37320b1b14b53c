package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/shoplab/shoplab/internal/server"
)

// errCutWriter is what a cut request's handler gets for its late writes.
var errCutWriter = errors.New("the answer was cut: the server stopped before the handler answered")

// shuttingDownError is the answer of a request cut by the server's stop.
var shuttingDownError = apiError{
	Status:  http.StatusServiceUnavailable,
	Code:    CodeShuttingDown,
	Message: "the shop stopped before this request finished; retry once it is back",
	Cause:   server.ErrCut,
}

// answerAtHardStop gives a request still running when the server's drain
// runs out (server.HardStop) an answer, 503 shutting_down with
// Connection: close, instead of a connection closed under it. The handler
// is then cancelled, so that its downstream calls end and its spans are
// exported with the stop's flush; whatever it writes later is dropped.
//
// A handler that has begun its answer is left to finish it: the gateway's
// handlers write each answer in one go after their downstream calls, so
// that moment is short. Not buffering answers keeps the cost to a header
// copy, a context and a mutex per request (BenchmarkAnswerAtHardStop); it
// is paid only here, at the shop's public entry point.
func answerAtHardStop(next http.Handler) http.Handler {
	body := append(mustJSON(errorBody{Error: errorDetail{Code: shuttingDownError.Code, Message: shuttingDownError.Message}}), '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hard, ok := server.HardStop(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		cw := &cutWriter{w: w, header: w.Header().Clone()}
		cutDone := make(chan struct{})
		stop := context.AfterFunc(hard, func() {
			defer close(cutDone)
			if cw.cut(body) {
				cancel()
			}
		})
		defer func() {
			if !stop() {
				<-cutDone
			}
			if cw.wasCut() {
				// After the handler, so that this note, not the handler's
				// late one, is the request's log line and span.
				noteError(r.Context(), shuttingDownError)
			}
		}()
		next.ServeHTTP(cw, r.WithContext(ctx))
	})
}

// mustJSON marshals a fixed error body.
func mustJSON(v errorBody) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// errorBody is two strings: it always marshals.
		return []byte(`{"error":{"code":"` + v.Error.Code + `","message":"` + v.Error.Code + `"}}`)
	}
	return b
}

// cutWriter passes a handler's answer through to w until the server's
// hard stop cuts it. The handler writes its headers into its own map,
// copied to w when the answer begins, so that the cut, which runs on
// another goroutine, never shares a map with it.
type cutWriter struct {
	w      http.ResponseWriter
	header http.Header

	mu      sync.Mutex
	started bool
	isCut   bool
}

func (c *cutWriter) Header() http.Header { return c.header }

func (c *cutWriter) WriteHeader(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isCut {
		return
	}
	c.begin()
	c.w.WriteHeader(code)
}

func (c *cutWriter) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isCut {
		return 0, errCutWriter
	}
	c.begin()
	return c.w.Write(b)
}

// begin copies the handler's headers to w as the answer starts. c.mu is
// held.
func (c *cutWriter) begin() {
	if c.started {
		return
	}
	c.started = true
	dst := c.w.Header()
	for k := range dst {
		if _, ok := c.header[k]; !ok {
			delete(dst, k)
		}
	}
	for k, v := range c.header {
		dst[k] = v
	}
}

// cut answers 503 with body in the handler's place, unless the handler's
// answer has begun, and reports whether it did.
func (c *cutWriter) cut(body []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return false
	}
	c.started, c.isCut = true, true
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Connection", "close")
	// With its length known the answer is complete once flushed, even if
	// the connection is closed right after.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(shuttingDownError.Status)
	// The client may be gone already; there is no one to tell.
	_, _ = c.w.Write(body)
	_ = http.NewResponseController(c.w).Flush()
	return true
}

func (c *cutWriter) wasCut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.isCut
}
