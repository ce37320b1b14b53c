package notification

import (
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
)

// smtpMessage is one e-mail the fake server accepted.
type smtpMessage struct {
	From string
	To   []string
	Data []byte // the DATA section, with "\n" line ends
}

// smtpServer speaks just enough SMTP for net/smtp: greeting, EHLO/HELO,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT. It records every accepted message
// and every RCPT it was sent.
type smtpServer struct {
	l  net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	msgs  []smtpMessage
	rcpts map[string][]time.Time // every RCPT TO seen, by address
	conns map[net.Conn]struct{}
	b     smtpBehaviour // counts in it are used up
}

// smtpBehaviour is how the fake server misbehaves.
type smtpBehaviour struct {
	// refuseMail is how many MAIL commands to answer "451 try again later".
	refuseMail int
	// reject is the reply to every RCPT TO for an address, e.g.
	// "550 5.1.1 no such user".
	reject map[string]string
	// deferRcpt is how many RCPT TO for an address to answer "451 4.7.1
	// greylisted, try again later"; -1 is always.
	deferRcpt map[string]int
	// stall lists addresses whose RCPT TO is never answered: the session
	// hangs until the client hangs up.
	stall map[string]bool
	// stallQuit leaves QUIT unanswered, after the message was accepted.
	stallQuit bool
}

// startSMTP starts a server that refuses the first refuse MAIL commands
// with "451 try again later".
func startSMTP(t *testing.T, refuse int) *smtpServer {
	t.Helper()
	return startSMTPWith(t, smtpBehaviour{refuseMail: refuse})
}

// startSMTPWith starts a server that behaves as b says.
func startSMTPWith(t *testing.T, b smtpBehaviour) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deferRcpt := map[string]int{}
	for k, v := range b.deferRcpt {
		deferRcpt[k] = v
	}
	b.deferRcpt = deferRcpt
	s := &smtpServer{l: l, conns: map[net.Conn]struct{}{}, rcpts: map[string][]time.Time{}, b: b}
	s.wg.Add(1)
	go s.serve()
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

// config is the SMTP configuration that sends to s.
func (s *smtpServer) config() config.SMTP {
	host, port, _ := net.SplitHostPort(s.l.Addr().String())
	p, _ := strconv.Atoi(port)
	return config.SMTP{Host: host, Port: p, From: "ShopEase <orders@shopease.test>"}
}

// messages returns a copy of what the server accepted so far.
func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

// messagesTo returns the accepted messages addressed to addr.
func (s *smtpServer) messagesTo(addr string) []smtpMessage {
	var out []smtpMessage
	for _, m := range s.messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// rcptTimes returns when the server was sent RCPT TO addr.
func (s *smtpServer) rcptTimes(addr string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.rcpts[addr]...)
}

func (s *smtpServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(code int, text string) { tp.PrintfLine("%d %s", code, text) }
	reply(220, "fake-smtp ready")
	var cur smtpMessage
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply(250, "fake-smtp")
		case "MAIL":
			if s.refuse() {
				reply(451, "try again later")
				continue
			}
			cur = smtpMessage{From: pathArg(arg)}
			reply(250, "ok")
		case "RCPT":
			to := pathArg(arg)
			switch answer := s.rcpt(to); answer {
			case "":
				cur.To = append(cur.To, to)
				reply(250, "ok")
			case stallAnswer:
				io.Copy(io.Discard, c) // until the client gives up
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
			cur = smtpMessage{}
			reply(250, "queued")
		case "RSET":
			cur = smtpMessage{}
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			if s.b.stallQuit { // never changed after start
				io.Copy(io.Discard, c) // until the client gives up
				return
			}
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}

func (s *smtpServer) refuse() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.refuseMail > 0 {
		s.b.refuseMail--
		return true
	}
	return false
}

// stallAnswer is rcpt's answer for "never answer".
const stallAnswer = "stall"

// rcpt records a RCPT TO addr and returns the reply line to refuse it
// with, stallAnswer, or "" to accept it.
func (s *smtpServer) rcpt(addr string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpts[addr] = append(s.rcpts[addr], time.Now())
	if reply, ok := s.b.reject[addr]; ok {
		return reply
	}
	if n := s.b.deferRcpt[addr]; n != 0 {
		if n > 0 {
			s.b.deferRcpt[addr] = n - 1
		}
		return "451 4.7.1 greylisted, try again later"
	}
	if s.b.stall[addr] {
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
