package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// replicas opens n catalog services on src, each with a connection pool
// of its own, as n processes would.
func replicas(t *testing.T, src database.Source, n int) []*Service {
	t.Helper()
	var out []*Service
	for range n {
		tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "catalog"})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(t.Context(), Options{Database: src, Telemetry: tel})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svc.Close()
			tel.Shutdown(context.Background())
		})
		out = append(out, svc)
	}
	return out
}

// TestReplicasNeverOversell: many reservations at once, spread over
// replicas, against a product with less stock than asked for in all: the
// units sold are exactly the stock there was, and it never goes negative.
// Each order also takes a unit of a second product, listed first in half
// of them, so that replicas lock products in both orders.
func TestReplicasNeverOversell(t *testing.T) { testkit.ForEachBackend(t, testReplicasNeverOversell) }

func testReplicasNeverOversell(t *testing.T, b testkit.Backend) {
	const (
		perOrder = 3
		orders   = 40
		scarce   = 5  // seeded with 50 units: 16 orders fit
		plenty   = 11 // seeded with 300
	)
	svcs := replicas(t, b.New(t), 4)
	start := make(chan struct{})
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, short int
	)
	for i := range orders {
		wg.Go(func() {
			<-start
			lines := []Line{{ProductID: scarce, Quantity: perOrder}, {ProductID: plenty, Quantity: 1}}
			if i%2 == 1 {
				lines[0], lines[1] = lines[1], lines[0]
			}
			_, _, err := svcs[i%len(svcs)].store.reserve(t.Context(), fmt.Sprintf("order-%d", i), lines)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrInsufficientStock):
				short++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	seeded := seedStock(t, scarce)
	if fit := int(seeded / perOrder); ok != fit || short != orders-fit {
		t.Errorf("%d reserved, %d short; want %d and %d", ok, short, fit, orders-fit)
	}
	p, err := getProduct(t.Context(), svcs[0].db, scarce)
	if err != nil {
		t.Fatal(err)
	}
	if want := seeded - int64(ok)*perOrder; p.Stock != want || p.Stock < 0 {
		t.Errorf("stock left = %d, want %d", p.Stock, want)
	}
	var reserved int64
	if err := svcs[0].db.QueryRow(`SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE product_id = $1`, scarce).Scan(&reserved); err != nil {
		t.Fatal(err)
	}
	if reserved+p.Stock != seeded {
		t.Errorf("reserved %d + left %d != seeded %d", reserved, p.Stock, seeded)
	}
}

// TestReplicasReserveAndReleaseOneOrderOnce: replicas that receive the
// same order's reservation (a retry landing elsewhere) take its stock
// once and answer alike; replicas releasing it give the stock back once.
func TestReplicasReserveAndReleaseOneOrderOnce(t *testing.T) {
	testkit.ForEachBackend(t, testReplicasReserveAndReleaseOneOrderOnce)
}

func testReplicasReserveAndReleaseOneOrderOnce(t *testing.T, b testkit.Backend) {
	const product, qty, attempts = 3, 2, 12
	svcs := replicas(t, b.New(t), 4)
	seeded := seedStock(t, product)
	run := func(what string, op func(s *Service) error) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				<-start
				if err := op(svcs[i%len(svcs)]); err != nil {
					t.Errorf("%s %d: %v", what, i, err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	stock := func() int64 {
		p, err := getProduct(t.Context(), svcs[0].db, product)
		if err != nil {
			t.Fatal(err)
		}
		return p.Stock
	}
	run("reserve", func(s *Service) error {
		res, _, err := s.store.reserve(t.Context(), "order-1", []Line{{ProductID: product, Quantity: qty}})
		if err == nil && res.Units() != qty {
			err = fmt.Errorf("reservation holds %d units, want %d", res.Units(), qty)
		}
		return err
	})
	if got := stock(); got != seeded-qty {
		t.Fatalf("after concurrent reserves: stock = %d, want %d (taken once)", got, seeded-qty)
	}
	run("release", func(s *Service) error {
		_, err := s.store.release(t.Context(), "order-1")
		return err
	})
	if got := stock(); got != seeded {
		t.Fatalf("after concurrent releases: stock = %d, want %d (given back once)", got, seeded)
	}
}
