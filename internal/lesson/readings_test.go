package lesson_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// reading is one series of a scrape: its labels and value (a histogram's
// count), a histogram's sum, and how many of its observations were above
// slowSeconds.
type reading struct {
	labels map[string]string
	value  float64
	sum    float64
	slow   float64
}

// slowSeconds is where a call counts as slow: a healthy shop answers well
// below it, the incidents well above (the bucket boundary of
// telemetry.LatencyBuckets, as a histogram_quantile would see it).
const slowSeconds = 0.1

// readings returns the series of name in fams whose labels include match,
// keyed by their label set.
func readings(fams []*dto.MetricFamily, name string, match map[string]string) map[string]reading {
	out := map[string]reading{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			r := reading{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				r.labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if r.labels[k] != v {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				r.value = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				r.value = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				r.value, r.sum = float64(h.GetSampleCount()), h.GetSampleSum()
				r.slow = r.value
				for _, b := range h.GetBucket() {
					if b.GetUpperBound() == slowSeconds {
						r.slow = r.value - float64(b.GetCumulativeCount())
					}
				}
			}
			out[labelKey(r.labels)] = r
		}
	}
	return out
}

// labelKey is a label set in a canonical spelling.
func labelKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// increase is after minus before, series by series, as PromQL's
// increase() over the lesson would be; a series born meanwhile started
// at zero.
func increase(before, after map[string]reading) []reading {
	var out []reading
	for k, a := range after {
		b := before[k]
		out = append(out, reading{labels: a.labels, value: a.value - b.value, sum: a.sum - b.sum, slow: a.slow - b.slow})
	}
	return out
}

// sumBy adds the readings up by the value of label ("" adds them all).
func sumBy(rs []reading, label string) map[string]reading {
	out := map[string]reading{}
	for _, r := range rs {
		k := r.labels[label]
		s := out[k]
		s.value, s.sum, s.slow = s.value+r.value, s.sum+r.sum, s.slow+r.slow
		out[k] = s
	}
	return out
}

// summed adds every reading of rs up.
func summed(rs map[string]reading) reading {
	return sumBy(slices.Collect(maps.Values(rs)), "")[""]
}

// total is the sum of the values of name's series matching match.
func total(fams []*dto.MetricFamily, name string, match map[string]string) float64 {
	return summed(readings(fams, name, match)).value
}

// seriesCounts counts the series of each metric of fams, as Prometheus
// would store them (a histogram's buckets, +Inf, _sum and _count).
func seriesCounts(fams []*dto.MetricFamily) map[string]int {
	out := map[string]int{}
	for _, f := range fams {
		n := 0
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				n += len(h.GetBucket()) + 3
				continue
			}
			n++
		}
		out[f.GetName()] = n
	}
	return out
}
