package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
)

// diesWhileServing is a server whose first connection answers its first
// request, then reads the second one to its end, writes last (the start
// of an answer, or nothing) and closes, as a server that crashed while it
// served it; later connections answer every request. read counts the
// requests to path it read.
func diesWhileServing(t *testing.T, path, last string) (addr string, read *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	read = new(atomic.Int64)
	go func() {
		for first := true; ; first = false {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if req.URL.Path == path {
						read.Add(1)
					}
					if first && i == 1 {
						io.WriteString(c, last)
						return
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	return ln.Addr().String(), read
}

// TestConnTransportResendsOnlyWhatIsSafe: when a reused connection breaks
// after the request was written and before any byte of an answer, the
// server may have served it. An idempotent request is sent again on a new
// connection; a POST is not (the order may have been placed): its caller
// gets the error.
func TestConnTransportResendsOnlyWhatIsSafe(t *testing.T) {
	tests := []struct {
		method, key string
		wantResent  bool
	}{
		{http.MethodPost, "", false},
		{http.MethodPost, "Idempotency-Key", true},
		{http.MethodPost, "X-Idempotency-Key", true},
		{http.MethodPatch, "", false},
		{http.MethodPut, "", false}, // RFC 9110 calls it idempotent; net/http does not replay it
		{http.MethodDelete, "", false},
		{http.MethodGet, "", true},
		{http.MethodHead, "", true},
	}
	for _, tt := range tests {
		name := tt.method
		if tt.key != "" {
			name += " with " + tt.key
		}
		t.Run(name, func(t *testing.T) {
			addr, read := diesWhileServing(t, "/checkout", "")
			tr := newTestTransport(t, "http://"+addr, 4)
			if status, _, err := send(t, tr, http.MethodGet, "http://"+addr+"/products", "", nil); err != nil || status != 200 {
				t.Fatalf("the first request: %d %v", status, err)
			}

			var body io.Reader
			if tt.method != http.MethodGet && tt.method != http.MethodHead {
				body = strings.NewReader(`{"items":[{"product_id":3,"quantity":1}]}`)
			}
			var reused []bool
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) },
			})
			req, err := http.NewRequestWithContext(ctx, tt.method, "http://"+addr+"/checkout", body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.key != "" {
				req.Header[tt.key] = []string{"order-1"}
			}
			resp, err := tr.RoundTrip(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if len(reused) == 0 || !reused[0] {
				t.Fatalf("connections got: reused %v; the request must go out on the first, reused one", reused)
			}

			wantRead := int64(1)
			if tt.wantResent {
				wantRead = 2
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("resent: got %v, want the second attempt's 200", err)
				}
			} else if err == nil {
				t.Errorf("got %d, want the broken connection's error", resp.StatusCode)
			}
			if n := read.Load(); n != wantRead {
				t.Errorf("the server read the request %d times, want %d", n, wantRead)
			}
		})
	}
}

// TestEngineCountsAPostTheServerDiedOn: the engine charges an error to a
// checkout the server read and then died on, and does not place it twice.
func TestEngineCountsAPostTheServerDiedOn(t *testing.T) {
	addr, read := diesWhileServing(t, "/api/v1/orders", "")
	sc := mustScenario(t, `rate: 1
duration: 1s
journeys:
  - steps:
      - {method: GET, route: /api/v1/products}
      - {method: POST, route: /api/v1/orders, body: '{"items": [{"product_id": 3, "quantity": 1}]}'}
`)
	res := runEngine(t, sc, Options{Target: "http://" + addr})
	if n := read.Load(); n != 1 {
		t.Errorf("the server read the checkout %d times, want 1", n)
	}
	found := false
	for _, ep := range res.Endpoints {
		if ep.Method != http.MethodPost {
			continue
		}
		found = true
		if ep.Requests != 1 || ep.Errors != 1 || ep.TransportErrors != 1 {
			t.Errorf("checkout: %d requests, %d errors, %d transport errors; want 1, 1, 1 (%s)", ep.Requests, ep.Errors, ep.TransportErrors, ep.SampleError)
		}
	}
	if !found {
		t.Errorf("no checkout in the result: %+v", res.Endpoints)
	}
	if len(res.Journeys) != 1 || res.Journeys[0].Failed != 1 {
		t.Errorf("journeys %+v, want one failed", res.Journeys)
	}
}

// TestConnTransportDoesNotResendAfterPartOfAnAnswer: a connection that
// ends inside an answer was answered, if not wholly: even a GET is not
// sent again, and its caller learns the answer was cut short.
func TestConnTransportDoesNotResendAfterPartOfAnAnswer(t *testing.T) {
	for _, last := range []string{"HTTP/1.1 2", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Len"} {
		addr, read := diesWhileServing(t, "/products/3", last)
		tr := newTestTransport(t, "http://"+addr, 4)
		if status, _, err := send(t, tr, http.MethodGet, "http://"+addr+"/products", "", nil); err != nil || status != 200 {
			t.Fatalf("the first request: %d %v", status, err)
		}
		_, _, err := send(t, tr, http.MethodGet, "http://"+addr+"/products/3", "", nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("answer cut at %q: got %v, want %v", last, err, io.ErrUnexpectedEOF)
		}
		if n := read.Load(); n != 1 {
			t.Errorf("answer cut at %q: the server read the request %d times, want 1", last, n)
		}
	}
}
