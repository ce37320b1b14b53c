//go:build unix

package load

import (
	"net"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestProberSeesWhatTheServerDid: an idle connection is open while the
// server leaves it alone, and is not once the server closed it or sent
// bytes no request asked for, even when the connection's read deadline
// has passed (a Peek with such a deadline would say "timeout" for all).
func TestProberSeesWhatTheServerDid(t *testing.T) {
	tests := []struct {
		name     string
		server   func(net.Conn)
		wantOpen bool
	}{
		{"left alone", func(net.Conn) {}, true},
		{"closed", func(c net.Conn) { c.Close() }, false},
		{"sent bytes", func(c net.Conn) { c.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")) }, false},
	}
	for _, tt := range tests {
		for _, pastDeadline := range []bool{false, true} {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				if c, err := ln.Accept(); err == nil {
					accepted <- c
				}
			}()
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			sc := <-accepted
			defer sc.Close()
			if pastDeadline {
				nc.SetReadDeadline(time.Unix(1, 0))
			}
			p := newProber(nc)
			if !p.open() {
				t.Fatalf("%s: a new connection is not open", tt.name)
			}
			tt.server(sc)
			if tt.wantOpen {
				if !p.open() {
					t.Errorf("%s (deadline passed: %v): not open", tt.name, pastDeadline)
				}
				continue
			}
			testkit.WaitFor(t, 30*time.Second, tt.name+": the probe to see it", func() bool { return !p.open() })
		}
	}
}
