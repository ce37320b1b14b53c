package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// Printer writes the text report one check at a time, as results come.
type Printer struct {
	w       io.Writer
	section string
	logGlob string
}

// NewPrinter prints to w; logDir is where the services' log files are.
func NewPrinter(w io.Writer, logDir string) *Printer {
	return &Printer{w: w, logGlob: filepath.Join(logDir, "*.log")}
}

// Header prints the run's first lines.
func (pr *Printer) Header(mode Mode, wait bool, limit time.Duration) {
	how := fmt.Sprintf("missing data gets %s to arrive; --wait polls longer", limit)
	if wait {
		how = fmt.Sprintf("polling until every hop passes, for up to %s", limit)
	}
	fmt.Fprintf(pr.w, "ShopLab doctor, %s mode (%s)\n", mode, how)
}

// sectionOf names the part of the report a hop belongs to.
func sectionOf(hop string) string {
	switch hop {
	case HopPrecondition:
		return "Preconditions"
	case HopProbe:
		return "Probe"
	}
	return "Pipeline: the probe, hop by hop"
}

// Check prints one check's line and, below it, what it found, why the hop
// works so, and for a check that did not pass what to do.
func (pr *Printer) Check(c CheckReport) {
	if s := sectionOf(c.Hop); s != pr.section {
		pr.section = s
		fmt.Fprintf(pr.w, "\n%s\n", s)
	}
	took := ""
	if c.Status != Skip {
		took = formatTook(c.Took())
	}
	fmt.Fprintf(pr.w, "  %s %-76s %6s\n", c.Status.Mark(), c.Name, took)
	indent := "      "
	switch c.Status {
	case Pass, Skip:
		if c.Found != "" {
			fmt.Fprintf(pr.w, "%s%s\n", indent, c.Found)
		}
		if c.Teaches != "" && c.Status == Pass {
			fmt.Fprintf(pr.w, "%swhy: %s\n", indent, c.Teaches)
		}
	default:
		for _, kv := range [][2]string{
			{"expected", c.Expected}, {"found", c.Found}, {"likely cause", c.Cause}, {"check", c.Fix}, {"why", c.Teaches},
		} {
			if kv[1] != "" {
				fmt.Fprintf(pr.w, "%s%-13s %s\n", indent, kv[0]+":", kv[1])
			}
		}
	}
}

// Summary prints the counts and what to do next.
func (pr *Printer) Summary(r *Report) {
	s := r.Summary
	fmt.Fprintf(pr.w, "\n%d passed, %d failed, %d waiting, %d skipped in %s.\n",
		s.Pass, s.Fail, s.Waiting, s.Skip, formatTook(time.Duration(r.TookMS)*time.Millisecond))
	if r.Probe != nil && r.Probe.OrderID != "" {
		look := "shoplab open --trace " + r.Probe.TraceID
		if r.Mode == ModeLocal {
			look = "grep " + r.Probe.TraceID + " " + pr.logGlob
		}
		fmt.Fprintf(pr.w, "Probe: trace %s, order %s. Look it up: %s\n", r.Probe.TraceID, r.Probe.OrderID, look)
	}
	switch {
	case s.Fail > 0:
		fmt.Fprintln(pr.w, "Broken: see each ✗ line's likely cause.")
	case s.Waiting > 0:
		fmt.Fprintln(pr.w, "Still warming up? Data has not arrived everywhere yet: run shoplab doctor --wait.")
	case r.Mode == ModeLocal:
		fmt.Fprintln(pr.w, "Everything local mode has works; the skipped hops need the compose stack (shoplab up).")
	default:
		fmt.Fprintln(pr.w, "Every hop works.")
	}
}

func formatTook(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// WriteJSON writes the report as an indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ExitCode is the process exit code for a report: 0 when every check that
// ran passed, 1 when one failed, 2 when none failed but some data had not
// arrived by the deadline (still warming up).
func ExitCode(r *Report) int {
	switch {
	case r.Summary.Fail > 0:
		return 1
	case r.Summary.Waiting > 0:
		return 2
	}
	return 0
}
