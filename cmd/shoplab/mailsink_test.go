package main

import (
	"bytes"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// sunkMail is one message the sink accepted.
type sunkMail struct {
	EventID   string // X-Event-Id
	MessageID string
	To        string
	// Run is the run of the lab that sent it: the sink's run when the
	// session opened (see nextRun).
	Run int
}

// mailSink is an SMTP server that accepts every message and records its
// event ID. It can be made slow: it then waits before its greeting, like a
// server that tarpits new connections. The wait comes before the message,
// not between the message and its acceptance, so that a sender killed
// while it waits has sent nothing: the only window left for a duplicate is
// the sender's own, between the server's 250 and its record of the send.
type mailSink struct {
	l     net.Listener
	wg    sync.WaitGroup
	delay atomic.Int64 // nanoseconds before the greeting

	mu    sync.Mutex
	mails []sunkMail
	conns map[net.Conn]struct{}
	run   int
	open  map[int]int // open sessions by run
}

func startMailSink(t *testing.T) *mailSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &mailSink{l: l, conns: map[net.Conn]struct{}{}, open: map[int]int{}}
	s.wg.Go(s.serve)
	t.Cleanup(func() {
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

// env points a lab at the sink.
func (s *mailSink) env() []string {
	_, port, _ := net.SplitHostPort(s.l.Addr().String())
	return []string{"SMTP_HOST=127.0.0.1", "SMTP_PORT=" + port}
}

// setDelay makes every new session wait d before the greeting.
func (s *mailSink) setDelay(d time.Duration) { s.delay.Store(int64(d)) }

// nextRun waits until every session of the current run has ended, then
// tags the sessions that open from now on with the next run. Call it once
// the lab is dead and before it restarts: the sessions of the dead process
// end (the sink reads what it wrote before it died, then EOF), and none of
// the next one's can have opened.
func (s *mailSink) nextRun(t *testing.T) {
	t.Helper()
	testkit.WaitFor(t, time.Minute, "the killed lab's SMTP sessions to end", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.open[s.run] == 0
	})
	s.mu.Lock()
	s.run++
	s.mu.Unlock()
}

// received returns a copy of what the sink accepted so far.
func (s *mailSink) received() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.mails...)
}

func (s *mailSink) serve() {
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

func (s *mailSink) session(c net.Conn, run int) {
	defer c.Close()
	if d := time.Duration(s.delay.Load()); d > 0 {
		time.Sleep(d) // the slowness the test is about, not synchronisation
	}
	tp := textproto.NewConn(c)
	reply := func(code int, text string) { tp.PrintfLine("%d %s", code, text) }
	reply(220, "mail sink ready")
	var to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply(250, "mail sink")
		case "MAIL", "RSET", "NOOP":
			reply(250, "ok")
		case "RCPT":
			_, addr, _ := strings.Cut(arg, ":")
			to = strings.Trim(strings.TrimSpace(addr), "<>")
			reply(250, "ok")
		case "DATA":
			reply(354, "end data with <CR><LF>.<CR><LF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m := sunkMail{To: to, Run: run}
			if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
				m.EventID = msg.Header.Get("X-Event-Id")
				m.MessageID = msg.Header.Get("Message-Id")
			}
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			reply(250, "queued")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}
