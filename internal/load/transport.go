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
// each exchange, httptrace's GotConn, and a request on a reused
// connection that the server had closed is sent once more on a new one.
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
		resp, err := t.exchange(c, req)
		if err == nil {
			return resp, nil
		}
		t.discard(c)
		// A server may close a kept-alive connection while it is idle;
		// a request that then got no byte of an answer was not served,
		// and is sent again on a new connection, as net/http does.
		if reused && attempt == 0 && ctx.Err() == nil && unanswered(err) {
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
// not: after idleTimeout the server may be about to close it.
func (t *connTransport) alive(c *pconn) bool {
	if time.Since(c.lastUsed) <= t.idleTimeout {
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
	c := &pconn{Conn: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 4096)}
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
