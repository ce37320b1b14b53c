package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/outbox"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

const (
	attrOrderID = "shoplab.order_id"
	// infoInsufficientStock is the catalog's ErrorInfo reason for a shortage.
	infoInsufficientStock = "INSUFFICIENT_STOCK"
	// compensateTimeout bounds the ReleaseStock call that undoes a
	// reservation; it runs even when the caller has gone.
	compensateTimeout = 5 * time.Second
	// reserveTimeout bounds ReserveStock even for a caller without a
	// deadline, so that the catalog takes no stock later than this after
	// the pending note: the reservation timeout must stay well above it.
	reserveTimeout = time.Minute
	// persistTimeout bounds the transaction that stores an order, which
	// runs even when the caller has gone.
	persistTimeout = 10 * time.Second
)

// place reserves the stock of an order in the catalog, then records the
// order and its order.placed event in one transaction. The order ID is
// chosen first, so that the catalog can deduplicate a retried reservation
// and the compensation can name what to release.
func (s *Service) place(ctx context.Context, userID, email string, lines []Line) (Order, error) {
	if err := validatePlace(userID, lines); err != nil {
		s.failed(ctx, reasonInvalid, "", err)
		return Order{}, err
	}
	id := uuid.NewString()
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(attrOrderID, id))

	if err := s.checkPartition(ctx); err != nil {
		s.failed(ctx, reasonPersist, id, err)
		return Order{}, err
	}
	// The note comes first: whatever happens after it, a crash included,
	// the reconciler finds the order and releases its stock unless the
	// order gets stored.
	if err := notePending(ctx, s.db, id, time.Now()); err != nil {
		reason := reasonPersist
		if ctx.Err() != nil {
			reason = reasonCanceled
		}
		s.failed(ctx, reason, id, err)
		return Order{}, err
	}
	res, err := s.reserveStock(ctx, id, lines)
	if err != nil {
		s.failed(ctx, catalogFailureReason(err), id, err)
		switch {
		case outcomeUnknown(err):
			// The catalog may have committed before the call failed.
			s.releaseStock(ctx, id)
		case status.Code(err) == codes.Unavailable:
			// Most likely never reached the catalog; if it did, the
			// reconciler releases the stock after the timeout.
		default:
			// The catalog answered: nothing was reserved.
			s.forgetPending(ctx, id)
		}
		return Order{}, &CatalogError{Err: err}
	}
	o, err := newOrder(id, userID, email, lines, res, time.Now().UTC())
	if err != nil {
		s.failed(ctx, reasonCatalogError, id, err)
		s.releaseStock(ctx, id)
		return Order{}, err
	}
	if err := s.persist(ctx, o); err != nil {
		s.failed(ctx, reasonPersist, id, err)
		if errors.Is(err, database.ErrCommit) {
			// The order may be stored: releasing its stock now could
			// sell it twice. The pending note goes with the order's own
			// transaction, so the reconciler releases the stock only if
			// the order was not stored.
			return Order{}, err
		}
		s.releaseStock(ctx, id)
		return Order{}, err
	}
	s.relay.Notify()
	s.metrics.placed.Inc()
	telemetry.Observe(ctx, s.metrics.value, float64(o.TotalCents))
	s.log.InfoContext(ctx, "order placed", "order_id", id, "user_id", userID,
		"lines", len(o.Lines), "total_cents", o.TotalCents, "currency", o.Currency)
	return o, nil
}

// persist writes the order, its lines and its event in one transaction.
// The event is enqueued inside the orders.persist span, so the relay's
// publish, and the consumer after it, continue this trace.
func (s *Service) persist(ctx context.Context, o Order) error {
	ctx, span := s.tel.Tracer().Start(ctx, "orders.persist", trace.WithAttributes(
		attribute.String(attrOrderID, o.ID),
		attribute.Int("shoplab.lines", len(o.Lines)),
	))
	defer span.End()
	env, err := events.NewEnvelope(uuid.NewString(), events.TopicOrderPlaced, o.CreatedAt, orderPlaced(o))
	if err == nil {
		// The stock is reserved: storing the order no longer depends on
		// the caller still waiting. A client hanging up mid-COMMIT would
		// otherwise leave the outcome unknown (the driver cancels and
		// reports "context canceled" although the server may have
		// committed).
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
		defer cancel()
		err = database.InTx(tctx, s.db, func(tx *sql.Tx) error {
			if err := claimPending(tctx, tx, o.ID); err != nil {
				return err
			}
			if err := insertOrder(tctx, tx, o); err != nil {
				return err
			}
			return outbox.Enqueue(tctx, tx, s.tel.Propagator, events.TopicOrderPlaced, o.ID, env)
		})
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(otelcodes.Error, "persist failed")
		return fmt.Errorf("persist order %s: %w", o.ID, err)
	}
	return nil
}

// reserveStock asks the catalog for the stock of order id, within
// reserveTimeout.
func (s *Service) reserveStock(ctx context.Context, id string, lines []Line) (*shopv1.ReserveStockResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, reserveTimeout)
	defer cancel()
	return s.catalog.ReserveStock(ctx, &shopv1.ReserveStockRequest{OrderId: id, Lines: stockLines(lines)})
}

// releaseStock undoes the reservation of an order that was not placed.
// ReleaseStock is idempotent, so calling it when nothing was reserved is
// harmless. The pending note goes once the catalog has confirmed; after a
// failure it stays, and the reconciler retries.
func (s *Service) releaseStock(ctx context.Context, orderID string) {
	ctx, cancel := context.WithTimeout(compensationContext(ctx), compensateTimeout)
	defer cancel()
	if _, err := s.catalog.ReleaseStock(ctx, &shopv1.ReleaseStockRequest{OrderId: orderID}); err != nil {
		s.log.ErrorContext(ctx, "compensation failed: stock stays reserved until the reconciler releases it",
			"order_id", orderID, "error", err)
		s.keepForReconciler(ctx, orderID)
		return
	}
	s.log.InfoContext(ctx, "compensation: stock released for an order that was not placed", "order_id", orderID)
	s.forgetPending(ctx, orderID)
}

// keepForReconciler makes sure the pending note of orderID survives a
// failed compensation, with a budget of its own: the compensation's may
// be spent.
func (s *Service) keepForReconciler(ctx context.Context, orderID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), compensateTimeout)
	defer cancel()
	if err := ensurePending(ctx, s.db, orderID, time.Now()); err != nil {
		s.log.ErrorContext(ctx, "compensation: the reconciler will not see this order; its stock stays reserved",
			"order_id", orderID, "error", err)
	}
}

// forgetPending drops the pending note of an order the catalog holds
// nothing for. Failing is harmless: the reconciler releases nothing later.
func (s *Service) forgetPending(ctx context.Context, orderID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), compensateTimeout)
	defer cancel()
	if err := deletePending(ctx, s.db, orderID); err != nil {
		s.log.WarnContext(ctx, "pending reservation note kept; the reconciler will release it", "order_id", orderID, "error", err)
	}
}

// compensationContext keeps ctx's values (the trace) but neither its
// cancellation, since the compensation must run even when the caller has
// gone, nor the caller's injected faults: a fault that failed the request
// must not fail its undoing too, or the stock would stay reserved.
func compensationContext(ctx context.Context) context.Context {
	ctx = context.WithoutCancel(ctx)
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok || len(md.Get(fault.MetadataKey)) == 0 {
		return ctx
	}
	md = md.Copy()
	md.Delete(fault.MetadataKey)
	return metadata.NewOutgoingContext(ctx, md)
}

// failed counts and logs an order that was not placed.
func (s *Service) failed(ctx context.Context, reason, orderID string, err error) {
	s.metrics.failed.WithLabelValues(reason).Inc()
	attrs := []any{"reason", reason, "error", err}
	if orderID != "" {
		attrs = append(attrs, "order_id", orderID)
	}
	switch reason {
	case reasonInvalid, reasonUnknownProduct, reasonInsufficientStock, reasonCanceled:
		s.log.InfoContext(ctx, "order rejected", attrs...)
	case reasonPersist:
		s.log.ErrorContext(ctx, "order failed", attrs...)
	default:
		s.log.WarnContext(ctx, "order failed", attrs...)
	}
}

// newOrder prices the order from the catalog's reservation, after
// checking that the reservation matches what was asked for.
func newOrder(id, userID, email string, lines []Line, res *shopv1.ReserveStockResponse, now time.Time) (Order, error) {
	asked := make(map[int64]int64, len(lines))
	for _, l := range lines {
		asked[l.ProductID] = l.Quantity
	}
	if len(res.GetLines()) != len(lines) {
		return Order{}, fmt.Errorf("catalog reserved %d lines for order %s, want %d", len(res.GetLines()), id, len(lines))
	}
	o := Order{ID: id, UserID: userID, Email: email, Status: StatusPlaced, Currency: res.GetCurrency(), CreatedAt: now}
	for _, l := range res.GetLines() {
		if asked[l.GetProductId()] != l.GetQuantity() {
			return Order{}, fmt.Errorf("catalog reserved %d of product %d for order %s, want %d",
				l.GetQuantity(), l.GetProductId(), id, asked[l.GetProductId()])
		}
		o.Lines = append(o.Lines, OrderLine{
			ProductID: l.GetProductId(), Name: l.GetName(), Quantity: l.GetQuantity(), UnitPriceCents: l.GetUnitPriceCents(),
		})
		o.TotalCents += l.GetQuantity() * l.GetUnitPriceCents()
	}
	return o, nil
}

func orderPlaced(o Order) events.OrderPlaced {
	e := events.OrderPlaced{
		OrderID: o.ID, UserID: o.UserID, Email: o.Email, TotalCents: o.TotalCents, Currency: o.Currency,
		Lines: make([]events.OrderLine, len(o.Lines)),
	}
	for i, l := range o.Lines {
		e.Lines[i] = events.OrderLine{ProductID: l.ProductID, Name: l.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents}
	}
	return e
}

func stockLines(lines []Line) []*shopv1.StockLine {
	out := make([]*shopv1.StockLine, len(lines))
	for i, l := range lines {
		out[i] = &shopv1.StockLine{ProductId: l.ProductID, Quantity: l.Quantity}
	}
	return out
}

// catalogFailureReason classifies a ReserveStock error for the
// shoplab_orders_failed_total reason label.
func catalogFailureReason(err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument:
		return reasonInvalid
	case codes.NotFound:
		return reasonUnknownProduct
	case codes.FailedPrecondition:
		if errorInfoReason(st) == infoInsufficientStock {
			return reasonInsufficientStock
		}
	case codes.Unavailable, codes.DeadlineExceeded:
		return reasonCatalogUnavailable
	case codes.Canceled:
		return reasonCanceled
	}
	return reasonCatalogError
}

// outcomeUnknown reports whether a failed ReserveStock may nevertheless
// have reserved the stock.
func outcomeUnknown(err error) bool {
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Canceled, codes.Unknown:
		return true
	}
	return false
}

func errorInfoReason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
