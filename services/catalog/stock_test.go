package catalog

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestReserveStock(t *testing.T) { testkit.ForEachBackend(t, testReserveStock) }

func testReserveStock(t *testing.T, b testkit.Backend) {
	tests := []struct {
		name        string
		lines       []*shopv1.StockLine
		wantCode    codes.Code
		wantReason  string
		wantMessage []string
		// wantTaken is how much each product's stock must have dropped.
		wantTaken map[int64]int64
	}{
		{
			name:      "two lines",
			lines:     []*shopv1.StockLine{line(1, 2), line(7, 10)},
			wantCode:  codes.OK,
			wantTaken: map[int64]int64{1: 2, 7: 10},
		},
		{
			name:      "whole stock",
			lines:     []*shopv1.StockLine{line(5, 50)},
			wantCode:  codes.OK,
			wantTaken: map[int64]int64{5: 50},
		},
		{
			name:        "insufficient stock on second line takes nothing",
			lines:       []*shopv1.StockLine{line(1, 2), line(5, 51)},
			wantCode:    codes.FailedPrecondition,
			wantReason:  "INSUFFICIENT_STOCK",
			wantMessage: []string{"Mechanical Keyboard", "available 50"},
			wantTaken:   map[int64]int64{1: 0, 5: 0},
		},
		{
			name:        "unknown product on second line takes nothing",
			lines:       []*shopv1.StockLine{line(1, 2), line(99, 1)},
			wantCode:    codes.NotFound,
			wantReason:  "UNKNOWN_PRODUCT",
			wantMessage: []string{"99"},
			wantTaken:   map[int64]int64{1: 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, b.New(t))
			resp, err := f.reserve("order-1", tt.lines...)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", code, err, tt.wantCode)
			}
			if got := reasonOf(err); got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
			for _, m := range tt.wantMessage {
				if !strings.Contains(status.Convert(err).Message(), m) {
					t.Errorf("message %q does not mention %q", status.Convert(err).Message(), m)
				}
			}
			for id, taken := range tt.wantTaken {
				if got, want := f.stock(t, id), seedStock(t, id)-taken; got != want {
					t.Errorf("stock of product %d = %d, want %d", id, got, want)
				}
			}
			if err != nil {
				return
			}
			if resp.GetCurrency() != "USD" || len(resp.GetLines()) != len(tt.lines) {
				t.Fatalf("response = %v", resp)
			}
			for i, l := range resp.GetLines() {
				seeded := seedProducts()[l.GetProductId()-1]
				if l.GetProductId() != tt.lines[i].GetProductId() || l.GetQuantity() != tt.lines[i].GetQuantity() ||
					l.GetName() != seeded.Name || l.GetUnitPriceCents() != seeded.PriceCents {
					t.Errorf("line %d = %v, want product %d x%d named %q at %d", i, l,
						tt.lines[i].GetProductId(), tt.lines[i].GetQuantity(), seeded.Name, seeded.PriceCents)
				}
			}
		})
	}
}

func TestReserveStockInvalid(t *testing.T) { testkit.ForEachBackend(t, testReserveStockInvalid) }

func testReserveStockInvalid(t *testing.T, b testkit.Backend) {
	tooMany := make([]*shopv1.StockLine, 51)
	for i := range tooMany {
		tooMany[i] = line(int64(i%12+1), 1)
	}
	tests := []struct {
		name    string
		orderID string
		lines   []*shopv1.StockLine
	}{
		{name: "no order id", orderID: "", lines: []*shopv1.StockLine{line(1, 1)}},
		{name: "no lines", orderID: "o"},
		{name: "51 lines", orderID: "o", lines: tooMany},
		{name: "zero product id", orderID: "o", lines: []*shopv1.StockLine{line(0, 1)}},
		{name: "negative product id", orderID: "o", lines: []*shopv1.StockLine{line(-1, 1)}},
		{name: "zero quantity", orderID: "o", lines: []*shopv1.StockLine{line(1, 0)}},
		{name: "negative quantity", orderID: "o", lines: []*shopv1.StockLine{line(1, -5)}},
		{name: "quantity over 1000", orderID: "o", lines: []*shopv1.StockLine{line(1, 1001)}},
		{name: "duplicate product", orderID: "o", lines: []*shopv1.StockLine{line(1, 1), line(2, 1), line(1, 2)}},
	}
	f := newFixture(t, b.New(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.reserve(tt.orderID, tt.lines...)
			if code := status.Code(err); code != codes.InvalidArgument {
				t.Fatalf("code = %v (%v), want InvalidArgument", code, err)
			}
		})
	}
	if got, want := counterValue(t, f.svc.metrics.rejected.WithLabelValues(reasonInvalid)), float64(len(tests)); got != want {
		t.Errorf("rejected{reason=invalid} = %v, want %v", got, want)
	}
	if got := f.stock(t, 1); got != seedStock(t, 1) {
		t.Errorf("stock of product 1 = %d after invalid requests, want %d", got, seedStock(t, 1))
	}
}

func TestReserveStockIsIdempotent(t *testing.T) {
	testkit.ForEachBackend(t, testReserveStockIsIdempotent)
}

func testReserveStockIsIdempotent(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	first, err := f.reserve("order-1", line(3, 4), line(4, 1))
	if err != nil {
		t.Fatal(err)
	}
	// A retry, even one that disagrees, answers with the first result.
	again, err := f.reserve("order-1", line(3, 9))
	if err != nil {
		t.Fatal(err)
	}
	if first.String() != again.String() {
		t.Fatalf("retry = %v, want %v", again, first)
	}
	if got, want := f.stock(t, 3), seedStock(t, 3)-4; got != want {
		t.Errorf("stock of product 3 = %d, want %d (taken twice?)", got, want)
	}
	if got := counterValue(t, f.svc.metrics.reserved); got != 5 {
		t.Errorf("stock_reserved_total = %v, want 5", got)
	}
}

func TestReleaseStock(t *testing.T) { testkit.ForEachBackend(t, testReleaseStock) }

func testReleaseStock(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	ctx := context.Background()
	if _, err := f.reserve("order-1", line(2, 7), line(6, 3)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		orderID  string
		wantCode codes.Code
	}{
		{name: "first release", orderID: "order-1", wantCode: codes.OK},
		{name: "second release", orderID: "order-1", wantCode: codes.OK},
		{name: "unknown order", orderID: "never-reserved", wantCode: codes.OK},
		{name: "no order id", orderID: "", wantCode: codes.InvalidArgument},
	}
	for _, tt := range tests {
		_, err := f.client.ReleaseStock(ctx, &shopv1.ReleaseStockRequest{OrderId: tt.orderID})
		if code := status.Code(err); code != tt.wantCode {
			t.Fatalf("%s: code = %v (%v), want %v", tt.name, code, err, tt.wantCode)
		}
	}
	for _, id := range []int64{2, 6} {
		if got, want := f.stock(t, id), seedStock(t, id); got != want {
			t.Errorf("stock of product %d = %d, want %d (released once)", id, got, want)
		}
	}
	if got := counterValue(t, f.svc.metrics.released); got != 10 {
		t.Errorf("stock_released_total = %v, want 10", got)
	}
	// A late retry of the released order must not take the stock again.
	if _, err := f.reserve("order-1", line(2, 7)); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("reserve after release = %v, want FailedPrecondition", err)
	}
	if got, want := f.stock(t, 2), seedStock(t, 2); got != want {
		t.Errorf("stock of product 2 = %d, want %d", got, want)
	}
}

func TestReserveStockRejectsMixedCurrencies(t *testing.T) {
	testkit.ForEachBackend(t, testReserveStockRejectsMixedCurrencies)
}

func testReserveStockRejectsMixedCurrencies(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	if _, err := f.svc.db.Exec(`INSERT INTO products (id, sku, name, price_cents, currency, stock) VALUES (100, 'EU-1', 'Euro Mug', 1100, 'EUR', 10)`); err != nil {
		t.Fatal(err)
	}
	_, err := f.reserve("order-1", line(1, 1), line(100, 1))
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "" {
		t.Fatalf("err = %v, want FailedPrecondition without a stock reason", err)
	}
	if got, want := f.stock(t, 1), seedStock(t, 1); got != want {
		t.Errorf("stock of product 1 = %d, want %d", got, want)
	}
}

// TestReserveStockConcurrent checks that concurrent orders never oversell:
// the check and the decrement share one write transaction.
func TestReserveStockConcurrent(t *testing.T) { testkit.ForEachBackend(t, testReserveStockConcurrent) }

func testReserveStockConcurrent(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	const perOrder, orders = 7, 12 // product 5 has 50: 7 orders fit, 5 do not
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		ok, shortages int
	)
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.reserve(fmt.Sprintf("order-%d", i), line(5, perOrder))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case reasonOf(err) == "INSUFFICIENT_STOCK":
				shortages++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok != 7 || shortages != 5 {
		t.Fatalf("%d reserved, %d short; want 7 and 5", ok, shortages)
	}
	if got := f.stock(t, 5); got != 50-7*perOrder {
		t.Fatalf("stock = %d, want %d", got, 50-7*perOrder)
	}
	if got := counterValue(t, f.svc.metrics.rejected.WithLabelValues(reasonInsufficientStock)); got != 5 {
		t.Errorf("rejected{reason=insufficient_stock} = %v, want 5", got)
	}
}
