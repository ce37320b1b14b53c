package broker

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/shoplab/shoplab/internal/events"
)

// TestKafkaGoGroupRoundTrip proves the embedded broker speaks enough Kafka
// for kafka-go: produce, consumer-group fetch and commit.
func TestKafkaGoGroupRoundTrip(t *testing.T) {
	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Topic: events.TopicOrderPlaced, Key: []byte("k"), Value: []byte("v1")}); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: b.Addrs(), GroupID: "g", GroupTopics: []string{events.TopicOrderPlaced},
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	start := time.Now()
	m, err := r.FetchMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first message after %v", time.Since(start))
	if string(m.Value) != "v1" {
		t.Fatalf("value = %q", m.Value)
	}
	if err := r.CommitMessages(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// TestANodeLeavesTheCluster: in a three-node cluster a writer and a group
// reader that started with every node keep working after one node leaves:
// its partitions have new leaders among the others, it refuses
// connections, and no message written before or after is lost.
func TestANodeLeavesTheCluster(t *testing.T) {
	b, err := Start(Options{Nodes: 3, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addrs := b.Addrs()
	if len(addrs) != 3 || !slices.Equal(b.Nodes(), []int32{0, 1, 2}) {
		t.Fatalf("addresses %v, nodes %v; want 3 of each", addrs, b.Nodes())
	}
	client := &kafka.Client{Addr: kafka.TCP(addrs...)}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{events.TopicOrderPlaced}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(meta.Topics[0].Partitions); n != 4 {
		t.Fatalf("%s has %d partitions, want 4", events.TopicOrderPlaced, n)
	}

	// kafka-go learns of new leaders only from its periodic metadata
	// refresh (a refused connection does not trigger one), so a write to a
	// partition the gone node led fails until then. The writer keeps
	// retrying, as the outbox relay does; how long it took is logged, and
	// the test's two-minute context bounds it.
	w := &kafka.Writer{
		Addr: kafka.TCP(addrs...), Balancer: &kafka.Hash{}, BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll,
		Transport: &kafka.Transport{MetadataTTL: time.Second},
	}
	defer w.Close()
	write := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			msg := kafka.Message{Topic: events.TopicOrderPlaced, Key: []byte(fmt.Sprint("k", i)), Value: []byte(fmt.Sprint(i))}
			start, failures := time.Now(), 0
			for {
				err := w.WriteMessages(ctx, msg)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("write %d: %d failures, the last: %v", i, failures+1, err)
				}
				failures++
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			if failures > 0 {
				t.Logf("write %d succeeded after %d failed attempts in %v", i, failures, time.Since(start))
			}
		}
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: addrs, GroupID: "g", GroupTopics: []string{events.TopicOrderPlaced},
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 3 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
	})
	defer r.Close()
	seen := map[string]bool{}
	read := func(n int) {
		t.Helper()
		for len(seen) < n {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				t.Fatalf("after %d of %d messages: %v", len(seen), n, err)
			}
			seen[string(m.Value)] = true
			if err := r.CommitMessages(ctx, m); err != nil {
				t.Logf("commit (redelivery follows): %v", err)
			}
		}
	}
	write(0, 20)
	read(20)

	gone := b.LeaderFor(events.TopicOrderPlaced, 0)
	open, err := kafka.DialContext(ctx, "tcp", addrs[gone])
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.ApiVersions(); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveNode(gone); err != nil {
		t.Fatal(err)
	}
	// A connection the node was serving is cut, as by a crashed broker.
	open.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := open.ApiVersions(); err == nil {
		t.Errorf("the removed node %d still answers on a connection made before", gone)
	}
	if slices.Contains(b.Nodes(), gone) || len(b.Addrs()) != 2 {
		t.Fatalf("after removing node %d: nodes %v, addresses %v", gone, b.Nodes(), b.Addrs())
	}
	for p := range int32(4) {
		if l := b.LeaderFor(events.TopicOrderPlaced, p); l == gone || l < 0 {
			t.Errorf("partition %d led by %d after node %d left", p, l, gone)
		}
	}
	if conn, err := net.DialTimeout("tcp", addrs[gone], 5*time.Second); err == nil {
		conn.Close()
		t.Errorf("node %d at %s still accepts connections", gone, addrs[gone])
	}
	if err := b.RemoveNode(gone); err == nil {
		t.Error("removing a node twice: want an error")
	}
	write(20, 40)
	read(40)
}
