// Package lab runs the whole ShopEase shop in one process: the five
// services, each with its own telemetry, listeners and database, and an
// embedded Kafka-protocol broker when no real one is configured. It opens
// the listeners the address book (package topology) assigns and composes
// the services, each wired by its own package's Build. It also manages the
// process that runs a lab: the pid file, a start in the background, the
// stop of a running one, and the compose mode's defaults.
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
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/listener"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/topology"
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
	endpoints []topology.Endpoint
	brokers   []string
	broker    *broker.Broker
	running   map[string]*running
	tels      []*telemetry.Telemetry
	failed    chan struct{}
	failOnce  sync.Once
	stopOnce  sync.Once
	stopErr   error
	// drain tells every service's servers when their drain ends; Stop
	// sets it.
	drain           *server.Drain
	shutdownTimeout time.Duration
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// stopOrder stops the entry point first, so in-flight requests can still
// reach the services behind it, and the consumer last.
var stopOrder = [][]string{{topology.Gateway}, {topology.Auth, topology.Orders}, {topology.Catalog, topology.Notification}}

// StartBroker starts the embedded broker cfg describes, as `shoplab up
// --local` and `shoplab serve broker` run it. It always listens on
// loopback: it advertises the address it listens on, and only this
// machine's services use it.
func StartBroker(cfg config.Config) (*broker.Broker, error) {
	return broker.Start(broker.Options{Host: "127.0.0.1", Port: cfg.EmbeddedKafkaPort, DataDir: cfg.BrokerDataDir(), Partitions: cfg.KafkaPartitions})
}

// Start starts every service and returns once all of them listen. Stop
// ends them; Failed reports a service that stopped on its own.
func Start(ctx context.Context, o Options) (l *Lab, err error) {
	cfg := o.Config
	l = &Lab{
		running: map[string]*running{}, failed: make(chan struct{}), brokers: cfg.KafkaBrokers,
		drain: &server.Drain{}, shutdownTimeout: cfg.ShutdownTimeout,
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Stop(context.WithoutCancel(ctx)))
			l = nil
		}
	}()
	// The incidents' control surface asks for this token; lessons read it
	// from the data directory.
	token, err := incident.LoadOrCreateToken(cfg.DataDir)
	if err != nil {
		return l, err
	}
	if len(l.brokers) == 0 {
		b, err := StartBroker(cfg)
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
	units := map[string]*server.Unit{}
	release := func() {
		closeListeners(listeners)
		for _, u := range units {
			u.Release()
		}
	}
	for _, name := range topology.Services() {
		tel, err := telemetry.New(ctx, telemetry.Config{
			Service: name, LogDir: cfg.LogDir, Stdout: o.Stdout, LogLevel: o.LogLevel,
			OTLP: o.OTLP, SpanProcessors: o.SpanProcessors, SpanDir: telemetry.LocalSpanDir(o.OTLP, cfg.LogDir),
			Signals: cfg.Signals, Instance: cfg.Instance,
		})
		if err != nil {
			release()
			return l, fmt.Errorf("%s telemetry: %w", name, err)
		}
		l.tels = append(l.tels, tel)
		ls := listeners[name]
		u, err := Build(ctx, name, server.Deps{Config: cfg, Telemetry: tel, HTTP: ls.http, GRPC: ls.grpc, Brokers: l.brokers, Peers: peers, IncidentToken: token})
		if err != nil {
			release()
			return l, fmt.Errorf("start %s: %w", name, err)
		}
		units[name] = u
		grpcAddr := ""
		if ls.grpc != nil {
			grpcAddr = loopback(ls.grpc.Addr())
		}
		l.endpoints = append(l.endpoints, topology.NewEndpoint(name, loopback(ls.http.Addr()), grpcAddr))
	}
	for _, name := range topology.Services() {
		l.run(ctx, units[name])
	}
	return l, nil
}

func (l *Lab) run(ctx context.Context, u *server.Unit) {
	// A service lives until Stop cancels it, not until the caller's ctx
	// ends: Stop decides the order, and its budget the drains' deadlines.
	cctx, cancel := context.WithCancel(server.WithDrain(context.WithoutCancel(ctx), l.drain))
	r := &running{cancel: cancel, done: make(chan struct{})}
	l.running[u.Name] = r
	go func() {
		defer close(r.done)
		r.err = u.Run(cctx)
		if cctx.Err() == nil {
			// Stopped on its own: the lab is broken.
			if r.err == nil {
				r.err = fmt.Errorf("%s stopped unexpectedly", u.Name)
			}
			l.failOnce.Do(func() { close(l.failed) })
		}
	}()
}

// Endpoints are where the services listen.
func (l *Lab) Endpoints() []topology.Endpoint { return l.endpoints }

// Brokers are the Kafka bootstrap addresses the services use.
func (l *Lab) Brokers() []string { return l.brokers }

// Embedded reports whether the lab runs its own broker.
func (l *Lab) Embedded() bool { return l.broker != nil }

// Failed is closed when a service stopped without being asked to.
func (l *Lab) Failed() <-chan struct{} { return l.failed }

// Stop stops the services in dependency order, letting in-flight work
// finish, then the broker, then flushes every service's telemetry. It
// takes until ctx's deadline or, without one, the configured
// ShutdownTimeout: the stages share that one budget (stopBudget), and a
// request the drains could not finish is cut (the gateway answers it 503,
// and Stop's error wraps server.ErrCut). Cancelling ctx only stops the
// waiting for services early; the telemetry is still flushed within the
// budget.
func (l *Lab) Stop(ctx context.Context) error {
	l.stopOnce.Do(func() { l.stopErr = l.stop(ctx) })
	return l.stopErr
}

func (l *Lab) stop(ctx context.Context) error {
	b := newStopBudget(ctx, l.shutdownTimeout)
	l.drain.SetDeadlines(b.cut, b.closed)
	wait, cancel := context.WithDeadline(ctx, b.flush)
	defer cancel()
	var errs []error
	for _, stage := range stopOrder {
		for _, name := range stage {
			if r := l.running[name]; r != nil {
				r.cancel()
			}
		}
		for _, name := range stage {
			r := l.running[name]
			if r == nil {
				continue
			}
			if err := waitStopped(wait, name, r); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if l.broker != nil {
		l.broker.Close()
	}
	errs = append(errs, l.flush(ctx, b.end))
	return errors.Join(errs...)
}

// waitStopped returns r's error once it has stopped, or an error naming
// it if ctx ends first: it is left behind, so that one service cannot
// hold the telemetry flush.
func waitStopped(ctx context.Context, name string, r *running) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("%s had not stopped when the stop's budget ran out: left behind", name)
	}
}

// flush shuts every service's telemetry down at once, by end: the spans
// of the requests just drained are exported then.
func (l *Lab) flush(ctx context.Context, end time.Time) error {
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	errs := make([]error, len(l.tels))
	var wg sync.WaitGroup
	for i, t := range l.tels {
		wg.Go(func() { errs[i] = t.Shutdown(fctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

type serviceListeners struct{ http, grpc net.Listener }

func listenAll(cfg config.Config) (map[string]serviceListeners, error) {
	out := map[string]serviceListeners{}
	for _, p := range topology.PortTable(cfg) {
		ls, err := listenPorts(cfg, p)
		if err != nil {
			closeListeners(out)
			return nil, err
		}
		out[p.Service] = ls
	}
	return out, nil
}

// listenPorts opens a service's listeners: HTTP, and gRPC when it has an
// API.
func listenPorts(cfg config.Config, p topology.Ports) (serviceListeners, error) {
	listen := func(port int) (net.Listener, error) {
		l, err := listener.Listen(cfg.Listen(port))
		if err != nil {
			return nil, fmt.Errorf("%s cannot listen on %s: %w (is another lab running? try: shoplab status)", p.Service, strings.Join(cfg.Listen(port), " and "), err)
		}
		return l, nil
	}
	var ls serviceListeners
	var err error
	if ls.http, err = listen(p.HTTP); err != nil {
		return ls, err
	}
	if p.HasGRPC {
		if ls.grpc, err = listen(p.GRPC); err != nil {
			ls.http.Close()
			return serviceListeners{}, err
		}
	}
	return ls, nil
}

// Listen opens the listeners of one service alone (shoplab serve).
func Listen(cfg config.Config, name string) (http, grpc net.Listener, err error) {
	p, ok := topology.PortsOf(cfg, name)
	if !ok {
		return nil, nil, fmt.Errorf("unknown service %q: want one of %v", name, topology.Services())
	}
	ls, err := listenPorts(cfg, p)
	return ls.http, ls.grpc, err
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
