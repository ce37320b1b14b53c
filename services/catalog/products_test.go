package catalog

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

func TestSeedRunsOnceAndKeepsChanges(t *testing.T) {
	testkit.ForEachBackend(t, testSeedRunsOnceAndKeepsChanges)
}

func testSeedRunsOnceAndKeepsChanges(t *testing.T, b testkit.Backend) {
	src := b.New(t)
	first := newFixture(t, src)
	if _, err := first.reserve("order-1", line(1, 5)); err != nil {
		t.Fatal(err)
	}
	first.svc.Close()

	// A restart on the same file must neither duplicate nor reset the catalog.
	second := newFixture(t, src)
	resp, err := second.client.ListProducts(context.Background(), &shopv1.ListProductsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(resp.GetProducts()), len(seedProducts()); got != want {
		t.Fatalf("after restart: %d products, want %d", got, want)
	}
	if got, want := second.stock(t, 1), seedStock(t, 1)-5; got != want {
		t.Fatalf("after restart: stock of product 1 = %d, want %d (reseeded?)", got, want)
	}
}

func TestSeedIsRealistic(t *testing.T) { testkit.ForEachBackend(t, testSeedIsRealistic) }

func testSeedIsRealistic(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	resp, err := f.client.ListProducts(context.Background(), &shopv1.ListProductsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ps := resp.GetProducts()
	if len(ps) != 12 {
		t.Fatalf("%d products, want 12", len(ps))
	}
	skus := map[string]bool{}
	for i, p := range ps {
		if p.GetId() != int64(i+1) {
			t.Errorf("product %d has id %d, want ids 1..12 in order", i, p.GetId())
		}
		if p.GetName() == "" || p.GetDescription() == "" || skus[p.GetSku()] {
			t.Errorf("product %d: empty name/description or duplicate sku: %+v", p.GetId(), p)
		}
		skus[p.GetSku()] = true
		if p.GetPriceCents() <= 0 || p.GetCurrency() != "USD" {
			t.Errorf("product %d: price %d %s", p.GetId(), p.GetPriceCents(), p.GetCurrency())
		}
		if p.GetStock() < 50 || p.GetStock() > 500 {
			t.Errorf("product %d: stock %d outside 50..500", p.GetId(), p.GetStock())
		}
	}
}

func TestGetProduct(t *testing.T) { testkit.ForEachBackend(t, testGetProduct) }

func testGetProduct(t *testing.T, b testkit.Backend) {
	f := newFixture(t, b.New(t))
	tests := []struct {
		name       string
		id         int64
		wantCode   codes.Code
		wantReason string
		wantName   string
	}{
		{name: "exists", id: 1, wantCode: codes.OK, wantName: "Ceramic Coffee Mug"},
		{name: "last", id: 12, wantCode: codes.OK, wantName: "65 W USB-C Charger"},
		{name: "zero", id: 0, wantCode: codes.InvalidArgument},
		{name: "negative", id: -4, wantCode: codes.InvalidArgument},
		{name: "missing", id: 999, wantCode: codes.NotFound, wantReason: "UNKNOWN_PRODUCT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.client.GetProduct(context.Background(), &shopv1.GetProductRequest{Id: tt.id})
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", code, err, tt.wantCode)
			}
			if got := reasonOf(err); got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
			if err == nil && p.GetName() != tt.wantName {
				t.Errorf("name = %q, want %q", p.GetName(), tt.wantName)
			}
		})
	}
}
