package notification

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
)

// deliveryTimeout covers joining the consumer group, which takes a few
// seconds, plus delivery.
const deliveryTimeout = 30 * time.Second

func TestOrderPlacedSendsOneEmailPerEvent(t *testing.T) {
	testkit.ForEachBackend(t, testOrderPlacedSendsOneEmailPerEvent)
}

func testOrderPlacedSendsOneEmailPerEvent(t *testing.T, be testkit.Backend) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	s := startServiceWith(t, Options{Database: be.New(t), Brokers: b.Addrs(), SMTP: smtpConfig(mailbox)})
	p := newProducer(t, b.Addrs())

	first := orderEvent(t, "evt-1", "order-1")
	traceID := p.publish(t, events.TopicOrderPlaced, "user-1", first)
	testkit.WaitFor(t, deliveryTimeout, "the first e-mail", func() bool { return len(mailbox.Messages()) > 0 })

	msgs := mailbox.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails, want 1", len(msgs))
	}
	if msgs[0].From != "orders@shopease.test" || len(msgs[0].To) != 1 || msgs[0].To[0] != "ada@example.com" {
		t.Errorf("envelope from %s to %v, want orders@shopease.test to [ada@example.com]", msgs[0].From, msgs[0].To)
	}
	m := parse(t, msgs[0])
	if got := m.header.Get("X-Trace-Id"); got != traceID {
		t.Errorf("X-Trace-Id = %q, want the producer's trace %s", got, traceID)
	}
	for k, want := range map[string]string{
		"From":         `"ShopEase" <orders@shopease.test>`,
		"To":           "<ada@example.com>",
		"Subject":      "Your ShopEase order order-1 is confirmed",
		"Message-ID":   "<evt-1.notification@shopease.test>",
		"MIME-Version": "1.0",
		"Content-Type": "text/plain; charset=UTF-8",
	} {
		if got := m.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := m.header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	for _, want := range []string{"Order: order-1", "2 x Widget at 9.99 USD = 19.98 USD", "1 x Gadget at 1,214.58 USD = 1,214.58 USD", "Total: 1,234.56 USD"} {
		if !strings.Contains(m.body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.body)
		}
	}

	// Kafka delivers the first event again, then a new one. Both share
	// the first's key, hence its partition, so they are handled in order:
	// when the second's e-mail is in, the copy has been dealt with.
	p.publish(t, events.TopicOrderPlaced, "user-1", first)
	p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-2", "order-2"))
	testkit.WaitFor(t, deliveryTimeout, "the second order's e-mail", func() bool {
		for _, m := range mailbox.Messages() {
			if strings.Contains(string(m.Data), "order-2") {
				return true
			}
		}
		return false
	})
	if n := len(mailbox.Messages()); n != 2 {
		t.Errorf("%d e-mails, want 2: the redelivered event must not send another", n)
	}
	reg := s.tel.Registry
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"shoplab_notification_duplicates_total", map[string]string{"event_type": "order.placed"}, 1},
		{"shoplab_notifications_sent_total", map[string]string{"event_type": "order.placed", "channel": "smtp", "outcome": "ok"}, 2},
		{"shoplab_notifications_sent_total", map[string]string{"event_type": "order.placed", "channel": "smtp", "outcome": "error"}, 0},
		{"shoplab_notification_latency_seconds", map[string]string{"event_type": "order.placed"}, 2},
	} {
		if got := testkit.MetricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	var status, recipient string
	if err := s.db.QueryRow(`SELECT status, recipient FROM processed_events WHERE event_id = 'evt-1'`).Scan(&status, &recipient); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || recipient != "ada@example.com" {
		t.Errorf("evt-1 recorded as %s for %s, want sent for ada@example.com", status, recipient)
	}
}

func TestSMTPFailureIsRetried(t *testing.T) { testkit.ForEachBackend(t, testSMTPFailureIsRetried) }

func testSMTPFailureIsRetried(t *testing.T, be testkit.Backend) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{RefuseMail: 1})
	s := startServiceWith(t, Options{Database: be.New(t), Brokers: b.Addrs(), SMTP: smtpConfig(mailbox)})
	p := newProducer(t, b.Addrs())

	p.publish(t, events.TopicUserRegistered, "user-1", userEvent(t, "evt-u1"))
	testkit.WaitFor(t, deliveryTimeout, "the welcome e-mail", func() bool { return len(mailbox.Messages()) > 0 })

	m := parse(t, mailbox.Messages()[0])
	if got, want := m.header.Get("Subject"), "Welcome to ShopEase, Ada Lovelace!"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if got, want := m.header.Get("To"), `"Ada Lovelace" <ada@example.com>`; got != want {
		t.Errorf("To = %q, want %q", got, want)
	}
	for outcome, want := range map[string]float64{"error": 1, "ok": 1} {
		labels := map[string]string{"event_type": "user.registered", "channel": "smtp", "outcome": outcome}
		if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_notifications_sent_total", labels); got != want {
			t.Errorf("sent_total%v = %v, want %v", labels, got, want)
		}
	}
}

func TestMalformedEventsAreSkipped(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	mailbox := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	s := startService(t, b.Addrs(), smtpConfig(mailbox), nil)
	p := newProducer(t, b.Addrs())

	bad := []struct {
		name  string
		value string
	}{
		{"not JSON", `{not json`},
		{"envelope without id", `{"type":"order.placed","data":{}}`},
		{"data of the wrong shape", `{"id":"evt-b1","type":"order.placed","data":{"order_id":5}}`},
		{"no recipient", `{"id":"evt-b2","type":"order.placed","data":{"order_id":"o","lines":[{"name":"x","quantity":1}]}}`},
		{"no lines", `{"id":"evt-b3","type":"order.placed","data":{"order_id":"o","email":"ada@example.com"}}`},
	}
	for _, m := range bad {
		p.publishRaw(t, events.TopicOrderPlaced, "user-1", []byte(m.value))
	}
	p.publish(t, events.TopicOrderPlaced, "user-1", orderEvent(t, "evt-ok", "order-ok"))

	testkit.WaitFor(t, deliveryTimeout, "the valid order's e-mail", func() bool { return len(mailbox.Messages()) > 0 })
	msgs := mailbox.Messages()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "order-ok") {
		t.Fatalf("e-mails = %d, want exactly the one for order-ok", len(msgs))
	}
	labels := map[string]string{"group": "notification", "topic": "order.placed", "outcome": "rejected"}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_kafka_messages_consumed_total", labels); got != float64(len(bad)) {
		t.Errorf("rejected = %v, want %d", got, len(bad))
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM processed_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("processed_events has %d rows, want 1 (malformed events are not recorded)", n)
	}
}

func TestWithoutSMTPEmailIsLogged(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	var logs testkit.SyncBuffer
	s := startService(t, b.Addrs(), config.SMTP{}, &logs)
	p := newProducer(t, b.Addrs())

	traceID := p.publish(t, events.TopicUserRegistered, "user-1", userEvent(t, "evt-u1"))
	const msg = "email logged (no SMTP_HOST set)"
	testkit.WaitFor(t, deliveryTimeout, "the e-mail log line", func() bool { return strings.Contains(logs.String(), msg) })

	var line map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Bytes())
		}
		if l["msg"] == msg {
			line = l
		}
	}
	if line["trace_id"] != traceID {
		t.Errorf("trace_id = %v, want the producer's %s", line["trace_id"], traceID)
	}
	if line["to"] != "ada@example.com" || line["subject"] != "Welcome to ShopEase, Ada Lovelace!" || line["level"] != "INFO" {
		t.Errorf("log line = %v, want level INFO, to ada@example.com and the welcome subject", line)
	}
	labels := map[string]string{"event_type": "user.registered", "channel": "log", "outcome": "ok"}
	if got := testkit.MetricValue(t, s.tel.Registry, "shoplab_notifications_sent_total", labels); got != 1 {
		t.Errorf("sent_total%v = %v, want 1", labels, got)
	}
}
