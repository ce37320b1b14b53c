package outbox

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestRelayPausedPublishesNothing: while paused, the relay neither
// publishes nor even tries, however often it is notified, and logs
// nothing; unpaused, it publishes the backlog in order without a Notify.
func TestRelayPausedPublishesNothing(t *testing.T) {
	forEachBackend(t, testRelayPausedPublishesNothing)
}

func testRelayPausedPublishesNothing(t *testing.T, src database.Source) {
	f := newRelayFixture(t, src, &outagePublisher{}, 10*time.Millisecond, 20*time.Millisecond)
	f.relay.poll = 50 * time.Millisecond
	var paused atomic.Bool
	paused.Store(true)
	f.relay.PauseWhen(paused.Load)
	f.run(t)

	var want []string
	for range 5 {
		want = append(want, f.commit(t))
	}
	// Ten poll intervals, each with a chance to publish.
	time.Sleep(500 * time.Millisecond)
	if attempts, _, _ := f.pub.snapshot(); len(attempts) != 0 {
		t.Fatalf("a paused relay tried to publish %d times", len(attempts))
	}
	if got := f.backlog(t); got != len(want) {
		t.Fatalf("backlog while paused = %d, want %d", got, len(want))
	}
	if got := testkit.MetricValue(t, f.relay.tel.Registry, "shoplab_outbox_backlog", nil); got != float64(len(want)) {
		t.Errorf("shoplab_outbox_backlog = %v, want %d", got, len(want))
	}
	if f.logs.String() != "" {
		t.Errorf("a paused relay logged: %s", f.logs)
	}

	paused.Store(false)
	testkit.WaitFor(t, 10*time.Second, "the backlog to drain", func() bool { return f.backlog(t) == 0 })
	if _, _, published := f.pub.snapshot(); !slices.Equal(published, want) {
		t.Errorf("published %v, want %v", published, want)
	}
}
