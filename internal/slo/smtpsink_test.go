package slo

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// sunkMail is one message the sink accepted, decoded.
type sunkMail struct {
	To      []string
	Subject string
	// Text is every text part of the body, transfer encoding undone.
	Text string
}

// smtpSink is an SMTP server that accepts every message: the test's
// stand-in for Mailpit. It speaks the commands Alertmanager sends without
// authentication or TLS.
type smtpSink struct {
	l  net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	mails []sunkMail
	conns map[net.Conn]struct{}
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{l: l, conns: map[net.Conn]struct{}{}}
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

// addr is where the sink listens (host:port).
func (s *smtpSink) addr() string { return s.l.Addr().String() }

// received returns a copy of the messages accepted so far.
func (s *smtpSink) received() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.mails...)
}

func (s *smtpSink) serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	}
}

func (s *smtpSink) session(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(code int, text string) { tp.PrintfLine("%d %s", code, text) }
	reply(220, "sink ready")
	var to []string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply(250, "sink")
		case "MAIL", "NOOP":
			reply(250, "ok")
		case "RSET":
			to = nil
			reply(250, "ok")
		case "RCPT":
			_, addr, _ := strings.Cut(arg, ":")
			to = append(to, strings.Trim(strings.TrimSpace(addr), "<>"))
			reply(250, "ok")
		case "DATA":
			reply(354, "end data with <CR><LF>.<CR><LF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m := decodeMail(data)
			m.To = to
			to = nil
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			reply(250, "queued")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "not implemented")
		}
	}
}

// decodeMail returns a message's subject and text parts. Alertmanager
// sends multipart/alternative (text and HTML) in quoted-printable, which
// multipart's reader undoes; anything unparsable is kept raw, so that a
// failing test shows it.
func decodeMail(data []byte) sunkMail {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return sunkMail{Text: string(data)}
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	m := sunkMail{Subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		body, _ := io.ReadAll(msg.Body)
		m.Text = string(body)
		return m
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var text strings.Builder
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		text.Write(b)
		text.WriteString("\n")
	}
	m.Text = text.String()
	return m
}
