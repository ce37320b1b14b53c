package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/server"
)

// patience bounds the waits of the limit tests: far above the limits they
// set, far below "for ever".
const patience = 10 * time.Second

// serveWith serves the env's gateway as the lab does, with options o, and
// returns its address.
func (e *testEnv) serveWith(t *testing.T, o server.HTTPOptions) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeHTTPWith(ctx, l, e.gw.Handler(), o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeHTTPWith: %v", err)
		}
	})
	return l.Addr().String()
}

// TestSlowBody: a client that sends its headers and then trickles the body
// slower than ReadTimeout allows gets 408 request_timeout and loses the
// connection, instead of holding it for as long as it likes.
func TestSlowBody(t *testing.T) {
	env := newEnv(t, nil)
	addr := env.serveWith(t, server.HTTPOptions{ReadTimeout: 300 * time.Millisecond})
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "POST /api/v1/auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"email\":\""
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := trickle(c)
	defer stop()

	c.SetReadDeadline(time.Now().Add(patience))
	br := bufio.NewReader(c)
	// The answer may be lost to a reset if trickled bytes arrive as the
	// server closes; the log line below says what it was in any case.
	if resp, err := http.ReadResponse(br, nil); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Errorf("answer %d (close %v), want 408 and the connection closed", resp.StatusCode, resp.Close)
		}
	}
	if _, err := io.Copy(io.Discard, br); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %s", patience)
	}
	line := env.requestLine(t, "/api/v1/auth/login")
	if line["status"] != float64(http.StatusRequestTimeout) || line["error_code"] != CodeRequestTimeout {
		t.Errorf("log line %v, want status 408 and error_code %s", line, CodeRequestTimeout)
	}
}

// trickle writes one byte to c every 50ms until stopped or c fails.
func trickle(c net.Conn) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
