package traceview

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// ParseLogLine reads one of the services' JSON log lines (slog's JSON
// handler: time, level, msg, then the line's own fields, telemetry's
// trace_id, span_id, service and region among them). traceID is the
// line's trace_id, "" when it has none; ok is false when the line is not
// a JSON object.
func ParseLogLine(b []byte) (l LogLine, traceID string, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return LogLine{}, "", false
	}
	l = LogLine{
		Level:   jsonString(m["level"]),
		Msg:     jsonString(m["msg"]),
		Service: jsonString(m[telemetry.FieldService]),
		SpanID:  jsonString(m[telemetry.FieldSpanID]),
	}
	traceID = jsonString(m[telemetry.FieldTraceID])
	l.Time, _ = time.Parse(time.RFC3339Nano, jsonString(m["time"]))
	for _, k := range []string{"time", "level", "msg", telemetry.FieldService, telemetry.FieldTraceID, telemetry.FieldSpanID} {
		delete(m, k)
	}
	if len(m) > 0 {
		l.Fields = make(map[string]string, len(m))
		for k, v := range m {
			if s, isString := jsonText(v); isString {
				l.Fields[k] = s
			} else {
				l.Fields[k] = string(v)
			}
		}
	}
	return l, traceID, true
}

// parseLogLine is ParseLogLine of a line of traceID only.
func parseLogLine(b []byte, traceID string) (LogLine, bool) {
	l, id, ok := ParseLogLine(b)
	if !ok || id != traceID {
		return LogLine{}, false
	}
	return l, true
}

func jsonString(raw json.RawMessage) string {
	s, _ := jsonText(raw)
	return s
}

func jsonText(raw json.RawMessage) (string, bool) {
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

// scanLines calls fn with every line of r that contains needle, a cheap
// test that spares decoding the lines of other traces. A line may be long
// (a span file's line is a whole export batch); a last line without its
// newline is one still being written and is passed on too: its decoding
// fails and it is skipped.
func scanLines(ctx context.Context, r io.Reader, needle []byte, fn func([]byte)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && bytes.Contains(line, needle) {
			fn(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLogFiles returns the lines of traceID in the given log files. A file
// that vanished meanwhile is skipped.
func readLogFiles(ctx context.Context, paths []string, traceID string) ([]LogLine, error) {
	var out []LogLine
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = scanLines(ctx, f, []byte(traceID), func(b []byte) {
			if l, ok := parseLogLine(b, traceID); ok {
				out = append(out, l)
			}
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
