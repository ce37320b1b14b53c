package orders

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/fault"
	"github.com/shoplab/shoplab/internal/testkit"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// Seed stock of the products the tests order.
const (
	seedStock1 = 240
	seedStock2 = 180
)

// crashAfterReserve does what place does up to the catalog's answer, and
// stops there, as a process that dies before storing the order.
func (f *fixture) crashAfterReserve(t *testing.T, lines ...Line) string {
	t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	if err := notePending(ctx, f.svc.db, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.reserveStock(ctx, id, lines); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) pendingNotes(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.svc.db.QueryRow(`SELECT COUNT(*) FROM pending_reservations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// afterTimeout is a reconciler pass's "now" once every note so far is
// older than the reservation timeout.
func (f *fixture) afterTimeout() time.Time {
	return time.Now().Add(f.svc.reservationTimeout + time.Second)
}

// TestReconcileReleasesOrphanedReservation simulates a crash between the
// reservation and the order's commit: once the reservation timeout has
// passed the reconciler gives the stock back, and the stored order keeps
// its own.
func TestReconcileReleasesOrphanedReservation(t *testing.T) {
	testkit.ForEachBackend(t, testReconcileReleasesOrphanedReservation)
}

func testReconcileReleasesOrphanedReservation(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx := context.Background()
	if _, err := f.place(ctx, "u", line(1, 2)); err != nil {
		t.Fatal(err)
	}
	orphan := f.crashAfterReserve(t, Line{ProductID: 1, Quantity: 5}, Line{ProductID: 2, Quantity: 3})
	if s1, s2 := f.stockOf(t, 1), f.stockOf(t, 2); s1 != seedStock1-7 || s2 != seedStock2-3 {
		t.Fatalf("stock after the crash = %d, %d; want %d, %d", s1, s2, seedStock1-7, seedStock2-3)
	}

	// Within the timeout the order may still be on its way: kept.
	if n := f.svc.reconcile(ctx, time.Now()); n != 0 {
		t.Fatalf("pass within the timeout released %d reservations, want 0", n)
	}
	if s := f.stockOf(t, 1); s != seedStock1-7 {
		t.Fatalf("stock of product 1 = %d after a pass within the timeout, want %d", s, seedStock1-7)
	}

	if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 1 {
		t.Fatalf("pass after the timeout released %d reservations, want 1", n)
	}
	if s1, s2 := f.stockOf(t, 1), f.stockOf(t, 2); s1 != seedStock1-2 || s2 != seedStock2 {
		t.Errorf("stock after reconciling = %d, %d; want seed minus the stored order: %d, %d", s1, s2, seedStock1-2, seedStock2)
	}
	if n := f.pendingNotes(t); n != 0 {
		t.Errorf("%d pending notes left, want 0", n)
	}
	if n := metricOf(t, f.svc.metrics.reclaimed).GetCounter().GetValue(); n != 1 {
		t.Errorf("reservations_reclaimed_total = %v, want 1", n)
	}
	// The order ID is spent: a late retry of its reservation is refused.
	if _, err := f.svc.reserveStock(ctx, orphan, []Line{{ProductID: 1, Quantity: 5}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("late ReserveStock of the released order = %v, want FailedPrecondition", err)
	}
	if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 0 {
		t.Errorf("second pass released %d, want 0", n)
	}
	if s := f.stockOf(t, 1); s != seedStock1-2 {
		t.Errorf("stock of product 1 = %d after a second pass, want %d", s, seedStock1-2)
	}
}

// TestReconcileRacesWithStore checks both orders of the race between the
// reconciler and an order being stored: the stock is never released for
// a stored order, and an order whose stock was released is not stored.
func TestReconcileRacesWithStore(t *testing.T) {
	testkit.ForEachBackend(t, testReconcileRacesWithStore)
}

func testReconcileRacesWithStore(t *testing.T, b testkit.Backend) {
	tests := []struct {
		name          string
		reconcileLast bool
		wantStock     int64
		wantOrders    int
	}{
		{name: "order stored first", reconcileLast: true, wantStock: seedStock1 - 4, wantOrders: 1},
		{name: "reconciler first", reconcileLast: false, wantStock: seedStock1, wantOrders: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, fixtureOptions{backend: b})
			ctx := context.Background()
			lines := []Line{{ProductID: 1, Quantity: 4}}
			id := uuid.NewString()
			if err := notePending(ctx, f.svc.db, id, time.Now()); err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.reserveStock(ctx, id, lines)
			if err != nil {
				t.Fatal(err)
			}
			o, err := newOrder(id, "u", "u@example.com", lines, res, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if !tt.reconcileLast {
				if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 1 {
					t.Fatalf("reconciler released %d, want 1", n)
				}
			}
			err = f.svc.persist(ctx, o)
			if tt.reconcileLast {
				if err != nil {
					t.Fatalf("persist = %v", err)
				}
				if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 0 {
					t.Fatalf("reconciler released %d for a stored order, want 0", n)
				}
			} else if !errors.Is(err, ErrReservationExpired) {
				t.Fatalf("persist after the release = %v, want ErrReservationExpired", err)
			}
			if s := f.stockOf(t, 1); s != tt.wantStock {
				t.Errorf("stock of product 1 = %d, want %d", s, tt.wantStock)
			}
			if n := f.countOrders(t); n != tt.wantOrders {
				t.Errorf("%d orders stored, want %d", n, tt.wantOrders)
			}
		})
	}
}

// TestRunReconcilesAtStart restarts the service after a crash that left
// a reservation behind: the pass at start releases it, without waiting
// for the next interval.
func TestRunReconcilesAtStart(t *testing.T) { testkit.ForEachBackend(t, testRunReconcilesAtStart) }

func testRunReconcilesAtStart(t *testing.T, b testkit.Backend) {
	f := newFixtureWith(t, fixtureOptions{backend: b})
	ctx := context.Background()
	if _, err := f.place(ctx, "u", line(1, 2)); err != nil {
		t.Fatal(err)
	}
	f.crashAfterReserve(t, Line{ProductID: 1, Quantity: 5})
	// The crash was long ago.
	if _, err := f.svc.db.Exec(`UPDATE pending_reservations SET created_at = created_at - $1`, time.Hour.Nanoseconds()); err != nil {
		t.Fatal(err)
	}
	f.svc.Close()

	tel, _ := newTelemetry(t, "orders")
	svc, err := New(ctx, Options{
		Database: f.src, Telemetry: tel, Catalog: f.catalog, Publisher: f.pub,
		ReconcileInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	runFor(t, svc)
	testkit.WaitFor(t, 30*time.Second, "the pass at start to release the crashed order's stock", func() bool {
		return f.stockOf(t, 1) == seedStock1-2
	})
}

// TestRunReconcilesPeriodically: an order that dies while the service
// runs gets its stock back after the timeout, and the stock ends at the
// seed minus the stored orders.
func TestRunReconcilesPeriodically(t *testing.T) {
	f := newFixtureWith(t, fixtureOptions{reservationTimeout: 100 * time.Millisecond, reconcileInterval: 50 * time.Millisecond})
	ctx := context.Background()
	// Stored before Run, so that a slow machine cannot expire them.
	for range 3 {
		if _, err := f.place(ctx, "u", line(1, 2)); err != nil {
			t.Fatal(err)
		}
	}
	runFor(t, f.svc)
	f.crashAfterReserve(t, Line{ProductID: 1, Quantity: 5}, Line{ProductID: 2, Quantity: 1})
	f.crashAfterReserve(t, Line{ProductID: 2, Quantity: 7})
	testkit.WaitFor(t, 30*time.Second, "the reconciler to release both crashed orders", func() bool {
		return f.pendingNotes(t) == 0
	})
	if s1, s2 := f.stockOf(t, 1), f.stockOf(t, 2); s1 != seedStock1-6 || s2 != seedStock2 {
		t.Errorf("stock = %d, %d; want seed minus the stored orders: %d, %d", s1, s2, seedStock1-6, seedStock2)
	}
	if n := f.countOrders(t); n != 3 {
		t.Errorf("%d orders stored, want 3", n)
	}
}

// TestCompensationDropsCallerFault places an order carrying a fault for
// the catalog, and fails its commit: the ReleaseStock that undoes the
// reservation must not carry the fault, which could fail it too.
func TestCompensationDropsCallerFault(t *testing.T) {
	rec := &recordingCatalog{}
	f := newFixtureWith(t, fixtureOptions{
		faults: true,
		wrap: func(c shopv1.CatalogServiceClient) shopv1.CatalogServiceClient {
			rec.CatalogServiceClient = c
			return rec
		},
	})
	if _, err := f.svc.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), fault.MetadataKey, "catalog:delay=1ms")
	if _, err := f.place(ctx, "u", line(2, 4)); status.Code(err) != codes.Internal {
		t.Fatalf("place = %v, want Internal (the commit fails)", err)
	}
	reserve, release := rec.calls("ReserveStock"), rec.calls("ReleaseStock")
	if len(reserve) != 1 || !strings.Contains(strings.Join(reserve[0], ","), "catalog:delay=1ms") {
		t.Fatalf("ReserveStock fault metadata = %q, want the caller's fault forwarded (else this test proves nothing)", reserve)
	}
	if len(release) != 1 || len(release[0]) != 0 {
		t.Errorf("ReleaseStock fault metadata = %q, want one call without the caller's fault", release)
	}
	if s := f.stockOf(t, 2); s != seedStock2 {
		t.Errorf("stock of product 2 = %d, want %d (released)", s, seedStock2)
	}
	if n := f.pendingNotes(t); n != 0 {
		t.Errorf("%d pending notes after a successful compensation, want 0", n)
	}
}

// TestLostCompensationLeftToReconciler: when the compensating
// ReleaseStock fails, the stock is released by the reconciler later.
func TestLostCompensationLeftToReconciler(t *testing.T) {
	rec := &recordingCatalog{failRelease: true}
	f := newFixtureWith(t, fixtureOptions{
		wrap: func(c shopv1.CatalogServiceClient) shopv1.CatalogServiceClient {
			rec.CatalogServiceClient = c
			return rec
		},
	})
	if _, err := f.svc.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.place(context.Background(), "u", line(2, 4)); status.Code(err) != codes.Internal {
		t.Fatalf("place = %v, want Internal (the commit fails)", err)
	}
	if s := f.stockOf(t, 2); s != seedStock2-4 {
		t.Fatalf("stock of product 2 = %d after a lost compensation, want %d", s, seedStock2-4)
	}
	ctx := context.Background()
	if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 0 {
		t.Fatalf("pass with the catalog unreachable released %d, want 0", n)
	}
	if n := metricOf(t, f.svc.metrics.reclaimFailed).GetCounter().GetValue(); n != 1 {
		t.Errorf("reservation_reclaim_failures_total = %v, want 1", n)
	}
	rec.setFailRelease(false)
	if n := f.svc.reconcile(ctx, f.afterTimeout()); n != 1 {
		t.Fatalf("pass with the catalog back released %d, want 1", n)
	}
	if s := f.stockOf(t, 2); s != seedStock2 {
		t.Errorf("stock of product 2 = %d, want %d", s, seedStock2)
	}
}

// runFor runs svc until the test ends.
func runFor(t *testing.T, svc *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil on a clean stop", err)
		}
	})
}
