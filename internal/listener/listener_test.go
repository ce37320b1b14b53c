package listener

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
)

// skipWithoutLoopbackRange skips on machines where only 127.0.0.1 is a
// loopback address (macOS); CI runs on Linux, where it must not skip.
func skipWithoutLoopbackRange(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot bind 127.0.0.2: %v", err)
	}
	t.Skipf("this machine cannot bind 127.0.0.2 (%v)", err)
}

// 127.0.0.2 and 127.0.0.3 are loopback addresses on Linux (all of
// 127.0.0.0/8), so a test can tell "listens here" from "not there" without
// touching a real interface.
func TestListenServesEveryAddressAndNoOther(t *testing.T) {
	l, err := Listen([]string{"127.0.0.1:0", "127.0.0.2:0"})
	if err != nil {
		skipWithoutLoopbackRange(t, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(l)
	defer srv.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)

	for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
		resp, err := http.Get("http://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Errorf("%s answered %q", host, b)
		}
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.3", port)); err == nil {
		c.Close()
		t.Error("127.0.0.3 accepted a connection: the listener is bound wider than asked")
	}
}

func TestCloseEndsAccept(t *testing.T) {
	l, err := Listen([]string{"127.0.0.1:0", "127.0.0.2:0"})
	if err != nil {
		skipWithoutLoopbackRange(t, err)
	}
	done := make(chan error)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
}

func TestListenFailsWhenAnAddressIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	if l, err := Listen([]string{"127.0.0.2:" + port, "127.0.0.1:" + port}); err == nil {
		l.Close()
		t.Fatal("Listen succeeded on a taken port")
	}
	// The first address was released again: nothing leaks on failure.
	l, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		t.Fatalf("127.0.0.2:%s still held after the failed Listen: %v", port, err)
	}
	l.Close()
}
