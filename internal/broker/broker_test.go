package broker

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/events"
)

// TestKafkaGoGroupRoundTrip proves the embedded broker speaks enough Kafka
// for kafka-go: produce, consumer-group fetch and commit.
func TestKafkaGoGroupRoundTrip(t *testing.T) {
	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Topic: events.TopicOrderPlaced, Key: []byte("k"), Value: []byte("v1")}); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: b.Addrs(), GroupID: "g", GroupTopics: []string{events.TopicOrderPlaced},
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	start := time.Now()
	m, err := r.FetchMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first message after %v", time.Since(start))
	if string(m.Value) != "v1" {
		t.Fatalf("value = %q", m.Value)
	}
	if err := r.CommitMessages(ctx, m); err != nil {
		t.Fatal(err)
	}
}
