package load

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// bodyReader is a request body the worker reuses. A RoundTripper may
// close a body in another goroutine even after RoundTrip returned (its
// contract says so: net/http's transport closes it from the connection's
// write loop), and until then it may still read the bytes. So a body is
// reused only once its Close was seen; one that is still open is left to
// the transport with its bytes, and the worker takes a new one. That is
// rare (the transport closes the body before it flushes the request, so
// before the answer can come back): it costs an allocation, never a wait.
type bodyReader struct {
	bytes.Reader
	inUse  bool
	closed atomic.Bool
}

func (b *bodyReader) Close() error {
	b.closed.Store(true)
	return nil
}

// reusable reports whether the transport is done with the body.
func (b *bodyReader) reusable() bool { return !b.inUse || b.closed.Load() }

func (b *bodyReader) use(p []byte) {
	b.Reset(p)
	b.closed.Store(false)
	b.inUse = true
}

// prepare points the worker's request at step s.
func (w *worker) prepare(s *boundStep, reg uint8) error {
	// The previous body may still be being read (see bodyReader), and its
	// bytes may live in w.bodyBuf: both are left to the transport.
	if !w.body.reusable() {
		w.body, w.bodyBuf = new(bodyReader), bytes.Buffer{}
	}
	req, h := w.req, w.hdr
	clear(h) // no header of the previous step may leak into this one
	req.Method = s.Endpoint.Method
	if s.url != nil {
		req.URL = s.url
	} else {
		u, err := w.buildURL(s)
		if err != nil {
			return err
		}
		req.URL = u
	}
	req.Host = ""
	h["User-Agent"] = w.userAgent
	h["X-Region"] = w.regions[reg]
	if f := w.faultHeader(reg); f != "" {
		w.fault[0] = f
		h["X-Shoplab-Fault"] = w.fault
	}
	for _, hd := range s.headers {
		if hd.static != nil {
			h[hd.name] = hd.static
			continue
		}
		w.buf.Reset()
		if err := hd.value.render(&w.buf, w.vars); err != nil {
			return fmt.Errorf("header %s: %w", hd.name, err)
		}
		h[hd.name] = []string{w.buf.String()}
	}
	if !s.hasBody {
		req.Body, req.ContentLength = http.NoBody, 0
		return nil
	}
	var b []byte
	if s.body.isStatic() {
		b = s.body.static
	} else {
		w.bodyBuf.Reset()
		if err := s.body.render(&w.bodyBuf, w.vars); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		b = w.bodyBuf.Bytes()
	}
	w.body.use(b)
	req.Body, req.ContentLength = w.body, int64(len(b))
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = w.jsonType
	}
	return nil
}

func (w *worker) buildURL(s *boundStep) (*url.URL, error) {
	var path, raw strings.Builder
	escaped := false
	for i, p := range s.parts {
		if i%2 == 0 {
			path.WriteString(p)
			raw.WriteString(p)
			continue
		}
		w.buf.Reset()
		if err := s.params[p[0]-'0'].render(&w.buf, w.vars); err != nil {
			return nil, fmt.Errorf("route parameter: %w", err)
		}
		v := w.buf.String()
		esc := url.PathEscape(v)
		escaped = escaped || esc != v
		path.WriteString(v)
		raw.WriteString(esc)
	}
	u := *s.base
	u.Path, u.RawPath = path.String(), ""
	if escaped {
		u.RawPath = raw.String()
	}
	return &u, nil
}

// faultHeader is the X-Shoplab-Fault value for one request from region
// reg: each fault of the region, kept with its ratio's probability.
func (w *worker) faultHeader(reg uint8) string {
	fs := w.e.faults[reg]
	partial := false
	for _, f := range fs {
		if f.Ratio < 1 {
			partial = true
		}
	}
	if !partial {
		return w.e.faultAll[reg]
	}
	var parts []string
	for _, f := range fs {
		if f.Ratio >= 1 || mrand.Float64() < f.Ratio {
			parts = append(parts, f.Inject)
		}
	}
	return strings.Join(parts, ",")
}

// newTraceParent gives the request a W3C traceparent of a new, sampled
// client span, so that the request's trace can be found by its ID.
func (w *worker) newTraceParent(traceID *[16]byte) {
	for {
		binary.LittleEndian.PutUint64(traceID[:8], w.rng.Uint64())
		binary.LittleEndian.PutUint64(traceID[8:], w.rng.Uint64())
		if *traceID != [16]byte{} {
			break
		}
	}
	var span [8]byte
	for span == [8]byte{} {
		binary.LittleEndian.PutUint64(span[:], w.rng.Uint64())
	}
	b := w.tp[:]
	copy(b, "00-")
	hex.Encode(b[3:35], traceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], span[:])
	copy(b[52:], "-01")
	w.tpValue[0] = string(b)
	w.hdr["Traceparent"] = w.tpValue
}

// capture stores the step's captures from the answer in the journey's
// variables.
func (w *worker) capture(s *boundStep) error {
	dec := json.NewDecoder(bytes.NewReader(w.answer.Bytes()))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("capture: answer is not JSON: %w", err)
	}
	for _, c := range s.captures {
		v, err := c.path.eval(doc)
		if err != nil {
			return fmt.Errorf("capture %s: %w", c.name, err)
		}
		w.vars[c.name] = v
	}
	return nil
}
