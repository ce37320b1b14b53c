package slo

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	"github.com/shoplab/shoplab/internal/testkit"
)

// sunkMail is one message the test's stand-in for Mailpit (a
// testkit.SMTPServer) accepted, decoded.
type sunkMail struct {
	To      []string
	Subject string
	// Text is every text part of the body, transfer encoding undone.
	Text string
}

// receivedMails returns what the sink accepted so far, decoded.
func receivedMails(sink *testkit.SMTPServer) []sunkMail {
	msgs := sink.Messages()
	out := make([]sunkMail, len(msgs))
	for i, m := range msgs {
		out[i] = decodeMail(m.Data)
		out[i].To = m.To
	}
	return out
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
