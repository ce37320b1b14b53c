// Package broker runs an embedded, single-node Kafka-protocol broker
// (franz-go's kfake) so that the shop runs, and its tests pass, without a
// real Kafka. Clients talk to it with the ordinary Kafka protocol.
package broker

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/shoplab/shoplab/internal/events"
)

// Broker is a running embedded broker.
type Broker struct {
	c *kfake.Cluster
}

// Options configure the embedded broker.
type Options struct {
	// Host is the interface to listen on; it is also the advertised host.
	Host string
	// Port 0 picks a free port.
	Port int
	// DataDir keeps the topics and offsets across restarts; empty keeps
	// everything in memory.
	DataDir string
}

// Start starts a broker with the shop's topics created.
func Start(o Options) (*Broker, error) {
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(o.Port),
		kfake.ClusterID("shoplab-embedded"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3),
		kfake.SeedTopics(3, events.Topics()...),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, port))
		}),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded kafka broker on port %d: %w", o.Port, err)
	}
	return &Broker{c: c}, nil
}

// Addrs are the broker's host:port addresses, for KAFKA_BROKERS.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Close stops the broker.
func (b *Broker) Close() { b.c.Close() }
