package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/region"
)

func TestLogLinesCarryTraceAndRegion(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	dir := t.TempDir()
	tel, err := New(ctx, Config{Service: "orders", LogDir: dir, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	sctx, span := tel.Tracer().Start(region.WithRegion(ctx, "sa-east"), "work")
	tel.Logger.InfoContext(sctx, "inside")
	span.End()
	tel.Logger.InfoContext(ctx, "outside")
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	file, err := os.ReadFile(filepath.Join(dir, "orders.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, out.Bytes()) {
		t.Fatalf("stdout and log file differ:\n%s\n---\n%s", out.Bytes(), file)
	}
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", lines)
	}
	var in, outside map[string]any
	json.Unmarshal([]byte(lines[0]), &in)
	json.Unmarshal([]byte(lines[1]), &outside)
	sc := span.SpanContext()
	if in[FieldTraceID] != sc.TraceID().String() || in[FieldSpanID] != sc.SpanID().String() {
		t.Errorf("line inside the span lacks its IDs: %s", lines[0])
	}
	if in[FieldRegion] != "sa-east" || in[FieldService] != "orders" {
		t.Errorf("line inside the span lacks region/service: %s", lines[0])
	}
	if _, ok := outside[FieldTraceID]; ok {
		t.Errorf("line outside any span has a trace_id: %s", lines[1])
	}
}

// The OTEL_* variables, read by package config, decide where spans go.
func TestOTLPFromConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		traces  string
		wantErr bool
	}{
		{name: "nothing set exports nothing", env: nil, traces: ""},
		{name: "http default appends path", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, traces: "http://localhost:4318/v1/traces"},
		{name: "grpc uses endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, traces: "http://localhost:4317"},
		{name: "signal endpoint wins", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/custom"}, traces: "http://b:4318/custom"},
		{name: "exporter none", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_TRACES_EXPORTER": "none"}, traces: ""},
		{name: "bad protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantErr: true},
		{name: "bad url", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317"}, wantErr: true},
		{name: "bad exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if o := OTLP(c.OTLP); err == nil && o.tracesURL() != tt.traces {
				t.Fatalf("traces URL = %q, want %q", o.tracesURL(), tt.traces)
			}
		})
	}
}
