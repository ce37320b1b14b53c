package telemetry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// fileLine is the part of a span line the tests check, as the OTLP/JSON
// specification spells it.
type fileLine struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []struct {
				Key   string `json:"key"`
				Value struct {
					StringValue string `json:"stringValue"`
				} `json:"value"`
			} `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []struct {
				TraceID           string `json:"traceId"`
				SpanID            string `json:"spanId"`
				ParentSpanID      string `json:"parentSpanId"`
				Name              string `json:"name"`
				Kind              int    `json:"kind"`
				StartTimeUnixNano string `json:"startTimeUnixNano"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSpanDirRecordsEverySpanAsOTLPJSON(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "spans")
	tel, err := New(ctx, Config{Service: "orders", SpanDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pctx, parent := tel.Tracer().Start(ctx, "orders.persist")
	_, child := tel.Tracer().Start(pctx, "publish orders.placed", trace.WithSpanKind(trace.SpanKindProducer))
	child.End()
	parent.End()
	// Shutdown flushes the batch and closes the file.
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	lines := readLines(t, filepath.Join(dir, "orders"+SpanFileExt))
	if len(lines) == 0 {
		t.Fatal("no span line written")
	}
	type seen struct {
		traceID, parentID string
		kind              int
	}
	spans := map[string]seen{}
	for _, l := range lines {
		// Valid OTLP: the collector's own message type reads it.
		if err := protojson.Unmarshal(l, &collectortrace.ExportTraceServiceRequest{}); err != nil {
			t.Fatalf("line is not an ExportTraceServiceRequest: %v\n%s", err, l)
		}
		var fl fileLine
		if err := json.Unmarshal(l, &fl); err != nil {
			t.Fatal(err)
		}
		for _, rs := range fl.ResourceSpans {
			if a := rs.Resource.Attributes; len(a) == 0 || !strings.Contains(string(l), `"service.name"`) {
				t.Errorf("resource lacks service.name: %s", l)
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					if s.StartTimeUnixNano == "" {
						t.Errorf("span %s has no start time", s.Name)
					}
					spans[s.Name] = seen{s.TraceID, s.ParentSpanID, s.Kind}
				}
			}
		}
	}
	wantTrace := parent.SpanContext().TraceID().String()
	p, c := spans["orders.persist"], spans["publish orders.placed"]
	if p.traceID != wantTrace || c.traceID != wantTrace {
		t.Errorf("trace IDs %q, %q; want hex %q", p.traceID, c.traceID, wantTrace)
	}
	if c.parentID != parent.SpanContext().SpanID().String() {
		t.Errorf("child's parentSpanId %q, want hex %q", c.parentID, parent.SpanContext().SpanID())
	}
	if c.kind != int(tracepb.Span_SPAN_KIND_PRODUCER) {
		t.Errorf("kind = %d, want the enum's number %d", c.kind, tracepb.Span_SPAN_KIND_PRODUCER)
	}
}

// batch is one export of n spans.
func batch(n int) []*tracepb.ResourceSpans {
	rs := &tracepb.ResourceSpans{
		Resource:   &resourcepb.Resource{},
		ScopeSpans: []*tracepb.ScopeSpans{{}},
	}
	for i := range n {
		rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, &tracepb.Span{
			TraceId: bytes.Repeat([]byte{byte(i + 1)}, 16),
			SpanId:  bytes.Repeat([]byte{byte(i + 1)}, 8),
			Name:    strings.Repeat("x", 100),
		})
	}
	return []*tracepb.ResourceSpans{rs}
}

func TestSpanFileRotationKeepsTheCap(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const maxBytes = 4 << 10
	s := &spanFile{dir: dir, service: "gateway", maxBytes: maxBytes}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	lineLen := 0
	for range 40 {
		if err := s.UploadTraces(ctx, batch(3)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "gateway"+SpanFileExt)
	old := cur + SpanFileRotatedExt
	for _, p := range []string{cur, old} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if fi.Size() > maxBytes {
			t.Errorf("%s is %d bytes, over the %d cap", filepath.Base(p), fi.Size(), maxBytes)
		}
		for _, l := range readLines(t, p) {
			lineLen = len(l) + 1
			if err := protojson.Unmarshal(l, &collectortrace.ExportTraceServiceRequest{}); err != nil {
				t.Fatalf("%s holds a broken line: %v", filepath.Base(p), err)
			}
		}
	}
	if fi, _ := os.Stat(old); fi.Size() < maxBytes-int64(lineLen) {
		t.Errorf("the rotated file holds %d bytes: rotated before it was full", fi.Size())
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "gateway*"+SpanFileExt+"*"))
	if len(matches) != 2 {
		t.Errorf("span files %v, want the current one and one rotated", matches)
	}
	if logs, _ := filepath.Glob(filepath.Join(dir, "*.log")); len(logs) != 0 {
		t.Errorf("span files %v match the log shipper's *.log", logs)
	}
}

func TestSecondInstanceOfAServiceGetsItsOwnFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() *spanFile {
		s := &spanFile{dir: dir, service: "orders", maxBytes: SpanFileMaxBytes}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first, second := start(), start()
	if first.path == second.path {
		t.Fatalf("two running instances write the same file %s", first.path)
	}
	if got := filepath.Base(second.path); got != "orders-2"+SpanFileExt {
		t.Errorf("second instance writes %s, want orders-2%s", got, SpanFileExt)
	}
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The name is free again once its instance stopped.
	third := start()
	if third.path != first.path {
		t.Errorf("after the first stopped, the next instance writes %s, want %s", third.path, first.path)
	}
	second.Stop(ctx)
	third.Stop(ctx)
}
