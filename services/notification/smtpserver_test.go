package notification

import (
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shoplab/shoplab/internal/config"
)

// smtpMessage is one e-mail the fake server accepted.
type smtpMessage struct {
	From string
	To   []string
	Data []byte // the DATA section, with "\n" line ends
}

// smtpServer speaks just enough SMTP for net/smtp: greeting, EHLO/HELO,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT. It records every accepted message.
type smtpServer struct {
	l  net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	msgs     []smtpMessage
	conns    map[net.Conn]struct{}
	refusals int // MAIL commands still to refuse with a transient error
}

// startSMTP starts a server that refuses the first refuse MAIL commands
// with "451 try again later".
func startSMTP(t *testing.T, refuse int) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{l: l, conns: map[net.Conn]struct{}{}, refusals: refuse}
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
			cur.To = append(cur.To, pathArg(arg))
			reply(250, "ok")
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
	if s.refusals > 0 {
		s.refusals--
		return true
	}
	return false
}

// pathArg extracts the address from "FROM:<a@b>" or "TO:<a@b> SIZE=1".
func pathArg(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
	return strings.Trim(rest, "<>")
}
