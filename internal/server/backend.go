package server

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/shoplab/shoplab/internal/incident"
)

// Service is what a service with a gRPC API offers its runner.
type Service interface {
	// Register adds the service's API to a gRPC server.
	Register(*grpc.Server)
	// Checks are what its /healthz asks.
	Checks() map[string]Check
	// Run runs its background loops until ctx ends.
	Run(ctx context.Context) error
	// Close releases what it holds.
	Close() error
}

// Backend is svc served the way every service with a gRPC API is: its API
// on d.GRPC (faults as d.Config.Faults says), /metrics, /livez, /healthz
// and the control surface of incidents (a nil set is an empty one named
// for the service: a service where no incident acts serves the surface all
// the same, so that clearing every service's incidents needs no exception)
// on d.HTTP, and its background loops, each drained within
// d.Config.ShutdownTimeout. The unit closes svc, then closers (what the
// caller opened for svc, in order). If the gRPC server cannot be built,
// svc is closed and the error returned; closers stay the caller's to
// release.
func Backend(name string, d Deps, svc Service, incidents *incident.Set, closers ...func() error) (*Unit, error) {
	gs, hs, err := NewGRPCServer(d.Telemetry, svc.Register, WithFaults(d.Config.Faults))
	if err != nil {
		return nil, errors.Join(err, svc.Close())
	}
	if incidents == nil {
		incidents = incident.NewSet(name)
	}
	grace := d.Config.ShutdownTimeout
	adminHandler := AdminHandler(d.Telemetry, svc.Checks(), WithIncidents(d.IncidentControl(incidents)))
	run := func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return ServeGRPC(ctx, d.GRPC, gs, hs, grace) })
		g.Go(func() error { return ServeHTTP(ctx, d.HTTP, adminHandler, grace) })
		g.Go(func() error { return svc.Run(ctx) })
		return g.Wait()
	}
	return NewUnit(name, run, append([]func() error{svc.Close}, closers...)...), nil
}

// HTTPUnit is h served on d.HTTP, drained within d.Config.ShutdownTimeout,
// beside run (a service's own loops) when run is not nil: the gateway's API,
// or the admin endpoints of a service without a gRPC API. The unit releases
// what closers free, in order.
func HTTPUnit(name string, d Deps, h http.Handler, run func(ctx context.Context) error, closers ...func() error) *Unit {
	grace := d.Config.ShutdownTimeout
	if run == nil {
		return NewUnit(name, func(ctx context.Context) error { return ServeHTTP(ctx, d.HTTP, h, grace) }, closers...)
	}
	return NewUnit(name, func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return ServeHTTP(ctx, d.HTTP, h, grace) })
		g.Go(func() error { return run(ctx) })
		return g.Wait()
	}, closers...)
}
