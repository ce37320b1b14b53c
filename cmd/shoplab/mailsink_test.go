package main

import (
	"net"
	"strings"

	"github.com/shoplab/shoplab/internal/testkit"
)

// sunkMail is one message the mail sink (a testkit.SMTPServer) accepted.
type sunkMail struct {
	EventID   string // X-Event-Id
	MessageID string
	To        string
	// Run is the run of the lab that sent it: the sink's run when the
	// session opened (see testkit.SMTPServer.NextRun).
	Run int
}

// receivedMails returns what the sink accepted so far.
func receivedMails(sink *testkit.SMTPServer) []sunkMail {
	msgs := sink.Messages()
	out := make([]sunkMail, len(msgs))
	for i, m := range msgs {
		h := m.Header()
		out[i] = sunkMail{
			EventID:   h.Get("X-Event-Id"),
			MessageID: h.Get("Message-Id"),
			To:        strings.Join(m.To, ", "),
			Run:       m.Run,
		}
	}
	return out
}

// mailEnv points a lab at the sink.
func mailEnv(sink *testkit.SMTPServer) []string {
	_, port, _ := net.SplitHostPort(sink.Addr())
	return []string{"SMTP_HOST=127.0.0.1", "SMTP_PORT=" + port}
}
