package tui

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

func (m Model) viewLoad(w, h int) []string {
	s := styles()
	if !m.scenariosLoaded {
		return []string{" " + s.dim.Render("Reading the scenarios…")}
	}
	if m.scenariosErr != "" || len(m.scenarios) == 0 {
		msg := "No load scenarios found in " + m.deps.ScenariosDir + "/. Run shoplab from the repository's root, where scenarios/ is."
		if m.scenariosErr != "" {
			msg += " (" + m.scenariosErr + ")"
		}
		return wrap(msg, w-2)
	}
	out := m.viewForm(w)
	if e, _ := m.selected(); e.sc == nil && !m.run.active() && m.run.state == runNone {
		return out
	}
	out = append(out, "")
	return append(out, m.viewRun(w, h-len(out))...)
}

// viewForm shows what the next run will do; the focused row is marked.
func (m Model) viewForm(w int) []string {
	s := styles()
	f := m.form
	e, _ := m.selected()
	locked := m.run.active()
	label := func(field formField, name string) string {
		mark := "  "
		if f.field == field && !locked && m.tab == tabLoad {
			mark = s.accent.Render("›") + " "
		}
		return mark + s.bold.Render(fmt.Sprintf("%-9s", name)) + " "
	}
	choice := func(field formField, v string) string {
		if f.field == field && !locked {
			return s.accent.Render("◂ ") + s.selected.Render(v) + s.accent.Render(" ▸")
		}
		return "  " + v + "  "
	}
	var out []string
	desc := ""
	if e.sc != nil {
		desc = s.dim.Render(e.sc.Description)
	} else {
		desc = s.bad.Render("broken: " + e.err)
	}
	out = append(out, label(fieldScenario, "Scenario")+cell(choice(fieldScenario, e.name), 21)+" "+desc)
	if e.sc == nil {
		return out
	}
	rate := fmt.Sprintf("%g journeys/s", f.rate)
	hint := "a journey is one visitor: a few requests in a row"
	if len(e.sc.Stages) > 0 {
		hint = "the ramp's peak; its stages are scaled to it"
	}
	out = append(out, label(fieldRate, "Rate")+choice(fieldRate, rate)+" "+s.dim.Render(hint))
	out = append(out, label(fieldDuration, "Duration")+choice(fieldDuration, f.duration.String()))
	var regions []string
	for i, r := range f.regions {
		box := "[ ]"
		if r.on {
			box = "[x]"
		}
		item := box + " " + r.name
		if f.field == fieldRegions && i == f.regionCursor && !locked {
			item = s.accent.Render("▸") + s.selected.Render(item)
		} else {
			item = " " + item
		}
		regions = append(regions, item)
	}
	out = append(out, label(fieldRegions, "Regions")+strings.Join(regions, " "))
	if len(e.sc.Faults) > 0 {
		var faults []string
		for _, fl := range e.sc.Faults {
			d := fl.Inject
			if len(fl.Regions) > 0 {
				d += " in " + strings.Join(fl.Regions, ",")
			}
			if fl.Ratio < 1 {
				d += fmt.Sprintf(" (%.0f%%)", fl.Ratio*100)
			}
			faults = append(faults, d)
		}
		out = append(out, "  "+s.bold.Render(fmt.Sprintf("%-9s", "Faults"))+"   "+s.warn.Render(strings.Join(faults, "; ")))
	}
	return out
}

func (m Model) viewRun(w, h int) []string {
	s := styles()
	r := m.run
	if e, _ := m.selected(); r.state == runNone || (e.sc == nil && !r.active()) {
		if e.sc == nil {
			return nil
		}
		var js []string
		total := 0.0
		for _, j := range e.sc.Journeys {
			total += j.Weight
		}
		for _, j := range e.sc.Journeys {
			js = append(js, fmt.Sprintf("%s (%.0f%%)", j.Name, 100*j.Weight/total))
		}
		text := fmt.Sprintf("Press s to send %s's traffic to %s: %g journeys a second for %s. Its journeys: %s.",
			e.name, m.deps.Target, m.form.rate, m.form.duration, strings.Join(js, ", "))
		return indent(wrap(text, w-2))
	}

	var out []string
	p := r.progress
	var status string
	switch r.state {
	case runRunning:
		status = m.spin.View() + " " + s.bold.Render("running "+r.scenario)
		if p.Draining {
			status = m.spin.View() + " " + s.bold.Render(r.scenario+": waiting for the last journeys")
		}
	case runStopping:
		status = m.spin.View() + " " + s.bold.Render("stopping "+r.scenario+"…")
	case runDone:
		status = s.ok.Render("✓") + " " + s.bold.Render(r.scenario+" finished")
		if r.result != nil && r.result.Interrupted {
			status = s.warn.Render("■") + " " + s.bold.Render(r.scenario+" stopped")
		}
	case runFailed:
		return indent(wrap(s.bad.Render("✗ "+r.scenario+" could not run: "+r.err), w-2))
	}
	if r.result != nil {
		status += fmt.Sprintf(" after %s", time.Duration(r.result.ElapsedS*float64(time.Second)).Round(time.Second))
	} else {
		status += fmt.Sprintf("  %s of %s", p.Elapsed.Round(time.Second), r.duration) + s.dim.Render("  (s stops it)")
	}
	out = append(out, " "+status)

	if !r.seen && r.result == nil {
		return append(out, " "+s.dim.Render("waiting for the engine's first numbers…"))
	}
	out = append(out, indent(m.numbersLines(w))...)

	// Charts take what is left after the lines around them.
	warnings := m.saturation(w)
	breakdown := m.breakdown(w)
	rows := (h - len(out) - len(warnings) - len(breakdown) - 1) / 3
	rows = max(1, min(rows, 4))
	const labelW = 13
	chartW := max(w-labelW-14, 10)
	chart := func(label string, sr series, top float64, value string) []string {
		lines := sparkline(sr, chartW, rows, top)
		for i := range lines {
			l := strings.Repeat(" ", labelW)
			if i == len(lines)-1 {
				l = fmt.Sprintf(" %-*s", labelW-1, label)
			}
			v := ""
			if i == len(lines)-1 {
				v = " " + value
			}
			lines[i] = l + s.chart.Render(lines[i]) + v
		}
		return lines
	}
	target := r.rate
	out = append(out, chart("requests/s", r.reqRate, r.reqRate.max(), fmt.Sprintf("%.1f/s", r.reqRate.last()))...)
	out = append(out, chart("p99 latency", r.p99, r.p99.max(), fmtMS(r.p99.last()))...)
	out = append(out, chart("journeys/s", r.journeys, math.Max(target, r.journeys.max()), fmt.Sprintf("%.1f of %g", r.journeys.last(), target))...)
	out = append(out, warnings...)
	return append(out, breakdown...)
}

// numbersLines are the run's totals so far: the engine's, or its result's
// once it ended; one line when the terminal is wide enough.
func (m Model) numbersLines(w int) []string {
	s := styles()
	r := m.run
	p := r.progress
	requests, errs, p99 := p.Requests, p.Errors, float64(p.P99)/float64(time.Millisecond)
	achieved, target := p.JourneyRate, p.TargetRate
	if res := r.result; res != nil {
		requests, errs, p99 = res.Total.Requests, res.Total.Errors, res.Total.Latency.P99
		target = res.TargetRate
		if res.ElapsedS > 0 {
			achieved = float64(res.Generator.Started) / math.Max(res.DurationS, 1e-9)
		}
	}
	ratio := 0.0
	if requests > 0 {
		ratio = float64(errs) / float64(requests)
	}
	errText := fmt.Sprintf("errors %.2f%% (%d)", 100*ratio, errs)
	if errs > 0 {
		errText = s.bad.Render(errText)
	}
	rate := fmt.Sprintf("journeys %.1f/s of %g target", achieved, target)
	if target > 0 && achieved < 0.9*target && !p.Draining && r.result == nil {
		rate = s.warn.Render(rate)
	}
	first := fmt.Sprintf("requests %d · %s · p99 %s", requests, errText, fmtMS(p99))
	second := rate
	if r.result == nil {
		second += fmt.Sprintf(" · in flight %d", p.InFlight)
	}
	if w >= 110 {
		return []string{first + " · " + second}
	}
	return []string{first, second}
}

// saturation warns when the generator, not the shop, shaped the numbers:
// the engine's verdict once the run ended, its counters while it runs.
func (m Model) saturation(w int) []string {
	s := styles()
	r := m.run
	// The engine judges its own saturation, live and at the end, by the
	// same rules.
	reasons := r.progress.Generator.Reasons
	if res := r.result; res != nil {
		reasons = res.Generator.Reasons
	}
	if len(reasons) == 0 {
		return nil
	}
	text := "⚠ Generator saturated — these numbers describe the generator, not the shop; lower the rate. " + strings.Join(reasons, "; ")
	lines := wrap(text, w-2)
	if len(lines) > 3 {
		lines = append(lines[:2], strings.TrimRight(lines[2], " ")+"…")
	}
	for i := range lines {
		lines[i] = " " + s.warn.Render(lines[i])
	}
	return lines
}

// breakdown is requests per second by region and p99 by endpoint: live
// from the engine's snapshots while a run goes on, from its result once it
// ended.
func (m Model) breakdown(w int) []string {
	s := styles()
	res := m.run.result
	p := m.run.progress
	type worst struct {
		p99    float64
		region string
	}
	byRegion := map[string]float64{}
	byEndpoint := map[string]worst{}
	var regions []string
	p99Title := "p99 by endpoint (its worst region)"
	switch {
	case res != nil:
		if len(res.Endpoints) == 0 {
			return nil
		}
		for _, e := range res.Endpoints {
			byRegion[e.Region] += e.Rate
			k := e.Method + " " + e.Route
			if e.Latency.P99 > byEndpoint[k].p99 {
				byEndpoint[k] = worst{e.Latency.P99, e.Region}
			}
		}
		regions = slices.Clone(res.Regions)
	case len(p.Regions) > 0:
		p99Title = "p99 by endpoint, so far"
		for _, r := range p.Regions {
			byRegion[r.Region] = r.RequestRate
			regions = append(regions, r.Region)
		}
		for _, e := range p.Endpoints {
			byEndpoint[e.Method+" "+e.Route] = worst{p99: float64(e.P99) / float64(time.Millisecond)}
		}
	default:
		return nil
	}
	endpoints := make([]string, 0, len(byEndpoint))
	for k := range byEndpoint {
		endpoints = append(endpoints, k)
	}
	sort.Strings(endpoints)
	topRate, topP99 := 0.0, 0.0
	for _, v := range byRegion {
		topRate = math.Max(topRate, v)
	}
	for _, v := range byEndpoint {
		topP99 = math.Max(topP99, v.p99)
	}

	half := (w - 3) / 2
	left := []string{s.header.Render("requests/s by region")}
	for _, r := range regions {
		left = append(left, fmt.Sprintf("%-9s %s %6.1f", r, s.chart.Render(bar(byRegion[r], topRate, max(half-18, 4))), byRegion[r]))
	}
	right := []string{s.header.Render(p99Title)}
	const epW = 26
	for _, k := range endpoints {
		v := byEndpoint[k]
		right = append(right, fmt.Sprintf("%-*s %s %7s", epW, k, s.chart.Render(bar(v.p99, topP99, max(half-epW-10, 4))), fmtMS(v.p99)))
	}
	out := []string{""}
	for i := range max(len(left), len(right)) {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out = append(out, " "+cell(l, half)+" "+r)
	}
	return out
}

func indent(lines []string) []string {
	for i := range lines {
		lines[i] = " " + lines[i]
	}
	return lines
}

// fmtMS renders milliseconds with a unit that suits them.
func fmtMS(ms float64) string {
	switch {
	case ms >= 10000:
		return fmt.Sprintf("%.1fs", ms/1000)
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fms", ms)
	}
}
