// Package telemetry builds one service's metrics registry, tracer provider
// and logger. Every service instance gets its own, so that several services
// can share a process without sharing telemetry.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config says how to build a service's telemetry.
type Config struct {
	// Service is the service's name: service.name of its spans, the service
	// field of its logs and the name of its log file.
	Service string
	// LogDir receives <Service>.log; empty writes no file.
	LogDir string
	// SpanDir receives <Service>.jsonl, every span the service ends, in
	// OTLP/JSON lines (spanfile.go): local mode's trace store. Empty
	// records none.
	SpanDir string
	// Stdout also receives the log lines; nil writes none there.
	Stdout   io.Writer
	LogLevel slog.Level
	OTLP     OTLP
	// SpanProcessors are added to the tracer provider; tests use them to
	// see spans without an exporter.
	SpanProcessors []sdktrace.SpanProcessor
	// Signals turns traces, metrics or logs off (the zero value is all on).
	Signals Signals
	// Instance says which replica this is; the zero value gives each
	// service instance a random ID (newIdentity).
	Instance Instance
}

// Telemetry is one service's registry, tracer provider and logger.
type Telemetry struct {
	Service        string
	Logger         *slog.Logger
	Registry       *prometheus.Registry
	TracerProvider *sdktrace.TracerProvider
	Propagator     propagation.TextMapPropagator
	// InstanceID is the service instance's service.instance.id, on its
	// spans, its log lines (FieldInstance) and its target_info.
	InstanceID string
	// Signals are the signals the service produces: the request paths
	// skip their metrics when Signals.Metrics() is false.
	Signals Signals

	closers []func(context.Context) error
}

// New builds the telemetry for one service.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	id, err := newIdentity(cfg.Service, cfg.Instance)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	// One resource for the instance's spans, logs and target_info.
	res := newResource(cfg.Service, id.attrs...)
	reg, err := newRegistry(res)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	t := &Telemetry{
		Service:    cfg.Service,
		Registry:   reg,
		Propagator: Propagator(),
		InstanceID: id.instanceID,
		Signals:    cfg.Signals,
	}
	procs := cfg.SpanProcessors
	if cfg.SpanDir != "" && cfg.Signals.Traces() {
		p, err := newSpanFileProcessor(ctx, cfg.SpanDir, cfg.Service)
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		procs = append(slices.Clip(procs), p)
	}
	tp, err := newSilentTracerProvider(res), error(nil)
	if cfg.Signals.Traces() {
		tp, err = newTracerProvider(ctx, res, cfg.OTLP, procs...)
	}
	if err != nil {
		return nil, errors.Join(err, shutdownProcessors(ctx, procs[len(cfg.SpanProcessors):]))
	}
	t.TracerProvider = tp
	t.closers = append(t.closers, tp.Shutdown)

	var writers []io.Writer
	if cfg.Stdout != nil {
		writers = append(writers, cfg.Stdout)
	}
	if cfg.LogDir != "" && cfg.Signals.Logs() {
		f, err := openLogFile(cfg.LogDir, cfg.Service)
		if err != nil {
			return nil, errors.Join(err, t.Shutdown(ctx))
		}
		writers = append(writers, f)
		t.closers = append(t.closers, func(context.Context) error { return f.Close() })
	}
	var handler slog.Handler = newJSONLogHandler(io.MultiWriter(writers...), cfg.LogLevel)
	if !cfg.Signals.Logs() {
		handler = slog.DiscardHandler
	} else if cfg.OTLP.LogsEndpoint != "" {
		otlpHandler, lp, err := newOTLPLogs(ctx, cfg.Service, res, cfg.OTLP)
		if err != nil {
			return nil, errors.Join(err, t.Shutdown(ctx))
		}
		// Flush and stop the OTLP logs before the file closes.
		t.closers = append([]func(context.Context) error{lp.Shutdown}, t.closers...)
		handler = slog.NewMultiHandler(handler, otlpHandler)
	}
	t.Logger = slog.New(ContextHandler{handler}).With(FieldService, cfg.Service, FieldInstance, id.instanceID)
	return t, nil
}

// Tracer returns the service's tracer.
func (t *Telemetry) Tracer() trace.Tracer {
	return t.TracerProvider.Tracer("github.com/shoplab/shoplab/services/" + t.Service)
}

// Shutdown flushes spans and logs and closes the log file.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c(ctx))
	}
	t.closers = nil
	return errors.Join(errs...)
}
