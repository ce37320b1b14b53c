package server

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Deps is what building one service needs from its surroundings: the
// runner (internal/lab, or `shoplab serve`) opens the listeners and the
// telemetry, and each service package wires itself from these.
type Deps struct {
	Config    config.Config
	Telemetry *telemetry.Telemetry
	// HTTP and GRPC are the service's listeners (GRPC nil for a service
	// without a gRPC API).
	HTTP, GRPC net.Listener
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Peers maps a service name to the address of its gRPC API.
	Peers map[string]string
	// IncidentToken is what the incident control surface asks callers for
	// (incident.LoadOrCreateToken); empty refuses every caller.
	IncidentToken string
}

// Unit is one built service, ready to run: what a runner needs and no
// more. Building opens what the service holds (its database, its client
// connections), so a bad setting fails the start, not the first request.
type Unit struct {
	Name string
	run  func(ctx context.Context) error
	// closers run after run returned, in order.
	closers []func() error
}

// NewUnit is a service named name that serves with run until its ctx ends
// and then releases what closers free, in order.
func NewUnit(name string, run func(ctx context.Context) error, closers ...func() error) *Unit {
	return &Unit{Name: name, run: run, closers: closers}
}

// Run serves the unit until ctx ends and then releases what it holds.
func (u *Unit) Run(ctx context.Context) error {
	err := errors.Join(u.run(ctx), u.Release())
	if err != nil {
		return fmt.Errorf("%s: %w", u.Name, err)
	}
	return nil
}

// Release frees what the unit holds without running it (a start that
// failed half-way); Run calls it itself.
func (u *Unit) Release() error {
	var err error
	for _, c := range u.closers {
		err = errors.Join(err, c())
	}
	u.closers = nil
	return err
}
