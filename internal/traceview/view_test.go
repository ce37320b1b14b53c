package traceview

import (
	"slices"
	"testing"
	"time"
)

func spansByName(v *View) map[string][]ViewSpan {
	out := map[string][]ViewSpan{}
	for _, s := range v.Spans {
		out[s.Name] = append(out[s.Name], s)
	}
	return out
}

func TestAnalyzeCriticalPathAndAsyncPart(t *testing.T) {
	v := Analyze(checkoutTrace())
	by := spansByName(v)
	tests := []struct {
		name            string
		critical, async bool
	}{
		{"POST /api/v1/orders", true, false},
		{"shop.v1.Auth/Verify", true, false},
		{"shop.v1.Orders/PlaceOrder", true, false},
		{"shop.v1.Catalog/ReserveStock", true, false},
		{"catalog.reserve", true, false},
		// Runs alongside the stock reservation, which took longer.
		{"orders.validate", false, false},
		{"orders.persist", true, false},
		{"publish orders.placed", true, true},
		{"process orders.placed", true, true},
		{"deliver e-mail", true, true},
		{"smtp send", true, true},
	}
	for _, tt := range tests {
		for _, s := range by[tt.name] {
			if s.Critical != tt.critical || s.Async != tt.async {
				t.Errorf("%s (%s): critical=%v async=%v, want %v %v", tt.name, s.SpanID, s.Critical, s.Async, tt.critical, tt.async)
			}
		}
	}
	if v.ResponseMS != 212 || v.DurationMS != 1340 || v.Errors != 2 || v.SpanCount != 16 {
		t.Errorf("response %v, duration %v, errors %d, spans %d", v.ResponseMS, v.DurationMS, v.Errors, v.SpanCount)
	}
	a := v.Async
	if a == nil || a.OutboxMS == nil || a.KafkaMS == nil {
		t.Fatalf("async summary %+v lacks the outbox or Kafka wait", a)
	}
	// Persist ended at 200 ms, the relay published at 245 ms; the consumer
	// started 3 ms after the publish ended, 42 ms after the response.
	if *a.OutboxMS != 45 || *a.KafkaMS != 3 || a.AfterResponseMS != 42 || a.EndMS != 1340 {
		t.Errorf("async = outbox %v, kafka %v, after response %v, end %v; want 45, 3, 42, 1340", *a.OutboxMS, *a.KafkaMS, a.AfterResponseMS, a.EndMS)
	}
	if w := by["deliver e-mail"][1].Wait; w == nil || w.Where != "queue" || w.MS != 1058 {
		t.Errorf("second delivery's wait = %+v, want 1058 ms in the queue", w)
	}
	// Display order: every synchronous span before the asynchronous part,
	// which starts at depth 0.
	firstAsync := slices.IndexFunc(v.Spans, func(s ViewSpan) bool { return s.Async })
	if firstAsync < 0 || v.Spans[firstAsync].Name != "publish orders.placed" || v.Spans[firstAsync].Depth != 0 {
		t.Fatalf("asynchronous part starts with %+v", v.Spans[firstAsync])
	}
	for _, s := range v.Spans[firstAsync:] {
		if !s.Async {
			t.Errorf("synchronous span %s shown in the asynchronous part", s.Name)
		}
	}
	if len(v.UnattachedLogs) != 1 || v.UnattachedLogs[0].Msg != "e-mail queued" {
		t.Errorf("unattached logs = %+v", v.UnattachedLogs)
	}
}

func TestAnalyzeMissingParentAndLateSpan(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tr := &Trace{TraceID: checkoutTraceID, Spans: []*Span{
		{SpanID: "0000000000000001", ParentID: "00000000000000ff", Name: "GET /api/v1/products", Start: ms(0), End: ms(10)},
		// Its parent has not arrived: shown at the top level, flagged.
		{SpanID: "0000000000000002", ParentID: "00000000000000ee", Name: "catalog.list", Start: ms(2), End: ms(5)},
		// Starts after the response: asynchronous though not a Kafka hop.
		{SpanID: "0000000000000003", ParentID: "0000000000000001", Name: "cache refresh", Start: ms(12), End: ms(20)},
	}}
	v := Analyze(tr)
	by := spansByName(v)
	if s := by["GET /api/v1/products"][0]; s.ParentMissing || !s.Critical {
		t.Errorf("root: %+v; the root's parent is the caller's and never missing", s)
	}
	if s := by["catalog.list"][0]; !s.ParentMissing || s.Depth != 0 || s.Critical {
		t.Errorf("orphan: %+v, want flagged, at depth 0, off the critical path", s)
	}
	if s := by["cache refresh"][0]; !s.Async || s.Wait == nil || s.Wait.MS != 2 {
		t.Errorf("late span: %+v, want async with a 2 ms wait", s)
	}
	if v.Async == nil || v.Async.AfterResponseMS != 2 || v.Async.OutboxMS != nil {
		t.Errorf("async = %+v", v.Async)
	}
}

func TestAnalyzeSurvivesBrokenTraces(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tr := &Trace{TraceID: checkoutTraceID, Spans: []*Span{
		{SpanID: "0000000000000001", Name: "root", Start: t0, End: t0.Add(10 * time.Millisecond)},
		// Parents of each other: no root reaches them.
		{SpanID: "0000000000000002", ParentID: "0000000000000003", Name: "a", Start: t0.Add(time.Millisecond), End: t0.Add(2 * time.Millisecond)},
		{SpanID: "0000000000000003", ParentID: "0000000000000002", Name: "b", Start: t0.Add(3 * time.Millisecond), End: t0.Add(4 * time.Millisecond)},
	}}
	v := Analyze(tr)
	var names []string
	for _, s := range v.Spans {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b", "root"}) {
		t.Errorf("spans shown: %v, want each once", names)
	}
	if lines := Analyze(&Trace{TraceID: checkoutTraceID}).Lines(80); len(lines) == 0 || lines[0] != "Trace "+checkoutTraceID+": no spans" {
		t.Errorf("empty trace renders %q", lines)
	}
}
