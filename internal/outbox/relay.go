package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Publisher is what the relay needs from events.Publisher.
type Publisher interface {
	Publish(ctx context.Context, msgs ...kafka.Message) error
}

// Relay publishes the outbox's unsent events in order and marks them sent.
type Relay struct {
	db      *sql.DB
	dialect database.Dialect
	pub     Publisher
	tel     *telemetry.Telemetry
	wake    chan struct{}
	batch   int
	poll    time.Duration
	// minBackoff is the pause after a first failed publish; each further
	// failure doubles it, up to maxBackoff. A success resets it.
	minBackoff time.Duration
	maxBackoff time.Duration
	// paused, when set, holds the relay back: a stalled relay (see
	// PauseWhen).
	paused func() bool
}

// NewRelay returns a relay over db's outbox table; dialect is the engine
// db speaks (database.Source.Dialect), which decides how relays claim
// rows. It registers the shoplab_outbox_backlog gauge in the service's
// registry, and fails if it is already there (one relay per telemetry).
func NewRelay(db *sql.DB, dialect database.Dialect, pub Publisher, tel *telemetry.Telemetry) (*Relay, error) {
	r := &Relay{
		db:         db,
		dialect:    dialect,
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
	if r.dialect == database.Postgres {
		return r.flushClaimed(ctx)
	}
	// SQLite: this process is the database's only writer, so the rows read
	// are this relay's until it marks them.
	rows, err := pending(ctx, r.db, pendingQuery, r.batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := r.pub.Publish(ctx, messages(rows)...); err != nil {
		_ = recordFailure(ctx, r.db, rows, err)
		return 0, err
	}
	// Published but not yet marked: a crash here publishes the batch again
	// on restart, which consumers absorb by deduplicating on event ID.
	err = database.InTx(ctx, r.db, func(tx *sql.Tx) error {
		return markSent(ctx, tx, rows)
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// flushClaimed is Flush on PostgreSQL, where relays of several replicas
// share one outbox: the batch is claimed with FOR UPDATE SKIP LOCKED in a
// transaction that lasts until its rows are marked, so another relay
// passes over them meanwhile and each event goes out once per pass. A
// relay that dies mid-batch releases its claim with its connection, and
// another publishes the batch (again, if the broker had it: consumers
// deduplicate on event ID); none is lost.
func (r *Relay) flushClaimed(ctx context.Context) (int, error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	defer tx.Rollback()
	rows, err := pending(ctx, tx, claimQuery, r.batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := r.pub.Publish(ctx, messages(rows)...); err != nil {
		// Counted in the claiming transaction: another connection would
		// wait on this one's row locks.
		if recordFailure(ctx, tx, rows, err) == nil {
			_ = tx.Commit()
		}
		return 0, err
	}
	if err := markSent(ctx, tx, rows); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("outbox: mark sent: %w", err)
	}
	return len(rows), nil
}

func messages(rows []row) []kafka.Message {
	msgs := make([]kafka.Message, len(rows))
	for i, row := range rows {
		msgs[i] = row.msg
	}
	return msgs
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// markSent marks the batch's rows published, in one statement.
func markSent(ctx context.Context, tx *sql.Tx, rows []row) error {
	in, args := database.InList(seqs(rows), time.Now().UnixNano())
	q := `UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE seq IN ` + in
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// recordFailure counts the failed attempt on the batch's rows in one
// statement.
func recordFailure(ctx context.Context, db execer, rows []row, cause error) error {
	in, args := database.InList(seqs(rows), cause.Error())
	_, err := db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE sent_at IS NULL AND seq IN `+in, args...)
	return err
}

// seqs lists the rows' seqs.
func seqs(rows []row) []int64 {
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = row.seq
	}
	return out
}
