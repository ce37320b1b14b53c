package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
)

// backend is one replica of a gRPC service, as NewGRPCServer serves it.
type backend struct {
	addr string
	tel  *telemetry.Telemetry
}

// startBackend serves a replica with opts on a port of its own until the
// test ends.
func startBackend(t *testing.T, opts ...GRPCOption) backend {
	t.Helper()
	tel := newTelemetry(t, telemetry.Config{Service: "replica"})
	return backend{addr: serveHealth(t, tel, opts...), tel: tel}
}

// calls is how many health checks the replica has answered.
func (b backend) calls(t *testing.T) int {
	t.Helper()
	return int(testkit.MetricValue(t, b.tel.Registry, "grpc_server_handled_total",
		map[string]string{"grpc_method": "Check", "grpc_service": "grpc.health.v1.Health"}))
}

// dialReplicas dials, with Dial, a name r resolves.
func dialReplicas(t *testing.T, r *manual.Resolver) healthpb.HealthClient {
	t.Helper()
	tel := newTelemetry(t, telemetry.Config{Service: "client"})
	return dialHealth(t, tel, r.Scheme()+":///replicas", grpc.WithResolvers(r))
}

func addresses(bs ...backend) resolver.State {
	var s resolver.State
	for _, b := range bs {
		s.Addresses = append(s.Addresses, resolver.Address{Addr: b.addr})
	}
	return s
}

// check makes one call, failing t if it fails.
func check(t *testing.T, c healthpb.HealthClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check: %v", err)
	}
}

// TestDialBalancesCalls: a client of a name that resolves to two
// replicas (a Kubernetes headless Service) sends its calls to both, not
// all over one connection as grpc-go's default policy, pick_first, does.
func TestDialBalancesCalls(t *testing.T) {
	a, b := startBackend(t), startBackend(t)
	r := manual.NewBuilderWithScheme("shoplab-test")
	r.InitialState(addresses(a, b))
	c := dialReplicas(t, r)

	// round_robin picks among the connections that are up; the second
	// may come up after the first calls.
	testkit.WaitFor(t, patience, "a call on each replica", func() bool {
		check(t, c)
		return a.calls(t) > 0 && b.calls(t) > 0
	})
	const n = 100
	beforeA, beforeB := a.calls(t), b.calls(t)
	for range n {
		check(t, c)
	}
	gotA, gotB := a.calls(t)-beforeA, b.calls(t)-beforeB
	// Strict alternation gives n/2 each; a reconnection in between could
	// skew it, but not this far.
	if gotA < n/4 || gotB < n/4 {
		t.Errorf("%d calls: %d on one replica, %d on the other; want them spread", n, gotA, gotB)
	}
}

// TestMaxConnectionAgeFindsNewReplicas: a server that ages its
// connections makes its clients resolve the name again (grpc-go's DNS
// resolver does not poll), and so a replica added since is used.
func TestMaxConnectionAgeFindsNewReplicas(t *testing.T) {
	a := startBackend(t, WithMaxConnectionAge(200*time.Millisecond, time.Second))
	b := startBackend(t)
	r := manual.NewBuilderWithScheme("shoplab-test")
	resolveNow := make(chan struct{}, 1)
	r.ResolveNowCallback = func(resolver.ResolveNowOptions) {
		select {
		case resolveNow <- struct{}{}:
		default:
		}
	}
	r.InitialState(addresses(a))
	c := dialReplicas(t, r)
	check(t, c)

	// The replica b is added, as a scale-up adds a pod to the Service's
	// DNS name; the client learns of it only when it asks again.
	select {
	case <-resolveNow:
	case <-time.After(patience):
		t.Fatalf("the client did not re-resolve within %s of its connection's end of life", patience)
	}
	r.UpdateState(addresses(a, b))
	testkit.WaitFor(t, patience, "a call on the added replica", func() bool {
		check(t, c)
		return b.calls(t) > 0
	})
}
