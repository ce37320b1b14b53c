package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// longGrace is a grace no test waits for: a stop that returns within
// patience was ended by its drain or its Drain's deadline, not by it.
const longGrace = 3 * patience

// stoppable runs serve until the test calls stop, and reports its result.
type stoppable struct {
	drain *Drain
	stopc context.CancelFunc
	done  chan struct{}
	err   error
}

func startServing(t *testing.T, serve func(ctx context.Context) error) *stoppable {
	t.Helper()
	s := &stoppable{drain: &Drain{}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(WithDrain(context.Background(), s.drain))
	s.stopc = cancel
	go func() {
		defer close(s.done)
		s.err = serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(longGrace + patience):
		}
	})
	return s
}

// stop begins the stop; cutIn, if positive, is the drain's time left.
func (s *stoppable) stop(cutIn time.Duration) {
	if cutIn > 0 {
		now := time.Now()
		s.drain.SetDeadlines(now.Add(cutIn), now.Add(cutIn+500*time.Millisecond))
	}
	s.stopc()
}

// result waits for the server to return, for at most patience.
func (s *stoppable) result(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(patience):
		t.Fatalf("server still running %s after its stop began", patience)
		return nil
	}
}

// TestServeGRPCStop: once a gRPC server stops, its health service answers
// NOT_SERVING to whoever watches it, while the calls in flight, here the
// watch itself, may finish; a call still running when the Drain's
// deadline comes is cut and the stop says so.
func TestServeGRPCStop(t *testing.T) {
	tests := []struct {
		name string
		// cutIn is the drain's time; 0 lets the watch end by itself.
		cutIn   time.Duration
		wantCut bool
	}{
		{name: "drained", wantCut: false},
		{name: "cut at the drain's deadline", cutIn: 300 * time.Millisecond, wantCut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "catalog"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tel.Shutdown(context.Background()) })
			gs, hs, err := NewGRPCServer(tel, func(*grpc.Server) {})
			if err != nil {
				t.Fatal(err)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := startServing(t, func(ctx context.Context) error { return ServeGRPC(ctx, lis, gs, hs, longGrace) })
			metrics, err := NewClientMetrics(tel)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := Dial(tel, metrics, lis.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })

			wctx, endWatch := context.WithTimeout(context.Background(), patience)
			defer endWatch()
			watch, err := healthpb.NewHealthClient(conn).Watch(wctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := watch.Recv(); err != nil || got.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("before the stop: %v, %v; want SERVING", got.GetStatus(), err)
			}

			srv.stop(tt.cutIn)
			got, err := watch.Recv()
			if err != nil || got.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
				t.Fatalf("once draining: %v, %v; want NOT_SERVING", got.GetStatus(), err)
			}
			if !tt.wantCut {
				endWatch()
			}
			err = srv.result(t)
			if gotCut := errors.Is(err, ErrCut); gotCut != tt.wantCut {
				t.Fatalf("ServeGRPC = %v, want a cut: %v", err, tt.wantCut)
			}
			if tt.wantCut {
				if _, err := watch.Recv(); err == nil {
					t.Fatal("the cut watch is still open")
				}
			}
		})
	}
}

// drainMux serves the admin routes and /slow, which holds each request
// until released or cut, and tells started when it holds one. A cut
// request is answered 503 by the handler itself, as the gateway does.
func drainMux(t *testing.T, started chan<- struct{}, release <-chan struct{}) http.Handler {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	mux := http.NewServeMux()
	AdminRoutes(mux, tel, nil)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		var cut <-chan struct{}
		if hard, ok := HardStop(r.Context()); ok {
			cut = hard.Done()
		} else {
			t.Error("a request served by ServeHTTPWith has no HardStop")
		}
		select {
		case <-release:
			io.WriteString(w, "done")
		case <-cut:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "cut")
		case <-r.Context().Done():
		}
	})
	return mux
}

type answer struct {
	status int
	body   string
	err    error
}

func fetch(url string) answer {
	resp, err := http.Get(url)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), err: err}
}

// TestServeHTTPDrains: a stopping HTTP server keeps its listener while
// the requests in flight finish: /healthz answers 503 "draining" (/livez
// still 200), a new request 503 shutting_down with Connection: close, and
// the request in flight its own answer.
func TestServeHTTPDrains(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	h := drainMux(t, started, release)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + lis.Addr().String()
	srv := startServing(t, func(ctx context.Context) error {
		return ServeHTTPWith(ctx, lis, h, HTTPOptions{Grace: longGrace})
	})
	held := make(chan answer, 1)
	go func() { held <- fetch(base + "/slow") }()
	<-started

	srv.stop(0)
	testkit.WaitFor(t, patience, "/healthz to answer 503 draining", func() bool {
		a := fetch(base + "/healthz")
		var body struct{ Status string }
		json.Unmarshal([]byte(a.body), &body)
		return a.status == http.StatusServiceUnavailable && body.Status == "draining"
	})
	resp, err := http.Get(base + "/slow")
	if err != nil {
		t.Fatalf("a new request while draining: %v, want a 503", err)
	}
	var body struct{ Error struct{ Code string } }
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != CodeShuttingDown || !resp.Close || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a new request while draining: %d %+v (%v), close %v, Retry-After %q; want 503 %s, Connection: close, Retry-After",
			resp.StatusCode, body, err, resp.Close, resp.Header.Get("Retry-After"), CodeShuttingDown)
	}
	if a := fetch(base + "/metrics"); a.status != http.StatusOK {
		t.Errorf("/metrics while draining: %d %v, want 200", a.status, a.err)
	}
	// A liveness probe must not have a draining process killed.
	if a := fetch(base + LivePath); a.status != http.StatusOK {
		t.Errorf("/livez while draining: %d %q %v, want 200", a.status, a.body, a.err)
	}

	close(release)
	if a := <-held; a.err != nil || a.status != http.StatusOK || a.body != "done" {
		t.Fatalf("the request in flight: %+v, want 200 done", a)
	}
	if err := srv.result(t); err != nil {
		t.Fatalf("ServeHTTPWith after a full drain: %v", err)
	}
}

// TestServeHTTPCut: a request still running when the Drain's deadline
// comes is cut, long before the server's own grace; a handler that
// watches HardStop can still answer it, and the stop reports the cut.
func TestServeHTTPCut(t *testing.T) {
	started := make(chan struct{}, 1)
	h := drainMux(t, started, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServing(t, func(ctx context.Context) error {
		return ServeHTTPWith(ctx, lis, h, HTTPOptions{Grace: longGrace})
	})
	held := make(chan answer, 1)
	go func() { held <- fetch("http://" + lis.Addr().String() + "/slow") }()
	<-started

	srv.stop(300 * time.Millisecond)
	if err := srv.result(t); !errors.Is(err, ErrCut) {
		t.Fatalf("ServeHTTPWith = %v, want an error wrapping ErrCut", err)
	}
	if a := <-held; a.err != nil || a.status != http.StatusServiceUnavailable || a.body != "cut" {
		t.Fatalf("the cut request: %+v, want the handler's 503 cut", a)
	}
}
