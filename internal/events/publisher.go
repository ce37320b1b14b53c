package events

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Publisher produces events to Kafka.
type Publisher struct {
	w        *kafka.Writer
	tel      *telemetry.Telemetry
	produced *prometheus.CounterVec
}

// NewPublisher returns a Publisher for brokers. It registers its metrics in
// the service's registry, and fails if they are already there (one
// publisher per telemetry).
func NewPublisher(tel *telemetry.Telemetry, brokers []string) (*Publisher, error) {
	produced, err := newProducedCounter(tel.Registry)
	if err != nil {
		return nil, fmt.Errorf("kafka publisher: %w", err)
	}
	return &Publisher{
		w: &kafka.Writer{
			Addr:     kafka.TCP(brokers...),
			Balancer: &kafka.Hash{},
			// The default 1 s batch timeout would add a second to every
			// checkout's trace; events are small and few.
			BatchTimeout:           5 * time.Millisecond,
			RequiredAcks:           kafka.RequireAll,
			AllowAutoTopicCreation: true,
			MaxAttempts:            3,
			WriteTimeout:           5 * time.Second,
		},
		tel:      tel,
		produced: produced,
	}, nil
}

// Publish writes msgs and returns when the broker acknowledged all of
// them. A message whose headers already carry a trace context (an outbox
// row recorded it when the event was created) continues that trace;
// otherwise ctx's trace is used. Either way a producer span is started and
// its context written into the headers for the consumer.
func (p *Publisher) Publish(ctx context.Context, msgs ...kafka.Message) error {
	spans := make([]trace.Span, len(msgs))
	for i := range msgs {
		carrier := headerCarrier{&msgs[i]}
		parent := ctx
		if carrier.Get("traceparent") != "" {
			parent = p.tel.Propagator.Extract(context.WithoutCancel(ctx), carrier)
		}
		sctx, span := p.tel.Tracer().Start(parent, "publish "+msgs[i].Topic,
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.operation.type", "send"),
				attribute.String("messaging.destination.name", msgs[i].Topic),
			))
		p.tel.Propagator.Inject(sctx, carrier)
		spans[i] = span
	}
	err := p.w.WriteMessages(ctx, msgs...)
	outcome := outcomeOK
	if err != nil {
		outcome = outcomeError
	}
	for i, span := range spans {
		p.produced.WithLabelValues(msgs[i].Topic, outcome).Inc()
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "produce failed")
		}
		span.End()
	}
	if err != nil {
		return fmt.Errorf("produce %d message(s): %w", len(msgs), err)
	}
	return nil
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }

// EnsureTopics creates the shop's topics if they do not exist yet, so that
// consumers can join their group before the first event is produced.
func EnsureTopics(ctx context.Context, brokers []string, topics ...string) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: 3, ReplicationFactor: 1})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for topic, err := range resp.Errors {
		if err != nil && err != kafka.TopicAlreadyExists {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}
