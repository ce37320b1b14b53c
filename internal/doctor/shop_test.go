package doctor

import (
	"bytes"
	"context"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
)

// shop is the whole ShopEase shop running in this test on free ports
// (labharness): its spans go over OTLP/gRPC to a receiver and its e-mails over
// SMTP to an in-test server, the stand-ins' sources for Tempo and Mailpit.
type shop struct {
	*labharness.Shop
	spans *testkit.OTLPReceiver
	smtp  *smtpServer
}

// startShop starts the shop; with smtp it sends e-mails to an in-test SMTP
// server, else it only logs them (as local mode does by default).
func startShop(t *testing.T, withSMTP bool) *shop {
	t.Helper()
	s := &shop{spans: testkit.StartOTLPReceiver(t)}
	extra := map[string]string{}
	if withSMTP {
		s.smtp = startSMTP(t)
		host, port, _ := net.SplitHostPort(s.smtp.addr())
		extra["SMTP_HOST"], extra["SMTP_PORT"] = host, port
	}
	// The services export over real OTLP/gRPC, batched as in production
	// but flushed every 50 ms instead of every 5 s.
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpointURL(s.spans.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	bsp := sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBatchTimeout(50*time.Millisecond))
	s.Shop = labharness.StartWith(t, extra, func(o *lab.Options) {
		o.SpanProcessors = []sdktrace.SpanProcessor{bsp}
	})
	return s
}

// smtpServer speaks just enough SMTP for net/smtp and keeps every message,
// like Mailpit's SMTP side (compare services/notification's test server).
type smtpServer struct {
	l    net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	msgs [][]byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{l: l}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) addr() string { return s.l.Addr().String() }

func (s *smtpServer) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

func (s *smtpServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
		}()
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(code int, text string) { tp.PrintfLine("%d %s", code, text) }
	reply(220, "stand-in smtp ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			reply(250, "ok")
		case "DATA":
			reply(354, "end data with <CR><LF>.<CR><LF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, bytes.Clone(data))
			n := len(s.msgs)
			s.mu.Unlock()
			reply(250, "queued as "+strconv.Itoa(n))
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}
