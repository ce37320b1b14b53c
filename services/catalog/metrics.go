package catalog

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Reasons a reservation is rejected: the only values of the reason label.
const (
	reasonInsufficientStock = "insufficient_stock"
	reasonUnknownProduct    = "unknown_product"
	reasonInvalid           = "invalid"
)

type metrics struct {
	reserved prometheus.Counter
	released prometheus.Counter
	rejected *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reserved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_catalog_stock_reserved_total",
			Help: "Units of stock reserved for orders (a replayed reservation is not counted again).",
		}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shoplab_catalog_stock_released_total",
			Help: "Units of stock given back by released reservations (compensation of failed orders, and the orders service's reconciler of orders never stored).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_catalog_reservations_rejected_total",
			Help: "Reservations refused, by reason (insufficient_stock, unknown_product, invalid).",
		}, []string{"reason"}),
	}
	// Every reason exists at zero, so that rate() shows 0 rather than no data.
	for _, r := range []string{reasonInsufficientStock, reasonUnknownProduct, reasonInvalid} {
		m.rejected.WithLabelValues(r)
	}
	if err := telemetry.Register(reg, m.reserved, m.released, m.rejected); err != nil {
		return nil, err
	}
	return m, nil
}
