package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// captureClient is an otlptrace.Client that keeps what the exporter turns
// the SDK's spans into.
type captureClient struct{ got []*tracepb.ResourceSpans }

func (*captureClient) Start(context.Context) error { return nil }
func (*captureClient) Stop(context.Context) error  { return nil }
func (c *captureClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.got = append(c.got, rs...)
	return nil
}

// sdkSpans are spans the SDK made, with every kind of attribute, events,
// links, a trace state and an error status, as the exporter hands them to
// the span file.
func sdkSpans(t testing.TB) []*tracepb.ResourceSpans {
	t.Helper()
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(newResource("catalog")))
	tr := tp.Tracer("github.com/shoplab/shoplab/services/catalog")
	ts, err := trace.ParseTraceState("shoplab=a1,other=b2")
	if err != nil {
		t.Fatal(err)
	}
	linked := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled, TraceState: ts,
	})
	pctx, parent := tr.Start(ctx, "GET /api/v1/products/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "retry")}}))
	_, child := tr.Start(pctx, "SELECT products", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.query.text", "SELECT id FROM products WHERE id = $1 -- \"quoted\" \\ \n\t<&> é ☃"),
		attribute.String("empty", ""),
		attribute.Bool("yes", true),
		attribute.Bool("no", false),
		attribute.Int64("big", math.MaxInt64),
		attribute.Int64("negative", -42),
		attribute.Int("zero", 0),
		attribute.Float64("duration", 1.25),
		attribute.Float64("tiny", 1e-7),
		attribute.Float64("huge", 1e21),
		attribute.Float64("nan", math.NaN()),
		attribute.Float64("inf", math.Inf(-1)),
		attribute.StringSlice("strings", []string{"a", "", "c"}),
		attribute.BoolSlice("bools", []bool{true, false}),
		attribute.Int64Slice("ints", []int64{1, -2, 3}),
		attribute.Float64Slice("floats", []float64{0.5, 0}),
	))
	child.AddEvent("retry", trace.WithAttributes(attribute.Int("attempt", 2)))
	child.RecordError(errors.New("database is locked\x01"))
	child.SetStatus(codes.Error, "query failed")
	child.End()
	parent.SetStatus(codes.Ok, "")
	parent.End()

	client := &captureClient{}
	exp, err := otlptrace.New(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(ctx, rec.Ended()); err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return client.got
}

// handMadeSpans set what the SDK leaves out: bytes and key-value list
// values, scope attributes, dropped counts, flags, odd-length IDs and
// invalid values the encoder must still write.
func handMadeSpans() []*tracepb.ResourceSpans {
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	return []*tracepb.ResourceSpans{
		{
			Resource:  &resourcepb.Resource{DroppedAttributesCount: 3},
			SchemaUrl: "https://opentelemetry.io/schemas/1.40.0",
			ScopeSpans: []*tracepb.ScopeSpans{{
				Scope: &commonpb.InstrumentationScope{
					Name: "scope", Version: "v1",
					Attributes:             []*commonpb.KeyValue{{Key: "k", Value: str("v")}},
					DroppedAttributesCount: 1,
				},
				SchemaUrl: "scope-schema",
				Spans: []*tracepb.Span{
					{
						TraceId:                []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
						SpanId:                 []byte{1, 2, 3},
						ParentSpanId:           []byte{0xff},
						Flags:                  0x301,
						DroppedAttributesCount: 7, DroppedEventsCount: 8, DroppedLinksCount: 9,
						Attributes: []*commonpb.KeyValue{
							{Key: "bytes", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte("\x00\xffhi")}}},
							{Key: "kv", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{
								Values: []*commonpb.KeyValue{{Key: "inner", Value: str("x")}, {Key: "nothing"}},
							}}}},
							{Key: "empty list", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{}}}},
							{Key: "unset", Value: &commonpb.AnyValue{}},
							{Key: "", Value: str("no key")},
							{Key: "strindex", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 4}}, KeyStrindex: 2},
						},
						Status: &tracepb.Status{},
						Links:  []*tracepb.Span_Link{{Flags: 1}},
						Events: []*tracepb.Span_Event{{}},
					},
					{},
				},
			}, {}},
		},
		{},
	}
}

// protojsonLine is the span line as protojson writes it, the encoding
// appendSpanLine replaces.
func protojsonLine(t testing.TB, spans []*tracepb.ResourceSpans) []byte {
	t.Helper()
	clone := make([]*tracepb.ResourceSpans, len(spans))
	for i, rs := range spans {
		clone[i] = proto.Clone(rs).(*tracepb.ResourceSpans)
	}
	b, err := protojsonSpanLine(clone)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpanLineMatchesProtojson: the span file's own encoder writes the
// JSON protojson writes, value for value, for the SDK's spans and for
// every field the SDK leaves out.
func TestSpanLineMatchesProtojson(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spans []*tracepb.ResourceSpans
	}{
		{"sdk spans", sdkSpans(t)},
		{"hand-made", handMadeSpans()},
		{"none", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := protojsonLine(t, tt.spans)
			got, ok := appendSpanLine(nil, tt.spans)
			if !ok {
				t.Fatal("appendSpanLine refused spans it knows every field of")
			}
			var gotV, wantV any
			if err := json.Unmarshal(got, &gotV); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, got)
			}
			if err := json.Unmarshal(want, &wantV); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotV, wantV) {
				t.Fatalf("the span line differs from protojson's\n got: %s\nwant: %s", got, want)
			}
			if err := protojson.Unmarshal(got, &collectortrace.ExportTraceServiceRequest{}); err != nil {
				t.Errorf("protojson does not read the line back: %v", err)
			}
		})
	}
}

// TestSpanLineFallsBack: a field the encoder does not know (a resource's
// entity references) sends the batch to protojson rather than dropping it.
func TestSpanLineFallsBack(t *testing.T) {
	spans := []*tracepb.ResourceSpans{{Resource: &resourcepb.Resource{EntityRefs: []*commonpb.EntityRef{{Type: "service"}}}}}
	if _, ok := appendSpanLine(nil, spans); ok {
		t.Fatal("appendSpanLine wrote entity references it does not know")
	}
	line, err := marshalSpanLine(spans)
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(line, &collectortrace.ExportTraceServiceRequest{}); err != nil {
		t.Fatalf("fallback line %s: %v", line, err)
	}
}

// BenchmarkMarshalSpanLine is one batch of a browse request's four spans.
func BenchmarkMarshalSpanLine(b *testing.B) {
	spans := sdkSpans(b)
	b.Run("appendSpanLine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := appendSpanLine(nil, spans); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("protojson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			protojsonLine(b, spans)
		}
	})
}
