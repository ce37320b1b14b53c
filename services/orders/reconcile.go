package orders

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Defaults of the reconciler (Options.ReservationTimeout and
// Options.ReconcileInterval).
const (
	// defaultReservationTimeout is well above the longest PlaceOrder (the
	// gateway's 35 s deadline, reserveTimeout), so that a slow order is
	// never taken for a crashed one.
	defaultReservationTimeout = 2 * time.Minute
	defaultReconcileInterval  = 30 * time.Second
	// releaseTimeout bounds each ReleaseStock of a pass.
	releaseTimeout = 5 * time.Second
)

// reconcileLoop releases the stock of orders that were never stored: at
// start, for the orders a crash left behind, then every interval.
func (s *Service) reconcileLoop(ctx context.Context) error {
	t := time.NewTicker(s.reconcileInterval)
	defer t.Stop()
	for {
		s.reconcile(ctx, time.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reconcile runs one pass as of now: every pending note older than the
// reservation timeout is expired, which stops its order from being
// stored, and its reservation is released in the catalog. A release that
// fails is retried at the next pass. It reports how many were released.
func (s *Service) reconcile(ctx context.Context, now time.Time) int {
	notes, err := expirePending(ctx, s.db, now.Add(-s.reservationTimeout))
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "reconciler: cannot read pending reservations", "error", err)
		}
		return 0
	}
	if len(notes) == 0 {
		return 0
	}
	ctx, span := s.tel.Tracer().Start(ctx, "orders.reconcile", trace.WithAttributes(attribute.Int("shoplab.reservations", len(notes))))
	defer span.End()
	var (
		released int
		failed   int
		firstErr error
	)
	for _, n := range notes {
		if err := s.releaseOrphan(ctx, n.orderID); err != nil {
			if ctx.Err() != nil {
				return released
			}
			s.metrics.reclaimFailed.Inc()
			failed++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		released++
		s.metrics.reclaimed.Inc()
		// One line per order: each is the trace of a crash or of a lost
		// compensation, and names the order to look for.
		s.log.WarnContext(ctx, "reconciler: released the stock reservation, if any, of an order that was never stored",
			"order_id", n.orderID, "age", now.Sub(n.createdAt).Round(time.Millisecond).String())
	}
	span.SetAttributes(attribute.Int("shoplab.reservations_released", released))
	if failed > 0 {
		span.SetStatus(codes.Error, "releases failed")
		// One line per pass, not per order: while the catalog is down
		// every note fails the same way.
		s.log.WarnContext(ctx, "reconciler: stock reservations not released; retrying at the next pass",
			"failed", failed, "released", released, "retry_in", s.reconcileInterval.String(), "error", firstErr)
	}
	return released
}

// releaseOrphan releases the reservation of one expired note and drops
// the note. The note is only dropped once the catalog has confirmed.
func (s *Service) releaseOrphan(ctx context.Context, orderID string) error {
	rctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	if _, err := s.catalog.ReleaseStock(rctx, &shopv1.ReleaseStockRequest{OrderId: orderID}); err != nil {
		return err
	}
	return deletePending(ctx, s.db, orderID)
}
