package orders

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Reasons an order fails: the only values of the reason label.
const (
	reasonInvalid            = "invalid"
	reasonUnknownProduct     = "unknown_product"
	reasonInsufficientStock  = "insufficient_stock"
	reasonCatalogUnavailable = "catalog_unavailable"
	reasonCatalogError       = "catalog_error"
	reasonCanceled           = "canceled"
	reasonPersist            = "persist"
)

func failureReasons() []string {
	return []string{
		reasonInvalid, reasonUnknownProduct, reasonInsufficientStock,
		reasonCatalogUnavailable, reasonCatalogError, reasonCanceled, reasonPersist,
	}
}

// orderValueBuckets (cents) span a cheap single item to a large basket.
func orderValueBuckets() []float64 {
	return []float64{500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000}
}

type metrics struct {
	placed prometheus.Counter
	value  prometheus.Histogram
	failed *prometheus.CounterVec
	// reclaimed and reclaimFailed count the reconciler's releases.
	reclaimed     prometheus.Counter
	reclaimFailed prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		placed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_orders_placed_total",
			Help: "Orders placed (stock reserved and order committed).",
		}),
		value: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shoplab_order_value_cents",
			Help:    "Total value of placed orders, in cents of their currency.",
			Buckets: orderValueBuckets(),
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_orders_failed_total",
			Help: "Orders not placed, by reason (invalid, unknown_product, insufficient_stock, catalog_unavailable, catalog_error, canceled, persist).",
		}, []string{"reason"}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_orders_reservations_reclaimed_total",
			Help: "Stock reservations of orders that were never stored (a crash, a lost compensation), released by the reconciler.",
		}),
		reclaimFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_orders_reservation_reclaim_failures_total",
			Help: "Releases of such reservations that failed; each is retried at the reconciler's next pass.",
		}),
	}
	for _, r := range failureReasons() {
		m.failed.WithLabelValues(r)
	}
	if err := telemetry.Register(reg, m.placed, m.value, m.failed, m.reclaimed, m.reclaimFailed); err != nil {
		return nil, err
	}
	return m, nil
}
