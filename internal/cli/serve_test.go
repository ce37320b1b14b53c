package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/testkit"
)

// TestServeWithFreePorts runs each service alone with every port 0 (any
// free port), as tests and parallel labs do: a gRPC port of 0 is a port to
// pick, not "no gRPC API" (that once left auth without a listener and
// crashed it with a nil pointer).
func TestServeWithFreePorts(t *testing.T) {
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, svc := range []string{"auth", "catalog", "orders", "notification", "gateway"} {
		t.Run(svc, func(t *testing.T) {
			env := localEnv(t)
			env["KAFKA_BROKERS"] = b.Addrs()[0]
			env["OTEL_TRACES_EXPORTER"] = "none"
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut testkit.SyncBuffer
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, []string{"serve", svc}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
			}()
			testkit.WaitFor(t, 30*time.Second, svc+" to start", func() bool {
				select {
				case err := <-done:
					t.Fatalf("serve %s exited: %v\n%s%s", svc, err, out.String(), errOut.String())
				default:
				}
				return strings.Contains(out.String(), "service started")
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve %s: %v\n%s", svc, err, errOut.String())
			}
		})
	}
}
