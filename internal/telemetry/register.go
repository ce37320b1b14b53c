package telemetry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds cs to reg, or none of them. It is how every ShopLab
// metric is registered, with one policy: a registration that fails
// (a name already taken, a clashing definition) fails the constructor that
// asked for it, and so the service's start, instead of being logged and
// leaving a metric that is counted but never exported. A second component
// built on the same registry therefore fails too: collectors are not
// shared.
//
// The error names the metrics of every collector that was refused and
// wraps reg's errors, so errors.As finds a prometheus.AlreadyRegisteredError.
// On error the collectors that were accepted are unregistered again, which
// leaves reg as it was.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	var (
		errs []error
		done []prometheus.Collector
	)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, fmt.Errorf("register %s: %w", describe(c), err))
			continue
		}
		done = append(done, c)
	}
	if len(errs) == 0 {
		return nil
	}
	for _, c := range done {
		reg.Unregister(c)
	}
	return errors.Join(errs...)
}

// describe names c's metrics for an error message, e.g. "metric x" or
// "metrics x, y, z and 4 more".
func describe(c prometheus.Collector) string {
	const shown = 3
	names := metricNames(c)
	switch {
	case len(names) == 0:
		return "unchecked collector"
	case len(names) == 1:
		return "metric " + names[0]
	case len(names) <= shown:
		return "metrics " + strings.Join(names, ", ")
	default:
		return fmt.Sprintf("metrics %s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
	}
}

// metricNames returns the fully-qualified names of the metrics c
// describes. Desc has no accessor for its name, so it is read from
// Desc.String, which starts with it quoted: Desc{fqName: "name", ...}.
func metricNames(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	var names []string
	for d := range ch {
		names = append(names, descName(d))
	}
	return names
}

func descName(d *prometheus.Desc) string {
	s := d.String()
	rest, ok := strings.CutPrefix(s, "Desc{fqName: ")
	if !ok {
		return s
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return s
	}
	name, err := strconv.Unquote(quoted)
	if err != nil {
		return s
	}
	return name
}
