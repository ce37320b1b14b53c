package doctor

import (
	"context"
	"time"
)

// Status is the outcome of one check.
type Status string

// The statuses a check can end in. Waiting means the data has not arrived
// yet and nothing says it never will: the lab may still be warming up.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Waiting Status = "waiting"
	Skip    Status = "skip"
)

// Mark is the status's one-character symbol in the text output.
func (s Status) Mark() string {
	switch s {
	case Pass:
		return "✓"
	case Fail:
		return "✗"
	case Waiting:
		return "…"
	}
	return "–"
}

// Hops group the checks; each is one stage of the probe's journey.
const (
	HopPrecondition = "precondition"
	HopProbe        = "probe"
	HopMetrics      = "metrics"
	HopTraces       = "traces"
	HopLogs         = "logs"
	HopExemplars    = "exemplars"
	HopEmail        = "e-mail"
)

// Result is what one attempt of a check found. For a check that did not
// pass, Expected, Found, Cause and Fix say what was expected, what was
// there instead, the most likely reason and the command or file to look at.
type Result struct {
	Status   Status
	Expected string
	Found    string
	Cause    string
	Fix      string
}

// Check is one line of the doctor's report.
type Check struct {
	// ID is a stable machine-readable name (the JSON output's id).
	ID string
	// Hop is the stage of the pipeline the check proves.
	Hop string
	// Name says what passing means.
	Name string
	// Teaches is one short sentence of why the hop works the way it does.
	Teaches string
	// NeedsProbe skips the check when no probe could be sent.
	NeedsProbe bool
	// Run makes one attempt. The doctor calls it again, until the
	// deadline, while it returns Waiting (and, with Wait, Fail).
	Run func(ctx context.Context, p *Probe) Result
}

// CheckReport is a check's final result, as printed and as JSON.
type CheckReport struct {
	ID       string `json:"id"`
	Hop      string `json:"hop"`
	Name     string `json:"name"`
	Status   Status `json:"status"`
	TookMS   int64  `json:"took_ms"`
	Attempts int    `json:"attempts"`
	Teaches  string `json:"teaches,omitempty"`
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

// Took is how long the check ran, from its first attempt to its result.
func (c CheckReport) Took() time.Duration { return time.Duration(c.TookMS) * time.Millisecond }

// ProbeInfo identifies the probe in the report, so that a user can look
// it up by hand (shoplab open --trace ID, grep ID logs/*.log).
type ProbeInfo struct {
	TraceID string    `json:"trace_id"`
	OrderID string    `json:"order_id,omitempty"`
	Email   string    `json:"email"`
	Region  string    `json:"region"`
	SentAt  time.Time `json:"sent_at,omitzero"`
}

// Summary counts the checks by status.
type Summary struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Waiting int `json:"waiting"`
	Skip    int `json:"skip"`
}

// Report is a whole doctor run: the --json document.
type Report struct {
	// Schema versions the JSON document.
	Schema  int           `json:"schema"`
	Mode    Mode          `json:"mode"`
	OK      bool          `json:"ok"`
	Waited  bool          `json:"waited"`
	TookMS  int64         `json:"took_ms"`
	Probe   *ProbeInfo    `json:"probe"`
	Checks  []CheckReport `json:"checks"`
	Summary Summary       `json:"summary"`
}

// SchemaVersion is Report.Schema.
const SchemaVersion = 1

func (r *Report) add(c CheckReport) {
	r.Checks = append(r.Checks, c)
	switch c.Status {
	case Pass:
		r.Summary.Pass++
	case Fail:
		r.Summary.Fail++
	case Waiting:
		r.Summary.Waiting++
	default:
		r.Summary.Skip++
	}
}
