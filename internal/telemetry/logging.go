package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/region"
)

// Log field names. The log shipper and Grafana's derived fields rely on
// them, so they are part of ShopLab's contract.
const (
	FieldTraceID = "trace_id"
	FieldSpanID  = "span_id"
	FieldService = "service"
	FieldRegion  = "region"
	// FieldInstance carries service.instance.id on every line: the name
	// Loki gives that resource attribute when logs arrive over OTLP (dots
	// become underscores) and the label of target_info, so that one name
	// finds a replica in every signal. It is a field, not a Loki label:
	// one stream per replica would multiply the streams.
	FieldInstance = "service_instance_id"
)

// ContextHandler adds the trace ID, span ID and region found in the
// record's context to every log line, so that a line can be joined to its
// trace.
type ContextHandler struct {
	slog.Handler
}

// Handle adds the context fields and passes the record on.
func (h ContextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		rec.AddAttrs(
			slog.String(FieldTraceID, sc.TraceID().String()),
			slog.String(FieldSpanID, sc.SpanID().String()),
		)
	}
	if r := region.FromContext(ctx); r != "" {
		rec.AddAttrs(slog.String(FieldRegion, r))
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}

// openLogFile opens dir/<service>.log for appending, creating dir.
func openLogFile(dir, service string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, service+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	return f, nil
}

// newJSONLogHandler writes one JSON object per line to w.
func newJSONLogHandler(w io.Writer, level slog.Level) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
}

// newOTLPLogs builds the optional OTLP log path (the otelslog bridge).
func newOTLPLogs(ctx context.Context, service string, res *resource.Resource, o OTLP) (slog.Handler, *sdklog.LoggerProvider, error) {
	var (
		exp sdklog.Exporter
		err error
	)
	if o.Protocol == ProtocolGRPC {
		exp, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpointURL(o.LogsEndpoint))
	} else {
		exp, err = otlploghttp.New(ctx, otlploghttp.WithEndpointURL(o.LogsEndpoint))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("otlp log exporter for %s: %w", o.LogsEndpoint, err)
	}
	lp := sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)),
	)
	return otelslog.NewHandler("github.com/shoplab/shoplab/services/"+service, otelslog.WithLoggerProvider(lp)), lp, nil
}
