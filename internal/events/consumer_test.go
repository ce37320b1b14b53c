package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestConsumerCommitsOnlyAfterHandlerSucceeded: a failed handler leaves
// the offset where it was and gets the same event again; the offset moves
// once the handler succeeded.
func TestConsumerCommitsOnlyAfterHandlerSucceeded(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "notification")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	calls := make(chan string)
	results := make(chan error)
	startConsumer(t, tel, brokers, group, func(ctx context.Context, _ string, env Envelope) error {
		select {
		case calls <- env.ID:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err := <-results:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, "evt-1"))); err != nil {
		t.Fatal(err)
	}

	call := func() string {
		t.Helper()
		select {
		case id := <-calls:
			return id
		case <-time.After(waitTimeout):
			t.Fatal("the handler was not called")
			return ""
		}
	}
	if id := call(); id != "evt-1" {
		t.Fatalf("handler got %s, want evt-1", id)
	}
	results <- errors.New("database is locked")
	if id := call(); id != "evt-1" {
		t.Fatalf("after a failure the handler got %s, want evt-1 again", id)
	}
	// The handler is running its second attempt: nothing may be committed.
	if n := totalCommitted(t, brokers, group, TopicUserRegistered); n != 0 {
		t.Fatalf("committed %d messages before the handler succeeded", n)
	}
	results <- nil
	testkit.WaitFor(t, waitTimeout, "the offset committed", func() bool {
		return totalCommitted(t, brokers, group, TopicUserRegistered) == 1
	})
	for outcome, want := range map[string]float64{outcomeError: 1, outcomeOK: 1, outcomeRejected: 0} {
		labels := map[string]string{"group": group, "topic": TopicUserRegistered, "outcome": outcome}
		if got := testkit.MetricValue(t, tel.Registry, "shoplab_kafka_messages_consumed_total", labels); got != want {
			t.Errorf("consumed_total%v = %v, want %v", labels, got, want)
		}
	}
}

// TestConsumerSkipsPermanentErrors: a malformed message and an event whose
// handler says ErrPermanent are counted as rejected, committed and not
// retried; the event behind them is handled.
func TestConsumerSkipsPermanentErrors(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "notification")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	var (
		mu   sync.Mutex
		seen []string
	)
	startConsumer(t, tel, brokers, group, func(_ context.Context, _ string, env Envelope) error {
		mu.Lock()
		seen = append(seen, env.ID)
		mu.Unlock()
		if env.ID == "evt-bad" {
			return fmt.Errorf("%w: no recipient", ErrPermanent)
		}
		return nil
	})
	malformed := message(t, "u-1", envelope(t, "x"))
	malformed.Value = []byte(`{not json`)
	if err := pub.Publish(t.Context(), malformed, message(t, "u-1", envelope(t, "evt-bad")), message(t, "u-1", envelope(t, "evt-ok"))); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, waitTimeout, "all three offsets committed", func() bool {
		return totalCommitted(t, brokers, group, TopicUserRegistered) == 3
	})
	mu.Lock()
	got := fmt.Sprint(seen)
	mu.Unlock()
	if got != "[evt-bad evt-ok]" {
		t.Errorf("handler saw %s, want [evt-bad evt-ok]: each once, the malformed one never", got)
	}
	for outcome, want := range map[string]float64{outcomeRejected: 2, outcomeOK: 1, outcomeError: 0} {
		labels := map[string]string{"group": group, "topic": TopicUserRegistered, "outcome": outcome}
		if got := testkit.MetricValue(t, tel.Registry, "shoplab_kafka_messages_consumed_total", labels); got != want {
			t.Errorf("consumed_total%v = %v, want %v", labels, got, want)
		}
	}
}

// TestConsumerLagRisesWhileStuck: the lag comes from the broker's end
// offset, so it rises with every message produced while the handler is
// stuck, and falls to 0 once the consumer caught up.
func TestConsumerLagRisesWhileStuck(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "notification")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	startConsumer(t, tel, brokers, group, func(ctx context.Context, _ string, _ Envelope) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, "evt-0"))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the handler was not called")
	}
	const more = 4
	for i := range more {
		if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, fmt.Sprintf("evt-%d", i+1)))); err != nil {
			t.Fatal(err)
		}
	}
	var partition string
	testkit.WaitFor(t, waitTimeout, fmt.Sprintf("a partition's lag at %d", more+1), func() bool {
		for p, lag := range lagOf(t, tel, group, TopicUserRegistered) {
			if lag == more+1 {
				partition = p
				return true
			}
		}
		return false
	})
	close(release)
	testkit.WaitFor(t, waitTimeout, "the lag back to 0", func() bool {
		return lagOf(t, tel, group, TopicUserRegistered)[partition] == 0
	})
}

// TestLagCountsFromTheFirstOffset: a group that never committed is behind
// by every message in the partition, as it starts from the first.
func TestLagCountsFromTheFirstOffset(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "notification")
	pub := newPublisher(t, tel, brokers)
	for i := range 3 {
		if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, fmt.Sprintf("evt-%d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	metrics, err := newConsumerMetrics(tel.Registry, "idle", Topics())
	if err != nil {
		t.Fatal(err)
	}
	m := newLagMonitor(tel, brokers, "idle", Topics(), metrics.lag)
	defer m.transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := m.update(ctx); err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, lag := range lagOf(t, tel, "idle", TopicUserRegistered) {
		total += lag
	}
	if total != 3 {
		t.Errorf("lag of a group that never committed = %v, want 3", total)
	}
	if got := lagOf(t, tel, "idle", TopicOrderPlaced); len(got) != 3 {
		t.Errorf("lag of the empty topic = %v, want 0 for each of its 3 partitions", got)
	}
}
