package events

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestKeyedEventsStayInOrderOnOnePartition: the events of one key all land
// on one partition, in the order they were published, while different
// keys spread over the partitions.
func TestKeyedEventsStayInOrderOnOnePartition(t *testing.T) {
	t.Parallel()
	brokers := startCluster(t)
	tel, _ := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, brokers)

	const keys, perKey = 12, 5
	// Interleaved, in several calls, as checkouts would come.
	for i := range perKey {
		var msgs []kafka.Message
		for k := range keys {
			msgs = append(msgs, message(t, fmt.Sprintf("order-%d", k), envelope(t, fmt.Sprintf("order-%d/%d", k, i))))
		}
		if err := pub.Publish(t.Context(), msgs...); err != nil {
			t.Fatal(err)
		}
	}

	byPartition := readAll(t, brokers, TopicUserRegistered)
	partitionOf := map[string]int{}
	seq := map[string][]string{}
	for p, msgs := range byPartition {
		for _, m := range msgs {
			key := string(m.Key)
			if q, ok := partitionOf[key]; ok && q != p {
				t.Errorf("key %s on partitions %d and %d", key, q, p)
			}
			partitionOf[key] = p
			env, err := DecodeEnvelope(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			seq[key] = append(seq[key], env.ID)
		}
	}
	for k := range keys {
		key := fmt.Sprintf("order-%d", k)
		var want []string
		for i := range perKey {
			want = append(want, fmt.Sprintf("%s/%d", key, i))
		}
		if !slices.Equal(seq[key], want) {
			t.Errorf("key %s: events %v, want %v in publish order", key, seq[key], want)
		}
	}
	if len(byPartition) != 3 {
		t.Errorf("%d keys used partitions %v, want all 3", keys, partitionOf)
	}
}

// TestConsumersOfOneGroupShareThePartitions: three consumers of one group
// (three replicas, each with its own registry) get one partition each;
// every event is handled once, by the owner of its partition, and the
// events of a key in order.
func TestConsumersOfOneGroupShareThePartitions(t *testing.T) {
	t.Parallel()
	c := startClusterHandle(t)
	brokers := c.ListenAddrs()
	tel, _ := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	type handled struct{ replica, id string }
	var (
		mu  sync.Mutex
		got []handled
	)
	for r := range 3 {
		rtel, _ := newTelemetry(t, "notification")
		replica := strconv.Itoa(r)
		startConsumer(t, rtel, brokers, group, func(_ context.Context, _ string, env Envelope) error {
			mu.Lock()
			got = append(got, handled{replica, env.ID})
			mu.Unlock()
			return nil
		})
	}
	waitGroupStable(t, c, group, 3)

	const keys, perKey = 12, 4
	for i := range perKey {
		for k := range keys {
			if err := pub.Publish(t.Context(), message(t, fmt.Sprintf("order-%d", k), envelope(t, fmt.Sprintf("order-%d/%d", k, i)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	testkit.WaitFor(t, waitTimeout, "every event committed", func() bool {
		return totalCommitted(t, brokers, group, TopicUserRegistered) == keys*perKey
	})

	partitionOf := map[string]int{} // event ID -> partition
	for p, msgs := range readAll(t, brokers, TopicUserRegistered) {
		for _, m := range msgs {
			env, err := DecodeEnvelope(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			partitionOf[env.ID] = p
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != keys*perKey {
		t.Errorf("%d events handled, want each of the %d once", len(got), keys*perKey)
	}
	partitionsOf := map[string]map[int]bool{} // replica -> partitions it handled
	last := map[string]int{}                  // key -> last sequence handled
	for _, h := range got {
		if partitionsOf[h.replica] == nil {
			partitionsOf[h.replica] = map[int]bool{}
		}
		partitionsOf[h.replica][partitionOf[h.id]] = true
		var k, i int
		if _, err := fmt.Sscanf(h.id, "order-%d/%d", &k, &i); err != nil {
			t.Fatal(err)
		}
		key := strconv.Itoa(k)
		if prev, ok := last[key]; ok && i != prev+1 {
			t.Errorf("order-%s: event %d handled after %d", key, i, prev)
		}
		last[key] = i
	}
	if len(partitionsOf) != 3 {
		t.Errorf("replicas that handled events: %v, want all 3", partitionsOf)
	}
	for r, ps := range partitionsOf {
		if len(ps) != 1 {
			t.Errorf("replica %s handled partitions %v, want one", r, ps)
		}
	}
}

// TestAMemberThatDiesBeforeCommittingLosesNothing: a member that handled
// an event but died before committing it leaves it to the partition's
// next owner, which gets it again (the handler's deduplication absorbs
// it); every event is handled, and the group commits them all.
func TestAMemberThatDiesBeforeCommittingLosesNothing(t *testing.T) {
	t.Parallel()
	c := startClusterHandle(t)
	brokers := c.ListenAddrs()
	tel, _ := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	var (
		mu    sync.Mutex
		count = map[string]int{}
	)
	record := func(id string) {
		mu.Lock()
		count[id]++
		mu.Unlock()
	}
	// The doomed member records the event, then hangs before returning,
	// as if it died between its handler and its commit.
	doomedHandled := make(chan string, 1)
	dtel, _ := newTelemetry(t, "notification")
	stopDoomed := startConsumer(t, dtel, brokers, group, func(ctx context.Context, _ string, env Envelope) error {
		record(env.ID)
		select {
		case doomedHandled <- env.ID:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	})
	waitGroupStable(t, c, group, 1)
	if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, "evt-1"))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-doomedHandled:
	case <-time.After(waitTimeout):
		t.Fatal("the first member did not get the event")
	}

	stel, _ := newTelemetry(t, "notification")
	startConsumer(t, stel, brokers, group, func(_ context.Context, _ string, env Envelope) error {
		record(env.ID)
		return nil
	})
	stopDoomed()
	if err := pub.Publish(t.Context(), message(t, "u-1", envelope(t, "evt-2"))); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, waitTimeout, "both events committed", func() bool {
		return totalCommitted(t, brokers, group, TopicUserRegistered) == 2
	})
	mu.Lock()
	if count["evt-1"] != 2 || count["evt-2"] != 1 {
		t.Errorf("handled %v; want evt-1 twice (once by the dead member, again by its successor) and evt-2 once", count)
	}
	mu.Unlock()
	testkit.WaitFor(t, waitTimeout, "the successor's rebalances counted", func() bool {
		return testkit.MetricValue(t, stel.Registry, "shoplab_kafka_consumer_rebalances_total", map[string]string{"group": group}) >= 1
	})
}

// TestLagOfEachPartitionWithSeveralMembers: with the group's work shared,
// every member reports the lag of every partition, the group's as the
// broker knows it, not only of its own; so the lag of a partition is the
// same series value on each replica (take max, not sum, across them), and
// a stuck member's partitions show their backlog on the others too.
func TestLagOfEachPartitionWithSeveralMembers(t *testing.T) {
	t.Parallel()
	c := startClusterHandle(t)
	brokers := c.ListenAddrs()
	tel, _ := newTelemetry(t, "orders")
	pub := newPublisher(t, tel, brokers)
	const group = "g"

	release := make(chan struct{})
	var tels []*telemetry.Telemetry
	for range 2 {
		rtel, _ := newTelemetry(t, "notification")
		tels = append(tels, rtel)
		startConsumer(t, rtel, brokers, group, func(ctx context.Context, _ string, _ Envelope) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	waitGroupStable(t, c, group, 2)
	const keys, perKey = 12, 2
	for i := range perKey {
		for k := range keys {
			if err := pub.Publish(t.Context(), message(t, fmt.Sprintf("user-%d", k), envelope(t, fmt.Sprintf("u-%d/%d", k, i)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]float64{}
	for p, msgs := range readAll(t, brokers, TopicUserRegistered) {
		want[strconv.Itoa(p)] = float64(len(msgs))
	}
	if len(want) != 3 {
		t.Fatalf("events on partitions %v, want all 3", want)
	}
	for i, rtel := range tels {
		testkit.WaitFor(t, waitTimeout, fmt.Sprintf("replica %d's lag by partition at %v", i, want), func() error {
			if got := lagOf(t, rtel, group, TopicUserRegistered); !mapsEqual(got, want) {
				return fmt.Errorf("lag %v", got)
			}
			return nil
		})
	}
	close(release)
	zero := map[string]float64{"0": 0, "1": 0, "2": 0}
	for i, rtel := range tels {
		testkit.WaitFor(t, waitTimeout, fmt.Sprintf("replica %d's lag back to 0 on every partition", i), func() error {
			if got := lagOf(t, rtel, group, TopicUserRegistered); !mapsEqual(got, zero) {
				return fmt.Errorf("lag %v", got)
			}
			return nil
		})
	}
}

// TestEnsureTopicsPartitions: a missing topic gets the partitions asked
// for; an existing one keeps its own.
func TestEnsureTopicsPartitions(t *testing.T) {
	t.Parallel()
	addrs := startCluster(t)
	if err := EnsureTopics(t.Context(), addrs, 5, "five", TopicOrderPlaced); err != nil {
		t.Fatal(err)
	}
	client := &kafka.Client{Addr: kafka.TCP(addrs...)}
	meta, err := client.Metadata(t.Context(), &kafka.MetadataRequest{Topics: []string{"five", TopicOrderPlaced}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, topic := range meta.Topics {
		got[topic.Name] = len(topic.Partitions)
	}
	if want := map[string]int{"five": 5, TopicOrderPlaced: 3}; got["five"] != want["five"] || got[TopicOrderPlaced] != want[TopicOrderPlaced] {
		t.Errorf("partitions %v, want %v (the existing topic keeps its 3)", got, want)
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// waitGroupStable waits until group has members members, all with their
// partitions.
func waitGroupStable(t *testing.T, c *kfake.Cluster, group string, members int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if _, err := c.WaitGroupStable(ctx, group, members); err != nil {
		t.Fatalf("group %s never stable with %d members: %v", group, members, err)
	}
}

// readAll reads every message of topic, by partition (partitions with
// none left out).
func readAll(t *testing.T, brokers []string, topic string) map[int][]kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	ends, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]kafka.Message{}
	for _, p := range ends.Topics[topic] {
		if p.Error != nil {
			t.Fatal(p.Error)
		}
		if p.LastOffset == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p.Partition, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("read %s/%d: %v", topic, p.Partition, err)
			}
			out[p.Partition] = append(out[p.Partition], m)
			if m.Offset+1 >= p.LastOffset {
				break
			}
		}
		r.Close()
	}
	return out
}
