package traceview

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// recordTrace runs a small trace through two services' real telemetry,
// spans to span files and logs to log files under logDir, and returns its
// ID and the span IDs by name.
func recordTrace(t *testing.T, logDir string) (string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	tels := map[string]*telemetry.Telemetry{}
	for _, svc := range []string{"gateway", "orders"} {
		tel, err := telemetry.New(ctx, telemetry.Config{Service: svc, LogDir: logDir, SpanDir: telemetry.SpanDirOf(logDir)})
		if err != nil {
			t.Fatal(err)
		}
		tels[svc] = tel
	}
	ids := map[string]string{}
	rctx, root := tels["gateway"].Tracer().Start(region.WithRegion(ctx, "eu-west"), "POST /api/v1/orders", trace.WithSpanKind(trace.SpanKindServer))
	tels["gateway"].Logger.InfoContext(rctx, "request served", "status", 201)
	octx, persist := tels["orders"].Tracer().Start(rctx, "orders.persist")
	persist.RecordError(errors.New("database is locked"))
	persist.SetStatus(codes.Error, "persist failed")
	tels["orders"].Logger.ErrorContext(octx, "order not saved", "error", "database is locked")
	persist.End()
	root.End()
	ids["root"], ids["persist"] = root.SpanContext().SpanID().String(), persist.SpanContext().SpanID().String()
	for _, tel := range tels {
		if err := tel.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return root.SpanContext().TraceID().String(), ids
}

func TestLocalReadsSpanFilesAndLogs(t *testing.T) {
	dir := t.TempDir()
	id, ids := recordTrace(t, dir)
	otherID, _ := recordTrace(t, dir)
	// A line still being written is skipped, not an error.
	f, err := os.OpenFile(filepath.Join(telemetry.SpanDirOf(dir), "orders"+telemetry.SpanFileExt), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"` + id)
	f.Close()

	tr, err := NewLocal(dir).Trace(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 2 {
		t.Fatalf("got %d spans, want 2 (the other trace's left out)", len(tr.Spans))
	}
	by := map[string]*Span{}
	for _, s := range tr.Spans {
		by[s.SpanID] = s
	}
	root, persist := by[ids["root"]], by[ids["persist"]]
	if root == nil || persist == nil {
		t.Fatalf("spans %v lack root or persist", tr.Spans)
	}
	if root.Service != "gateway" || root.Kind != "server" || persist.Service != "orders" || persist.ParentID != root.SpanID {
		t.Errorf("root %+v, persist %+v", root, persist)
	}
	if !persist.Failed() || persist.StatusMessage != "persist failed" || len(persist.Events) != 1 ||
		persist.Events[0].Name != "exception" || persist.Events[0].Attributes["exception.message"] != "database is locked" {
		t.Errorf("persist's status and exception: %+v", persist)
	}
	if root.Attributes[telemetry.RegionAttribute] != "eu-west" || !root.End.After(root.Start) {
		t.Errorf("root attributes %v, times %v-%v", root.Attributes, root.Start, root.End)
	}
	if len(root.Logs) != 1 || root.Logs[0].Msg != "request served" || root.Logs[0].Fields["status"] != "201" {
		t.Errorf("root's logs %+v", root.Logs)
	}
	if len(persist.Logs) != 1 || persist.Logs[0].Level != "ERROR" || persist.Logs[0].Fields["error"] != "database is locked" {
		t.Errorf("persist's logs %+v", persist.Logs)
	}
	if other, err := NewLocal(dir).Trace(context.Background(), otherID); err != nil || len(other.Spans) != 2 {
		t.Errorf("the other trace: %v, %v", other, err)
	}
}

func TestLocalReadsRotatedFiles(t *testing.T) {
	dir := t.TempDir()
	id, _ := recordTrace(t, dir)
	cur := filepath.Join(telemetry.SpanDirOf(dir), "orders"+telemetry.SpanFileExt)
	if err := os.Rename(cur, cur+telemetry.SpanFileRotatedExt); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cur, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := NewLocal(dir).Trace(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 2 {
		t.Errorf("got %d spans, want 2: the rotated file's too", len(tr.Spans))
	}
}

func TestLocalErrors(t *testing.T) {
	dir := t.TempDir()
	recordTrace(t, dir)
	unknown := "0123456789abcdef0123456789abcdef"

	_, err := NewLocal(dir).Trace(context.Background(), unknown)
	if !errors.Is(err, ErrNotFound) || ExitCode(err) != ExitNotFound || !strings.Contains(err.Error(), "(yet)") {
		t.Errorf("unknown trace: %v (exit %d), want ErrNotFound saying it may not have arrived", err, ExitCode(err))
	}

	// Log lines but no spans yet: the spans are on their way.
	line := `{"time":"2026-03-01T12:00:00Z","level":"INFO","msg":"x","service":"orders","trace_id":"` + unknown + `","span_id":"0000000000000001"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.log"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = NewLocal(dir).Trace(context.Background(), unknown)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "1 log lines carry it") {
		t.Errorf("trace with logs only: %v", err)
	}

	_, err = NewLocal(t.TempDir()).Trace(context.Background(), unknown)
	if !errors.Is(err, ErrUnavailable) || ExitCode(err) != ExitUnavailable || !strings.Contains(err.Error(), "no span files") {
		t.Errorf("no span files: %v (exit %d), want ErrUnavailable", err, ExitCode(err))
	}
}
