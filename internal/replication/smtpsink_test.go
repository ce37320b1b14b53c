package replication

import (
	"bufio"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// received is one e-mail the sink accepted.
type received struct {
	// from is the envelope sender: each notification replica has its own,
	// so that the test knows which one sent the e-mail.
	from      string
	eventID   string
	messageID string
}

// smtpSink is a minimal SMTP server that accepts every e-mail: enough of
// RFC 5321 for net/smtp (EHLO without extensions, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT).
type smtpSink struct {
	ln net.Listener
	mu sync.Mutex
	// got is every e-mail accepted, in order.
	got []received
	wg  sync.WaitGroup
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpSink) addr() string { return s.ln.Addr().String() }

// mails returns a copy of what the sink accepted.
func (s *smtpSink) mails() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(line string) bool {
		_, err := c.Write([]byte(line + "\r\n"))
		return err == nil
	}
	if !reply("220 sink ESMTP") {
		return
	}
	var from string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			reply("250 sink")
		case "MAIL":
			from = strings.Trim(strings.TrimPrefix(strings.TrimSpace(line[len("MAIL"):]), "FROM:"), "<> ")
			reply("250 ok")
		case "RCPT", "RSET", "NOOP":
			reply("250 ok")
		case "DATA":
			if !reply("354 end with <CRLF>.<CRLF>") {
				return
			}
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			msg, err := mail.ReadMessage(strings.NewReader(b.String()))
			if err != nil {
				reply("554 unreadable message")
				continue
			}
			s.mu.Lock()
			s.got = append(s.got, received{from: from, eventID: msg.Header.Get("X-Event-Id"), messageID: msg.Header.Get("Message-Id")})
			s.mu.Unlock()
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}
