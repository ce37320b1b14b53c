package orders

import (
	"context"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// TestOutboxSurvivesBrokerOutage checks that orders are accepted while
// Kafka is down, and that their events go out once it is back.
func TestOutboxSurvivesBrokerOutage(t *testing.T) {
	testkit.ForEachBackend(t, testOutboxSurvivesBrokerOutage)
}

func testOutboxSurvivesBrokerOutage(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx := context.Background()
	f.pub.set(brokerDown{})
	const n = 3
	for i := range n {
		if _, err := f.place(ctx, "u", line(int64(i+1), 1)); err != nil {
			t.Fatalf("order %d during the outage: %v", i, err)
		}
	}
	if sent, err := f.svc.relay.Flush(ctx); err == nil || sent != 0 {
		t.Fatalf("Flush during the outage = %d, %v; want an error", sent, err)
	}
	if got := f.backlog(t); got != n {
		t.Fatalf("backlog during the outage = %d, want %d", got, n)
	}

	f.pub.set(f.kafka)
	if sent, err := f.svc.relay.Flush(ctx); err != nil || sent != n {
		t.Fatalf("Flush after the outage = %d, %v; want %d", sent, err, n)
	}
	if got := f.backlog(t); got != 0 {
		t.Fatalf("backlog after the outage = %d, want 0", got)
	}
}

// TestRunRelaysAfterCommit checks that Run publishes a new order's event
// without waiting for its poll interval, and stops cleanly.
func TestRunRelaysAfterCommit(t *testing.T) { testkit.ForEachBackend(t, testRunRelaysAfterCommit) }

func testRunRelaysAfterCommit(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()

	if _, err := f.place(context.Background(), "u", line(1, 1)); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "the relay to publish the event", func() bool { return f.backlog(t) == 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil on a clean stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
