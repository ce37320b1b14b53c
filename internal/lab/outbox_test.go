package lab

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// TestCheckoutSurvivesBrokerOutage stops Kafka under a running shop:
// checkouts keep succeeding, their events wait in the outbox, and all of
// them are published and e-mailed once the broker is back. A redelivered
// event then sends no second e-mail.
func TestCheckoutSurvivesBrokerOutage(t *testing.T) {
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)

	cfg := testConfig(t, map[string]string{"KAFKA_BROKERS": addr})
	l := startLab(t, Options{Config: cfg})
	gw, ord, nf := endpoint(t, l, topology.Gateway), endpoint(t, l, topology.Orders), endpoint(t, l, topology.Notification)
	c := &testkit.Client{Base: "http://" + gw.HTTP, Region: "us-east"}

	// One checkout while the broker is up proves the path works.
	checkout(t, c, "before@example.com", 1)
	sent := map[string]string{"event_type": "order.placed", "outcome": "ok"}
	testkit.WaitMetric(t, testkit.Scrape(nf.MetricsURL), "shoplab_notifications_sent_total", sent, 1, 20*time.Second)

	b.Close()
	const during = 3
	for i := range during {
		checkout(t, c, fmt.Sprintf("outage%d@example.com", i), 1)
	}
	if v := testkit.MetricValue(t, testkit.Scrape(ord.MetricsURL), "shoplab_outbox_backlog", nil); v != during {
		t.Fatalf("outbox backlog during the outage = %v, want %d", v, during)
	}

	b, err = broker.Start(broker.Options{Port: port})
	if err != nil {
		t.Fatalf("restart broker on port %d: %v", port, err)
	}
	t.Cleanup(b.Close)
	testkit.WaitFor(t, 30*time.Second, "the outbox backlog to drain", func() error {
		if v := testkit.MetricValue(t, testkit.Scrape(ord.MetricsURL), "shoplab_outbox_backlog", nil); v != 0 {
			return fmt.Errorf("outbox backlog %v", v)
		}
		return nil
	})
	// The restarted broker is empty, so the consumer sees exactly the
	// outage's events: 1 + during e-mails in all.
	testkit.WaitMetric(t, testkit.Scrape(nf.MetricsURL), "shoplab_notifications_sent_total", sent, 1+during, 30*time.Second)

	// Redeliver one published event: the consumer must not e-mail again.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), Topic: events.TopicOrderPlaced, Partition: firstNonEmptyPartition(t, ctx, b.Addrs()[0])})
	defer r.Close()
	msg, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Topic: msg.Topic, Key: msg.Key, Value: msg.Value, Headers: msg.Headers}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitMetric(t, testkit.Scrape(nf.MetricsURL), "shoplab_notification_duplicates_total", map[string]string{"event_type": "order.placed"}, 1, 20*time.Second)
	if v := testkit.MetricValue(t, testkit.Scrape(nf.MetricsURL), "shoplab_notifications_sent_total", sent); v != 1+during {
		t.Fatalf("e-mails after a redelivery = %v, want %d", v, 1+during)
	}
}

func firstNonEmptyPartition(t *testing.T, ctx context.Context, addr string) int {
	t.Helper()
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(events.TopicOrderPlaced)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		pc, err := kafka.DialLeader(ctx, "tcp", addr, events.TopicOrderPlaced, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, err := pc.ReadLastOffset()
		pc.Close()
		if err != nil && !strings.Contains(err.Error(), "EOF") {
			t.Fatal(err)
		}
		if last > 0 {
			return p.ID
		}
	}
	t.Fatal("no partition of order.placed holds a message")
	return 0
}
