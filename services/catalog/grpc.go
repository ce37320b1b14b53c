package catalog

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Machine-readable reasons in the errdetails.ErrorInfo of an error.
const (
	infoInsufficientStock = "INSUFFICIENT_STOCK"
	infoUnknownProduct    = "UNKNOWN_PRODUCT"
	errorDomain           = "catalog.shoplab"
)

// ListProducts returns every product.
func (s *Service) ListProducts(ctx context.Context, _ *shopv1.ListProductsRequest) (*shopv1.ListProductsResponse, error) {
	ps, err := s.store.listProducts(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &shopv1.ListProductsResponse{Products: make([]*shopv1.Product, len(ps))}
	for i, p := range ps {
		resp.Products[i] = productToProto(p)
	}
	return resp, nil
}

// GetProduct returns one product.
func (s *Service) GetProduct(ctx context.Context, req *shopv1.GetProductRequest) (*shopv1.Product, error) {
	if err := validateProductID(req.GetId()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	p, err := s.store.getProduct(ctx, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return productToProto(p), nil
}

// ReserveStock reserves every line of an order, or none.
func (s *Service) ReserveStock(ctx context.Context, req *shopv1.ReserveStockRequest) (*shopv1.ReserveStockResponse, error) {
	lines := make([]Line, len(req.GetLines()))
	for i, l := range req.GetLines() {
		lines[i] = Line{ProductID: l.GetProductId(), Quantity: l.GetQuantity()}
	}
	res, err := s.reserve(ctx, req.GetOrderId(), lines)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &shopv1.ReserveStockResponse{Currency: res.Currency, Lines: make([]*shopv1.ReservedLine, len(res.Lines))}
	for i, l := range res.Lines {
		resp.Lines[i] = &shopv1.ReservedLine{ProductId: l.ProductID, Name: l.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents}
	}
	return resp, nil
}

// ReleaseStock gives back an order's reservation.
func (s *Service) ReleaseStock(ctx context.Context, req *shopv1.ReleaseStockRequest) (*shopv1.ReleaseStockResponse, error) {
	if err := s.release(ctx, req.GetOrderId()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &shopv1.ReleaseStockResponse{}, nil
}

func productToProto(p Product) *shopv1.Product {
	return &shopv1.Product{
		Id: p.ID, Sku: p.SKU, Name: p.Name, Description: p.Description,
		PriceCents: p.PriceCents, Currency: p.Currency, Stock: p.Stock,
	}
}

// toStatus maps a domain error to the gRPC status the gateway expects.
// Unexpected errors become Internal without their details, which only
// the log receives.
func (s *Service) toStatus(ctx context.Context, err error) error {
	var (
		unknown *UnknownProductError
		short   *InsufficientStockError
	)
	switch {
	case errors.Is(err, ErrInvalidInput):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.As(err, &unknown):
		return withInfo(codes.NotFound, unknown.Error(), infoUnknownProduct, map[string]string{
			"product_id": strconv.FormatInt(unknown.ProductID, 10),
		})
	case errors.As(err, &short):
		return withInfo(codes.FailedPrecondition, short.Error(), infoInsufficientStock, map[string]string{
			"product_id": strconv.FormatInt(short.ProductID, 10),
			"requested":  strconv.FormatInt(short.Requested, 10),
			"available":  strconv.FormatInt(short.Available, 10),
		})
	case errors.Is(err, ErrReservationReleased):
		return status.Error(codes.FailedPrecondition, "this order's reservation was already released")
	case errors.Is(err, ErrMixedCurrency):
		return status.Error(codes.FailedPrecondition, "the products are priced in different currencies and cannot be ordered together")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	s.log.ErrorContext(ctx, "catalog request failed", "error", err)
	return status.Error(codes.Internal, "internal error")
}

func withInfo(code codes.Code, msg, reason string, md map[string]string) error {
	st := status.New(code, msg)
	detailed, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain, Metadata: md})
	if err != nil {
		return st.Err()
	}
	return detailed.Err()
}
