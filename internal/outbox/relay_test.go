package outbox

import (
	"slices"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestRelayBacksOffDuringOutage commits an order every 2 ms, each with its
// Notify, while the publisher fails its first calls: the retries must keep
// to the backoff schedule, and every event must go out once, in order,
// after the recovery.
func TestRelayBacksOffDuringOutage(t *testing.T) { forEachBackend(t, testRelayBacksOffDuringOutage) }

func testRelayBacksOffDuringOutage(t *testing.T, src database.Source) {
	const (
		failures   = 5
		minBackoff = 20 * time.Millisecond
		maxBackoff = 80 * time.Millisecond
	)
	f := newRelayFixture(t, src, &outagePublisher{failFirst: failures}, minBackoff, maxBackoff)
	want := []string{f.commit(t)}
	f.run(t)
	tick := time.NewTicker(2 * time.Millisecond)
	for {
		if _, _, published := f.pub.snapshot(); len(published) > 0 {
			break
		}
		<-tick.C
		want = append(want, f.commit(t))
	}
	tick.Stop()
	testkit.WaitFor(t, 30*time.Second, "the outbox to drain", func() bool { return f.backlog(t) == 0 })

	attempts, failed, published := f.pub.snapshot()
	if failed != failures {
		t.Fatalf("failed publishes = %d, want %d", failed, failures)
	}
	schedule := backoffSchedule(minBackoff, maxBackoff, failures)
	for i, step := range schedule {
		if gap := attempts[i+1].Sub(attempts[i]); gap < step {
			t.Errorf("attempt %d came %v after failed attempt %d; the backoff after it is %v", i+2, gap, i+1, step)
		}
	}
	if !slices.Equal(published, want) {
		t.Errorf("published %d events %v\nwant each of the %d committed, once, in order %v", len(published), published, len(want), want)
	}

	// One log line per backoff step, not one per order.
	warns := f.lines(t, "outbox relay: publish failed")
	if len(warns) != failures {
		t.Fatalf("%d publish-failed log lines, want %d (one per failed attempt)", len(warns), failures)
	}
	for i, w := range warns {
		if w.Level != "WARN" || w.RetryIn != schedule[i].String() || w.FailedAttempts != i+1 {
			t.Errorf("log line %d = %+v, want WARN, retry_in %v, failed_attempts %d", i+1, w, schedule[i], i+1)
		}
	}
	if back := f.lines(t, "outbox relay: publishing again"); len(back) != 1 || back[0].FailedAttempts != failures {
		t.Errorf("recovery log lines = %+v, want one with failed_attempts %d", back, failures)
	}
}

// TestRelayNotifyStormDuringOutage keeps the broker down for a while and
// commits an order every 2 ms: the relay may try no more often than its
// backoff schedule allows. Once the broker is back every event goes out
// once, in order, and the next outage starts again from the shortest
// pause.
func TestRelayNotifyStormDuringOutage(t *testing.T) {
	forEachBackend(t, testRelayNotifyStormDuringOutage)
}

func testRelayNotifyStormDuringOutage(t *testing.T, src database.Source) {
	const (
		minBackoff = 50 * time.Millisecond
		maxBackoff = 200 * time.Millisecond
		outage     = 600 * time.Millisecond
	)
	f := newRelayFixture(t, src, &outagePublisher{down: true}, minBackoff, maxBackoff)
	want := []string{f.commit(t)}
	start := time.Now()
	f.run(t)
	tick := time.NewTicker(2 * time.Millisecond)
	for time.Since(start) < outage {
		<-tick.C
		want = append(want, f.commit(t))
	}
	tick.Stop()
	attempts, _, _ := f.pub.snapshot()
	// Read after the count: the attempts counted all happened before it.
	elapsed := time.Since(start)
	if limit := scheduleAttempts(minBackoff, maxBackoff, elapsed); len(attempts) > limit {
		t.Errorf("%d publish attempts in %v of outage with %d commits; the backoff schedule allows at most %d",
			len(attempts), elapsed, len(want), limit)
	}

	f.pub.setDown(false)
	testkit.WaitFor(t, 30*time.Second, "the outbox to drain", func() bool { return f.backlog(t) == 0 })
	_, failed, published := f.pub.snapshot()
	if !slices.Equal(published, want) {
		t.Errorf("published %d events, want each of the %d committed, once, in order", len(published), len(want))
	}
	warns := f.lines(t, "outbox relay: publish failed")
	if len(warns) < failed {
		t.Errorf("%d publish-failed log lines, want one per failed attempt (%d)", len(warns), failed)
	}
	if len(warns) > failed {
		t.Errorf("%d publish-failed log lines for %d failed attempts; want one per backoff step", len(warns), failed)
	}

	// A success resets the backoff.
	f.pub.setDown(true)
	f.commit(t)
	testkit.WaitFor(t, 30*time.Second, "a failed attempt in the second outage", func() bool {
		return len(f.lines(t, "outbox relay: publish failed")) > len(warns)
	})
	first := f.lines(t, "outbox relay: publish failed")[len(warns)]
	if first.RetryIn != minBackoff.String() || first.FailedAttempts != 1 {
		t.Errorf("first failure of the second outage = %+v, want retry_in %v and failed_attempts 1", first, minBackoff)
	}
	f.pub.setDown(false)
	testkit.WaitFor(t, 30*time.Second, "the outbox to drain again", func() bool { return f.backlog(t) == 0 })
}

// backoffSchedule is the pause after each of the first n failures.
func backoffSchedule(minBackoff, maxBackoff time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	d := minBackoff
	for i := range out {
		out[i] = d
		d = min(d*2, maxBackoff)
	}
	return out
}

// scheduleAttempts is the most attempts the schedule fits in elapsed: the
// k-th attempt comes at least the sum of the first k-1 pauses after the
// first.
func scheduleAttempts(minBackoff, maxBackoff, elapsed time.Duration) int {
	k := 1
	var sum time.Duration
	for d := minBackoff; sum+d <= elapsed; d = min(d*2, maxBackoff) {
		sum += d
		k++
	}
	return k
}
