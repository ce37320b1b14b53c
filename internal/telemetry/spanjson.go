package telemetry

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// appendSpanLine appends spans as one ExportTraceServiceRequest in the
// OTLP/JSON encoding (protobuf JSON names, 64-bit integers as strings,
// enums as numbers, trace and span IDs in hex) and reports false if spans
// hold a field it does not write, for the caller to fall back on
// protojson. It writes the same JSON protojson would, field for field,
// without protojson's reflection, which cost most of what recording a
// span cost the lab's request path.
func appendSpanLine(b []byte, spans []*tracepb.ResourceSpans) ([]byte, bool) {
	if len(spans) == 0 {
		return append(b, "{}"...), true
	}
	b, ok := appendArray(append(b, `{"resourceSpans":`...), spans, appendResourceSpans)
	if !ok {
		return nil, false
	}
	return append(b, '}'), true
}

// appendArray appends items as a JSON array, each written by appendItem,
// and reports false as soon as appendItem does.
func appendArray[T any](b []byte, items []T, appendItem func([]byte, T) ([]byte, bool)) ([]byte, bool) {
	b = append(b, '[')
	for i, item := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendItem(b, item); !ok {
			return nil, false
		}
	}
	return append(b, ']'), true
}

// field writes a repeated field as an array, and nothing when it is empty,
// as protojson does.
func field[T any](o *object, name string, items []T, appendItem func([]byte, T) ([]byte, bool)) bool {
	if len(items) == 0 {
		return true
	}
	o.key(name)
	var ok bool
	o.b, ok = appendArray(o.b, items, appendItem)
	return ok
}

// object writes a JSON object's fields, each with its comma.
type object struct {
	b     []byte
	empty bool
}

func openObject(b []byte) object { return object{b: append(b, '{'), empty: true} }

func (o *object) key(name string) {
	if !o.empty {
		o.b = append(o.b, ',')
	}
	o.empty = false
	o.b = append(o.b, '"')
	o.b = append(o.b, name...)
	o.b = append(o.b, `":`...)
}

func (o *object) str(name, v string) {
	if v != "" {
		o.key(name)
		o.b = appendJSONString(o.b, v)
	}
}

func (o *object) u32(name string, v uint32) {
	if v != 0 {
		o.key(name)
		o.b = strconv.AppendUint(o.b, uint64(v), 10)
	}
}

func (o *object) i32(name string, v int32) {
	if v != 0 {
		o.key(name)
		o.b = strconv.AppendInt(o.b, int64(v), 10)
	}
}

// u64 writes a 64-bit integer as a string, as protobuf JSON does.
func (o *object) u64(name string, v uint64) {
	if v != 0 {
		o.key(name)
		o.b = append(o.b, '"')
		o.b = strconv.AppendUint(o.b, v, 10)
		o.b = append(o.b, '"')
	}
}

// id writes a trace or span ID in hex (see hexAsBase64 for the one case
// where it stays base64).
func (o *object) id(name string, v []byte) {
	if len(v) == 0 {
		return
	}
	o.key(name)
	o.b = append(o.b, '"')
	if len(v)%2 == 0 {
		o.b = hex.AppendEncode(o.b, v)
	} else {
		o.b = base64.StdEncoding.AppendEncode(o.b, v)
	}
	o.b = append(o.b, '"')
}

func (o *object) attrs(name string, kvs []*commonpb.KeyValue) bool {
	return field(o, name, kvs, appendKeyValue)
}

func (o *object) close() []byte { return append(o.b, '}') }

func appendResourceSpans(b []byte, rs *tracepb.ResourceSpans) ([]byte, bool) {
	o := openObject(b)
	if r := rs.GetResource(); r != nil {
		if len(r.GetEntityRefs()) > 0 {
			return nil, false
		}
		o.key("resource")
		ro := openObject(o.b)
		if !ro.attrs("attributes", r.GetAttributes()) {
			return nil, false
		}
		ro.u32("droppedAttributesCount", r.GetDroppedAttributesCount())
		o.b = ro.close()
	}
	if !field(&o, "scopeSpans", rs.GetScopeSpans(), appendScopeSpans) {
		return nil, false
	}
	o.str("schemaUrl", rs.GetSchemaUrl())
	return o.close(), true
}

func appendScopeSpans(b []byte, ss *tracepb.ScopeSpans) ([]byte, bool) {
	o := openObject(b)
	if s := ss.GetScope(); s != nil {
		o.key("scope")
		so := openObject(o.b)
		so.str("name", s.GetName())
		so.str("version", s.GetVersion())
		if !so.attrs("attributes", s.GetAttributes()) {
			return nil, false
		}
		so.u32("droppedAttributesCount", s.GetDroppedAttributesCount())
		o.b = so.close()
	}
	if !field(&o, "spans", ss.GetSpans(), appendSpan) {
		return nil, false
	}
	o.str("schemaUrl", ss.GetSchemaUrl())
	return o.close(), true
}

func appendSpan(b []byte, sp *tracepb.Span) ([]byte, bool) {
	o := openObject(b)
	o.id("traceId", sp.GetTraceId())
	o.id("spanId", sp.GetSpanId())
	o.str("traceState", sp.GetTraceState())
	o.id("parentSpanId", sp.GetParentSpanId())
	o.str("name", sp.GetName())
	o.i32("kind", int32(sp.GetKind()))
	o.u64("startTimeUnixNano", sp.GetStartTimeUnixNano())
	o.u64("endTimeUnixNano", sp.GetEndTimeUnixNano())
	if !o.attrs("attributes", sp.GetAttributes()) {
		return nil, false
	}
	o.u32("droppedAttributesCount", sp.GetDroppedAttributesCount())
	if !field(&o, "events", sp.GetEvents(), appendEvent) {
		return nil, false
	}
	o.u32("droppedEventsCount", sp.GetDroppedEventsCount())
	if !field(&o, "links", sp.GetLinks(), appendLink) {
		return nil, false
	}
	o.u32("droppedLinksCount", sp.GetDroppedLinksCount())
	if st := sp.GetStatus(); st != nil {
		o.key("status")
		so := openObject(o.b)
		so.str("message", st.GetMessage())
		so.i32("code", int32(st.GetCode()))
		o.b = so.close()
	}
	o.u32("flags", sp.GetFlags())
	return o.close(), true
}

func appendEvent(b []byte, ev *tracepb.Span_Event) ([]byte, bool) {
	o := openObject(b)
	o.u64("timeUnixNano", ev.GetTimeUnixNano())
	o.str("name", ev.GetName())
	if !o.attrs("attributes", ev.GetAttributes()) {
		return nil, false
	}
	o.u32("droppedAttributesCount", ev.GetDroppedAttributesCount())
	return o.close(), true
}

func appendLink(b []byte, l *tracepb.Span_Link) ([]byte, bool) {
	o := openObject(b)
	o.id("traceId", l.GetTraceId())
	o.id("spanId", l.GetSpanId())
	o.str("traceState", l.GetTraceState())
	if !o.attrs("attributes", l.GetAttributes()) {
		return nil, false
	}
	o.u32("droppedAttributesCount", l.GetDroppedAttributesCount())
	o.u32("flags", l.GetFlags())
	return o.close(), true
}

func appendKeyValue(b []byte, kv *commonpb.KeyValue) ([]byte, bool) {
	o := openObject(b)
	o.str("key", kv.GetKey())
	if v := kv.GetValue(); v != nil {
		o.key("value")
		var ok bool
		if o.b, ok = appendAnyValue(o.b, v); !ok {
			return nil, false
		}
	}
	o.i32("keyStrindex", kv.GetKeyStrindex())
	return o.close(), true
}

// appendAnyValue writes v's one set field, even when it is the zero value,
// as protobuf JSON writes a oneof.
func appendAnyValue(b []byte, v *commonpb.AnyValue) ([]byte, bool) {
	o := openObject(b)
	switch x := v.GetValue().(type) {
	case nil:
	case *commonpb.AnyValue_StringValue:
		o.key("stringValue")
		o.b = appendJSONString(o.b, x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		o.key("boolValue")
		o.b = strconv.AppendBool(o.b, x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		o.key("intValue")
		o.b = append(o.b, '"')
		o.b = strconv.AppendInt(o.b, x.IntValue, 10)
		o.b = append(o.b, '"')
	case *commonpb.AnyValue_DoubleValue:
		o.key("doubleValue")
		o.b = appendJSONFloat(o.b, x.DoubleValue)
	case *commonpb.AnyValue_ArrayValue:
		o.key("arrayValue")
		ao := openObject(o.b)
		if !field(&ao, "values", x.ArrayValue.GetValues(), appendAnyValue) {
			return nil, false
		}
		o.b = ao.close()
	case *commonpb.AnyValue_KvlistValue:
		o.key("kvlistValue")
		ko := openObject(o.b)
		if !ko.attrs("values", x.KvlistValue.GetValues()) {
			return nil, false
		}
		o.b = ko.close()
	case *commonpb.AnyValue_BytesValue:
		o.key("bytesValue")
		o.b = append(o.b, '"')
		o.b = base64.StdEncoding.AppendEncode(o.b, x.BytesValue)
		o.b = append(o.b, '"')
	case *commonpb.AnyValue_StringValueStrindex:
		o.key("stringValueStrindex")
		o.b = strconv.AppendInt(o.b, int64(x.StringValueStrindex), 10)
	default:
		return nil, false
	}
	return o.close(), true
}

// appendJSONFloat writes f as protobuf JSON does: NaN and the infinities
// as strings, exponents past JSON's comfortable range as encoding/json
// writes them.
func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as in encoding/json.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString writes s as a JSON string. Invalid UTF-8, which
// protojson refuses (losing the whole batch), becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += n
			continue
		}
		if c >= ' ' && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			const digits = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', digits[c>>4], digits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
