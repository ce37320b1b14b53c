package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

func newTestTransport(t *testing.T, srvURL string, maxConns int) *connTransport {
	t.Helper()
	tr := newConnTransport(hostPort(mustURL(t, srvURL).URL), maxConns, 30*time.Second, idleConnTimeout)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func mustURL(t *testing.T, s string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// send sends one request and reads its answer to the end.
func send(t *testing.T, rt http.RoundTripper, method, url, body string, hdr map[string]string) (int, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), err
}

// TestConnTransportSpeaksHTTP checks the generator's HTTP/1.1 client
// against net/http's server: the answer's framings, and which of them
// leave the connection reusable.
func TestConnTransportSpeaksHTTP(t *testing.T) {
	big := strings.Repeat("0123456789", 1000) // above the server's buffer: sent chunked
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Write([]byte(`{"products":[]}`))
		case "/chunked":
			w.Write([]byte(big[:10]))
			w.(http.Flusher).Flush()
			w.Write([]byte(big[10:]))
		case "/none":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Test"), b)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("short and stout"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := newTestTransport(t, srv.URL, 4)
	if _, _, err := send(t, tr, "GET", srv.URL+"/json", "", nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
		wantStatus               int
		wantBody                 string
		newConn                  bool // the next request needs a new connection
	}{
		{"content length", "GET", "/json", "", nil, 200, `{"products":[]}`, false},
		{"chunked", "GET", "/chunked", "", nil, 200, big, false},
		{"no content", "GET", "/none", "", nil, 204, "", false},
		{"head", "HEAD", "/json", "", nil, 200, "", false},
		{"not 2xx", "GET", "/teapot", "", nil, 418, "short and stout", false},
		{"body, headers and query", "POST", "/echo?a=1&b=%20", `{"x":1}`, map[string]string{"X-Test": "yes"}, 200, `POST /echo?a=1&b=%20 yes {"x":1}`, false},
		{"connection close", "GET", "/close", "", nil, 200, "bye", true},
		{"after a close", "GET", "/json", "", nil, 200, `{"products":[]}`, false},
	}
	for _, tt := range tests {
		before := conns.Load()
		status, body, err := send(t, tr, tt.method, srv.URL+tt.path, tt.body, tt.hdr)
		if err != nil || status != tt.wantStatus || body != tt.wantBody {
			t.Errorf("%s: %d %.60q %v, want %d %.60q", tt.name, status, body, err, tt.wantStatus, tt.wantBody)
		}
		_, _, err = send(t, tr, "GET", srv.URL+"/json", "", nil)
		if err != nil {
			t.Fatalf("%s: the next request: %v", tt.name, err)
		}
		if grew := conns.Load() - before; (grew > 0) != tt.newConn {
			t.Errorf("%s: %d new connections for it and the next request; want a new one: %v", tt.name, grew, tt.newConn)
		}
	}
}

// TestConnTransportResendsOnAClosedIdleConnection: a server that closes a
// kept-alive connection after an answer (without saying so) does not fail
// the next request, even a POST: the closed connection is found out before
// the request is written, and the request goes out on a new one.
func TestConnTransportResendsOnAClosedIdleConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var served atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				io.Copy(io.Discard, req.Body)
				served.Add(1)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
			c.Close()
		}
	}()
	tr := newTestTransport(t, "http://"+ln.Addr().String(), 4)
	for i := range 3 {
		status, body, err := send(t, tr, "POST", "http://"+ln.Addr().String()+"/x", `{"n":1}`, nil)
		if err != nil || status != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q %v", i, status, body, err)
		}
		// A POST written before the server's close arrived would not be
		// sent again (see TestConnTransportResendsOnlyWhatIsSafe): the
		// next one goes once the close can be seen, as after an idle
		// timeout.
		testkit.WaitFor(t, 30*time.Second, "the server's close to reach the idle connection", func() bool {
			return idleClosed(tr)
		})
	}
	if n := served.Load(); n != 3 {
		t.Errorf("the server served %d requests, want 3", n)
	}
}

// idleClosed reports whether tr's idle connection was closed by the
// server, leaving it idle.
func idleClosed(tr *connTransport) bool {
	select {
	case c := <-tr.idle:
		defer func() { tr.idle <- c }()
		return !c.probe.open()
	default:
		return false
	}
}

// TestConnTransportBoundsConnections: requests beyond maxConns wait for a
// connection instead of opening one.
func TestConnTransportBoundsConnections(t *testing.T) {
	const maxConns = 2
	release := make(chan struct{})
	var in, most atomic.Int64
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		storeMax(&most, in.Add(1))
		<-release
		in.Add(-1)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	releaseAll := sync.OnceFunc(func() { close(release) })
	defer releaseAll() // before srv.Close, which waits for the handlers
	tr := newTestTransport(t, srv.URL, maxConns)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			if _, _, err := send(t, tr, "GET", srv.URL+"/", "", nil); err != nil {
				errs <- err
			}
		})
	}
	testkit.WaitFor(t, 30*time.Second, "requests on every connection", func() bool {
		return in.Load() >= maxConns
	})
	releaseAll()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if most.Load() > maxConns || conns.Load() > maxConns {
		t.Errorf("%d requests at once on %d connections, want at most %d", most.Load(), conns.Load(), maxConns)
	}
}

// TestHeaderValuesCannotStartAHeader: a value with a line break (from a
// captured answer, say) is refused, not sent.
func TestHeaderValuesCannotStartAHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tr := newTestTransport(t, srv.URL, 1)
	if _, _, err := send(t, tr, "GET", srv.URL+"/", "", map[string]string{"X-Test": "a\r\nX-Evil: 1"}); err == nil {
		t.Error("a header value with CRLF was sent")
	}
	if status, _, err := send(t, tr, "GET", srv.URL+"/", "", nil); err != nil || status != 200 {
		t.Errorf("the next request: %d %v", status, err)
	}
}
