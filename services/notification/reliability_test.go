package notification

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestPoisonRecipientDoesNotBlockOthers is the incident of issue 11: one
// recipient the mail server refuses for good (550 5.1.1) used to stop
// every e-mail behind it. It must be dead-lettered once, with its reason,
// and the rest must flow, including past an address that is only
// greylisted (4xx) and stays pending.
func TestPoisonRecipientDoesNotBlockOthers(t *testing.T) {
	testkit.ForEachBackend(t, testPoisonRecipientDoesNotBlockOthers)
}

func testPoisonRecipientDoesNotBlockOthers(t *testing.T, be testkit.Backend) {
	t.Parallel()
	b := startBroker(t)
	const (
		bad  = "bad@example.com"
		grey = "grey@example.com"
		// reply is what Postfix answers for an unknown local user.
		reply = "550 5.1.1 <bad@example.com>: Recipient address rejected: User unknown"
	)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{
		Reject:    map[string]string{bad: reply},
		DeferRcpt: map[string]int{grey: -1},
	})
	var logs testkit.SyncBuffer
	s := startServiceWith(t, Options{
		Database:        be.New(t),
		Telemetry:       newTelemetry(t, "notification", &logs),
		Brokers:         b.Addrs(),
		SMTP:            smtpConfig(mailbox),
		RetryBackoff:    20 * time.Millisecond,
		MaxRetryBackoff: 100 * time.Millisecond,
	})
	p := newProducer(t, b.Addrs())

	// One key, so one partition, in this order: the poison comes first.
	badTrace := p.publish(t, events.TopicOrderPlaced, "user-1", orderEventTo(t, "evt-bad", "order-bad", bad))
	p.publish(t, events.TopicOrderPlaced, "user-1", orderEventTo(t, "evt-grey", "order-grey", grey))
	good := []string{"good1@example.com", "good2@example.com", "good3@example.com"}
	for i, addr := range good {
		p.publish(t, events.TopicOrderPlaced, "user-1", orderEventTo(t, fmt.Sprintf("evt-good%d", i), fmt.Sprintf("order-good%d", i), addr))
	}

	testkit.WaitFor(t, deliveryTimeout, "an e-mail to every good address", func() bool {
		for _, addr := range good {
			if len(mailbox.MessagesTo(addr)) == 0 {
				return false
			}
		}
		return true
	})
	testkit.WaitFor(t, deliveryTimeout, "the poison e-mail dead-lettered", func() bool {
		return emailRow(t, s, "evt-bad").status == statusDead
	})
	testkit.WaitFor(t, deliveryTimeout, "the greylisted e-mail retried", func() bool {
		return emailRow(t, s, "evt-grey").attempts >= 3
	})
	testkit.WaitFor(t, deliveryTimeout, "the consumer's offset past every event", func() bool {
		return uncommitted(t, b.Addrs(), events.TopicOrderPlaced) == 0
	})

	for _, addr := range good {
		if n := len(mailbox.MessagesTo(addr)); n != 1 {
			t.Errorf("%d e-mails to %s, want 1", n, addr)
		}
	}
	if n := len(mailbox.Messages()); n != len(good) {
		t.Errorf("%d e-mails in all, want %d", n, len(good))
	}
	if n := len(mailbox.RcptTimes(bad)); n != 1 {
		t.Errorf("the refused recipient was tried %d times, want 1", n)
	}
	if r := emailRow(t, s, "evt-bad"); r.attempts != 1 || !strings.Contains(r.lastError, "550") || !strings.Contains(r.lastError, "5.1.1") {
		t.Errorf("dead letter = %+v, want 1 attempt and the server's 550 5.1.1 reply as reason", r)
	}
	if r := emailRow(t, s, "evt-grey"); r.status != statusPending || !strings.Contains(r.lastError, "451") {
		t.Errorf("greylisted e-mail = %+v, want pending with the 451 reply as last error", r)
	}
	for class, want := range map[string]float64{reasonRecipientRejected: 1, reasonMessageRejected: 0} {
		labels := map[string]string{"event_type": events.TopicOrderPlaced, "reason_class": class}
		if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_notification_dead_letters_total", labels); got != want {
			t.Errorf("dead_letters_total%v = %v, want %v", labels, got, want)
		}
	}
	// E-mail lag shows although Kafka lag is zero.
	testkit.WaitFor(t, deliveryTimeout, "the pending gauges to show the greylisted e-mail", func() bool {
		labels := map[string]string{"event_type": events.TopicOrderPlaced}
		return testkit.MetricValue(t, s.tel.Registry, "shoplab_notification_pending_emails", labels) == 1 &&
			testkit.MetricValue(t, s.tel.Registry, "shoplab_notification_oldest_pending_age_seconds", labels) > 0
	})

	lines := logLines(t, logs.String(), "e-mail dead-lettered: the mail server refused it for good")
	if len(lines) != 1 {
		t.Fatalf("%d dead-letter log lines, want 1", len(lines))
	}
	l := lines[0]
	if l["level"] != "ERROR" || l["trace_id"] != badTrace || l["event_id"] != "evt-bad" || l["reason_class"] != reasonRecipientRejected ||
		!strings.Contains(fmt.Sprint(l["error"]), "User unknown") {
		t.Errorf("dead-letter log line = %v, want ERROR in the event's trace %s with the reason", l, badTrace)
	}
}

// TestTransientRefusalIsRetriedWithBackoff: a 4xx reply is retried, with
// a growing pause, until the e-mail goes out, exactly once.
func TestTransientRefusalIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	const refusals = 3
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{DeferRcpt: map[string]int{"ada@example.com": refusals}})
	const backoff = 100 * time.Millisecond
	tel, spans := newRecordedTelemetry(t)
	s := startServiceWith(t, Options{
		Telemetry:       tel,
		Brokers:         b.Addrs(),
		SMTP:            smtpConfig(mailbox),
		RetryBackoff:    backoff,
		MaxRetryBackoff: time.Minute,
	})
	p := newProducer(t, b.Addrs())

	traceID := p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-1", "order-1"))
	testkit.WaitFor(t, deliveryTimeout, "the e-mail recorded as sent", func() bool {
		return emailRow(t, s, "evt-1").status == statusSent
	})

	if n := len(mailbox.Messages()); n != 1 {
		t.Errorf("%d e-mails, want 1", n)
	}
	if r := emailRow(t, s, "evt-1"); r.attempts != refusals+1 || r.lastError != "" {
		t.Errorf("row = %+v, want %d attempts and no error left", r, refusals+1)
	}
	// Each pause is at least the backoff for the attempts so far: load
	// can only make them longer.
	times := mailbox.RcptTimes("ada@example.com")
	if len(times) != refusals+1 {
		t.Fatalf("%d RCPT commands, want %d", len(times), refusals+1)
	}
	for i := 1; i < len(times); i++ {
		if gap, min := times[i].Sub(times[i-1]), backoff<<(i-1); gap < min {
			t.Errorf("pause before attempt %d = %v, want at least %v", i+1, gap, min)
		}
	}
	reg := s.tel.Registry
	for outcome, want := range map[string]float64{outcomeError: refusals, outcomeOK: 1} {
		labels := map[string]string{"event_type": events.TopicOrderPlaced, "channel": channelSMTP, "outcome": outcome}
		if got := testkit.MetricValue(t, reg, "shoplab_notifications_sent_total", labels); got != want {
			t.Errorf("sent_total%v = %v, want %v", labels, got, want)
		}
	}
	for _, class := range reasonClasses {
		labels := map[string]string{"event_type": events.TopicOrderPlaced, "reason_class": class}
		if got := testkit.MetricValue(t, reg, "shoplab_notification_dead_letters_total", labels); got != 0 {
			t.Errorf("dead_letters_total%v = %v, want 0", labels, got)
		}
	}
	testkit.WaitFor(t, deliveryTimeout, "the pending gauge back to 0", func() bool {
		return testkit.MetricValue(t, reg, "shoplab_notification_pending_emails", map[string]string{"event_type": events.TopicOrderPlaced}) == 0
	})

	// The trace shows every attempt under the consumer span, each with
	// its SMTP conversation.
	var process sdktrace.ReadOnlySpan
	deliveries := map[string]sdktrace.ReadOnlySpan{}
	smtpParents := map[string]bool{}
	for _, sp := range spans.Ended() {
		if sp.SpanContext().TraceID().String() != traceID {
			continue
		}
		switch sp.Name() {
		case "process " + events.TopicOrderPlaced:
			process = sp
		case "deliver e-mail":
			deliveries[sp.SpanContext().SpanID().String()] = sp
		case "smtp send":
			smtpParents[sp.Parent().SpanID().String()] = true
		}
	}
	if process == nil || len(deliveries) != refusals+1 {
		t.Fatalf("trace %s: consumer span %v, %d delivery spans; want one and %d", traceID, process != nil, len(deliveries), refusals+1)
	}
	for id, d := range deliveries {
		if d.Parent().SpanID() != process.SpanContext().SpanID() || !smtpParents[id] {
			t.Errorf("delivery span %s: parent %s, smtp child %v; want the consumer span %s and an smtp send",
				id, d.Parent().SpanID(), smtpParents[id], process.SpanContext().SpanID())
		}
	}
}

// TestStalledMailServerTimesOut: a server that stops answering in the
// middle of one e-mail costs that e-mail a timeout and a retry, and holds
// up no other.
func TestStalledMailServerTimesOut(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	const slow = "slow@example.com"
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{Stall: map[string]bool{slow: true}})
	s := startServiceWith(t, Options{
		Brokers:         b.Addrs(),
		SMTP:            smtpConfig(mailbox),
		SendTimeout:     time.Second,
		RetryBackoff:    20 * time.Millisecond,
		MaxRetryBackoff: 100 * time.Millisecond,
	})
	p := newProducer(t, b.Addrs())

	p.publish(t, events.TopicOrderPlaced, "user-1", orderEventTo(t, "evt-slow", "order-slow", slow))
	p.publish(t, events.TopicOrderPlaced, "user-1", orderEventTo(t, "evt-ok", "order-ok", "ada@example.com"))

	testkit.WaitFor(t, deliveryTimeout, "the e-mail behind the stalled one", func() bool {
		return len(mailbox.MessagesTo("ada@example.com")) == 1
	})
	testkit.WaitFor(t, deliveryTimeout, "the stalled e-mail timed out twice", func() bool {
		return emailRow(t, s, "evt-slow").attempts >= 3 // the third is under way
	})
	if r := emailRow(t, s, "evt-slow"); r.status != statusPending || r.lastError == "" {
		t.Errorf("stalled e-mail = %+v, want pending with the last failure", r)
	}
	for _, class := range reasonClasses {
		labels := map[string]string{"event_type": events.TopicOrderPlaced, "reason_class": class}
		if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_notification_dead_letters_total", labels); got != 0 {
			t.Errorf("dead_letters_total%v = %v, want 0: a timeout is transient", labels, got)
		}
	}
}

// TestLagRisesWhileConsumerIsStuck: with the consumer unable to store
// events (its database locked by someone else), the lag gauge rises with
// every event produced, although the consumer fetches nothing new; it
// falls back to 0 once the consumer catches up.
func TestLagRisesWhileConsumerIsStuck(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	dbPath := t.TempDir() + "/notification.db"
	s := startServiceWith(t, Options{Database: database.Source{Path: dbPath}, Brokers: b.Addrs(), SMTP: smtpConfig(mailbox)})
	p := newProducer(t, b.Addrs())
	reg := s.tel.Registry

	p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-0", "order-0"))
	testkit.WaitFor(t, deliveryTimeout, "the first e-mail", func() bool { return len(mailbox.Messages()) == 1 })

	// Take the database's write lock, as a stuck migration or a backup
	// would.
	other, err := sql.Open("sqlite3", "file:"+dbPath+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()

	p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-1", "order-1"))
	errored := map[string]string{"group": ConsumerGroup, "topic": events.TopicOrderPlaced, "outcome": "error"}
	testkit.WaitFor(t, deliveryTimeout, "the consumer to fail on the locked database", func() bool {
		return testkit.MetricValue(t, reg, "shoplab_kafka_messages_consumed_total", errored) >= 1
	})
	const more = 5
	for i := range more {
		p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, fmt.Sprintf("evt-%d", i+2), fmt.Sprintf("order-%d", i+2)))
	}
	var partition string
	testkit.WaitFor(t, deliveryTimeout, fmt.Sprintf("a partition's lag to reach %d", more+1), func() bool {
		for p, lag := range consumerLag(t, reg, events.TopicOrderPlaced) {
			if lag >= more+1 {
				partition = p
				return true
			}
		}
		return false
	})
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, deliveryTimeout, "the lag back to 0", func() bool {
		return consumerLag(t, reg, events.TopicOrderPlaced)[partition] == 0
	})
	testkit.WaitFor(t, deliveryTimeout, "every e-mail", func() bool { return len(mailbox.Messages()) == more+2 })
}
