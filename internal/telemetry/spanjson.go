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
	b = append(b, `{"resourceSpans":[`...)
	for i, rs := range spans {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendResourceSpans(b, rs); !ok {
			return b, false
		}
	}
	return append(b, "]}"...), true
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
	if len(kvs) == 0 {
		return true
	}
	o.key(name)
	var ok bool
	o.b, ok = appendKeyValues(o.b, kvs)
	return ok
}

func (o *object) close() []byte { return append(o.b, '}') }

func appendResourceSpans(b []byte, rs *tracepb.ResourceSpans) ([]byte, bool) {
	o := openObject(b)
	if r := rs.GetResource(); r != nil {
		if len(r.GetEntityRefs()) > 0 {
			return b, false
		}
		o.key("resource")
		ro := openObject(o.b)
		if !ro.attrs("attributes", r.GetAttributes()) {
			return b, false
		}
		ro.u32("droppedAttributesCount", r.GetDroppedAttributesCount())
		o.b = ro.close()
	}
	if sss := rs.GetScopeSpans(); len(sss) > 0 {
		o.key("scopeSpans")
		o.b = append(o.b, '[')
		for i, ss := range sss {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			var ok bool
			if o.b, ok = appendScopeSpans(o.b, ss); !ok {
				return b, false
			}
		}
		o.b = append(o.b, ']')
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
			return b, false
		}
		so.u32("droppedAttributesCount", s.GetDroppedAttributesCount())
		o.b = so.close()
	}
	if spans := ss.GetSpans(); len(spans) > 0 {
		o.key("spans")
		o.b = append(o.b, '[')
		for i, sp := range spans {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			var ok bool
			if o.b, ok = appendSpan(o.b, sp); !ok {
				return b, false
			}
		}
		o.b = append(o.b, ']')
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
		return b, false
	}
	o.u32("droppedAttributesCount", sp.GetDroppedAttributesCount())
	if evs := sp.GetEvents(); len(evs) > 0 {
		o.key("events")
		o.b = append(o.b, '[')
		for i, ev := range evs {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			eo := openObject(o.b)
			eo.u64("timeUnixNano", ev.GetTimeUnixNano())
			eo.str("name", ev.GetName())
			if !eo.attrs("attributes", ev.GetAttributes()) {
				return b, false
			}
			eo.u32("droppedAttributesCount", ev.GetDroppedAttributesCount())
			o.b = eo.close()
		}
		o.b = append(o.b, ']')
	}
	o.u32("droppedEventsCount", sp.GetDroppedEventsCount())
	if links := sp.GetLinks(); len(links) > 0 {
		o.key("links")
		o.b = append(o.b, '[')
		for i, l := range links {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			lo := openObject(o.b)
			lo.id("traceId", l.GetTraceId())
			lo.id("spanId", l.GetSpanId())
			lo.str("traceState", l.GetTraceState())
			if !lo.attrs("attributes", l.GetAttributes()) {
				return b, false
			}
			lo.u32("droppedAttributesCount", l.GetDroppedAttributesCount())
			lo.u32("flags", l.GetFlags())
			o.b = lo.close()
		}
		o.b = append(o.b, ']')
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

func appendKeyValues(b []byte, kvs []*commonpb.KeyValue) ([]byte, bool) {
	b = append(b, '[')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		o := openObject(b)
		o.str("key", kv.GetKey())
		if v := kv.GetValue(); v != nil {
			o.key("value")
			var ok bool
			if o.b, ok = appendAnyValue(o.b, v); !ok {
				return b, false
			}
		}
		o.i32("keyStrindex", kv.GetKeyStrindex())
		b = o.close()
	}
	return append(b, ']'), true
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
		if vs := x.ArrayValue.GetValues(); len(vs) > 0 {
			ao.key("values")
			ao.b = append(ao.b, '[')
			for i, e := range vs {
				if i > 0 {
					ao.b = append(ao.b, ',')
				}
				var ok bool
				if ao.b, ok = appendAnyValue(ao.b, e); !ok {
					return b, false
				}
			}
			ao.b = append(ao.b, ']')
		}
		o.b = ao.close()
	case *commonpb.AnyValue_KvlistValue:
		o.key("kvlistValue")
		ko := openObject(o.b)
		if !ko.attrs("values", x.KvlistValue.GetValues()) {
			return b, false
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
		return b, false
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
