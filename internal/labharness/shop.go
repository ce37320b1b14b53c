// Package labharness is the whole-lab harness for tests: it runs the
// whole shop (internal/lab) in the test's process on free ports, a real
// Prometheus that scrapes it, and a real Alertmanager it can alert. Only _test.go files import it;
// internal/lab's own tests cannot (an import cycle) and start their lab
// themselves. Helpers that need no running shop are in internal/testkit.
package labharness

import (
	"context"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// Shop is the shop running for one test.
type Shop struct {
	Lab *lab.Lab
	// Config is the lab's configuration: free ports (0), data and logs in
	// temporary directories (testkit.LabEnv).
	Config config.Config
	// Env is the environment Config was loaded from.
	Env map[string]string
}

// Start starts the shop configured by testkit.LabEnv(t, extra), stops it
// when the test ends, and returns once every service is healthy.
func Start(t testing.TB, extra map[string]string) *Shop {
	t.Helper()
	return StartWith(t, extra, nil)
}

// StartWith is Start with options changes the test needs (span
// processors, a log writer); options may be nil.
func StartWith(t testing.TB, extra map[string]string, options func(*lab.Options)) *Shop {
	t.Helper()
	env := testkit.LabEnv(t, extra)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	o := lab.Options{Config: cfg}
	if options != nil {
		options(&o)
	}
	ctx := context.Background()
	l, err := lab.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop(context.Background()) })
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := topology.WaitHealthy(wctx, l.Endpoints(), nil); err != nil {
		t.Fatal(err)
	}
	return &Shop{Lab: l, Config: o.Config, Env: env}
}

// Endpoint is where service listens; the zero Endpoint when the shop has
// no such service.
func (s *Shop) Endpoint(service string) topology.Endpoint {
	for _, e := range s.Lab.Endpoints() {
		if e.Service == service {
			return e
		}
	}
	return topology.Endpoint{}
}

// GatewayURL is the base URL of the shop's API.
func (s *Shop) GatewayURL() string { return "http://" + s.Endpoint(topology.Gateway).HTTP }
