// Package listener opens one TCP port on several addresses at once, so
// that a service can listen on loopback and on one more chosen address
// (the Docker bridge's, in compose mode) without listening on every
// interface of the machine.
package listener

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// Listen listens on every address in hosts (host:port, the same port in
// each). A port of 0 is chosen once, by the first address, and reused for
// the others. Addr reports the first address.
func Listen(addrs []string) (net.Listener, error) {
	if len(addrs) == 0 {
		return nil, errors.New("listen: no address")
	}
	first, err := net.Listen("tcp", addrs[0])
	if err != nil {
		return nil, err
	}
	if len(addrs) == 1 {
		return first, nil
	}
	port := strconv.Itoa(first.Addr().(*net.TCPAddr).Port)
	ls := []net.Listener{first}
	for _, a := range addrs[1:] {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("listen %s: %w", a, err)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			closeAll(ls)
			return nil, err
		}
		ls = append(ls, l)
	}
	return newMulti(ls), nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// multi merges the connections of several listeners into one Accept.
type multi struct {
	ls    []net.Listener
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newMulti(ls []net.Listener) *multi {
	m := &multi{ls: ls, conns: make(chan net.Conn), errs: make(chan error, len(ls)), done: make(chan struct{})}
	for _, l := range ls {
		m.wg.Add(1)
		go m.accept(l)
	}
	return m
}

func (m *multi) accept(l net.Listener) {
	defer m.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case m.errs <- err:
			case <-m.done:
			}
			return
		}
		select {
		case m.conns <- c:
		case <-m.done:
			c.Close()
			return
		}
	}
}

// Accept returns the next connection on any of the addresses. It fails
// once the listener is closed or any address failed for good.
func (m *multi) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case err := <-m.errs:
		return nil, err
	case <-m.done:
		return nil, net.ErrClosed
	}
}

// Close closes every address.
func (m *multi) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		for _, l := range m.ls {
			err = errors.Join(err, l.Close())
		}
		m.wg.Wait()
	})
	return err
}

// Addr is the first address's.
func (m *multi) Addr() net.Addr { return m.ls[0].Addr() }
