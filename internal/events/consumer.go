package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// ErrPermanent marks a handler error that retrying cannot fix (a malformed
// event): the message is logged, counted as rejected and skipped.
var ErrPermanent = errors.New("permanent event error")

// Handler handles one event. ctx carries the producer's trace.
type Handler func(ctx context.Context, topic string, env Envelope) error

// Consumer reads events as a member of a consumer group and commits each
// message only after its handler succeeded (at-least-once delivery;
// handlers deduplicate on Envelope.ID). While it runs it also keeps the
// group's lag gauge current.
//
// Several replicas of a service share the work by running a Consumer of
// the same group each: the group gives every partition to one member, so
// the events of one key (on one partition) are handled one at a time, in
// order. When a member joins, leaves or dies, or a broker leaves, the
// group rebalances and a partition may change owner. Nothing is lost:
// the new owner starts at the group's committed offset, and an offset is
// committed only after the handler succeeded, one message at a time, so
// every message below it was handled. What a rebalance costs is
// redelivery: a message handled but not yet committed (its commit failed
// with the old generation, or the member died between the two) is
// handled again by the next owner, and the handler's deduplication (a
// unique event ID in its own store) makes that harmless. A late commit by
// the old owner can only move the offset back, never past a message not
// handled.
type Consumer struct {
	r       *kafka.Reader
	tel     *telemetry.Telemetry
	metrics consumerMetrics
	lag     *lagMonitor
	// retryBackoff is the first pause before a failed message is handled
	// again; it doubles with every failure up to maxRetryBackoff.
	retryBackoff    time.Duration
	maxRetryBackoff time.Duration
}

// NewConsumer joins group on brokers for topics. It registers the group's
// metrics in the service's registry first, and fails (without joining) if
// they are already there.
func NewConsumer(tel *telemetry.Telemetry, brokers []string, group string, topics []string) (*Consumer, error) {
	metrics, err := newConsumerMetrics(tel.Registry, group, topics)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer %s: %w", group, err)
	}
	return &Consumer{
		r: kafka.NewReader(kafka.ReaderConfig{
			Brokers:     brokers,
			GroupID:     group,
			GroupTopics: topics,
			StartOffset: kafka.FirstOffset,
			MaxWait:     250 * time.Millisecond,
			// A lab restarts often; a short session lets a restarted member
			// take its partitions back quickly.
			SessionTimeout:    10 * time.Second,
			RebalanceTimeout:  5 * time.Second,
			HeartbeatInterval: 1 * time.Second,
			JoinGroupBackoff:  500 * time.Millisecond,
		}),
		tel:             tel,
		metrics:         metrics,
		lag:             newLagMonitor(tel, brokers, group, topics, metrics.lag),
		retryBackoff:    500 * time.Millisecond,
		maxRetryBackoff: 10 * time.Second,
	}, nil
}

// Run handles messages until ctx ends. A failing handler is retried (the
// offset is not committed) with a growing pause until it succeeds or
// returns ErrPermanent; meanwhile the lag gauge shows the backlog grow.
// Handlers should therefore fail only when nothing else could succeed
// either (their own database is down), and settle anything slow or
// message-specific elsewhere.
func (c *Consumer) Run(ctx context.Context, h Handler) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The rebalance counter moves on by the reader's count, which kafka-go
	// resets at every read, on the lag monitor's ticks.
	wg.Go(func() { c.lag.run(ctx, c.countRebalances) })
	for {
		msg, err := c.r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.tel.Logger.WarnContext(ctx, "kafka fetch failed; retrying", "error", err)
			if !sleep(ctx, c.retryBackoff) {
				return nil
			}
			continue
		}
		for backoff := c.retryBackoff; !c.handle(ctx, msg, h, backoff); backoff = min(2*backoff, c.maxRetryBackoff) {
			if !sleep(ctx, backoff) {
				return nil
			}
		}
		if err := c.r.CommitMessages(ctx, msg); err != nil && ctx.Err() == nil {
			// The message will be delivered again; the handler's dedupe
			// keeps that harmless.
			c.tel.Logger.WarnContext(ctx, "kafka commit failed", "topic", msg.Topic, "offset", msg.Offset, "error", err)
		}
	}
}

// handle runs h for msg in a consumer span; it reports whether the message
// is done with (handled or rejected). retryIn is the pause before the next
// attempt should this one fail.
func (c *Consumer) handle(ctx context.Context, msg kafka.Message, h Handler, retryIn time.Duration) bool {
	parent := c.tel.Propagator.Extract(ctx, headerCarrier{&msg})
	sctx, span := c.tel.Tracer().Start(parent, "process "+msg.Topic,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", msg.Topic),
			attribute.Int("messaging.destination.partition.id", msg.Partition),
			attribute.Int64("messaging.kafka.offset", msg.Offset),
		))
	defer span.End()

	env, err := DecodeEnvelope(msg.Value)
	if err == nil {
		span.SetAttributes(attribute.String("messaging.message.id", env.ID))
		err = h(sctx, msg.Topic, env)
	} else {
		err = fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	switch {
	case err == nil:
		c.metrics.consumed.WithLabelValues(msg.Topic, outcomeOK).Inc()
		return true
	case errors.Is(err, ErrPermanent):
		c.metrics.consumed.WithLabelValues(msg.Topic, outcomeRejected).Inc()
		span.RecordError(err)
		span.SetStatus(codes.Error, "rejected")
		c.tel.Logger.ErrorContext(sctx, "event rejected and skipped", "topic", msg.Topic, "offset", msg.Offset, "error", err)
		return true
	default:
		c.metrics.consumed.WithLabelValues(msg.Topic, outcomeError).Inc()
		span.RecordError(err)
		span.SetStatus(codes.Error, "handler failed")
		c.tel.Logger.WarnContext(sctx, "event handler failed; will retry", "topic", msg.Topic, "partition", msg.Partition,
			"offset", msg.Offset, "retry_in", retryIn.String(), "error", err)
		return false
	}
}

// countRebalances moves the rebalance counter on by the reader's count,
// which kafka-go resets at every read.
func (c *Consumer) countRebalances() {
	c.metrics.rebalances.Add(float64(c.r.Stats().Rebalances))
}

// Close leaves the group.
func (c *Consumer) Close() error { return c.r.Close() }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
