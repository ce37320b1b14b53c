package orders

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestGetOrder(t *testing.T) { testkit.ForEachBackend(t, testGetOrder) }

func testGetOrder(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx := context.Background()
	order, err := f.place(ctx, "alice", line(4, 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		orderID  string
		userID   string
		wantCode codes.Code
	}{
		{name: "owner", orderID: order.GetId(), userID: "alice", wantCode: codes.OK},
		{name: "owner, upper-case ID", orderID: strings.ToUpper(order.GetId()), userID: "alice", wantCode: codes.OK},
		{name: "another user", orderID: order.GetId(), userID: "mallory", wantCode: codes.NotFound},
		{name: "no such order", orderID: uuid.NewString(), userID: "alice", wantCode: codes.NotFound},
		{name: "malformed ID", orderID: "42; DROP TABLE orders", userID: "alice", wantCode: codes.InvalidArgument},
		{name: "empty ID", orderID: "", userID: "alice", wantCode: codes.InvalidArgument},
		{name: "no user", orderID: order.GetId(), userID: "", wantCode: codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.client.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: tt.orderID, UserId: tt.userID})
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", code, err, tt.wantCode)
			}
			if err == nil && (got.GetId() != order.GetId() || got.GetTotalCents() != 8999 || len(got.GetLines()) != 1) {
				t.Errorf("GetOrder = %v, want %v", got, order)
			}
		})
	}
	// Another user's order is indistinguishable from a missing one.
	_, other := f.client.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: order.GetId(), UserId: "mallory"})
	_, missing := f.client.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: uuid.NewString(), UserId: "mallory"})
	if status.Convert(other).Message() != status.Convert(missing).Message() {
		t.Errorf("other user's order: %q, missing order: %q; want the same answer", other, missing)
	}
}
