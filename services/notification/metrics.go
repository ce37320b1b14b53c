package notification

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Label values.
const (
	channelSMTP  = "smtp"
	channelLog   = "log"
	outcomeOK    = "ok"
	outcomeError = "error"
)

type metrics struct {
	sent       *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, channel string) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_notifications_sent_total",
			Help: "E-mails the service tried to send, by event type, channel (smtp, log) and outcome (ok, error).",
		}, []string{"event_type", "channel", "outcome"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_notification_duplicates_total",
			Help: "Events delivered again after their e-mail was sent, and ignored.",
		}, []string{"event_type"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoplab_notification_latency_seconds",
			Help:    "Time from the event's occurrence to its e-mail being sent.",
			Buckets: telemetry.LatencyBuckets(),
		}, []string{"event_type"}),
	}
	// Series exist at zero from the start, so that rate() shows 0 rather
	// than "no data". Only the configured channel can ever be used.
	for _, t := range events.Topics() {
		m.sent.WithLabelValues(t, channel, outcomeOK)
		m.sent.WithLabelValues(t, channel, outcomeError)
		m.duplicates.WithLabelValues(t)
		m.latency.WithLabelValues(t)
	}
	var errs []error
	for _, c := range []struct {
		name string
		c    prometheus.Collector
	}{
		{"shoplab_notifications_sent_total", m.sent},
		{"shoplab_notification_duplicates_total", m.duplicates},
		{"shoplab_notification_latency_seconds", m.latency},
	} {
		if err := reg.Register(c.c); err != nil {
			errs = append(errs, fmt.Errorf("register metric %s: %w", c.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
