package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/region"
)

// ErrStoreUnavailable means the part of the order store that holds a
// region's orders cannot take writes; the caller may retry later.
var ErrStoreUnavailable = errors.New("order store partition unavailable")

// checkPartition fails when the order store partition of ctx's region is
// down (the lab's region-outage incident), before anything is written or
// reserved.
func (s *Service) checkPartition(ctx context.Context) error {
	r := region.FromContext(ctx)
	if !s.incidents.RegionDown(r) {
		return nil
	}
	err := fmt.Errorf("write order: partition %s-orders: disk I/O error: %w", r, ErrStoreUnavailable)
	span := trace.SpanFromContext(ctx)
	span.RecordError(err)
	span.SetStatus(otelcodes.Error, "order store unavailable")
	return err
}

// contendLoop runs, while the lab's lock-contention incident is on, a
// writer that holds the database's write lock for hold every every, as an
// unindexed batch job would: order placement then queues on SQLite's busy
// timeout. It emits no span or log of its own, like the uninstrumented job
// it plays.
func (s *Service) contendLoop(ctx context.Context) error {
	var next time.Time
	for {
		changed := s.incidents.Changed()
		hold, every, on := s.incidents.LockContention()
		if on && !time.Now().Before(next) {
			next = time.Now().Add(every)
			s.holdWriteLock(ctx, hold, changed)
			continue
		}
		// Off, or on and waiting for its next turn.
		wait := time.Hour
		if on {
			wait = time.Until(next)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// holdWriteLock takes the write lock (the database's transactions begin
// IMMEDIATE) and keeps it for hold, until ctx ends, or until the incidents
// change: clearing the incident frees the database at once.
func (s *Service) holdWriteLock(ctx context.Context, hold time.Duration, changed <-chan struct{}) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	// PostgreSQL has no database-wide write lock to take at BEGIN; the
	// table lock that stops other inserts into orders (reads go on) is
	// what the job's writes would hold.
	if s.dialect == database.Postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return
		}
	}
	// A read inside the write transaction, as the batch job would do.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		return
	}
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-changed:
	case <-t.C:
	}
}
