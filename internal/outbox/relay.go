package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Publisher is what the relay needs from events.Publisher.
type Publisher interface {
	Publish(ctx context.Context, msgs ...kafka.Message) error
}

// Relay publishes the outbox's unsent events in order and marks them sent.
type Relay struct {
	db    *sql.DB
	pub   Publisher
	tel   *telemetry.Telemetry
	wake  chan struct{}
	batch int
	poll  time.Duration
	// minBackoff is the pause after a first failed publish; each further
	// failure doubles it, up to maxBackoff. A success resets it.
	minBackoff time.Duration
	maxBackoff time.Duration
	// paused, when set, holds the relay back: a stalled relay (see
	// PauseWhen).
	paused func() bool
}

// NewRelay returns a relay over db's outbox table. It registers the
// shoplab_outbox_backlog gauge in the service's registry, and fails if it
// is already there (one relay per telemetry).
func NewRelay(db *sql.DB, pub Publisher, tel *telemetry.Telemetry) (*Relay, error) {
	r := &Relay{
		db:         db,
		pub:        pub,
		tel:        tel,
		wake:       make(chan struct{}, 1),
		batch:      100,
		poll:       time.Second,
		minBackoff: 100 * time.Millisecond,
		maxBackoff: 5 * time.Second,
	}
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "shoplab_outbox_backlog",
		Help: "Events committed to the outbox and not yet acknowledged by Kafka.",
	}, func() float64 {
		n, err := r.Backlog(context.Background())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if err := telemetry.Register(tel.Registry, backlog); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return r, nil
}

// PauseWhen makes Run publish nothing while paused reports true: the
// backlog grows as it would behind a wedged relay, and drains once paused
// turns false (within one poll, or at the next Notify). Call it before Run.
func (r *Relay) PauseWhen(paused func() bool) { r.paused = paused }

// Notify wakes the relay after a commit, so that events go out at once
// instead of at the next poll.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Backlog counts unsent events.
func (r *Relay) Backlog(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n)
	return n, err
}

// Run publishes until ctx ends. While the broker is down it retries with a
// growing pause (up to 5 s); events stay in the outbox and go out, in
// order, once the broker is back. Unsent events at shutdown stay in the
// database for the next start.
func (r *Relay) Run(ctx context.Context) error {
	backoff := r.minBackoff
	failures := 0
	for {
		if r.paused != nil && r.paused() {
			if !r.idle(ctx) {
				return nil
			}
			continue
		}
		n, err := r.Flush(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			r.tel.Logger.WarnContext(ctx, "outbox relay: publish failed; events kept for retry",
				"error", err, "failed_attempts", failures, "retry_in", backoff.String())
			// Only the timer ends a backoff. A Notify during an outage
			// would otherwise retry at the rate orders are committed, each
			// attempt a log line and a write; the wake-up it leaves in the
			// channel is served once the broker is back.
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, r.maxBackoff)
			continue
		}
		if failures > 0 {
			r.tel.Logger.InfoContext(ctx, "outbox relay: publishing again", "failed_attempts", failures)
			failures, backoff = 0, r.minBackoff
		}
		if n == r.batch {
			continue // more are waiting
		}
		if !r.idle(ctx) {
			return nil
		}
	}
}

// idle waits for a Notify or the next poll, and reports whether ctx is
// still live.
func (r *Relay) idle(ctx context.Context) bool {
	t := time.NewTimer(r.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-r.wake:
	case <-t.C:
	}
	return true
}

// sleep waits for d and reports whether ctx is still live.
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

// Flush publishes one batch of unsent events and reports how many went out.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	rows, err := pending(ctx, r.db, r.batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	msgs := make([]kafka.Message, len(rows))
	for i, row := range rows {
		msgs[i] = row.msg
	}
	if err := r.pub.Publish(ctx, msgs...); err != nil {
		r.recordFailure(ctx, rows, err)
		return 0, err
	}
	// Published but not yet marked: a crash here publishes the batch again
	// on restart, which consumers absorb by deduplicating on event ID.
	now := time.Now().UnixNano()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: mark sent: %w", err)
	}
	defer tx.Rollback()
	for _, row := range rows {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ?`, now, row.seq); err != nil {
			return 0, fmt.Errorf("outbox: mark sent: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("outbox: mark sent: %w", err)
	}
	return len(rows), nil
}

// recordFailure counts the failed attempt on the batch's rows in one
// statement: the batch is the first unsent rows by seq, so the unsent rows
// between its first and last seq are exactly the batch.
func (r *Relay) recordFailure(ctx context.Context, rows []row, cause error) {
	_, _ = r.db.ExecContext(ctx,
		`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE sent_at IS NULL AND seq BETWEEN ? AND ?`,
		cause.Error(), rows[0].seq, rows[len(rows)-1].seq)
}
