package catalog

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span attributes the catalog adds.
const (
	attrOrderID      = "shoplab.order_id"
	attrRejectReason = "shoplab.reject_reason"
)

// reserve validates, reserves and accounts for one reservation.
func (s *Service) reserve(ctx context.Context, orderID string, lines []Line) (Reservation, error) {
	ctx, span := s.tel.Tracer().Start(ctx, "catalog.reserve", trace.WithAttributes(
		attribute.String(attrOrderID, orderID),
		attribute.Int("shoplab.lines", len(lines)),
	))
	defer span.End()

	err := validateReservation(orderID, lines)
	var res Reservation
	replayed := false
	if err == nil {
		res, replayed, err = s.store.reserve(ctx, orderID, lines)
	}
	if err != nil {
		s.rejected(ctx, span, orderID, err)
		return Reservation{}, err
	}
	if replayed {
		span.SetAttributes(attribute.Bool("shoplab.replayed", true))
		s.log.InfoContext(ctx, "stock reservation replayed; nothing taken again", "order_id", orderID, "lines", len(res.Lines))
		return res, nil
	}
	s.metrics.reserved.Add(float64(res.Units()))
	s.log.InfoContext(ctx, "stock reserved", "order_id", orderID, "lines", len(res.Lines), "units", res.Units())
	return res, nil
}

// rejected counts and logs a refused reservation. Client mistakes are not
// span errors; anything else is.
func (s *Service) rejected(ctx context.Context, span trace.Span, orderID string, err error) {
	reason := ""
	switch {
	case errors.Is(err, ErrInvalidInput):
		reason = reasonInvalid
	case errors.Is(err, ErrUnknownProduct):
		reason = reasonUnknownProduct
	case errors.Is(err, ErrInsufficientStock):
		reason = reasonInsufficientStock
	}
	if reason != "" {
		s.metrics.rejected.WithLabelValues(reason).Inc()
		span.SetAttributes(attribute.String(attrRejectReason, reason))
		s.log.InfoContext(ctx, "stock reservation rejected", "order_id", orderID, "reason", reason, "error", err)
		return
	}
	if errors.Is(err, ErrReservationReleased) || errors.Is(err, ErrMixedCurrency) {
		s.log.WarnContext(ctx, "stock reservation refused", "order_id", orderID, "error", err)
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, "reserve failed")
	s.log.ErrorContext(ctx, "stock reservation failed", "order_id", orderID, "error", err)
}

// release gives back what orderID holds; releasing twice is harmless.
func (s *Service) release(ctx context.Context, orderID string) error {
	ctx, span := s.tel.Tracer().Start(ctx, "catalog.release", trace.WithAttributes(attribute.String(attrOrderID, orderID)))
	defer span.End()
	if err := validateOrderID(orderID); err != nil {
		return err
	}
	units, err := s.store.release(ctx, orderID)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "release failed")
		s.log.ErrorContext(ctx, "stock release failed", "order_id", orderID, "error", err)
		return err
	}
	span.SetAttributes(attribute.Int64("shoplab.units_released", units))
	if units == 0 {
		s.log.InfoContext(ctx, "stock release: nothing held", "order_id", orderID)
		return nil
	}
	s.metrics.released.Add(float64(units))
	s.log.InfoContext(ctx, "stock released", "order_id", orderID, "units", units)
	return nil
}
