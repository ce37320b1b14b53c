package events

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestTraceContextAndBaggageCrossTheBroker: the consumer's handler runs in
// the producer's trace, under a consumer span whose parent is the producer
// span, and sees the producer's baggage (the region).
func TestTraceContextAndBaggageCrossTheBroker(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	ptel, prec := newTelemetry(t, "orders")
	ctel, crec := newTelemetry(t, "notification")
	pub := newPublisher(t, ptel, brokers)

	type seen struct {
		sc     trace.SpanContext
		region string
	}
	got := make(chan seen, 1)
	startConsumer(t, ctel, brokers, "g", func(ctx context.Context, _ string, _ Envelope) error {
		got <- seen{trace.SpanContextFromContext(ctx), region.FromContext(ctx)}
		return nil
	})

	ctx, span := ptel.Tracer().Start(region.WithRegion(t.Context(), "eu-west"), "checkout")
	if err := pub.Publish(ctx, message(t, "u-1", envelope(t, "evt-1"))); err != nil {
		t.Fatal(err)
	}
	span.End()
	var s seen
	select {
	case s = <-got:
	case <-time.After(waitTimeout):
		t.Fatal("the handler was not called")
	}
	if s.sc.TraceID() != span.SpanContext().TraceID() {
		t.Errorf("handler's trace = %s, want the producer's %s", s.sc.TraceID(), span.SpanContext().TraceID())
	}
	if s.region != "eu-west" {
		t.Errorf("handler's region = %q, want eu-west from the producer's baggage", s.region)
	}

	publish := onlySpan(t, prec, "publish "+TopicUserRegistered)
	if publish.SpanKind() != trace.SpanKindProducer || publish.Parent().SpanID() != span.SpanContext().SpanID() {
		t.Errorf("publish span: kind %v, parent %s; want a producer span under checkout", publish.SpanKind(), publish.Parent().SpanID())
	}
	var process spanView
	testkit.WaitFor(t, waitTimeout, "the consumer span to end", func() bool {
		for _, sp := range crec.Ended() {
			if sp.Name() == "process "+TopicUserRegistered {
				process = sp
				return true
			}
		}
		return false
	})
	if process.SpanKind() != trace.SpanKindConsumer || process.Parent().SpanID() != publish.SpanContext().SpanID() || !process.Parent().IsRemote() {
		t.Errorf("process span: kind %v, parent %s; want a consumer span under the remote publish span %s",
			process.SpanKind(), process.Parent().SpanID(), publish.SpanContext().SpanID())
	}
	if s.sc.SpanID() != process.SpanContext().SpanID() {
		t.Errorf("handler runs in span %s, want the consumer span %s", s.sc.SpanID(), process.SpanContext().SpanID())
	}
	attrs := map[string]string{}
	for _, a := range process.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["messaging.message.id"] != "evt-1" || attrs["messaging.destination.name"] != TopicUserRegistered || attrs["shoplab.region"] != "eu-west" {
		t.Errorf("process span attributes = %v", attrs)
	}
}

// TestPublishContinuesStoredTraceContext: a message that already carries a
// trace context (the outbox stored it with the event) continues that
// trace, not the relay's.
func TestPublishContinuesStoredTraceContext(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, rec := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, brokers)

	const (
		storedTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		storedSpan  = "00f067aa0ba902b7"
	)
	msg := message(t, "u-1", envelope(t, "evt-1"))
	msg.Headers = []kafka.Header{{Key: "traceparent", Value: []byte("00-" + storedTrace + "-" + storedSpan + "-01")}}
	ctx, relay := tel.Tracer().Start(t.Context(), "relay")
	defer relay.End()
	if err := pub.Publish(ctx, msg); err != nil {
		t.Fatal(err)
	}
	publish := onlySpan(t, rec, "publish "+TopicUserRegistered)
	if publish.SpanContext().TraceID().String() != storedTrace || publish.Parent().SpanID().String() != storedSpan {
		t.Errorf("publish span in trace %s under %s, want the stored %s under %s",
			publish.SpanContext().TraceID(), publish.Parent().SpanID(), storedTrace, storedSpan)
	}
}

func TestPublishCountsOutcomes(t *testing.T) {
	t.Parallel()
	c := startClusterHandle(t)
	tel, rec := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, c.ListenAddrs())

	if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, "evt-1"))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, message(t, "u-1", envelope(t, "evt-2"))); err == nil {
		t.Fatal("publish to a stopped broker: want an error")
	}
	for outcome, want := range map[string]float64{outcomeOK: 1, outcomeError: 1} {
		labels := map[string]string{"topic": TopicUserRegistered, "outcome": outcome}
		if got := testkit.MetricValue(t, tel.Registry, "shoplab_kafka_messages_produced_total", labels); got != want {
			t.Errorf("produced_total%v = %v, want %v", labels, got, want)
		}
	}
	var failed int
	for _, sp := range rec.Ended() {
		if sp.Status().Code == codes.Error {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d failed publish spans, want 1", failed)
	}
}

func TestMetricsAreRegisteredOnce(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "orders")
	newPublisher(t, tel, brokers)
	if p, err := NewPublisher(tel, brokers); err == nil {
		p.Close()
		t.Error("second publisher on one registry: want an error")
	}
	c, err := NewConsumer(tel, brokers, "g", Topics())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c2, err := NewConsumer(tel, brokers, "g", Topics()); err == nil {
		c2.Close()
		t.Error("second consumer of a group on one registry: want an error")
	}
}

func TestEnsureTopics(t *testing.T) {
	t.Parallel()
	c := startClusterHandle(t)
	addrs := c.ListenAddrs()
	for range 2 { // the second time they exist already
		if err := EnsureTopics(t.Context(), addrs, 0, "a.created", "b.created"); err != nil {
			t.Fatal(err)
		}
	}
	client := &kafka.Client{Addr: kafka.TCP(addrs...)}
	meta, err := client.Metadata(t.Context(), &kafka.MetadataRequest{Topics: []string{"a.created", "b.created"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range meta.Topics {
		if topic.Error != nil || len(topic.Partitions) != 3 {
			t.Errorf("topic %s: %d partitions, error %v; want 3", topic.Name, len(topic.Partitions), topic.Error)
		}
	}
}
