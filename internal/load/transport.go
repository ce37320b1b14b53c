package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"syscall"
	"time"
)

// connTransport is the generator's HTTP/1.1 client for http:// targets.
// net/http's Transport hands every request from the caller's goroutine
// to a connection's write loop and the answer back from its read loop,
// through channels made for each request: at 5,000 requests/s the
// profile of a run spent about a third of the generator's CPU in those
// hand-offs, their scheduling and allocations (bench/RESULTS.md). Here
// the worker's own goroutine writes the request and reads the answer on
// a kept-alive connection; net/http still formats the request
// (Request.Write) and parses the answer (ReadResponse).
//
// It keeps what the engine relied on from http.Transport: at most
// maxConns connections (a request waits for one, and the wait counts in
// its latency), idle ones reused and closed after idleTimeout, a bound on
// each exchange, httptrace's GotConn, and net/http's rules for sending a
// request once more on a new connection when a reused one broke (see
// resendable).
type connTransport struct {
	addr        string
	dialer      net.Dialer
	timeout     time.Duration // bounds one exchange: write, headers and body
	idleTimeout time.Duration

	idle   chan *pconn   // kept-alive connections, ready
	tokens chan struct{} // one per open connection: at most maxConns
	mu     sync.Mutex    // guards open
	open   map[*pconn]struct{}
}

// pconn is one kept-alive connection.
type pconn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lr       io.LimitedReader // an answer's body of known length
	lastUsed time.Time
	stop     func() bool // stops the watch on the context it was dialled for
	// nwrite counts the bytes written to the connection: a request of
	// which none went out was not seen by the server.
	nwrite int64
	probe  *prober // whether the server closed the connection while idle
}

// Write counts what reaches the connection; bw writes through it.
func (c *pconn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.nwrite += int64(n)
	return n, err
}

func newConnTransport(addr string, maxConns int, timeout, idleTimeout time.Duration) *connTransport {
	return &connTransport{
		addr: addr, timeout: timeout, idleTimeout: idleTimeout,
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		idle:   make(chan *pconn, maxConns),
		tokens: make(chan struct{}, maxConns),
		open:   make(map[*pconn]struct{}),
	}
}

// RoundTrip sends req and returns its answer, whose body must be read to
// its end or closed for the connection to be reused.
func (t *connTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(ctx)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: c.Conn, Reused: reused})
		}
		written := c.nwrite
		resp, err := t.exchange(c, req)
		if err == nil {
			return resp, nil
		}
		t.discard(c)
		if reused && attempt == 0 && ctx.Err() == nil && resendable(req, err, c.nwrite == written) {
			if again, ok := rewind(req); ok {
				req = again
				continue
			}
		}
		closeBody(req)
		return nil, err
	}
}

func (t *connTransport) exchange(c *pconn, req *http.Request) (*http.Response, error) {
	if err := c.SetDeadline(time.Now().Add(t.timeout)); err != nil {
		return nil, err
	}
	if err := writeRequest(c.bw, req); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	return readResponse(c, t, req.Method == http.MethodHead)
}

// get takes an idle connection, else dials one while fewer than
// maxConns are open, else waits for either.
func (t *connTransport) get(ctx context.Context) (*pconn, bool, error) {
	for {
		select {
		case c := <-t.idle:
			if t.alive(c) {
				return c, true, nil
			}
			continue
		default:
		}
		break
	}
	for {
		select {
		case c := <-t.idle:
			if t.alive(c) {
				return c, true, nil
			}
		case t.tokens <- struct{}{}:
			c, err := t.dial(ctx)
			if err != nil {
				<-t.tokens
				return nil, false, err
			}
			return c, false, nil
		case <-ctx.Done():
			return nil, false, context.Cause(ctx)
		}
	}
}

// alive reports whether idle connection c may be used, and closes it if
// not: after idleTimeout the server may be about to close it; one the
// server closed, or sent bytes on that no request asked for, cannot carry
// a request. Finding that out before writing matters: a request that was
// written is sent again only if it is idempotent (see resendable).
func (t *connTransport) alive(c *pconn) bool {
	if time.Since(c.lastUsed) <= t.idleTimeout && c.br.Buffered() == 0 && c.probe.open() {
		return true
	}
	t.discard(c)
	return false
}

func (t *connTransport) dial(ctx context.Context) (*pconn, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.addr, err)
	}
	c := &pconn{Conn: nc, br: bufio.NewReaderSize(nc, 4096)}
	c.bw = bufio.NewWriterSize(c, 4096)
	c.probe = newProber(nc)
	// The run's end (interrupt, drain timeout) must free a request that
	// waits on this connection: closing it ends the read at once.
	c.stop = context.AfterFunc(ctx, func() { nc.Close() })
	t.mu.Lock()
	t.open[c] = struct{}{}
	t.mu.Unlock()
	return c, nil
}

// put keeps c for the next request.
func (t *connTransport) put(c *pconn) {
	c.lastUsed = time.Now()
	select {
	case t.idle <- c:
	default: // cannot happen: idle holds maxConns
		t.discard(c)
	}
}

// discard closes c and frees its place.
func (t *connTransport) discard(c *pconn) {
	c.stop()
	c.Close()
	t.mu.Lock()
	_, ok := t.open[c]
	delete(t.open, c)
	t.mu.Unlock()
	if ok {
		<-t.tokens
	}
}

// CloseIdleConnections closes the connections no request uses.
func (t *connTransport) CloseIdleConnections() {
	for {
		select {
		case c := <-t.idle:
			t.discard(c)
		default:
			return
		}
	}
}

// resendable reports whether req, which failed with err on a reused
// connection, may be sent again on a new one. It follows net/http's
// Transport (persistConn.shouldRetryRequest): only when the connection
// broke before any byte of an answer, and then if none of the request
// reached the connection (so the server cannot have seen it), or if the
// request is idempotent. A POST the server read before it closed the
// connection may have been served: sending it again could place an order
// twice, so its failure is the caller's (the engine counts an error).
func resendable(req *http.Request, err error, nothingWritten bool) bool {
	return unanswered(err) && (nothingWritten || idempotent(req))
}

// idempotent reports whether req may be sent twice, as net/http's
// Request.isReplayable has it: GET, HEAD, OPTIONS and TRACE, or a request
// with an Idempotency-Key or X-Idempotency-Key header. RFC 9110 (9.2.2)
// calls PUT and DELETE idempotent too, but net/http does not replay them,
// nor does this: a DELETE served twice answers 404 the second time, an
// error the server did not make.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// unanswered reports whether err means the server closed the connection
// before it answered at all.
func unanswered(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// rewind gives req with its body readable again for a second attempt:
// the engine's bodies seek back; others come from GetBody.
func rewind(req *http.Request) (*http.Request, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	if s, ok := req.Body.(io.Seeker); ok {
		_, err := s.Seek(0, io.SeekStart)
		return req, err == nil
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	again := *req
	again.Body = body
	return &again, true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
