// Package lab runs the whole ShopEase shop in one process: the five
// services, each with its own telemetry, listeners and database, and an
// embedded Kafka-protocol broker when no real one is configured.
package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/listener"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// Options configure a lab.
type Options struct {
	Config   config.Config
	OTLP     telemetry.OTLP
	LogLevel slog.Level
	// Stdout also receives every service's log lines; nil keeps them in
	// the log files only.
	Stdout io.Writer
	// SpanProcessors are added to every service's tracer provider (tests).
	SpanProcessors []sdktrace.SpanProcessor
}

// Lab is a running shop.
type Lab struct {
	endpoints []Endpoint
	brokers   []string
	broker    *broker.Broker
	running   map[string]*running
	tels      []*telemetry.Telemetry
	failed    chan struct{}
	failOnce  sync.Once
	stopOnce  sync.Once
	stopErr   error
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// stopOrder stops the entry point first, so in-flight requests can still
// reach the services behind it, and the consumer last.
var stopOrder = [][]string{{Gateway}, {Auth, Orders}, {Catalog, Notification}}

// Start starts every service and returns once all of them listen. Stop
// ends them; Failed reports a service that stopped on its own.
func Start(ctx context.Context, o Options) (l *Lab, err error) {
	cfg := o.Config
	l = &Lab{running: map[string]*running{}, failed: make(chan struct{}), brokers: cfg.KafkaBrokers}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Stop(context.WithoutCancel(ctx)))
			l = nil
		}
	}()
	if len(l.brokers) == 0 {
		// The embedded broker always listens on loopback: it advertises the
		// address it listens on, and only this machine's services use it.
		b, err := broker.Start(broker.Options{Host: "127.0.0.1", Port: cfg.EmbeddedKafkaPort})
		if err != nil {
			return l, fmt.Errorf("%w (is another lab running? try: shoplab status)", err)
		}
		l.broker = b
		l.brokers = b.Addrs()
	}

	listeners, err := listenAll(cfg)
	if err != nil {
		return l, err
	}
	peers := map[string]string{}
	for name, ls := range listeners {
		if ls.grpc != nil {
			peers[name] = loopback(ls.grpc.Addr())
		}
	}
	components := map[string]*Component{}
	release := func() {
		closeListeners(listeners)
		for _, c := range components {
			c.release()
		}
	}
	for _, name := range Services() {
		tel, err := telemetry.New(ctx, telemetry.Config{
			Service: name, LogDir: cfg.LogDir, Stdout: o.Stdout, LogLevel: o.LogLevel,
			OTLP: o.OTLP, SpanProcessors: o.SpanProcessors,
		})
		if err != nil {
			release()
			return l, fmt.Errorf("%s telemetry: %w", name, err)
		}
		l.tels = append(l.tels, tel)
		ls := listeners[name]
		c, err := Build(ctx, name, Deps{Config: cfg, Telemetry: tel, HTTP: ls.http, GRPC: ls.grpc, Brokers: l.brokers, Peers: peers})
		if err != nil {
			release()
			return l, fmt.Errorf("start %s: %w", name, err)
		}
		components[name] = c
		e := Endpoint{Service: name, HTTP: loopback(ls.http.Addr())}
		if ls.grpc != nil {
			e.GRPC = loopback(ls.grpc.Addr())
		}
		e.HealthURL = "http://" + e.HTTP + "/healthz"
		e.MetricsURL = "http://" + e.HTTP + "/metrics"
		l.endpoints = append(l.endpoints, e)
	}
	for _, name := range Services() {
		l.run(ctx, components[name])
	}
	return l, nil
}

func (l *Lab) run(ctx context.Context, c *Component) {
	// A service lives until Stop cancels it, not until the caller's ctx
	// ends: Stop decides the order.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &running{cancel: cancel, done: make(chan struct{})}
	l.running[c.Name] = r
	go func() {
		defer close(r.done)
		r.err = c.Run(cctx)
		if cctx.Err() == nil {
			// Stopped on its own: the lab is broken.
			if r.err == nil {
				r.err = fmt.Errorf("%s stopped unexpectedly", c.Name)
			}
			l.failOnce.Do(func() { close(l.failed) })
		}
	}()
}

// Endpoints are where the services listen.
func (l *Lab) Endpoints() []Endpoint { return l.endpoints }

// Brokers are the Kafka bootstrap addresses the services use.
func (l *Lab) Brokers() []string { return l.brokers }

// Embedded reports whether the lab runs its own broker.
func (l *Lab) Embedded() bool { return l.broker != nil }

// Failed is closed when a service stopped without being asked to.
func (l *Lab) Failed() <-chan struct{} { return l.failed }

// Stop stops the services in dependency order, letting in-flight work
// finish, then the broker, then flushes every service's telemetry.
func (l *Lab) Stop(ctx context.Context) error {
	l.stopOnce.Do(func() {
		var errs []error
		for _, stage := range stopOrder {
			for _, name := range stage {
				if r := l.running[name]; r != nil {
					r.cancel()
				}
			}
			for _, name := range stage {
				if r := l.running[name]; r != nil {
					<-r.done
					errs = append(errs, r.err)
				}
			}
		}
		if l.broker != nil {
			l.broker.Close()
		}
		for _, t := range l.tels {
			errs = append(errs, t.Shutdown(ctx))
		}
		l.stopErr = errors.Join(errs...)
	})
	return l.stopErr
}

type serviceListeners struct{ http, grpc net.Listener }

func listenAll(cfg config.Config) (map[string]serviceListeners, error) {
	ports := map[string][2]int{
		Gateway:      {cfg.Gateway.HTTPPort, -1},
		Auth:         {cfg.Auth.HTTPPort, cfg.Auth.GRPCPort},
		Catalog:      {cfg.Catalog.HTTPPort, cfg.Catalog.GRPCPort},
		Orders:       {cfg.Orders.HTTPPort, cfg.Orders.GRPCPort},
		Notification: {cfg.Notification.HTTPPort, -1},
	}
	out := map[string]serviceListeners{}
	listen := func(name string, port int) (net.Listener, error) {
		l, err := listener.Listen(cfg.Listen(port))
		if err != nil {
			return nil, fmt.Errorf("%s cannot listen on %s: %w (is another lab running? try: shoplab status)", name, strings.Join(cfg.Listen(port), " and "), err)
		}
		return l, nil
	}
	for _, name := range Services() {
		p := ports[name]
		var ls serviceListeners
		var err error
		if ls.http, err = listen(name, p[0]); err != nil {
			closeListeners(out)
			return nil, err
		}
		if p[1] >= 0 {
			if ls.grpc, err = listen(name, p[1]); err != nil {
				ls.http.Close()
				closeListeners(out)
				return nil, err
			}
		}
		out[name] = ls
	}
	return out, nil
}

func closeListeners(m map[string]serviceListeners) {
	for _, ls := range m {
		ls.http.Close()
		if ls.grpc != nil {
			ls.grpc.Close()
		}
	}
}

// loopback turns a listener address into one a local client can dial:
// a wildcard bind (0.0.0.0) is reached through 127.0.0.1.
func loopback(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}
