package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// cannedTransport answers every request with the same response, without
// allocating, so that a benchmark sees the engine's own costs.
type cannedTransport struct {
	resp *http.Response
	body []byte
	r    bytes.Reader
}

func newCanned(status int, body string) *cannedTransport {
	c := &cannedTransport{body: []byte(body)}
	c.resp = &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(&c.r)}
	return c
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close() // as a RoundTripper must
	}
	c.r.Reset(c.body)
	return c.resp, nil
}

// benchWorker is a worker of an engine that is ready to send, as if Run
// had started.
func benchWorker(b *testing.B, src string, rt http.RoundTripper, target string) (*worker, *boundJourney) {
	b.Helper()
	e, err := New(mustScenario(b, src), Options{Target: target, Transport: rt})
	if err != nil {
		b.Fatal(err)
	}
	e.runCtx, e.start = context.Background(), time.Now()
	w := e.newWorker()
	w.vars["region"] = "eu-west"
	return w, &e.journeys[0]
}

const benchStatic = "rate: 1\nduration: 1s\njourneys: [{steps: [{method: GET, route: /api/v1/products}]}]\n"

const benchTemplated = `rate: 1
duration: 1s
faults: [{inject: "catalog:delay=1ms"}]
journeys:
  - steps:
      - method: POST
        route: /api/v1/orders
        headers: {Authorization: "Bearer {{.token}}"}
        body: '{"items": [{"product_id": {{.product_id}}, "quantity": {{randomInt 1 3}}}]}'
        expect: 201
      - method: GET
        route: /api/v1/orders/{id}
        params: {id: "{{.product_id}}"}
        headers: {Authorization: "Bearer {{.token}}"}
        capture: {status: "$.status"}
    vars:
      token: eyJhbGciOiJIUzI1NiJ9.e30.x
      product_id: "7"
`

// BenchmarkRequestStatic is the engine's cost of one constant request:
// building it, the trace context, recording the result.
func BenchmarkRequestStatic(b *testing.B) {
	w, j := benchWorker(b, benchStatic, newCanned(200, `{"products":[]}`), "http://shop.test")
	s := &j.steps[0]
	b.ReportAllocs()
	for b.Loop() {
		if w.do(s, time.Since(w.e.start), 0) != stepOK {
			b.Fatal("step failed")
		}
	}
}

// BenchmarkRequestTemplated renders a header, a body and a path parameter.
func BenchmarkRequestTemplated(b *testing.B) {
	w, j := benchWorker(b, benchTemplated, newCanned(201, `{"id":"o-1","status":"placed"}`), "http://shop.test")
	for _, v := range j.vars {
		w.vars[v.name] = string(v.value.static)
	}
	s := &j.steps[0]
	b.ReportAllocs()
	for b.Loop() {
		if w.do(s, time.Since(w.e.start), 0) != stepOK {
			b.Fatal("step failed")
		}
	}
}

// BenchmarkRequestCapture parses the answer to capture from it.
func BenchmarkRequestCapture(b *testing.B) {
	w, j := benchWorker(b, benchTemplated, newCanned(200, `{"id":"o-1","status":"placed"}`), "http://shop.test")
	for _, v := range j.vars {
		w.vars[v.name] = string(v.value.static)
	}
	s := &j.steps[1]
	b.ReportAllocs()
	for b.Loop() {
		if w.do(s, time.Since(w.e.start), 0) != stepOK {
			b.Fatal("step failed")
		}
	}
}

// BenchmarkRequestLoopback sends real requests over a reused loopback
// connection: net/http's own allocations included.
func BenchmarkRequestLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"products":[]}`))
	}))
	defer srv.Close()
	w, j := benchWorker(b, benchStatic, nil, srv.URL)
	s := &j.steps[0]
	b.ReportAllocs()
	for b.Loop() {
		if w.do(s, time.Since(w.e.start), 0) != stepOK {
			b.Fatal("step failed")
		}
	}
}

// BenchmarkRecord is the cost of recording one request in the stats,
// from many goroutines at once.
func BenchmarkRecord(b *testing.B) {
	st := newStats(mustScenario(b, benchStatic), []string{"us-east", "eu-west"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		s := sample{intended: time.Millisecond, sent: 2 * time.Millisecond, status: 200}
		for pb.Next() {
			s.done += time.Microsecond
			st.record(0, &s)
		}
	})
}

// BenchmarkPacer is the schedule's cost per hit.
func BenchmarkPacer(b *testing.B) {
	p := NewLinearPacer(0, []Stage{{time.Minute, 10000}, {time.Minute, 10000}, {time.Minute, 0}})
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		if _, stop := p.Pace(0, n); stop {
			n = 0
		}
		n++
	}
}

// BenchmarkEngine10k runs the whole engine at 10,000 requests/s for 1s
// against the canned transport, and fails if the generator saturates.
func BenchmarkEngine10k(b *testing.B) {
	for b.Loop() {
		res := runEngine(b, mustScenario(b, listScenario("10000", "1s")), Options{Target: "http://shop.test", Transport: &sharedCanned{}})
		if res.Generator.Saturated || res.Total.Requests != 10000 {
			b.Fatalf("%d requests, saturated %v %v", res.Total.Requests, res.Generator.Saturated, res.Generator.Reasons)
		}
		b.ReportMetric(res.Generator.MaxLagMS, "max-lag-ms")
	}
}

// sharedCanned is a canned 200 for concurrent use.
type sharedCanned struct{}

func (sharedCanned) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}
