package config

import (
	"slices"
	"strings"
)

// Signal names in SHOPLAB_SIGNALS.
const (
	SignalTraces  = "traces"
	SignalMetrics = "metrics"
	SignalLogs    = "logs"
	// SignalsNone is the whole value that turns every signal off (a blank
	// value reads as the default, all on).
	SignalsNone = "none"
)

// Signals says which telemetry signals the services produce. Its zero
// value is every signal on, so that a Config built in a test without it
// behaves like the shop. Turning one off is for measuring what it costs
// (make bench-lab), not for running a shop blind.
type Signals struct {
	TracesOff  bool
	MetricsOff bool
	LogsOff    bool
}

// Traces reports whether spans are recorded and exported.
func (s Signals) Traces() bool { return !s.TracesOff }

// Metrics reports whether the request paths record metrics.
func (s Signals) Metrics() bool { return !s.MetricsOff }

// Logs reports whether log lines are written.
func (s Signals) Logs() bool { return !s.LogsOff }

// String is the SHOPLAB_SIGNALS value that reads back as s.
func (s Signals) String() string {
	var on []string
	for _, x := range []struct {
		name string
		on   bool
	}{{SignalTraces, s.Traces()}, {SignalMetrics, s.Metrics()}, {SignalLogs, s.Logs()}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return SignalsNone
	}
	return strings.Join(on, ",")
}

// signals reads a comma-separated subset of traces, metrics and logs (in
// any case and order), or "none".
func (r *reader) signals(key string) Signals {
	v := r.str(key)
	if strings.EqualFold(v, SignalsNone) {
		return Signals{TracesOff: true, MetricsOff: true, LogsOff: true}
	}
	var on []string
	for _, s := range strings.Split(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		switch s {
		case "":
		case SignalTraces, SignalMetrics, SignalLogs:
			on = append(on, s)
		default:
			r.fail("%s=%q: %q is not a signal (want a comma-separated list of traces, metrics and logs, or none)", key, v, s)
			return Signals{}
		}
	}
	return Signals{
		TracesOff:  !slices.Contains(on, SignalTraces),
		MetricsOff: !slices.Contains(on, SignalMetrics),
		LogsOff:    !slices.Contains(on, SignalLogs),
	}
}
