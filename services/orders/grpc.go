package orders

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// PlaceOrder reserves the order's stock and records the order.
func (s *Service) PlaceOrder(ctx context.Context, req *shopv1.PlaceOrderRequest) (*shopv1.Order, error) {
	lines := make([]Line, len(req.GetLines()))
	for i, l := range req.GetLines() {
		lines[i] = Line{ProductID: l.GetProductId(), Quantity: l.GetQuantity()}
	}
	o, err := s.place(ctx, req.GetUserId(), req.GetEmail(), lines)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return orderToProto(o), nil
}

// GetOrder returns one of the user's orders.
func (s *Service) GetOrder(ctx context.Context, req *shopv1.GetOrderRequest) (*shopv1.Order, error) {
	o, err := s.get(ctx, req.GetOrderId(), req.GetUserId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return orderToProto(o), nil
}

func orderToProto(o Order) *shopv1.Order {
	out := &shopv1.Order{
		Id: o.ID, UserId: o.UserID, Email: o.Email, Status: o.Status,
		TotalCents: o.TotalCents, Currency: o.Currency, CreatedAt: timestamppb.New(o.CreatedAt),
		Lines: make([]*shopv1.OrderLine, len(o.Lines)),
	}
	for i, l := range o.Lines {
		out.Lines[i] = &shopv1.OrderLine{ProductId: l.ProductID, Name: l.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents}
	}
	return out
}

// toStatus maps a domain error to the gRPC status the gateway expects.
func (s *Service) toStatus(ctx context.Context, err error) error {
	var ce *CatalogError
	switch {
	case errors.Is(err, ErrInvalidInput):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrOrderNotFound):
		return status.Error(codes.NotFound, "order not found")
	case errors.Is(err, ErrStoreUnavailable):
		return status.Error(codes.Unavailable, "the order store is unavailable; try again shortly")
	case errors.As(err, &ce):
		return catalogStatus(ce.Err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	s.log.ErrorContext(ctx, "orders request failed", "error", err)
	return status.Error(codes.Internal, "the order could not be placed; try again")
}

// catalogStatus passes the catalog's answer on. A refusal of the request
// (bad line, unknown product, no stock) goes through unchanged, details
// included, so the gateway sees the catalog's reason. A failure of the
// catalog itself keeps its code but not its message, which may name
// internal addresses.
func catalogStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return status.Error(codes.Unavailable, "the catalog service is unavailable; try again")
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.AlreadyExists,
		codes.OutOfRange, codes.PermissionDenied, codes.Unauthenticated, codes.ResourceExhausted,
		codes.Aborted, codes.Canceled:
		return st.Err()
	case codes.Unavailable:
		return status.Error(codes.Unavailable, "the catalog service is unavailable; try again")
	case codes.DeadlineExceeded:
		return status.Error(codes.DeadlineExceeded, "the catalog service did not answer in time; try again")
	default:
		return status.Errorf(st.Code(), "the catalog service failed (%s); try again", st.Code())
	}
}
