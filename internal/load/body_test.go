package load

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// lateCloser is a RoundTripper that answers at once and reads and closes
// each request's body only when the next request arrives, as net/http's
// transport may (its write loop can close a body after RoundTrip
// returned). It checks that each body still holds what was sent with it.
type lateCloser struct {
	t      *testing.T
	held   io.ReadCloser
	want   string
	bodies int
}

func (c *lateCloser) RoundTrip(req *http.Request) (*http.Response, error) {
	c.settle()
	if req.Body != nil && req.Body != http.NoBody {
		c.held, c.want = req.Body, `{"n":"`+req.Header.Get("X-N")+`"}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}, nil
}

// settle reads and closes the held body.
func (c *lateCloser) settle() {
	if c.held == nil {
		return
	}
	b, err := io.ReadAll(c.held)
	if err != nil || string(b) != c.want {
		c.t.Errorf("a body read after RoundTrip returned holds %q (%v), want %q", b, err, c.want)
	}
	c.held.Close()
	c.held = nil
	c.bodies++
}

// TestBodyOutlivesRoundTrip: the worker reuses its request and buffers, but
// never the bytes of a body the transport has not closed yet, whatever the
// worker renders meanwhile (the next step, the next journey's variables).
func TestBodyOutlivesRoundTrip(t *testing.T) {
	const src = `rate: 1
duration: 1s
journeys:
  - vars: {n: "{{randomInt 100000000 999999999}}"}
    steps:
      - {method: POST, route: /api/v1/orders, headers: {X-N: "{{.n}}"}, body: '{"n":"{{.n}}"}'}
      - {method: POST, route: /api/v1/orders, headers: {X-N: "{{.n}}"}, body: '{"n":"{{.n}}"}'}
`
	rt := &lateCloser{t: t}
	e, err := New(mustScenario(t, src), Options{Target: "http://shop.test", Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	e.runCtx, e.start = context.Background(), time.Now()
	w := e.newWorker()
	for range 5 {
		w.journey(arrival{})
	}
	rt.settle()
	if rt.bodies != 10 {
		t.Errorf("%d bodies sent, want 10", rt.bodies)
	}
}
