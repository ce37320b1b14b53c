package traceview

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// OTLP trace data in JSON, as both stores write it: the span files
// (OTLP/JSON: hex IDs, enums as numbers) and Tempo (protobuf JSON: base64
// IDs, enums by name). The types read either spelling. They extend the
// ones in internal/doctor/apis.go, copied rather than imported because
// package doctor imports the whole shop.

type otlpTrace struct {
	ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	// Tempo's v1 answer names the list "batches".
	Batches []otlpResourceSpans `json:"batches"`
}

type otlpResourceSpans struct {
	Resource struct {
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
	// Before OTLP 0.15 (and in old Tempo answers).
	InstrumentationLibrarySpans []otlpScopeSpans `json:"instrumentationLibrarySpans"`
}

type otlpScopeSpans struct {
	Spans []otlpSpan `json:"spans"`
}

type otlpSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId"`
	Name              string          `json:"name"`
	Kind              json.RawMessage `json:"kind"`
	StartTimeUnixNano json.RawMessage `json:"startTimeUnixNano"`
	EndTimeUnixNano   json.RawMessage `json:"endTimeUnixNano"`
	Attributes        []otlpKeyValue  `json:"attributes"`
	Events            []struct {
		TimeUnixNano json.RawMessage `json:"timeUnixNano"`
		Name         string          `json:"name"`
		Attributes   []otlpKeyValue  `json:"attributes"`
	} `json:"events"`
	Status struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"status"`
}

type otlpKeyValue struct {
	Key   string       `json:"key"`
	Value otlpAnyValue `json:"value"`
}

type otlpAnyValue struct {
	StringValue *string         `json:"stringValue"`
	BoolValue   *bool           `json:"boolValue"`
	IntValue    json.RawMessage `json:"intValue"`
	DoubleValue *float64        `json:"doubleValue"`
	BytesValue  *string         `json:"bytesValue"`
	ArrayValue  *struct {
		Values []otlpAnyValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []otlpKeyValue `json:"values"`
	} `json:"kvlistValue"`
}

// String writes the value as text: arrays as [a, b], maps as {k: v}.
func (v otlpAnyValue) String() string {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.BoolValue != nil:
		return strconv.FormatBool(*v.BoolValue)
	case v.IntValue != nil:
		return strconv.FormatInt(jsonInt(v.IntValue), 10)
	case v.DoubleValue != nil:
		return strconv.FormatFloat(*v.DoubleValue, 'g', -1, 64)
	case v.BytesValue != nil:
		return *v.BytesValue
	case v.ArrayValue != nil:
		parts := make([]string, len(v.ArrayValue.Values))
		for i, e := range v.ArrayValue.Values {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case v.KvlistValue != nil:
		parts := make([]string, len(v.KvlistValue.Values))
		for i, kv := range v.KvlistValue.Values {
			parts[i] = kv.Key + ": " + kv.Value.String()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

func attrMap(kvs []otlpKeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

// spans returns the spans of traceID in t, with their service.
func (t otlpTrace) spans(traceID string) []*Span {
	var out []*Span
	for _, rs := range append(t.ResourceSpans, t.Batches...) {
		service := attrMap(rs.Resource.Attributes)["service.name"]
		for _, ss := range append(rs.ScopeSpans, rs.InstrumentationLibrarySpans...) {
			for _, s := range ss.Spans {
				if otlpID(s.TraceID) != traceID {
					continue
				}
				out = append(out, s.toSpan(service))
			}
		}
	}
	return out
}

func (s otlpSpan) toSpan(service string) *Span {
	sp := &Span{
		SpanID:        otlpID(s.SpanID),
		ParentID:      otlpID(s.ParentSpanID),
		Service:       service,
		Name:          s.Name,
		Kind:          spanKind(s.Kind),
		Start:         time.Unix(0, jsonInt(s.StartTimeUnixNano)).UTC(),
		End:           time.Unix(0, jsonInt(s.EndTimeUnixNano)).UTC(),
		Status:        statusCode(s.Status.Code),
		StatusMessage: s.Status.Message,
		Attributes:    attrMap(s.Attributes),
	}
	for _, e := range s.Events {
		sp.Events = append(sp.Events, Event{
			Time: time.Unix(0, jsonInt(e.TimeUnixNano)).UTC(), Name: e.Name, Attributes: attrMap(e.Attributes),
		})
	}
	return sp
}

// jsonInt reads a 64-bit integer written as a JSON string (protobuf JSON)
// or number; anything else is 0.
func jsonInt(raw json.RawMessage) int64 {
	raw = bytes.Trim(bytes.TrimSpace(raw), `"`)
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		if u, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
			return int64(u)
		}
	}
	return n
}

// enumName reads an OTLP enum written as its number or its name less
// prefix, lowercased: ("SPAN_KIND_SERVER", "SPAN_KIND_") is "server".
func enumName(raw json.RawMessage, prefix string, names []string) string {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		if n >= 0 && n < len(names) {
			return names[n]
		}
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.ToLower(strings.TrimPrefix(s, prefix))
		if s == "unspecified" || s == "unset" {
			return ""
		}
		return s
	}
	return ""
}

func spanKind(raw json.RawMessage) string {
	return enumName(raw, "SPAN_KIND_", []string{"", "internal", "server", "client", "producer", "consumer"})
}

func statusCode(raw json.RawMessage) string {
	return enumName(raw, "STATUS_CODE_", []string{"", StatusOK, StatusError})
}

// otlpID turns a trace or span ID written in hex or base64 into lowercase
// hex. The lengths tell them apart: 32 or 16 hex digits against 24 or 12
// base64 characters.
func otlpID(s string) string {
	if b, err := hex.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 8) {
		return strings.ToLower(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return hex.EncodeToString(b)
	}
	return s
}
