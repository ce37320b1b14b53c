package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// patience bounds every wait in these tests. It is far above every limit
// they set, so that a loaded machine cannot fail them, and far below the
// old behaviour (connections held for ever).
const patience = 10 * time.Second

// serve runs h under ServeHTTPWith(o) until the test ends and returns its
// address.
func serve(t *testing.T, h http.Handler, o HTTPOptions) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHTTPWith(ctx, l, h, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeHTTPWith: %v", err)
		}
	})
	return l.Addr().String()
}

// dial opens a raw connection that fails the test rather than hang it.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed fails unless the server closes c within patience. Whatever
// the server still sends before closing is read and dropped.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %s", patience)
	}
	// nil (EOF) or a reset: either way the server closed it.
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

// TestIdleTimeout: a keep-alive connection that sends no second request
// is closed once IdleTimeout passes.
func TestIdleTimeout(t *testing.T) {
	addr := serve(t, http.HandlerFunc(ok), HTTPOptions{IdleTimeout: 100 * time.Millisecond})
	c := dial(t, addr)
	if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(patience))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first answer %d (close %v), want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	waitClosed(t, c)
}

// TestSlowBody: a body trickled slower than ReadTimeout allows makes the
// handler's read fail with a deadline error, and the connection is closed.
func TestSlowBody(t *testing.T) {
	var readErr atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			readErr.Store(err)
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		ok(w, r)
	})
	addr := serve(t, h, HTTPOptions{ReadTimeout: 200 * time.Millisecond})
	c := dial(t, addr)
	trickle(t, c, "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
	waitClosed(t, c)
	err, _ := readErr.Load().(error)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("handler's read error %v, want os.ErrDeadlineExceeded", err)
	}
}

// trickle sends head, then one body byte every 50ms until c fails or the
// test ends.
func trickle(t *testing.T, c net.Conn, head string) {
	t.Helper()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// TestLongHandlerKeepsContext: once the body is in, the read deadline is
// lifted, so a handler may run well past ReadTimeout (as a fault-delayed
// request does) without its context being cancelled.
func TestLongHandlerKeepsContext(t *testing.T) {
	const limit = 100 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-r.Context().Done():
			http.Error(w, "context cancelled", http.StatusInternalServerError)
		case <-time.After(5 * limit):
			ok(w, r)
		}
	})
	addr := serve(t, h, HTTPOptions{ReadTimeout: limit})
	resp, err := http.Post("http://"+addr+"/x", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
}

// TestMaxRequests: with MaxRequests requests held, the next one is
// answered 503 with the JSON error body and Retry-After, the admin
// endpoints still answer, and a slot freed is usable again.
func TestMaxRequests(t *testing.T) {
	const limit = 2
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	release := make(chan struct{})
	var held atomic.Int32
	mux := http.NewServeMux()
	AdminRoutes(mux, tel, nil)
	mux.HandleFunc("GET /hold", func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		<-release
		ok(w, r)
	})
	mux.HandleFunc("GET /quick", ok)
	addr := serve(t, mux, HTTPOptions{MaxRequests: limit})
	base := "http://" + addr

	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, body := get(t, base+"/hold"); status != http.StatusOK {
				t.Errorf("held request: %d %s", status, body)
			}
		}()
	}
	testkit.WaitFor(t, patience, fmt.Sprintf("%d held requests", limit), func() bool { return held.Load() == limit })

	resp, err := http.Get(base + "/quick")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("request beyond the limit: %d %s, want 503", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Error("no Retry-After")
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != CodeOverloaded || e.Error.Message == "" {
		t.Errorf("body %s (%v), want error code %q with a message", body, err, CodeOverloaded)
	}
	if status, body := get(t, base+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz while full: %d %s", status, body)
	}

	close(release)
	wg.Wait()
	if status, body := get(t, base+"/quick"); status != http.StatusOK {
		t.Errorf("after release: %d %s", status, body)
	}
}

// TestMaxConns: with MaxConns connections open, another is not served
// until one of them closes.
func TestMaxConns(t *testing.T) {
	const limit = 2
	addr := serve(t, http.HandlerFunc(ok), HTTPOptions{MaxConns: limit})
	var open []net.Conn
	for range limit {
		c := dial(t, addr)
		// Make sure the server has accepted it: it answers.
		fmt.Fprint(c, "GET /x HTTP/1.1\r\nHost: test\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(patience))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		open = append(open, c)
	}

	extra := dial(t, addr)
	fmt.Fprint(extra, "GET /x HTTP/1.1\r\nHost: test\r\n\r\n")
	// Absence of an answer can only be watched for a while; a short while
	// suffices, since without the limit the answer comes at once.
	extra.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	br := bufio.NewReader(extra)
	if _, err := br.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection beyond the limit was served (read: %v)", err)
	}

	open[0].Close()
	extra.SetReadDeadline(time.Now().Add(patience))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("after a slot was freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after a slot was freed: %d", resp.StatusCode)
	}
}

// TestDefaults: zero options take the defaults, negative ones turn a limit
// off.
func TestDefaults(t *testing.T) {
	o := HTTPOptions{}.withDefaults()
	want := HTTPOptions{
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxConns:          DefaultMaxConns,
		MaxRequests:       DefaultMaxRequests,
		Grace:             DefaultGrace,
	}
	if o != want {
		t.Errorf("defaults %+v, want %+v", o, want)
	}
	off := HTTPOptions{IdleTimeout: -1, MaxConns: -1, MaxRequests: -1}.withDefaults()
	if off.IdleTimeout != 0 || off.MaxConns != 0 || off.MaxRequests != 0 {
		t.Errorf("negative options gave %+v, want them off (0)", off)
	}
}

// get fetches url; safe from any goroutine.
func get(t *testing.T, url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
