package replication

import "github.com/shoplab/shoplab/internal/testkit"

// received is one e-mail the mail server accepted.
type received struct {
	// from is the envelope sender: each notification replica has its own,
	// so that the test knows which one sent the e-mail.
	from      string
	eventID   string
	messageID string
}

// mails returns what the mail server accepted, in order.
func mails(sink *testkit.SMTPServer) []received {
	msgs := sink.Messages()
	out := make([]received, len(msgs))
	for i, m := range msgs {
		h := m.Header()
		out[i] = received{from: m.From, eventID: h.Get("X-Event-Id"), messageID: h.Get("Message-Id")}
	}
	return out
}
