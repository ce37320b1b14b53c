//go:build unix

package load

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// prober tells, without waiting, whether an idle connection is still
// open. Peeking through the Conn with a deadline already past cannot: Go
// fails such a read before it reads (internal/poll checks the deadline
// first), so it says "timeout" even when the server's FIN has arrived.
// A non-blocking read on the socket does tell.
type prober struct {
	nc    net.Conn
	raw   syscall.RawConn
	check func(fd uintptr) bool // p.read, bound once: a probe allocates nothing
	err   error                 // what the last check found
	buf   [1]byte
}

var errUnsolicited = errors.New("bytes on an idle connection")

func newProber(nc net.Conn) *prober {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &prober{nc: nc, raw: raw}
	p.check = p.read
	return p
}

// open reports whether the connection is open with nothing to read: the
// server neither closed it nor sent bytes no request asked for.
func (p *prober) open() bool {
	if p == nil {
		return true
	}
	err := p.raw.Read(p.check)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The last exchange's deadline passed while the connection was
		// idle, and RawConn.Read too fails before it reads.
		if err = p.nc.SetReadDeadline(time.Time{}); err == nil {
			err = p.raw.Read(p.check)
		}
	}
	return err == nil && p.err == nil
}

// read is the probe proper; it never asks to wait for the socket.
func (p *prober) read(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), p.buf[:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			p.err = nil // nothing to read: open
		case err != nil:
			p.err = err
		case n == 0:
			p.err = io.EOF
		default:
			p.err = errUnsolicited
		}
		return true
	}
}
