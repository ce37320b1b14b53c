package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/testkit"
)

// stoppingGateway is the env's gateway served as the lab serves it, until
// the test stops it.
type stoppingGateway struct {
	url  string
	stop context.CancelFunc
	done chan struct{}
	err  error
}

func (e *testEnv) serveUntilStopped(t *testing.T, o server.HTTPOptions) *stoppingGateway {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stoppingGateway{url: "http://" + l.Addr().String(), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = server.ServeHTTPWith(ctx, l, e.gw.Handler(), o)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// result waits for the gateway to have stopped.
func (s *stoppingGateway) result(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(patience):
		t.Fatalf("gateway still serving %s after its stop began", patience)
		return nil
	}
}

// holdRequest sends a product listing that catalog holds for 20 s and
// returns once the gateway is handling it; the answer, or the error, comes
// on the channel.
func (e *testEnv) holdRequest(t *testing.T, ctx context.Context, base string) <-chan heldAnswer {
	t.Helper()
	out := make(chan heldAnswer, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/products", nil)
		if err != nil {
			out <- heldAnswer{err: err}
			return
		}
		req.Header.Set(fault.Header, "catalog:delay=20s")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- heldAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- heldAnswer{response: response{status: resp.StatusCode, header: resp.Header, body: b}, close: resp.Close, err: err}
	}()
	testkit.WaitFor(t, patience, "the held request in flight", func() bool {
		return testkit.MetricValue(t, e.tel.Registry, "shoplab_http_requests_in_flight", nil) == 1
	})
	return out
}

type heldAnswer struct {
	response
	close bool
	err   error
}

// TestStopAnswersRequestInFlight: a request still running when the
// gateway's drain runs out is answered 503 shutting_down with
// Connection: close, not left with a closed connection; its span and log
// line say so.
func TestStopAnswersRequestInFlight(t *testing.T) {
	env := newEnv(t, nil)
	gw := env.serveUntilStopped(t, server.HTTPOptions{Grace: 300 * time.Millisecond})
	held := env.holdRequest(t, t.Context(), gw.url)

	gw.stop()
	if err := gw.result(t); !errors.Is(err, server.ErrCut) {
		t.Errorf("ServeHTTPWith = %v, want an error wrapping server.ErrCut", err)
	}
	a := <-held
	if a.err != nil {
		t.Fatalf("the held request got no answer: %v", a.err)
	}
	if a.status != http.StatusServiceUnavailable || !a.close {
		t.Fatalf("the held request: %d (close %v) %s; want 503 and Connection: close", a.status, a.close, a.body)
	}
	if e := a.errorOf(t); e.Code != CodeShuttingDown {
		t.Fatalf("error code %q, want %q", e.Code, CodeShuttingDown)
	}

	traceID := a.header.Get(TraceIDHeader)
	var span bool
	for _, s := range env.spans.GetSpans() {
		if s.SpanKind != trace.SpanKindServer || s.SpanContext.TraceID().String() != traceID {
			continue
		}
		span = true
		for _, kv := range s.Attributes {
			if kv.Key == semconv.HTTPResponseStatusCodeKey && kv.Value.AsInt64() != http.StatusServiceUnavailable {
				t.Errorf("span of the cut request has status %d, want 503", kv.Value.AsInt64())
			}
		}
	}
	if !span {
		t.Errorf("no server span of trace %q among the exported ones", traceID)
	}
	line := env.requestLine(t, "/api/v1/products")
	if line["status"] != float64(http.StatusServiceUnavailable) || line["error_code"] != CodeShuttingDown {
		t.Errorf("log line %v, want status 503 and error_code %s", line, CodeShuttingDown)
	}
}

// TestHealthzWhileDraining: once the gateway stops, /healthz answers 503
// "draining", /livez still 200, and a new request 503 shutting_down, while the request in
// flight may still finish.
func TestHealthzWhileDraining(t *testing.T) {
	healthy := map[string]server.Check{"catalog": func(context.Context) error { return nil }}
	env := newEnv(t, healthy)
	gw := env.serveUntilStopped(t, server.HTTPOptions{Grace: 3 * patience})
	ctx, leave := context.WithCancel(t.Context())
	defer leave()
	held := env.holdRequest(t, ctx, gw.url)

	gw.stop()
	testkit.WaitFor(t, patience, "/healthz to answer 503 draining", func() bool {
		resp, err := http.Get(gw.url + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct{ Status string }
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode == http.StatusServiceUnavailable && body.Status == "draining"
	})
	if live := fetchStatus(gw.url + server.LivePath); live != http.StatusOK {
		t.Errorf("/livez while draining: %s, want 200: a liveness probe would kill the draining gateway", http.StatusText(live))
	}
	resp, err := http.Get(gw.url + "/api/v1/products")
	if err != nil {
		t.Fatalf("a new request while draining: %v, want a 503", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	if r.status != http.StatusServiceUnavailable || r.errorOf(t).Code != CodeShuttingDown {
		t.Fatalf("a new request while draining: %d %s, want 503 %s", r.status, r.body, CodeShuttingDown)
	}

	// The client of the held request gives up: nothing is in flight, the
	// drain is over, and nothing was cut.
	leave()
	<-held
	if err := gw.result(t); err != nil {
		t.Fatalf("ServeHTTPWith after a full drain: %v", err)
	}
}

// BenchmarkAnswerAtHardStop measures what answerAtHardStop adds to a
// request: compare its two cases.
func BenchmarkAnswerAtHardStop(b *testing.B) {
	ctx := servedContext(b)
	body := []byte(`{"products":[]}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", h}, {"answerAtHardStop", answerAtHardStop(h)}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/products", nil).WithContext(ctx)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}

// servedContext is the context of a request ServeHTTPWith served, without
// its cancellation: it carries the server's HardStop.
func servedContext(b *testing.B) context.Context {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	got := make(chan context.Context, 1)
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got <- context.WithoutCancel(r.Context()) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		server.ServeHTTPWith(ctx, l, h, server.HTTPOptions{})
	}()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	resp, err := http.Get("http://" + l.Addr().String() + "/")
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return <-got
}
