package testkit

import (
	"bytes"
	"io"
	"maps"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// SMTPMessage is one e-mail an SMTPServer accepted.
type SMTPMessage struct {
	From string   // envelope sender
	To   []string // envelope recipients the server accepted
	Data []byte   // the DATA section, dot-unstuffed, with "\n" line ends
	// Run is the server's run when the session that sent it opened (see
	// SMTPServer.NextRun).
	Run int
}

// Header returns the message's header; it is empty when Data does not
// parse, so that a test comparing header fields fails on such a message.
func (m SMTPMessage) Header() mail.Header {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return mail.Header{}
	}
	return msg.Header
}

// SMTPBehaviour is how an SMTPServer misbehaves; the zero value accepts
// every message.
type SMTPBehaviour struct {
	// RefuseMail is how many MAIL commands to answer "451 try again later".
	RefuseMail int
	// Reject is the reply to every RCPT TO for an address, e.g.
	// "550 5.1.1 no such user".
	Reject map[string]string
	// DeferRcpt is how many RCPT TO for an address to answer "451 4.7.1
	// greylisted, try again later"; -1 is always.
	DeferRcpt map[string]int
	// Stall lists addresses whose RCPT TO is never answered: the session
	// hangs until the client hangs up.
	Stall map[string]bool
	// StallQuit leaves QUIT unanswered, after the message was accepted.
	StallQuit bool
}

// SMTPServer is a fake mail server for tests. It speaks just enough of RFC
// 5321 for net/smtp and Alertmanager (greeting, EHLO/HELO without
// extensions, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH),
// records every message it accepts and every RCPT TO it is sent, and
// misbehaves as its SMTPBehaviour says.
type SMTPServer struct {
	l     net.Listener
	wg    sync.WaitGroup
	done  chan struct{} // closed when the test ends
	delay atomic.Int64  // nanoseconds before the greeting

	mu    sync.Mutex
	b     SMTPBehaviour // its counts are used up
	msgs  []SMTPMessage
	rcpts map[string][]time.Time // every RCPT TO, by address
	conns map[net.Conn]struct{}
	run   int
	open  map[int]int // open sessions by run
}

// StartSMTP starts a server on a free local port; it stops when the test
// ends, hanging up on any client still connected.
func StartSMTP(t testing.TB, b SMTPBehaviour) *SMTPServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.Reject = maps.Clone(b.Reject)
	b.DeferRcpt = maps.Clone(b.DeferRcpt)
	b.Stall = maps.Clone(b.Stall)
	s := &SMTPServer{
		l:     l,
		done:  make(chan struct{}),
		b:     b,
		rcpts: map[string][]time.Time{},
		conns: map[net.Conn]struct{}{},
		open:  map[int]int{},
	}
	s.wg.Go(s.serve)
	t.Cleanup(func() {
		close(s.done)
		l.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// Addr is where the server listens (host:port).
func (s *SMTPServer) Addr() string { return s.l.Addr().String() }

// Messages returns a copy of what the server accepted so far, in order.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

// MessagesTo returns the accepted messages addressed to addr.
func (s *SMTPServer) MessagesTo(addr string) []SMTPMessage {
	var out []SMTPMessage
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// RcptTimes returns when the server was sent RCPT TO addr, whatever it
// answered.
func (s *SMTPServer) RcptTimes(addr string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.rcpts[addr]...)
}

// SetDelay makes every session that opens from now on wait d before its
// greeting, like a server that tarpits new connections. The wait comes
// before the message, not between the message and its acceptance, so that
// a sender killed while it waits has sent nothing.
func (s *SMTPServer) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// NextRun waits until every session of the current run has ended, then
// tags the sessions that open from now on with the next run. Call it once
// the sender is dead and before it restarts: the dead sender's sessions
// end (the server reads what it wrote before it died, then EOF), and none
// of the next one's can have opened.
func (s *SMTPServer) NextRun(t testing.TB) {
	t.Helper()
	WaitFor(t, time.Minute, "the previous run's SMTP sessions to end", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.open[s.run] == 0
	})
	s.mu.Lock()
	s.run++
	s.mu.Unlock()
}

func (s *SMTPServer) serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		run := s.run
		s.open[run]++
		s.mu.Unlock()
		s.wg.Go(func() {
			s.session(c, run)
			s.mu.Lock()
			delete(s.conns, c)
			s.open[run]--
			s.mu.Unlock()
		})
	}
}

func (s *SMTPServer) session(c net.Conn, run int) {
	defer c.Close()
	if d := time.Duration(s.delay.Load()); d > 0 {
		select {
		case <-time.After(d): // the slowness a test asked for
		case <-s.done:
			return
		}
	}
	tp := textproto.NewConn(c)
	reply := func(code int, text string) { tp.PrintfLine("%d %s", code, text) }
	reply(220, "testkit SMTP ready")
	cur := SMTPMessage{Run: run}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply(250, "testkit")
		case "MAIL":
			if s.refuseMail() {
				reply(451, "try again later")
				continue
			}
			cur = SMTPMessage{From: pathArg(arg), Run: run}
			reply(250, "ok")
		case "RCPT":
			to := pathArg(arg)
			switch answer := s.rcpt(to); answer {
			case "":
				cur.To = append(cur.To, to)
				reply(250, "ok")
			case stallAnswer:
				io.Copy(io.Discard, c) // until the client or the test hangs up
				return
			default:
				tp.PrintfLine("%s", answer)
			}
		case "DATA":
			reply(354, "end data with <CR><LF>.<CR><LF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = SMTPMessage{Run: run}
			reply(250, "queued")
		case "RSET":
			cur = SMTPMessage{Run: run}
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			if s.b.StallQuit { // never changed after start
				io.Copy(io.Discard, c) // until the client or the test hangs up
				return
			}
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}

// refuseMail reports whether to refuse a MAIL command, using up one of
// the refusals.
func (s *SMTPServer) refuseMail() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.RefuseMail > 0 {
		s.b.RefuseMail--
		return true
	}
	return false
}

// stallAnswer is rcpt's answer for "never answer".
const stallAnswer = "stall"

// rcpt records a RCPT TO addr and returns the reply line to refuse it
// with, stallAnswer, or "" to accept it.
func (s *SMTPServer) rcpt(addr string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpts[addr] = append(s.rcpts[addr], time.Now())
	if reply, ok := s.b.Reject[addr]; ok {
		return reply
	}
	if n := s.b.DeferRcpt[addr]; n != 0 {
		if n > 0 {
			s.b.DeferRcpt[addr] = n - 1
		}
		return "451 4.7.1 greylisted, try again later"
	}
	if s.b.Stall[addr] {
		return stallAnswer
	}
	return ""
}

// pathArg extracts the address from "FROM:<a@b>" or "TO:<a@b> SIZE=1".
func pathArg(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
	return strings.Trim(rest, "<>")
}
