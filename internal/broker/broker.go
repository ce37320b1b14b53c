// Package broker runs an embedded Kafka-protocol broker (franz-go's kfake)
// so that the shop runs, and its tests pass, without a real Kafka. Clients
// talk to it with the ordinary Kafka protocol.
//
// The lab runs one node. Tests of the scale-out start several (Options.Nodes)
// and take one away mid-run (RemoveNode): kfake keeps one copy of the data
// for the whole cluster, so a node that leaves loses no message, and its
// partitions get new leaders among the nodes left, as a replicated Kafka
// topic's would. What the clients see is a real broker leaving: their
// connections to it drop, it refuses new ones, and they must find the new
// leaders and the group coordinator again.
package broker

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
)

// Broker is a running embedded broker: one node, or a cluster of several.
type Broker struct {
	c *kfake.Cluster
	// mu guards nodes: kfake creates each node's listener through
	// listen, node 0 first, so the n-th listener is node n.
	mu    sync.Mutex
	nodes []*trackedListener
}

// Options configure the embedded broker.
type Options struct {
	// Host is the interface to listen on; it is also the advertised host.
	Host string
	// Port 0 picks a free port. With several nodes it is the first node's
	// port and the others pick free ones.
	Port int
	// DataDir keeps the topics and offsets across restarts; empty keeps
	// everything in memory.
	DataDir string
	// Nodes is how many brokers the cluster has; 0 means 1.
	Nodes int
	// Partitions is how many partitions each of the shop's topics, and a
	// topic created by a producer, gets; 0 means
	// config.DefaultKafkaPartitions. Topics restored from DataDir keep
	// theirs.
	Partitions int
}

// Start starts a broker with the shop's topics created.
func Start(o Options) (*Broker, error) {
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	nodes := max(o.Nodes, 1)
	partitions := o.Partitions
	if partitions <= 0 {
		partitions = config.DefaultKafkaPartitions
	}
	ports := make([]int, nodes)
	ports[0] = o.Port
	b := &Broker{}
	opts := []kfake.Opt{
		kfake.NumBrokers(nodes),
		kfake.Ports(ports...),
		kfake.ClusterID("shoplab-embedded"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
		kfake.SeedTopics(int32(partitions), events.Topics()...),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			return b.listen(network, host, address)
		}),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded kafka broker on port %d: %w", o.Port, err)
	}
	b.c = c
	return b, nil
}

// listen opens the next node's listener on host, at address's port.
func (b *Broker) listen(network, host, address string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	t := &trackedListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	b.mu.Lock()
	b.nodes = append(b.nodes, t)
	b.mu.Unlock()
	return t, nil
}

// Addrs are the broker's host:port addresses, for KAFKA_BROKERS: one per
// node still in the cluster.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Nodes are the IDs of the nodes still in the cluster, lowest first.
func (b *Broker) Nodes() []int32 {
	var ids []int32
	for id := range b.liveNodes() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (b *Broker) liveNodes() map[int32]*trackedListener {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[int32]*trackedListener{}
	for id, l := range b.nodes {
		if !l.isClosed() {
			out[int32(id)] = l
		}
	}
	return out
}

// RemoveNode takes node id out of the cluster as a crash would: its
// partitions and the groups it coordinated move to the nodes left, its
// listener closes and every client connection to it is cut. The last
// node cannot be removed.
func (b *Broker) RemoveNode(id int32) error {
	b.mu.Lock()
	var l *trackedListener
	if int(id) >= 0 && int(id) < len(b.nodes) {
		l = b.nodes[id]
	}
	b.mu.Unlock()
	if l == nil || l.isClosed() {
		return fmt.Errorf("remove broker node %d: no such node", id)
	}
	if err := b.c.RemoveNode(id); err != nil {
		return fmt.Errorf("remove broker node %d: %w", id, err)
	}
	// Group coordinators are placed by hashing over the nodes left; make
	// sure clients look for theirs again, as after a real failover.
	b.c.RehashCoordinators()
	l.cutConnections()
	return nil
}

// LeaderFor is the node leading partition of topic; -1 if there is no
// such partition.
func (b *Broker) LeaderFor(topic string, partition int32) int32 {
	return b.c.LeaderFor(topic, partition)
}

// Coordinator is the node coordinating group.
func (b *Broker) Coordinator(group string) int32 { return b.c.CoordinatorFor(group) }

// WaitGroupMembers waits until group is stable with members members: a
// rebalance has ended and every member has its partitions.
func (b *Broker) WaitGroupMembers(ctx context.Context, group string, members int) error {
	if _, err := b.c.WaitGroupStable(ctx, group, members); err != nil {
		return fmt.Errorf("group %s with %d members: %w", group, members, err)
	}
	return nil
}

// Close stops the broker.
func (b *Broker) Close() { b.c.Close() }

// trackedListener remembers the connections it accepted, so that a node
// that leaves the cluster can cut them: closing a listener alone leaves
// its open connections served.
type trackedListener struct {
	net.Listener
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	return &trackedConn{Conn: c, l: l}, nil
}

func (l *trackedListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

func (l *trackedListener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// cutConnections closes the listener and every connection it accepted.
func (l *trackedListener) cutConnections() {
	l.Close()
	l.mu.Lock()
	conns := l.conns
	l.conns = map[net.Conn]struct{}{}
	l.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// trackedConn forgets itself when closed, so that a long-running broker
// does not keep every connection it ever served.
type trackedConn struct {
	net.Conn
	l    *trackedListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c.Conn)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
