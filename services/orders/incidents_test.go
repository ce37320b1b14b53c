package orders

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// runService runs f's background loops (relay, reconciler, incidents)
// until the test ends.
func runService(t *testing.T, f *fixture) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

// TestRegionOutageFailsOneRegion: the orders of the chosen region fail
// with Unavailable, reserving nothing; the others, and all of them once
// the incident is cleared, are placed.
func TestRegionOutageFailsOneRegion(t *testing.T) {
	set := incident.NewSet(topology.Orders)
	f := newFixtureWith(t, fixtureOptions{incidents: set})
	in := func(r string) context.Context { return region.WithRegion(context.Background(), r) }
	failed := func() float64 {
		return testkit.MetricValue(t, f.svc.tel.Registry, "shoplab_orders_failed_total", map[string]string{"reason": reasonPersist})
	}

	if _, err := f.place(in("ap-south"), "u", line(1, 1)); err != nil {
		t.Fatalf("before the incident: %v", err)
	}
	if err := set.On(incident.RegionOutage, incident.Params{incident.ParamRegion: "ap-south"}); err != nil {
		t.Fatal(err)
	}
	stock := f.stockOf(t, 1)
	_, err := f.place(in("ap-south"), "u", line(1, 1))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("ap-south order during the outage = %v, want Unavailable", err)
	}
	if got := f.stockOf(t, 1); got != stock {
		t.Errorf("the failed order reserved stock: %d -> %d", stock, got)
	}
	if got := failed(); got != 1 {
		t.Errorf("failed{reason=persist} = %v, want 1", got)
	}
	for _, r := range []string{"eu-west", "us-east", ""} {
		ctx := context.Background()
		if r != "" {
			ctx = in(r)
		}
		if _, err := f.place(ctx, "u", line(1, 1)); err != nil {
			t.Errorf("order from %q during the ap-south outage: %v", r, err)
		}
	}

	set.Clear()
	if _, err := f.place(in("ap-south"), "u", line(1, 1)); err != nil {
		t.Fatalf("after clearing: %v", err)
	}
	if got := failed(); got != 1 {
		t.Errorf("failed{reason=persist} after clearing = %v, want still 1", got)
	}
}

// TestLockContentionSlowsPlacement: while the incident is on, something
// holds the database's write lock periodically and an order placed then
// waits for it; cleared, the lock stays free.
func TestLockContentionSlowsPlacement(t *testing.T) {
	set := incident.NewSet(topology.Orders)
	f := newFixtureWith(t, fixtureOptions{incidents: set})
	runService(t, f)
	probe, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?_busy_timeout=0&_txlock=immediate", f.src.Path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Close() })
	// locked reports whether another connection holds the write lock.
	locked := func() bool {
		tx, err := probe.BeginTx(context.Background(), nil)
		if err != nil {
			return true
		}
		tx.Rollback()
		return false
	}
	// Free before the incident; a writer of the service's own (the
	// reconciler, the relay) may hold it for a moment at start.
	testkit.WaitFor(t, 10*time.Second, "the write lock to be free before the incident", func() bool { return !locked() })

	const hold = 1500 * time.Millisecond
	if err := set.On(incident.LockContention, incident.Params{incident.ParamHold: hold.String(), incident.ParamEvery: "2s"}); err != nil {
		t.Fatal(err)
	}
	// Catch the moment the lock is taken, then place an order: it must
	// wait for most of the hold. The margin absorbs a loaded machine.
	testkit.WaitFor(t, 10*time.Second, "the write lock to be free", func() bool { return !locked() })
	// The service's own writers (the outbox relay, the reconciler) take
	// the lock for milliseconds: only a lock held for a while is the
	// incident's, so that the order below meets most of its hold.
	deadline := time.Now().Add(10 * time.Second)
	var heldSince time.Time
wait:
	for {
		if time.Now().After(deadline) {
			t.Fatal("the write lock was never held for long while the incident was on")
		}
		switch {
		case !locked():
			heldSince = time.Time{}
		case heldSince.IsZero():
			heldSince = time.Now()
		case time.Since(heldSince) >= 100*time.Millisecond:
			break wait
		}
		time.Sleep(2 * time.Millisecond)
	}
	start := time.Now()
	if _, err := f.place(context.Background(), "u", line(1, 1)); err != nil {
		t.Fatalf("order during contention: %v", err)
	}
	if waited := time.Since(start); waited < hold/3 {
		t.Errorf("order placed in %v while the lock was held for %v", waited, hold)
	}
	series := testkit.MetricSeries(t, f.svc.tel.Registry, "grpc_server_handling_seconds", map[string]string{"grpc_method": "PlaceOrder"})
	if len(series) != 1 || series[0].GetHistogram().GetSampleSum() < (hold/3).Seconds() {
		t.Errorf("PlaceOrder's handling time does not show the wait: %v", series)
	}

	set.Clear()
	testkit.WaitFor(t, 10*time.Second, "the write lock to be free after clearing", func() bool { return !locked() })
	// Two periods without the lock held for long (the service's own
	// writers still take it for milliseconds).
	heldSince = time.Time{}
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		switch {
		case !locked():
			heldSince = time.Time{}
		case heldSince.IsZero():
			heldSince = time.Now()
		case time.Since(heldSince) >= 250*time.Millisecond:
			t.Fatal("the write lock is still held for long after clearing")
		}
	}
	if _, err := f.place(context.Background(), "u", line(1, 1)); err != nil {
		t.Fatalf("order after clearing: %v", err)
	}
}

// TestOutboxStalledHoldsEvents: the relay publishes nothing while the
// incident is on, so the backlog gauge rises; cleared, it drains.
func TestOutboxStalledHoldsEvents(t *testing.T) {
	set := incident.NewSet(topology.Orders)
	f := newFixtureWith(t, fixtureOptions{incidents: set})
	runService(t, f)
	backlog := func() float64 {
		return testkit.MetricValue(t, f.svc.tel.Registry, "shoplab_outbox_backlog", nil)
	}
	if err := set.On(incident.OutboxStalled, nil); err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		if _, err := f.place(context.Background(), "u", line(int64(i+1), 1)); err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	// Each order woke the relay; past one poll interval, a live relay
	// would have published them all.
	time.Sleep(1500 * time.Millisecond)
	if got := backlog(); got != n {
		t.Fatalf("backlog while stalled = %v, want %d", got, n)
	}

	set.Clear()
	testkit.WaitFor(t, 10*time.Second, "the backlog to drain after clearing", func() error {
		if got := backlog(); got != 0 {
			return fmt.Errorf("backlog %v", got)
		}
		return nil
	})
}
