package notification

import (
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
	sent        *prometheus.CounterVec
	duplicates  *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	deadLetters *prometheus.CounterVec
	pending     *prometheus.GaugeVec
	oldestAge   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer, channel string) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_notifications_sent_total",
			Help: "E-mails the service tried to send, by event type, channel (smtp, log) and outcome (ok, error).",
		}, []string{"event_type", "channel", "outcome"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_notification_duplicates_total",
			Help: "Events delivered again after their e-mail was accepted for sending, and ignored.",
		}, []string{"event_type"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shoplab_notification_latency_seconds",
			Help:    "Time from the event's occurrence to its e-mail being sent.",
			Buckets: telemetry.LatencyBuckets(),
		}, []string{"event_type"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shoplab_notification_dead_letters_total",
			Help: "E-mails given up on because the mail server refused them for good (a 5xx reply), by event type and reason class (recipient_rejected, message_rejected).",
		}, []string{"event_type", "reason_class"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shoplab_notification_pending_emails",
			Help: "E-mails accepted from Kafka and not sent yet (first attempt due, or retrying after a transient failure).",
		}, []string{"event_type"}),
		oldestAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shoplab_notification_oldest_pending_age_seconds",
			Help: "Age of the oldest pending e-mail since it was accepted from Kafka; 0 when none is pending.",
		}, []string{"event_type"}),
	}
	// Series exist at zero from the start, so that rate() shows 0 rather
	// than "no data". Only the configured channel can ever be used.
	for _, t := range events.Topics() {
		m.sent.WithLabelValues(t, channel, outcomeOK)
		m.sent.WithLabelValues(t, channel, outcomeError)
		m.duplicates.WithLabelValues(t)
		m.latency.WithLabelValues(t)
		m.pending.WithLabelValues(t)
		m.oldestAge.WithLabelValues(t)
		for _, r := range reasonClasses {
			m.deadLetters.WithLabelValues(t, r)
		}
	}
	err := telemetry.Register(reg, m.sent, m.duplicates, m.latency, m.deadLetters, m.pending, m.oldestAge)
	if err != nil {
		return nil, err
	}
	return m, nil
}
