package notification

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

func startBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func newTelemetry(t *testing.T, service string, logs io.Writer) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: service, Stdout: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// newRecordedTelemetry is newTelemetry for the notification service, with
// its ended spans kept in the returned recorder.
func newRecordedTelemetry(t *testing.T) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "notification", SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel, rec
}

// startService runs a notification service until the test ends; logs
// (may be nil) receives its log lines.
func startService(t *testing.T, brokers []string, smtp config.SMTP, logs io.Writer) *Service {
	t.Helper()
	return startServiceWith(t, Options{
		Telemetry: newTelemetry(t, "notification", logs),
		Brokers:   brokers,
		SMTP:      smtp,
	})
}

// startServiceWith runs a notification service with o until the test
// ends; a zero Database is a fresh SQLite one, a nil Telemetry logs
// nowhere.
func startServiceWith(t *testing.T, o Options) *Service {
	t.Helper()
	if o.Database.IsZero() {
		o.Database = testkit.SQLiteSource(t)
	}
	if o.Telemetry == nil {
		o.Telemetry = newTelemetry(t, "notification", nil)
	}
	s, err := New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

// producer publishes events the way another service does.
type producer struct {
	pub *events.Publisher
	tel *telemetry.Telemetry
}

func newProducer(t *testing.T, brokers []string) producer {
	t.Helper()
	tel := newTelemetry(t, "orders", nil)
	pub, err := events.NewPublisher(tel, brokers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return producer{pub: pub, tel: tel}
}

// publish sends env inside a fresh trace and returns its trace ID. Tests
// give related events the same key so that they share a partition and are
// handled in order.
func (p producer) publish(t *testing.T, topic, key string, env events.Envelope) string {
	t.Helper()
	value, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return p.publishRaw(t, topic, key, value)
}

func (p producer) publishRaw(t *testing.T, topic, key string, value []byte) string {
	t.Helper()
	ctx, span := p.tel.Tracer().Start(t.Context(), "test producer")
	defer span.End()
	if err := p.pub.Publish(ctx, kafka.Message{Topic: topic, Key: []byte(key), Value: value}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return span.SpanContext().TraceID().String()
}

func orderEvent(t *testing.T, eventID, orderID string) events.Envelope {
	t.Helper()
	return orderEventTo(t, eventID, orderID, "ada@example.com")
}

// orderEventTo is orderEvent for a customer whose address is email.
func orderEventTo(t *testing.T, eventID, orderID, email string) events.Envelope {
	t.Helper()
	env, err := events.NewEnvelope(eventID, events.TopicOrderPlaced, time.Now(), events.OrderPlaced{
		OrderID: orderID, UserID: "user-1", Email: email, TotalCents: 123456, Currency: "USD",
		Lines: []events.OrderLine{
			{ProductID: 1, Name: "Widget", Quantity: 2, UnitPriceCents: 999},
			{ProductID: 2, Name: "Gadget", Quantity: 1, UnitPriceCents: 121458},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func userEvent(t *testing.T, eventID string) events.Envelope {
	t.Helper()
	env, err := events.NewEnvelope(eventID, events.TopicUserRegistered, time.Now(),
		events.UserRegistered{UserID: "user-1", Email: "ada@example.com", Name: "Ada Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// parsed is an accepted e-mail taken apart.
type parsed struct {
	header mail.Header
	body   string
}

func parse(t *testing.T, m testkit.SMTPMessage) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, m.Data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return parsed{header: msg.Header, body: string(body)}
}

// consumerLag returns the service's consumer lag gauge for topic, by
// partition.
func consumerLag(t *testing.T, reg *prometheus.Registry, topic string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range testkit.MetricSeries(t, reg, "shoplab_kafka_consumer_lag", map[string]string{"group": ConsumerGroup, "topic": topic}) {
		for _, l := range m.GetLabel() {
			if l.GetName() == "partition" {
				out[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// uncommitted asks the broker how many messages of topic the service's
// consumer group has not committed yet, over all partitions.
func uncommitted(t *testing.T, brokers []string, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	parts := []int{0, 1, 2} // the embedded broker's three partitions
	var reqs []kafka.OffsetRequest
	for _, p := range parts {
		reqs = append(reqs, kafka.LastOffsetOf(p))
	}
	ends, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatal(err)
	}
	committed, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: ConsumerGroup, Topics: map[string][]int{topic: parts}})
	if err != nil {
		t.Fatal(err)
	}
	commits := map[int]int64{}
	for _, p := range committed.Topics[topic] {
		commits[p.Partition] = max(p.CommittedOffset, 0)
	}
	var n int64
	for _, p := range ends.Topics[topic] {
		n += p.LastOffset - commits[p.Partition]
	}
	return n
}

// row is an e-mail's record in the service's database.
type row struct {
	status    string
	attempts  int
	lastError string
}

// emailRow reads eventID's row; its status is "" when there is none yet.
func emailRow(t *testing.T, s *Service, eventID string) row {
	t.Helper()
	var (
		r         row
		lastError sql.NullString
	)
	err := s.db.QueryRow(`SELECT status, attempts, last_error FROM processed_events WHERE event_id = $1`, eventID).Scan(&r.status, &r.attempts, &lastError)
	if errors.Is(err, sql.ErrNoRows) {
		return row{}
	}
	if err != nil {
		t.Fatalf("event %s: %v", eventID, err)
	}
	r.lastError = lastError.String
	return r
}

// logLines returns the JSON log lines whose msg is msg.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}
