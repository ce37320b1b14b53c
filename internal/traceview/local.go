package traceview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Local reads local mode's own records: the span files the services write
// under <LogDir>/spans (telemetry.SpanDirOf) and their log files
// <LogDir>/<service>.log.
type Local struct {
	LogDir string
}

// NewLocal reads the spans and logs under logDir.
func NewLocal(logDir string) *Local { return &Local{LogDir: logDir} }

// Trace reads every span and log line of traceID.
func (l *Local) Trace(ctx context.Context, traceID string) (*Trace, error) {
	dir := telemetry.SpanDirOf(l.LogDir)
	files, err := l.spanFiles()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no span files in %s: local mode records spans there while the services run (shoplab up --local, or shoplab serve)", ErrUnavailable, dir)
	}
	// Open every file before reading any: a rotation meanwhile renames
	// files but cannot take an open one away.
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for _, p := range files {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("span file: %w", err)
		}
		opened = append(opened, f)
	}
	t := &Trace{TraceID: traceID}
	for _, f := range opened {
		err := scanLines(ctx, f, []byte(traceID), func(b []byte) {
			var req otlpTrace
			// A line still being written does not decode; its spans are
			// read once it is whole.
			if json.Unmarshal(b, &req) == nil {
				t.Spans = append(t.Spans, req.spans(traceID)...)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("span file %s: %w", f.Name(), err)
		}
	}
	logFiles, err := filepath.Glob(filepath.Join(l.LogDir, "*.log"))
	if err != nil {
		return nil, err
	}
	lines, err := readLogFiles(ctx, logFiles, traceID)
	if err != nil {
		return nil, fmt.Errorf("log files: %w", err)
	}
	if len(t.Spans) == 0 {
		hint := "try again in a few seconds, or check the ID"
		if len(lines) > 0 {
			hint = fmt.Sprintf("%d log lines carry it, so its spans should follow: try again in a few seconds", len(lines))
		}
		return nil, fmt.Errorf("%w: no span of %s in %s (yet): the services write their spans in batches, every %s and when they stop; %s",
			ErrNotFound, traceID, dir, telemetry.SpanFileFlushInterval, hint)
	}
	t.dedupe()
	t.attachLogs(lines)
	return t, nil
}

// spanFiles lists the span files, each rotated file before its current
// one (older spans first).
func (l *Local) spanFiles() ([]string, error) {
	dir := telemetry.SpanDirOf(l.LogDir)
	cur, err := filepath.Glob(filepath.Join(dir, "*"+telemetry.SpanFileExt))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range cur {
		if _, err := os.Stat(p + telemetry.SpanFileRotatedExt); err == nil {
			out = append(out, p+telemetry.SpanFileRotatedExt)
		}
		out = append(out, p)
	}
	return out, nil
}
