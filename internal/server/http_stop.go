package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// shuttingDownRetryAfter is the Retry-After, in seconds, of the 503 a
// draining server answers: a restarted lab is back within seconds.
const shuttingDownRetryAfter = 5

// stopping is an HTTP server's own view of its stop, reachable from its
// requests' contexts: whether it drains, how many requests it still
// serves, and when it cuts them.
type stopping struct {
	mu       sync.Mutex
	inFlight int
	draining bool
	// idle is closed once the server drains and no request is in flight.
	idle chan struct{}

	hard context.Context
	cut  context.CancelFunc
}

func newStopping() *stopping {
	hard, cut := context.WithCancel(context.Background())
	return &stopping{idle: make(chan struct{}), hard: hard, cut: cut}
}

type stoppingKey struct{}

// begin counts a request in, unless the server already drains.
func (s *stopping) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.inFlight++
	return true
}

func (s *stopping) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.draining && s.inFlight == 0 {
		close(s.idle)
	}
}

// drain turns new requests away from now on and returns a channel closed
// once the last request in flight has ended.
func (s *stopping) drain() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.draining {
		s.draining = true
		if s.inFlight == 0 {
			close(s.idle)
		}
	}
	return s.idle
}

// cutNow ends the drain: HardStop's context ends, and the requests still
// in flight, whose number it returns, are on their own. They are counted
// before the cut: a cut request answers at once, and counted after, it
// could already be gone and the cut unreported.
func (s *stopping) cutNow() int {
	s.mu.Lock()
	n := s.inFlight
	s.mu.Unlock()
	s.cut()
	return n
}

func (s *stopping) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// gate counts the requests in flight and, once the server drains, answers
// new ones 503 at once. The listener stays open while the server drains:
// a client or probe learns that the server is stopping, and for how long
// to stay away, instead of meeting a refused connection. The admin
// endpoints pass: /metrics keeps being scraped, /livez still answers 200
// (a draining process is alive: a liveness probe must not kill it
// mid-drain) and /healthz says "draining" (AdminRoutes).
func (s *stopping) gate(next http.Handler) http.Handler {
	body := errorJSON(CodeShuttingDown, "the server is shutting down; retry in a few seconds")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAdminRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		if !s.begin() {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Retry-After", strconv.Itoa(shuttingDownRetryAfter))
			h.Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			// The client may be gone already; there is no one to tell.
			_, _ = w.Write(body)
			return
		}
		defer s.end()
		next.ServeHTTP(w, r)
	})
}

// Draining reports whether the server serving the request of ctx has
// begun to stop.
func Draining(ctx context.Context) bool {
	s, ok := ctx.Value(stoppingKey{}).(*stopping)
	return ok && s.isDraining()
}

// HardStop returns a context that ends when the server serving the
// request of ctx gives up draining: the requests still in flight then are
// cut, and whoever can still answer them should (the gateway answers 503).
// ok is false for a request not served by ServeHTTPWith.
func HardStop(ctx context.Context) (hard context.Context, ok bool) {
	s, ok := ctx.Value(stoppingKey{}).(*stopping)
	if !ok {
		return nil, false
	}
	return s.hard, true
}

// errorJSON is the error body every ShopLab HTTP server answers with,
// newline-terminated.
func errorJSON(code, message string) []byte {
	body, err := json.Marshal(map[string]map[string]string{"error": {"code": code, "message": message}})
	if err != nil {
		// A map of strings always marshals; keep the answer well-formed
		// regardless.
		body = []byte(`{"error":{"code":"` + code + `","message":"error"}}`)
	}
	return append(body, '\n')
}
