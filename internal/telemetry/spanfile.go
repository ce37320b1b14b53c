package telemetry

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Span files: local mode keeps every service's spans itself, since there
// is no Tempo to send them to. Each file holds OTLP/JSON lines, one
// ExportTraceServiceRequest per line, the format of the OpenTelemetry
// Collector's file exporter.
const (
	// SpanFileExt ends a span file's name: <service>.jsonl, or
	// <service>-<n>.jsonl for the n-th instance of a service running at
	// once. The rotated file adds SpanFileRotatedExt. Neither ends in
	// .log, so the log shipper (logs/*.log) leaves them alone.
	SpanFileExt        = ".jsonl"
	SpanFileRotatedExt = ".1"
	// SpanFileMaxBytes caps a span file: past it, the file becomes the
	// .1 file (replacing the previous one), so a service keeps at most
	// twice this much.
	SpanFileMaxBytes = 8 << 20
	// SpanFileFlushInterval is how often finished spans are written:
	// often, since writing a local file is cheap and `shoplab trace`
	// wants a request's spans soon after it.
	SpanFileFlushInterval = time.Second
	// maxInstances bounds how many instances of one service may record
	// spans in the same directory at once.
	maxInstances = 16
)

// SpanDirOf is where local mode keeps the spans of the services that log
// to logDir: its spans subdirectory, out of the log shipper's sight.
func SpanDirOf(logDir string) string { return filepath.Join(logDir, "spans") }

// LocalSpanDir is where a service keeps its own spans: SpanDirOf(logDir)
// when its spans go to no OTLP endpoint (local mode, where no Tempo runs
// and `shoplab trace` reads the files instead), else "" (Tempo keeps them).
func LocalSpanDir(o OTLP, logDir string) string {
	if o.tracesURL() != "" || logDir == "" {
		return ""
	}
	return SpanDirOf(logDir)
}

// newSpanFileProcessor batches the service's spans into its span file.
func newSpanFileProcessor(ctx context.Context, dir, service string) (sdktrace.SpanProcessor, error) {
	exp, err := newSpanFileExporter(ctx, dir, service, SpanFileMaxBytes)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBatchTimeout(SpanFileFlushInterval)), nil
}

// newSpanFileExporter returns an exporter that appends dir/<service>.jsonl.
// The file has one writer only: an instance holds an exclusive lock on
// <name>.lock while it writes <name>.jsonl, and a second instance of the
// same service (another process, or another lab in this one) takes the
// next free name instead. Rotation therefore never races another writer.
func newSpanFileExporter(ctx context.Context, dir, service string, maxBytes int64) (sdktrace.SpanExporter, error) {
	exp, err := otlptrace.New(ctx, &spanFile{dir: dir, service: service, maxBytes: maxBytes})
	if err != nil {
		return nil, fmt.Errorf("span file for %s: %w", service, err)
	}
	return exp, nil
}

// shutdownProcessors releases processors no tracer provider took over.
func shutdownProcessors(ctx context.Context, procs []sdktrace.SpanProcessor) error {
	var errs []error
	for _, p := range procs {
		errs = append(errs, p.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// spanFile is an otlptrace.Client that writes to a file instead of a
// collector; otlptrace turns the SDK's spans into OTLP for it.
type spanFile struct {
	dir, service string
	maxBytes     int64

	mu   sync.Mutex
	path string
	lock *os.File
	f    *os.File
	size int64
}

// Start claims a file name and opens the file.
func (s *spanFile) Start(context.Context) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("span directory: %w", err)
	}
	for i := 1; i <= maxInstances; i++ {
		name := s.service
		if i > 1 {
			name = fmt.Sprintf("%s-%d", s.service, i)
		}
		lock, err := os.OpenFile(filepath.Join(s.dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return fmt.Errorf("span file lock: %w", err)
		}
		held, err := tryLock(lock)
		if err != nil || !held {
			lock.Close()
			if err != nil {
				return fmt.Errorf("span file lock %s: %w", lock.Name(), err)
			}
			continue
		}
		s.lock, s.path = lock, filepath.Join(s.dir, name+SpanFileExt)
		if err := s.open(); err != nil {
			lock.Close()
			return err
		}
		return nil
	}
	return fmt.Errorf("span files: %d instances of %s already record spans in %s", maxInstances, s.service, s.dir)
}

func (s *spanFile) open() error {
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("span file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("span file: %w", err)
	}
	s.f, s.size = f, fi.Size()
	return nil
}

// Stop closes the file and releases its name.
func (s *spanFile) Stop(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.f != nil {
		errs = append(errs, s.f.Close())
		s.f = nil
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	return errors.Join(errs...)
}

// UploadTraces appends one line holding every span of the batch.
func (s *spanFile) UploadTraces(_ context.Context, spans []*tracepb.ResourceSpans) error {
	if len(spans) == 0 {
		return nil
	}
	line, err := marshalSpanLine(spans)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("span file: closed")
	}
	if s.size > 0 && s.size+int64(len(line)) > s.maxBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(line)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("span file: %w", err)
	}
	return nil
}

// rotate makes the current file the .1 file and starts an empty one.
func (s *spanFile) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("span file: %w", err)
	}
	s.f = nil
	if err := os.Rename(s.path, s.path+SpanFileRotatedExt); err != nil {
		return fmt.Errorf("span file rotation: %w", err)
	}
	return s.open()
}

// marshalSpanLine writes spans as one ExportTraceServiceRequest in
// OTLP/JSON: protobuf JSON, except that enums are numbers and trace and
// span IDs are hex, not base64 (the OTLP specification's JSON encoding).
func marshalSpanLine(spans []*tracepb.ResourceSpans) ([]byte, error) {
	if b, ok := appendSpanLine(nil, spans); ok {
		return append(b, '\n'), nil
	}
	b, err := protojsonSpanLine(spans)
	if err != nil {
		return nil, fmt.Errorf("span file: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// protojsonSpanLine is marshalSpanLine's fallback for spans holding a
// field appendSpanLine does not write. It rewrites the spans' IDs (see
// hexAsBase64).
func protojsonSpanLine(spans []*tracepb.ResourceSpans) ([]byte, error) {
	for _, rs := range spans {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				sp.TraceId = hexAsBase64(sp.TraceId)
				sp.SpanId = hexAsBase64(sp.SpanId)
				sp.ParentSpanId = hexAsBase64(sp.ParentSpanId)
				for _, l := range sp.GetLinks() {
					l.TraceId = hexAsBase64(l.TraceId)
					l.SpanId = hexAsBase64(l.SpanId)
				}
			}
		}
	}
	return protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(&collectortrace.ExportTraceServiceRequest{ResourceSpans: spans})
}

// hexAsBase64 returns the bytes whose base64 is id's hex, so that
// protojson, which writes bytes fields in base64, writes id in hex. It is
// exact: hex digits are base64 digits, and a trace or span ID's hex (32
// or 16 digits) is a whole number of 4-digit base64 groups, so there is
// no padding. The spans are otlptrace's fresh copies, ours to change.
func hexAsBase64(id []byte) []byte {
	if len(id) == 0 {
		return id
	}
	b, err := base64.StdEncoding.DecodeString(hex.EncodeToString(id))
	if err != nil {
		// Not an 8- or 16-byte ID: leave it as it is.
		return id
	}
	return b
}
