package main

import (
	"strings"
	"testing"
)

// TestRewrite: the headline lines and the generated section are replaced,
// the prose around them kept; a write-up missing either is an error.
func TestRewrite(t *testing.T) {
	doc := "# Lab\n\nbrowse_floor_ratio: X.XX\ntelemetry_overhead_pct: N\nsoak_rss_growth_mb: N\n\nprose\n" +
		resultsBegin + "\nresults pending\n" + resultsEnd + "\nafter\n"
	r := report{
		headlines: map[string]string{"browse_floor_ratio": "0.81", "telemetry_overhead_pct": "12", "soak_rss_growth_mb": "1.5"},
		results:   resultsBegin + "\nnew\n" + resultsEnd + "\n",
	}
	got, err := rewrite(doc, r)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Lab\n\nbrowse_floor_ratio: 0.81\ntelemetry_overhead_pct: 12\nsoak_rss_growth_mb: 1.5\n\nprose\n" +
		resultsBegin + "\nnew\n" + resultsEnd + "\nafter\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// Rewriting again gives the same document.
	if again, err := rewrite(got, r); err != nil || again != got {
		t.Fatalf("second rewrite differs (%v):\n%s", err, again)
	}
	for _, broken := range []string{strings.Replace(doc, "soak_rss_growth_mb: N\n", "", 1), strings.Replace(doc, resultsEnd, "", 1)} {
		if _, err := rewrite(broken, r); err == nil {
			t.Errorf("no error for a write-up lacking a part:\n%s", broken)
		}
	}
}
