package notification

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/shoptest"
	"github.com/shoplab/shoplab/internal/telemetry"
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

// startService runs a notification service until the test ends; logs
// (may be nil) receives its log lines.
func startService(t *testing.T, brokers []string, smtp config.SMTP, logs io.Writer) *Service {
	t.Helper()
	s, err := New(t.Context(), Options{
		DBPath:    filepath.Join(t.TempDir(), "notification.db"),
		Telemetry: newTelemetry(t, "notification", logs),
		Brokers:   brokers,
		SMTP:      smtp,
	})
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
	env, err := events.NewEnvelope(eventID, events.TopicOrderPlaced, time.Now(), events.OrderPlaced{
		OrderID: orderID, UserID: "user-1", Email: "ada@example.com", TotalCents: 123456, Currency: "USD",
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

func parse(t *testing.T, m smtpMessage) parsed {
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

// metricValue reads one series from reg (shoptest.GatheredValue).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	return shoptest.GatheredValue(t, reg, name, labels)
}
