package gateway

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/region"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// What the fake backends know. Product IDs double as switches: asking for
// one of the "product..." IDs below makes the fake fail that way.
const (
	goodToken     = "good-token"
	fakeUserID    = "user-1"
	fakeEmail     = "ada@example.com"
	takenEmail    = "taken@example.com"
	goodPassword  = "correct horse"
	knownOrderID  = "0b4c6f5e-8d0a-4c1e-9a7e-2f3d4c5b6a79"
	maxFakeStock  = 10
	unitPrice     = 250
	secretDetail  = "sqlite: disk I/O error at /var/lib/catalog.db"
	productAbsent = 404
	productDown   = 503
	productBroken = 500
	productBusy   = 429
)

// call is what a fake backend saw of one call.
type call struct {
	method  string
	traceID trace.TraceID
	region  string
	// baggage is every member the call's baggage carried, "key=value".
	baggage []string
	fault   []string
	// deadline is how long the call had left when it arrived; 0 without
	// a deadline.
	deadline time.Duration
	req      any
}

// recorder collects the calls the fake backends received.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) note(ctx context.Context, method string, req any) {
	md, _ := metadata.FromIncomingContext(ctx)
	var left time.Duration
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{
		method:   method,
		traceID:  trace.SpanContextFromContext(ctx).TraceID(),
		region:   region.FromContext(ctx),
		baggage:  baggageMembers(ctx),
		fault:    md.Get(fault.MetadataKey),
		deadline: left,
		req:      req,
	})
}

// last returns the latest call of method.
func (r *recorder) last(method string) (call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].method == method {
			return r.calls[i], true
		}
	}
	return call{}, false
}

// baggageMembers lists the members of ctx's baggage, sorted.
func baggageMembers(ctx context.Context) []string {
	var out []string
	for _, m := range baggage.FromContext(ctx).Members() {
		out = append(out, m.Key()+"="+m.Value())
	}
	slices.Sort(out)
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// withReason is a status carrying an ErrorInfo reason, as the real
// services send them.
func withReason(c codes.Code, reason, msg string) error {
	st, err := status.New(c, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "shoplab"})
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return st.Err()
}

// fakeCreated is every fake record's creation time.
func fakeCreated() *timestamppb.Timestamp {
	return timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

type fakeAuth struct {
	shopv1.UnimplementedAuthServiceServer
	rec *recorder
}

func (f *fakeAuth) Register(ctx context.Context, req *shopv1.RegisterRequest) (*shopv1.RegisterResponse, error) {
	f.rec.note(ctx, "Register", req)
	if req.GetEmail() == takenEmail {
		return nil, withReason(codes.AlreadyExists, "EMAIL_TAKEN", "an account with this email already exists")
	}
	return &shopv1.RegisterResponse{User: &shopv1.User{Id: fakeUserID, Email: req.GetEmail(), Name: req.GetName(), CreatedAt: fakeCreated()}}, nil
}

func (f *fakeAuth) Login(ctx context.Context, req *shopv1.LoginRequest) (*shopv1.LoginResponse, error) {
	f.rec.note(ctx, "Login", req)
	if req.GetPassword() != goodPassword {
		return nil, withReason(codes.Unauthenticated, "INVALID_CREDENTIALS", "wrong email or password")
	}
	return &shopv1.LoginResponse{
		Token:     goodToken,
		ExpiresAt: timestamppb.New(fakeCreated().AsTime().Add(time.Hour)),
		User:      &shopv1.User{Id: fakeUserID, Email: req.GetEmail(), Name: "Ada", CreatedAt: fakeCreated()},
	}, nil
}

func (f *fakeAuth) ValidateToken(ctx context.Context, req *shopv1.ValidateTokenRequest) (*shopv1.ValidateTokenResponse, error) {
	f.rec.note(ctx, "ValidateToken", req)
	if req.GetToken() != goodToken {
		return nil, withReason(codes.Unauthenticated, "INVALID_TOKEN", "token is invalid or expired")
	}
	return &shopv1.ValidateTokenResponse{UserId: fakeUserID, Email: fakeEmail}, nil
}

type fakeCatalog struct {
	shopv1.UnimplementedCatalogServiceServer
	rec *recorder
}

func fakeProduct(id int64) *shopv1.Product {
	return &shopv1.Product{
		Id: id, Sku: fmt.Sprintf("SKU-%d", id), Name: fmt.Sprintf("Product %d", id), Description: "a fine thing",
		PriceCents: unitPrice, Currency: "EUR", Stock: maxFakeStock,
	}
}

func (f *fakeCatalog) ListProducts(ctx context.Context, req *shopv1.ListProductsRequest) (*shopv1.ListProductsResponse, error) {
	f.rec.note(ctx, "ListProducts", req)
	return &shopv1.ListProductsResponse{Products: []*shopv1.Product{fakeProduct(1), fakeProduct(2)}}, nil
}

func (f *fakeCatalog) GetProduct(ctx context.Context, req *shopv1.GetProductRequest) (*shopv1.Product, error) {
	f.rec.note(ctx, "GetProduct", req)
	switch req.GetId() {
	case productAbsent:
		return nil, withReason(codes.NotFound, "UNKNOWN_PRODUCT", "product 404 does not exist")
	case productDown:
		return nil, status.Error(codes.Unavailable, "catalog database is locked")
	case productBroken:
		return nil, status.Error(codes.Internal, secretDetail)
	case productBusy:
		return nil, status.Error(codes.ResourceExhausted, "too many requests for this product")
	}
	return fakeProduct(req.GetId()), nil
}

type fakeOrders struct {
	shopv1.UnimplementedOrdersServiceServer
	rec *recorder
}

func (f *fakeOrders) PlaceOrder(ctx context.Context, req *shopv1.PlaceOrderRequest) (*shopv1.Order, error) {
	f.rec.note(ctx, "PlaceOrder", req)
	o := &shopv1.Order{Id: knownOrderID, UserId: req.GetUserId(), Email: req.GetEmail(), Status: "placed", Currency: "EUR", CreatedAt: fakeCreated()}
	for _, l := range req.GetLines() {
		switch {
		case l.GetProductId() == productAbsent:
			return nil, withReason(codes.NotFound, "UNKNOWN_PRODUCT", fmt.Sprintf("product %d does not exist", l.GetProductId()))
		case l.GetQuantity() > maxFakeStock:
			return nil, withReason(codes.FailedPrecondition, "INSUFFICIENT_STOCK", fmt.Sprintf("only %d of product %d left", maxFakeStock, l.GetProductId()))
		}
		o.Lines = append(o.Lines, &shopv1.OrderLine{ProductId: l.GetProductId(), Name: fmt.Sprintf("Product %d", l.GetProductId()), Quantity: l.GetQuantity(), UnitPriceCents: unitPrice})
		o.TotalCents += l.GetQuantity() * unitPrice
	}
	return o, nil
}

func (f *fakeOrders) GetOrder(ctx context.Context, req *shopv1.GetOrderRequest) (*shopv1.Order, error) {
	f.rec.note(ctx, "GetOrder", req)
	if req.GetOrderId() != knownOrderID || req.GetUserId() != fakeUserID {
		return nil, status.Error(codes.NotFound, "no such order")
	}
	return &shopv1.Order{
		Id: knownOrderID, UserId: fakeUserID, Email: fakeEmail, Status: "placed", Currency: "EUR", CreatedAt: fakeCreated(),
		Lines:      []*shopv1.OrderLine{{ProductId: 1, Name: "Product 1", Quantity: 2, UnitPriceCents: unitPrice}},
		TotalCents: 2 * unitPrice,
	}, nil
}
