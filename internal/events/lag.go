package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// defaultLagInterval is how often the consumer lag is recomputed.
const defaultLagInterval = 2 * time.Second

// lagMonitor computes a consumer group's lag from the broker's point of
// view: each partition's end offset minus the group's committed offset.
// Asking the broker, rather than reading the high watermark off fetched
// messages, keeps the gauge rising while the consumer is stuck and fetches
// nothing.
type lagMonitor struct {
	client    *kafka.Client
	transport *kafka.Transport
	group     string
	topics    []string
	gauge     *prometheus.GaugeVec
	tel       *telemetry.Telemetry
	interval  time.Duration
}

func newLagMonitor(tel *telemetry.Telemetry, brokers []string, group string, topics []string, gauge *prometheus.GaugeVec) *lagMonitor {
	// A transport of its own, so that stopping the monitor closes its
	// connections and no one else's.
	transport := &kafka.Transport{}
	return &lagMonitor{
		client:    &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second, Transport: transport},
		transport: transport,
		group:     group,
		topics:    topics,
		gauge:     gauge,
		tel:       tel,
		interval:  defaultLagInterval,
	}
}

// run refreshes the gauge every interval until ctx ends, calling tick
// before each refresh, for what else the consumer samples at that pace.
// Failures are logged once per outage, not once per tick.
func (m *lagMonitor) run(ctx context.Context, tick func()) {
	defer m.transport.CloseIdleConnections()
	t := time.NewTicker(m.interval)
	defer t.Stop()
	failing := false
	for {
		tick()
		err := m.update(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			m.tel.Logger.WarnContext(ctx, "kafka consumer lag unknown; keeping the last value", "group", m.group, "error", err)
		case err == nil && failing:
			m.tel.Logger.InfoContext(ctx, "kafka consumer lag known again", "group", m.group)
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// update sets the gauge for every partition of the monitored topics.
func (m *lagMonitor) update(ctx context.Context) error {
	lags, err := m.lags(ctx)
	for topic, parts := range lags {
		for p, lag := range parts {
			m.gauge.WithLabelValues(topic, strconv.Itoa(p)).Set(float64(lag))
		}
	}
	return err
}

// lags returns topic -> partition -> messages not yet committed by the
// group. A partition the group never committed counts from its first
// offset, where the consumer starts.
func (m *lagMonitor) lags(ctx context.Context) (map[string]map[int]int64, error) {
	meta, err := m.client.Metadata(ctx, &kafka.MetadataRequest{Topics: m.topics})
	if err != nil {
		return nil, fmt.Errorf("lag of group %s: %w", m.group, err)
	}
	var errs []error
	partitions := map[string][]int{}
	offsetReqs := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			errs = append(errs, fmt.Errorf("topic %s: %w", t.Name, t.Error))
			continue
		}
		for _, p := range t.Partitions {
			partitions[t.Name] = append(partitions[t.Name], p.ID)
			offsetReqs[t.Name] = append(offsetReqs[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	if len(partitions) == 0 {
		return nil, fmt.Errorf("lag of group %s: no partitions: %w", m.group, errors.Join(errs...))
	}
	ends, err := m.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: offsetReqs})
	if err != nil {
		return nil, fmt.Errorf("lag of group %s: end offsets: %w", m.group, err)
	}
	committed, err := m.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: m.group, Topics: partitions})
	if err != nil {
		return nil, fmt.Errorf("lag of group %s: committed offsets: %w", m.group, err)
	}
	commits := map[string]map[int]int64{}
	switch {
	case errors.Is(committed.Error, kafka.GroupIdNotFound):
		// Some brokers say so before the group's first commit: nothing
		// is committed yet.
		committed.Topics = nil
		for topic, parts := range partitions {
			commits[topic] = map[int]int64{}
			for _, p := range parts {
				commits[topic][p] = -1
			}
		}
	case committed.Error != nil:
		return nil, fmt.Errorf("lag of group %s: committed offsets: %w", m.group, committed.Error)
	}
	for topic, parts := range committed.Topics {
		commits[topic] = map[int]int64{}
		for _, p := range parts {
			if p.Error != nil {
				errs = append(errs, fmt.Errorf("committed offset of %s/%d: %w", topic, p.Partition, p.Error))
				continue
			}
			commits[topic][p.Partition] = p.CommittedOffset
		}
	}
	out := map[string]map[int]int64{}
	for topic, parts := range ends.Topics {
		for _, p := range parts {
			if p.Error != nil {
				errs = append(errs, fmt.Errorf("end offset of %s/%d: %w", topic, p.Partition, p.Error))
				continue
			}
			c, ok := commits[topic][p.Partition]
			if !ok {
				continue // unknown, not zero: keep the last value
			}
			if c < 0 {
				c = p.FirstOffset
			}
			if out[topic] == nil {
				out[topic] = map[int]int64{}
			}
			out[topic][p.Partition] = max(p.LastOffset-c, 0)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("lag of group %s: %w", m.group, err)
	}
	return out, nil
}
