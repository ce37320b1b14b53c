package notification

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/config"
)

// defaultSendTimeout bounds one SMTP conversation (dial included), so
// that a stalled mail server makes a transient failure instead of a stuck
// sender.
const defaultSendTimeout = 30 * time.Second

// deliver sends e over SMTP, or logs it when no SMTP server is configured.
// It calls accepted once the e-mail is out of its hands (the server took
// it, or it was logged) and then returns nil whatever happens: the e-mail
// must not be sent again.
func (s *Service) deliver(ctx context.Context, eventID string, e email, accepted func()) error {
	if s.channel == channelLog {
		// The log stands in for the mail server, so that the lab's mail
		// incidents act without one.
		if err := s.mailServerTrouble(ctx); err != nil {
			return err
		}
		s.tel.Logger.InfoContext(ctx, "email logged (no SMTP_HOST set)",
			"to", e.to.Address, "subject", e.subject, "event_id", eventID)
		accepted()
		return nil
	}
	return s.sendSMTP(ctx, eventID, e, accepted)
}

func (s *Service) sendSMTP(ctx context.Context, eventID string, e email, accepted func()) (err error) {
	ctx, span := s.tel.Tracer().Start(ctx, "smtp send",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("server.address", s.smtp.Host),
			attribute.Int("server.port", s.smtp.Port),
		))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "smtp send failed")
		}
		span.End()
	}()
	traceID := ""
	if sc := span.SpanContext(); sc.HasTraceID() {
		traceID = sc.TraceID().String()
	}
	msg := buildMessage(s.from, e, s.now(), messageID(eventID, s.from), eventID, traceID)
	ctx, cancel := context.WithTimeout(ctx, s.sendTimeout)
	defer cancel()
	if err := s.mailServerTrouble(ctx); err != nil {
		return err
	}
	return smtpSend(ctx, s.smtp, s.from.Address, e.to.Address, msg, accepted)
}

// smtpSend is smtp.SendMail bounded by ctx: SendMail has no timeout, and a
// mail server that accepts the connection but never answers would block
// the sender forever. It calls accepted when the server has replied 250
// to the message, before QUIT, and returns nil from then on. Errors are
// *smtpError, naming the step that failed, so that classify can tell a
// refused recipient from a refused server.
func smtpSend(ctx context.Context, cfg config.SMTP, from, to string, msg []byte, accepted func()) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr())
	if err != nil {
		return &smtpError{stageDial, fmt.Errorf("%s: %w", cfg.Addr(), err)}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return &smtpError{stageGreeting, fmt.Errorf("%s: %w", cfg.Addr(), err)}
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: cfg.Host}); err != nil {
			return &smtpError{stageStartTLS, err}
		}
	}
	// Authenticate only when configured: local catchers (Mailpit) take
	// mail without it, and PlainAuth refuses to send a password over a
	// connection that is neither TLS nor to localhost.
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return &smtpError{stageAuth, fmt.Errorf("as %s: %w", cfg.Username, err)}
		}
	}
	if err := c.Mail(from); err != nil {
		return &smtpError{stageMail, err}
	}
	if err := c.Rcpt(to); err != nil {
		return &smtpError{stageRcpt, err}
	}
	w, err := c.Data()
	if err != nil {
		return &smtpError{stageData, err}
	}
	if _, err := w.Write(msg); err != nil {
		return &smtpError{stageData, err}
	}
	// Close returns once the server has answered the final dot.
	if err := w.Close(); err != nil {
		return &smtpError{stageData, err}
	}
	// The server took responsibility for the message with its reply to
	// the data. It is recorded now rather than after QUIT, which would
	// only widen the window in which a crash sends it twice; and a failed
	// QUIT must not make it a failure, or the retry would send it twice.
	accepted()
	c.Quit()
	return nil
}

// buildMessage writes an RFC 5322 message. X-Trace-Id lets the e-mail in
// the SMTP catcher be matched to its trace.
func buildMessage(from *mail.Address, e email, date time.Time, msgID, eventID, traceID string) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", e.to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", e.subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("X-Event-Id", headerSafe(eventID))
	if traceID != "" {
		header("X-Trace-Id", traceID)
	}
	b.WriteString("\r\n")
	// Quoted-printable keeps lines short and 7-bit whatever the names
	// contain, and turns "\n" into CRLF.
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(e.body))
	qp.Close()
	return b.Bytes()
}

// messageID derives the Message-ID from the event ID: an e-mail sent again
// in the at-least-once window carries the same ID, which lets mail
// software recognise the copy.
func messageID(eventID string, from *mail.Address) string {
	domain := "shopease.test"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	return "<" + headerSafe(eventID) + ".notification@" + domain + ">"
}

// headerSafe returns id if it is made of characters safe in a header and
// a Message-ID, and a hash of it otherwise.
func headerSafe(id string) string {
	safe := id != "" && len(id) <= 128 && strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0
	if safe {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}
