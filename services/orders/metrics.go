package orders

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
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
	}
	for _, r := range failureReasons() {
		m.failed.WithLabelValues(r)
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.placed, m.value, m.failed} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
