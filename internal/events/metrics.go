package events

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Outcome label values.
const (
	outcomeOK       = "ok"
	outcomeError    = "error"
	outcomeRejected = "rejected"
)

func newProducedCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoplab_kafka_messages_produced_total",
		Help: "Kafka messages this service tried to produce, by topic and outcome (ok, error).",
	}, []string{"topic", "outcome"})
	if err := telemetry.Register(reg, c); err != nil {
		return nil, err
	}
	for _, t := range Topics() {
		for _, o := range []string{outcomeOK, outcomeError} {
			c.WithLabelValues(t, o)
		}
	}
	return c, nil
}

type consumerMetrics struct {
	consumed   *prometheus.CounterVec
	lag        *prometheus.GaugeVec
	rebalances prometheus.Counter
}

func newConsumerMetrics(reg prometheus.Registerer, group string, topics []string) (consumerMetrics, error) {
	m := consumerMetrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "shoplab_kafka_messages_consumed_total",
			Help:        "Kafka messages this consumer group handled, by topic and outcome (ok, error: retried, rejected: malformed and skipped).",
			ConstLabels: prometheus.Labels{"group": group},
		}, []string{"topic", "outcome"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name:        "shoplab_kafka_consumer_lag",
			Help:        "Messages in the partition not yet committed by the group: the partition's end offset minus the group's committed offset, polled from the broker every few seconds, so it rises while the consumer is stuck.",
			ConstLabels: prometheus.Labels{"group": group},
		}, []string{"topic", "partition"}),
		rebalances: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "shoplab_kafka_consumer_rebalances_total",
			Help:        "Times this group member took up new work: a group generation it joined (a member came, left or died, or the coordinator moved) or a partition leader it followed to another broker. Messages it had fetched but not committed then go to the partition's next owner, which deduplicates them.",
			ConstLabels: prometheus.Labels{"group": group},
		}),
	}
	if err := telemetry.Register(reg, m.consumed, m.lag, m.rebalances); err != nil {
		return consumerMetrics{}, err
	}
	for _, t := range topics {
		for _, o := range []string{outcomeOK, outcomeError, outcomeRejected} {
			m.consumed.WithLabelValues(t, o)
		}
	}
	return m, nil
}
