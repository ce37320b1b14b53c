package traceview

import (
	"slices"
	"strings"
	"testing"
)

func TestSpanLinesPointAtEachSpansLine(t *testing.T) {
	v := Analyze(checkoutTrace())
	for _, width := range []int{80, 120} {
		lines, at := v.SpanLines(width)
		if !slices.Equal(lines, v.Lines(width)) {
			t.Fatalf("width %d: SpanLines' lines differ from Lines'", width)
		}
		if len(at) != len(v.Spans) {
			t.Fatalf("width %d: %d span lines for %d spans", width, len(at), len(v.Spans))
		}
		for i, s := range v.Spans {
			line := lines[at[i]]
			if !strings.Contains(line, " "+s.Service+" ") || !strings.Contains(line, fmtMS(s.DurationMS)) {
				t.Errorf("width %d: span %s (%s) points at %q", width, s.Name, s.Service, line)
			}
		}
	}
	if _, at := (&View{TraceID: checkoutTraceID}).SpanLines(80); at != nil {
		t.Errorf("a view without spans has span lines %v", at)
	}
}
