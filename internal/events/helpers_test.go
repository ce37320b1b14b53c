package events

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// waitTimeout covers joining a consumer group, which takes a few seconds,
// on a loaded machine.
const waitTimeout = 30 * time.Second

// startCluster starts an embedded broker with the shop's topics, three
// partitions each, and returns its addresses.
func startCluster(t *testing.T) []string {
	t.Helper()
	return startClusterHandle(t).ListenAddrs()
}

// startClusterHandle is startCluster for tests that stop the broker.
func startClusterHandle(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, Topics()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// newTelemetry builds a service's telemetry whose ended spans rec keeps.
func newTelemetry(t *testing.T, service string) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: service, SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel, rec
}

// spanView is an ended span.
type spanView = sdktrace.ReadOnlySpan

// onlySpan returns the one ended span named name.
func onlySpan(t *testing.T, rec *tracetest.SpanRecorder, name string) spanView {
	t.Helper()
	var found []spanView
	for _, sp := range rec.Ended() {
		if sp.Name() == name {
			found = append(found, sp)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d ended spans named %q, want 1", len(found), name)
	}
	return found[0]
}

func newPublisher(t *testing.T, tel *telemetry.Telemetry, brokers []string) *Publisher {
	t.Helper()
	p, err := NewPublisher(tel, brokers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// startConsumer runs a consumer of group on brokers with h until the test
// ends, or until stop; it retries and measures lag quickly, to keep tests
// short.
func startConsumer(t *testing.T, tel *telemetry.Telemetry, brokers []string, group string, h Handler) (stop func()) {
	t.Helper()
	c, err := NewConsumer(tel, brokers, group, Topics())
	if err != nil {
		t.Fatal(err)
	}
	c.retryBackoff = 20 * time.Millisecond
	c.maxRetryBackoff = 100 * time.Millisecond
	c.lag.interval = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Run(ctx, h); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			c.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// committed returns group's committed offsets of topic by partition; -1
// is none.
func committed(t *testing.T, brokers []string, group, topic string) map[int]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// totalCommitted sums the committed offsets of topic (none counts 0).
func totalCommitted(t *testing.T, brokers []string, group, topic string) int64 {
	t.Helper()
	var n int64
	for _, o := range committed(t, brokers, group, topic) {
		n += max(o, 0)
	}
	return n
}

// lagOf returns the lag gauge of group and topic by partition.
func lagOf(t *testing.T, tel *telemetry.Telemetry, group, topic string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range testkit.MetricSeries(t, tel.Registry, "shoplab_kafka_consumer_lag", map[string]string{"group": group, "topic": topic}) {
		for _, l := range m.GetLabel() {
			if l.GetName() == "partition" {
				out[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func envelope(t *testing.T, id string) Envelope {
	t.Helper()
	env, err := NewEnvelope(id, TopicUserRegistered, time.Now(), UserRegistered{UserID: "u-1", Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func message(t *testing.T, key string, env Envelope) kafka.Message {
	t.Helper()
	value, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: TopicUserRegistered, Key: []byte(key), Value: value}
}
