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
	db     *sql.DB
	pub    Publisher
	tel    *telemetry.Telemetry
	wake   chan struct{}
	batch  int
	poll   time.Duration
	maxGap time.Duration
}

// NewRelay returns a relay over db's outbox table. It registers the
// shoplab_outbox_backlog gauge in the service's registry, and fails if it
// is already there (one relay per telemetry).
func NewRelay(db *sql.DB, pub Publisher, tel *telemetry.Telemetry) (*Relay, error) {
	r := &Relay{
		db:     db,
		pub:    pub,
		tel:    tel,
		wake:   make(chan struct{}, 1),
		batch:  100,
		poll:   time.Second,
		maxGap: 5 * time.Second,
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
	if err := tel.Registry.Register(backlog); err != nil {
		return nil, fmt.Errorf("outbox: register metric shoplab_outbox_backlog: %w", err)
	}
	return r, nil
}

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
	backoff := 100 * time.Millisecond
	for {
		n, err := r.Flush(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.poll
		switch {
		case err != nil:
			r.tel.Logger.WarnContext(ctx, "outbox relay: publish failed; events kept for retry", "error", err, "retry_in", backoff.String())
			wait = backoff
			backoff = min(backoff*2, r.maxGap)
		case n == r.batch:
			wait = 0 // more are waiting
			fallthrough
		default:
			backoff = 100 * time.Millisecond
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
			t.Stop()
			// A wake-up during a broker outage must not skip the backoff.
			if err != nil {
				continue
			}
		case <-t.C:
		}
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

func (r *Relay) recordFailure(ctx context.Context, rows []row, cause error) {
	for _, row := range rows {
		if _, err := r.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?`, cause.Error(), row.seq); err != nil {
			return
		}
	}
}
