package notification

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestLeaseOfDeadProcessIsReleasedAtStart: an e-mail a previous process
// claimed and never finished (it was killed mid-send) goes out as soon as
// the next process starts, not when its lease ends; an e-mail waiting out
// a retry backoff keeps waiting.
func TestLeaseOfDeadProcessIsReleasedAtStart(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	path := filepath.Join(t.TempDir(), "notification.db")
	ctx := t.Context()

	prev, err := New(ctx, Options{Database: database.Source{Path: path}, Telemetry: newTelemetry(t, "notification", nil), Brokers: b.Addrs(), SMTP: smtpConfig(mailbox)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"evt-leased", "evt-backoff"} {
		env := orderEventTo(t, id, "order-"+id, id+"@example.com")
		e, err := compose(events.TopicOrderPlaced, env)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prev.store(ctx, id, events.TopicOrderPlaced, env.OccurredAt, e, propagation.MapCarrier{}); err != nil {
			t.Fatal(err)
		}
	}
	lease := prev.sendTimeout + leaseMargin
	claimed, err := prev.claimDue(ctx, 2, lease)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimDue = %d e-mails, %v; want 2", len(claimed), err)
	}
	// One failed and waits out its backoff; the other was being sent
	// when the process died.
	refusal := errors.New("smtp RCPT TO: 451 4.7.1 greylisted")
	if err := prev.markRetry(ctx, "evt-backoff", time.Now().Add(time.Hour), refusal); err != nil {
		t.Fatal(err)
	}
	if err := prev.Close(); err != nil {
		t.Fatal(err)
	}

	s := startServiceWith(t, Options{Database: database.Source{Path: path}, Brokers: b.Addrs(), SMTP: smtpConfig(mailbox)})
	// Far shorter than the lease, generous for a loaded machine.
	const prompt = 10 * time.Second
	testkit.WaitFor(t, prompt, "the e-mail the dead process was sending, sent by the next", func() bool {
		return emailRow(t, s, "evt-leased").status == statusSent
	})
	if n := len(mailbox.MessagesTo("evt-leased@example.com")); n != 1 {
		t.Errorf("%d e-mails for the leased event, want 1", n)
	}
	if r := emailRow(t, s, "evt-leased"); r.attempts != 2 {
		t.Errorf("leased e-mail = %+v, want 2 attempts: the dead process's counts", r)
	}
	if r := emailRow(t, s, "evt-backoff"); r.status != statusPending || r.attempts != 1 || r.lastError != refusal.Error() {
		t.Errorf("e-mail in backoff = %+v, want pending after 1 attempt, waiting", r)
	}
	if n := len(mailbox.MessagesTo("evt-backoff@example.com")); n != 0 {
		t.Errorf("%d e-mails for the event in backoff, want 0 before its next attempt", n)
	}
}

// TestSendRecordedOnAcceptance: the e-mail is recorded as sent as soon as
// the server accepts it, not once it answers QUIT, so that a crash while
// the conversation ends does not send it again.
func TestSendRecordedOnAcceptance(t *testing.T) {
	testkit.ForEachBackend(t, testSendRecordedOnAcceptance)
}

func testSendRecordedOnAcceptance(t *testing.T, be testkit.Backend) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{StallQuit: true})
	s := startServiceWith(t, Options{
		Database: be.New(t),
		Brokers:  b.Addrs(),
		SMTP:     smtpConfig(mailbox),
		// The unanswered QUIT ends with the send timeout: far later than
		// the test waits.
		SendTimeout: 10 * time.Minute,
	})
	p := newProducer(t, b.Addrs())

	p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-1", "order-1"))
	testkit.WaitFor(t, deliveryTimeout, "the e-mail at the server", func() bool { return len(mailbox.Messages()) == 1 })
	testkit.WaitFor(t, deliveryTimeout, "the e-mail recorded as sent while QUIT is unanswered", func() bool {
		return emailRow(t, s, "evt-1").status == statusSent
	})
	if r := emailRow(t, s, "evt-1"); r.attempts != 1 || r.lastError != "" {
		t.Errorf("row = %+v, want 1 attempt and no error", r)
	}
	labels := map[string]string{"event_type": events.TopicOrderPlaced, "channel": channelSMTP, "outcome": outcomeOK}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_notifications_sent_total", labels); got != 1 {
		t.Errorf("sent_total%v = %v, want 1", labels, got)
	}
}
