package telemetry_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// TestSignalsOffStopTheirSignal: with traces off no span reaches a
// processor or the span file; with logs off no line reaches stdout or the
// log file. The same service with the signal on is the control.
func TestSignalsOffStopTheirSignal(t *testing.T) {
	tests := []struct {
		name                string
		signals             telemetry.Signals
		wantSpans, wantLogs bool
	}{
		{name: "all on", wantSpans: true, wantLogs: true},
		{name: "traces off", signals: telemetry.Signals{TracesOff: true}, wantLogs: true},
		{name: "logs off", signals: telemetry.Signals{LogsOff: true}, wantSpans: true},
		{name: "all off", signals: telemetry.Signals{TracesOff: true, MetricsOff: true, LogsOff: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			spans := tracetest.NewSpanRecorder()
			var stdout bytes.Buffer
			tel, err := telemetry.New(ctx, telemetry.Config{
				Service: "catalog", LogDir: filepath.Join(dir, "logs"), SpanDir: filepath.Join(dir, "spans"),
				Stdout: &stdout, SpanProcessors: []sdktrace.SpanProcessor{spans}, Signals: tt.signals,
			})
			if err != nil {
				t.Fatal(err)
			}
			sctx, span := tel.Tracer().Start(ctx, "work")
			tel.Logger.InfoContext(sctx, "did some work")
			span.End()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			if got := len(spans.Ended()) > 0; got != tt.wantSpans {
				t.Errorf("spans processed: %v, want %v", got, tt.wantSpans)
			}
			if got := span.IsRecording() || span.SpanContext().IsSampled(); got && !tt.wantSpans {
				t.Error("the span was sampled with traces off")
			}
			if got := nonEmpty(t, filepath.Join(dir, "spans", "catalog.jsonl")); got != tt.wantSpans {
				t.Errorf("span file written: %v, want %v", got, tt.wantSpans)
			}
			if got := stdout.Len() > 0; got != tt.wantLogs {
				t.Errorf("log lines on stdout: %v, want %v (%q)", got, tt.wantLogs, stdout.String())
			}
			if got := nonEmpty(t, filepath.Join(dir, "logs", "catalog.log")); got != tt.wantLogs {
				t.Errorf("log file written: %v, want %v", got, tt.wantLogs)
			}
			if tel.Signals != tt.signals {
				t.Errorf("Telemetry.Signals = %+v, want %+v", tel.Signals, tt.signals)
			}
		})
	}
}

// nonEmpty reports whether path exists with something in it.
func nonEmpty(t *testing.T, path string) bool {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() > 0
}
