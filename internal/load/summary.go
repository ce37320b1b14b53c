package load

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// fmtMillis renders milliseconds with a unit that suits them.
func fmtMillis(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}

func fmtStatuses(m map[string]int64) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c + "×" + strconv.FormatInt(m[c], 10)
	}
	return strings.Join(parts, " ")
}

// WriteText writes r for a person. traceURL, when not nil, turns a trace
// ID into a link to show next to it.
func (r *Result) WriteText(w io.Writer, traceURL func(string) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nScenario %s against %s: %s at up to %g journeys/s from %s\n",
		r.Scenario, r.Target, time.Duration(r.DurationS*float64(time.Second)).Round(time.Millisecond), r.TargetRate, strings.Join(r.Regions, ", "))
	if len(r.Faults) > 0 {
		fmt.Fprintf(&b, "Injected faults: %s\n", strings.Join(r.Faults, "; "))
	}
	g := r.Generator
	fmt.Fprintf(&b, "Generator: %d journeys scheduled, %d started, %d dropped, %d late (worst lag %s, peak %d of %d in flight)\n",
		g.Scheduled, g.Started, g.Dropped, g.Late, fmtMillis(g.MaxLagMS), g.PeakInFlight, g.MaxInFlight)
	for _, j := range r.Journeys {
		fmt.Fprintf(&b, "  journey %-12s %6d started, %6d completed, %4d ended at an expected non-2xx, %4d failed\n",
			j.Name, j.Started, j.Completed, j.Ended, j.Failed)
	}

	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tREGION\tREQUESTS\tRATE\tERRORS\tP50\tP90\tP99\tMAX\tSTATUSES")
	row := func(name, reg string, s Stats) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f/s\t%.2f%%\t%s\t%s\t%s\t%s\t%s\n", name, reg, s.Requests, s.Rate, s.ErrorRatio*100,
			fmtMillis(s.Latency.P50), fmtMillis(s.Latency.P90), fmtMillis(s.Latency.P99), fmtMillis(s.Latency.Max), fmtStatuses(s.Statuses))
	}
	for _, e := range r.Endpoints {
		row(e.Method+" "+e.Route, e.Region, e.Stats)
	}
	row("all", "", r.Total)
	tw.Flush()
	if r.Total.TransportErrors > 0 {
		fmt.Fprintf(&b, "%d requests got no answer", r.Total.TransportErrors)
		if r.Total.SampleError != "" {
			fmt.Fprintf(&b, ", e.g. %s", r.Total.SampleError)
		}
		b.WriteString("\n")
	} else if r.Total.SampleError != "" {
		fmt.Fprintf(&b, "e.g. %s\n", r.Total.SampleError)
	}

	if len(r.Slowest) > 0 {
		b.WriteString("\nSlowest requests (latency from the intended start; trace IDs):\n")
		for _, s := range r.Slowest {
			fmt.Fprintf(&b, "  %s %s\n", s.Method, s.Route)
			for _, q := range s.Requests {
				status := strconv.Itoa(q.Status)
				if q.Status == 0 {
					status = "no answer"
				}
				fmt.Fprintf(&b, "    %9s  %-9s %-9s %s", fmtMillis(q.LatencyMS), q.Region, status, q.TraceID)
				if traceURL != nil {
					fmt.Fprintf(&b, "  %s", traceURL(q.TraceID))
				}
				b.WriteString("\n")
			}
		}
	}

	if len(r.Thresholds) > 0 {
		b.WriteString("\nThresholds:\n")
		for _, t := range r.Thresholds {
			mark := "✓"
			if !t.Passed {
				mark = "✗"
			}
			fmt.Fprintf(&b, "  %s %-16s %s = %s", mark, t.Expr, t.Metric, t.formatActual())
			if t.Note != "" {
				fmt.Fprintf(&b, " (%s)", t.Note)
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\n")
	switch {
	case g.Saturated:
		b.WriteString("!!! GENERATOR SATURATED: these numbers describe the load generator, not only the target. Do not trust them.\n")
		for _, reason := range g.Reasons {
			fmt.Fprintf(&b, "!!! %s\n", reason)
		}
	case r.Interrupted:
		b.WriteString("INTERRUPTED: the run was stopped early; the numbers cover what finished.\n")
	case r.Passed:
		b.WriteString("PASSED\n")
	default:
		b.WriteString("FAILED: a threshold did not hold.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
