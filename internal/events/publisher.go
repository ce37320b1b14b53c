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

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Publisher produces events to Kafka.
//
// A message goes to the partition its key hashes to (kafka-go's Hash
// balancer: FNV-1a of the key, modulo the topic's partitions), so the
// events of one key stay on one partition, in the order they were
// published, and are handled in that order by whichever consumer of a
// group owns the partition. The shop keys order.placed by order ID and
// user.registered by user ID (the outbox stores the key with the event;
// see orders' place.go and auth's users.go). Only shop services produce to
// these topics; a Java client's default partitioner (murmur2) would put
// the same key elsewhere, so another producer of the same keys would use
// kafka.Murmur2Balancer on both sides.
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
// consumers can join their group before the first event is produced. Each
// gets partitions partitions (config.DefaultKafkaPartitions when 0 or
// less) and the broker's default replication factor (-1, which Kafka
// understands since 2.4: 1 on the compose stack's single node, more on a
// real cluster). A topic that exists keeps its partitions: adding some
// would move keys to other partitions, and with them the order of their
// events.
func EnsureTopics(ctx context.Context, brokers []string, partitions int, topics ...string) error {
	if partitions <= 0 {
		partitions = config.DefaultKafkaPartitions
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: -1})
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
