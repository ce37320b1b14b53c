package events

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values.
const (
	outcomeOK       = "ok"
	outcomeError    = "error"
	outcomeRejected = "rejected"
)

func newProducedCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoplab_kafka_messages_produced_total",
		Help: "Kafka messages this service tried to produce, by topic and outcome (ok, error).",
	}, []string{"topic", "outcome"})
	reg.MustRegister(c)
	for _, t := range Topics() {
		for _, o := range []string{outcomeOK, outcomeError} {
			c.WithLabelValues(t, o)
		}
	}
	return c
}

type consumerMetrics struct {
	consumed *prometheus.CounterVec
	lag      *prometheus.GaugeVec
}

func newConsumerMetrics(reg prometheus.Registerer, group string, topics []string) consumerMetrics {
	m := consumerMetrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "shoplab_kafka_messages_consumed_total",
			Help:        "Kafka messages this consumer group handled, by topic and outcome (ok, error: retried, rejected: malformed and skipped).",
			ConstLabels: prometheus.Labels{"group": group},
		}, []string{"topic", "outcome"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "shoplab_kafka_consumer_lag",
			Help:        "Messages behind the partition's high watermark when the consumer last fetched.",
			ConstLabels: prometheus.Labels{"group": group},
		}, []string{"topic", "partition"}),
	}
	reg.MustRegister(m.consumed, m.lag)
	for _, t := range topics {
		for _, o := range []string{outcomeOK, outcomeError, outcomeRejected} {
			m.consumed.WithLabelValues(t, o)
		}
	}
	return m
}
