package traceview

import (
	"testing"
	"time"
)

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		name, line    string
		ok            bool
		traceID, want string // want: Level, Msg, Service and SpanID, joined by |
		fields        map[string]string
	}{
		{name: "not JSON", line: "panic: boom"},
		{name: "null", line: "null"},
		{name: "array", line: `["a"]`},
		{
			name: "full",
			line: `{"time":"2026-05-01T12:00:00.5Z","level":"ERROR","msg":"order failed","service":"orders","trace_id":"abc","span_id":"def","region":"eu-west","attempt":3,"ok":false}`,
			ok:   true, traceID: "abc", want: "ERROR|order failed|orders|def",
			fields: map[string]string{"region": "eu-west", "attempt": "3", "ok": "false"},
		},
		{name: "no trace", line: `{"level":"INFO","msg":"listening"}`, ok: true, want: "INFO|listening||"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, traceID, ok := ParseLogLine([]byte(tt.line))
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if got := l.Level + "|" + l.Msg + "|" + l.Service + "|" + l.SpanID; got != tt.want || traceID != tt.traceID {
				t.Errorf("got %q trace %q, want %q trace %q", got, traceID, tt.want, tt.traceID)
			}
			if len(l.Fields) != len(tt.fields) {
				t.Errorf("fields %v, want %v", l.Fields, tt.fields)
			}
			for k, v := range tt.fields {
				if l.Fields[k] != v {
					t.Errorf("field %s = %q, want %q", k, l.Fields[k], v)
				}
			}
		})
	}
	l, _, _ := ParseLogLine([]byte(tests[3].line))
	if want := time.Date(2026, 5, 1, 12, 0, 0, 5e8, time.UTC); !l.Time.Equal(want) {
		t.Errorf("time %v, want %v", l.Time, want)
	}
	if _, ok := parseLogLine([]byte(tests[3].line), "other"); ok {
		t.Error("parseLogLine kept a line of another trace")
	}
}
