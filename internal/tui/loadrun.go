package tui

import (
	"fmt"
	"sort"
	"time"

	"github.com/shoplab/shoplab/internal/load"
)

// observe adds one of the engine's snapshots to the run.
func (m *Model) observe(p load.Progress) {
	r := &m.run
	r.progress, r.seen = p, true
	r.reqRate = r.reqRate.push(p.RequestRate)
	r.p99 = r.p99.push(float64(p.P99) / float64(time.Millisecond))
	r.journeys = r.journeys.push(p.JourneyRate)
}

// finishRun records the engine's result (or why it could not run) and
// lists its slowest requests for the Traces screen.
func (m *Model) finishRun(res *load.Result, err error) {
	r := &m.run
	r.cancel = nil
	if err != nil {
		r.state, r.err = runFailed, err.Error()
		m.notice = &notice{text: "The load test could not run: " + firstLine(r.err), bad: true}
		return
	}
	r.state, r.result = runDone, res
	m.traces = slowest(res)
	m.traceCursor = 0
	switch {
	case res.Generator.Saturated:
		m.notice = &notice{text: "Load test ended, but the generator saturated: its numbers describe the generator, not the shop.", bad: true}
	case res.Interrupted:
		m.notice = &notice{text: fmt.Sprintf("Load test stopped after %.0fs. Its slowest requests are on the Traces screen (3).", res.ElapsedS)}
	default:
		verdict := "every threshold held"
		if !res.Passed {
			verdict = "a threshold failed"
		}
		m.notice = &notice{text: fmt.Sprintf("Load test finished: %s. Its slowest requests are on the Traces screen (3).", verdict), bad: !res.Passed}
	}
}

// slowest lists a result's slowest requests, slowest first.
func slowest(res *load.Result) []traceRow {
	var rows []traceRow
	for _, e := range res.Slowest {
		for _, r := range e.Requests {
			rows = append(rows, traceRow{
				endpoint: e.Method + " " + e.Route, region: r.Region, latencyMS: r.LatencyMS,
				status: r.Status, failed: r.Failed, traceID: r.TraceID,
			})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].latencyMS > rows[j].latencyMS })
	return rows
}
