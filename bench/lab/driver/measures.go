package main

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/shoplab/shoplab/internal/config"
)

// signalConfigs are the telemetry comparison's shops: all on as the lab's
// compose mode runs (spans exported over OTLP, /metrics scraped every 5 s,
// JSON logs to files), then each signal off, then all off.
func signalConfigs() []shopConfig {
	return []shopConfig{
		{Name: "all-on", Export: true, Scrape: true},
		{Name: "traces-off", Signals: config.Signals{TracesOff: true}, Export: true, Scrape: true},
		{Name: "metrics-off", Signals: config.Signals{MetricsOff: true}, Export: true},
		{Name: "logs-off", Signals: config.Signals{LogsOff: true}, Export: true, Scrape: true},
		{Name: "all-off", Signals: config.Signals{TracesOff: true, MetricsOff: true, LogsOff: true}, Export: true},
	}
}

// signalResult is one signal configuration's numbers.
type signalResult struct {
	// CPUPerReqUS is the shop's CPU per answered request at the fixed
	// cpu-rate, in microseconds.
	CPUPerReqUS float64
	Best        float64
	Spans       int64
}

type runResult struct {
	Floor, Shop float64
	Signals     map[string]signalResult
	Checkout    float64
	TUI         tuiResult
}

func (d *driver) measureRun(ctx context.Context) (runResult, error) {
	r := runResult{Signals: map[string]signalResult{}}
	nan := math.NaN()
	r.Floor, r.Shop, r.Checkout = nan, nan, nan
	r.TUI = tuiResult{HeadlessRPS: nan, TUIRPS: nan, HeadlessCPUPerReqUS: nan, TUICPUPerReqUS: nan}
	var err error
	if d.only("floor") {
		if r.Floor, err = d.browseSearch(ctx, "browse-floor", nil); err != nil {
			return r, err
		}
	}
	if d.only("shop") {
		if r.Shop, err = d.browseSearch(ctx, "browse-shop", &shopConfig{Name: "default"}); err != nil {
			return r, err
		}
	}
	for _, c := range signalConfigs() {
		r.Signals[c.Name] = signalResult{CPUPerReqUS: nan, Best: nan}
		if !d.only("signals") {
			continue
		}
		s, err := d.measureSignals(ctx, c)
		if err != nil {
			return r, err
		}
		r.Signals[c.Name] = s
	}
	if d.only("checkout") {
		if r.Checkout, err = d.checkoutSearch(ctx); err != nil {
			return r, err
		}
	}
	if d.only("tui") {
		if r.TUI, err = d.measureTUI(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

// only reports whether part is measured (-only, default all).
func (d *driver) only(part string) bool {
	return len(d.o.only) == 0 || slices.Contains(d.o.only, part)
}

// browseSearch finds the highest browse rate the floor (c nil) or the
// shop run as c sustains.
func (d *driver) browseSearch(ctx context.Context, measure string, c *shopConfig) (best float64, err error) {
	var p *process
	target := d.shopTarget()
	if c == nil {
		p, err = d.startFloor(ctx)
		target = "http://" + d.o.floorHTTP
	} else {
		p, err = d.startShop(ctx, *c)
	}
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	if err := d.warmUp(ctx, target, "browse", d.o.browseStart/4); err != nil {
		return 0, err
	}
	best, err = d.search(d.o.browseStart, d.o.browseInc, 10, func(rate float64) (record, error) {
		return d.step(ctx, p, measure, target, "browse", rate, d.o.browseLimit, d.o.maxInFlight)
	})
	if err == nil {
		d.record(record{Kind: "best", Run: d.run, Measure: measure, Rate: best})
		d.logf("  %s sustains %.0f journeys/s", measure, best)
	}
	return best, err
}

// measureSignals runs the shop as c: its CPU per request at the fixed
// cpu-rate, then its highest browse rate.
func (d *driver) measureSignals(ctx context.Context, c shopConfig) (s signalResult, err error) {
	measure := "signals-" + c.Name
	p, err := d.startShop(ctx, c)
	if err != nil {
		return s, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	if c.Scrape {
		var urls []string
		for _, e := range d.endpoints {
			urls = append(urls, e.MetricsURL)
		}
		sc := startScraper(ctx, urls)
		defer sc.stop()
	}
	target := d.shopTarget()
	if err := d.warmUp(ctx, target, "browse", d.o.cpuRate); err != nil {
		return s, err
	}
	rec, err := d.step(ctx, p, measure+"@cpu-rate", target, "browse", d.o.cpuRate, d.o.browseLimit, d.o.maxInFlight)
	if err != nil {
		return s, err
	}
	s.CPUPerReqUS, s.Spans = rec.ServerCPUPerReq, rec.Spans
	d.record(record{Kind: "cpu", Run: d.run, Measure: measure, Rate: d.o.cpuRate, ServerCPUPerReq: s.CPUPerReqUS, Spans: s.Spans})
	s.Best, err = d.search(d.o.browseStart, d.o.browseInc, 10, func(rate float64) (record, error) {
		return d.step(ctx, p, measure, target, "browse", rate, d.o.browseLimit, d.o.maxInFlight)
	})
	if err == nil {
		d.record(record{Kind: "best", Run: d.run, Measure: measure, Rate: s.Best})
		d.logf("  %s: %.1f µs CPU/request at %.0f/s, sustains %.0f journeys/s", measure, s.CPUPerReqUS, d.o.cpuRate, s.Best)
	}
	return s, err
}

func (d *driver) checkoutSearch(ctx context.Context) (best float64, err error) {
	p, err := d.startShop(ctx, shopConfig{Name: "default"})
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	target := d.shopTarget()
	best, err = d.search(d.o.checkoutStart, d.o.checkoutInc, 1, func(rate float64) (record, error) {
		return d.step(ctx, p, "checkout", target, "checkout", rate, d.o.checkoutLimit, d.o.maxInFlight)
	})
	if err == nil {
		d.record(record{Kind: "best", Run: d.run, Measure: "checkout", Rate: best})
		d.logf("  checkout sustains %.0f journeys/s", best)
	}
	return best, err
}

func (d *driver) shopTarget() string { return "http://" + d.endpoints[0].HTTP }

// soakResult is the footprint before, during and after the soak.
type soakResult struct {
	BrowseRate, CheckoutRate float64
	// RatesFrom says where the rates come from.
	RatesFrom                         string
	IdleRSS, WarmRSS, SoakRSS         float64
	FDsBefore, FDsAfter               int
	GoroutinesBefore, GoroutinesAfter float64
	Requests, Errors                  int64
}

// measureSoak runs the shop with every signal on at half the rates it
// sustained (the last run's), for the warm-up and then the soak.
func (d *driver) measureSoak(ctx context.Context) (s soakResult, err error) {
	// Without the runs' numbers (-only), half the fixed CPU rate and no
	// checkout.
	s.BrowseRate, s.CheckoutRate = d.o.cpuRate/2, 0
	browseFrom, checkoutFrom := "half the fixed CPU rate (no all-on browse rate measured)", "no checkout (no checkout rate measured)"
	if len(d.runs) > 0 {
		last := d.runs[len(d.runs)-1]
		if b := last.Signals["all-on"].Best; b > 0 {
			s.BrowseRate, browseFrom = b/2, "half of the last run's all-on browse rate"
		}
		if c := last.Checkout; c > 0 {
			s.CheckoutRate, checkoutFrom = c/2, "half of the last run's checkout rate"
		}
	}
	s.RatesFrom = browseFrom + ", " + checkoutFrom
	p, err := d.startShop(ctx, shopConfig{Name: "soak", Export: true, Scrape: true})
	if err != nil {
		return s, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	var urls []string
	for _, e := range d.endpoints {
		urls = append(urls, e.MetricsURL)
	}
	sc := startScraper(ctx, urls)
	defer sc.stop()

	settle := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
			return nil
		}
	}
	if err := settle(); err != nil {
		return s, err
	}
	if s.IdleRSS, err = rssMB(p.pid()); err != nil {
		return s, err
	}
	if s.FDsBefore, err = openFiles(p.pid()); err != nil {
		return s, err
	}
	gateway := d.endpoints[0].MetricsURL
	// The services share one process: go_goroutines is the process's.
	if s.GoroutinesBefore, err = scrapeValue(ctx, gateway, "go_goroutines"); err != nil {
		return s, err
	}

	total := d.o.warmup + d.o.soak
	var runs []func() (loadRun, error)
	for _, l := range []struct {
		scenario string
		rate     float64
	}{{"browse", s.BrowseRate}, {"checkout", s.CheckoutRate}} {
		if l.rate <= 0 {
			continue
		}
		cmd, stdout, stderr, err := d.startLoad(ctx, d.loadArgs(d.shopTarget(), l.scenario, l.rate, total, d.o.maxInFlight))
		if err != nil {
			return s, err
		}
		runs = append(runs, func() (loadRun, error) { return waitLoad(cmd, stdout, stderr) })
	}
	sample := func(after time.Duration, into *float64) <-chan error {
		done := make(chan error, 1)
		go func() {
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-time.After(after):
			}
			v, err := rssMB(p.pid())
			*into = v
			done <- err
		}()
		return done
	}
	// Both samples are taken under the same load: at the end of the
	// warm-up, and a second before the arrivals stop.
	warm := sample(d.o.warmup, &s.WarmRSS)
	end := sample(total-time.Second, &s.SoakRSS)
	var errs []error
	for _, wait := range runs {
		lr, err := wait()
		errs = append(errs, err)
		s.Requests += lr.answered()
		s.Errors += lr.res.Total.Errors
	}
	errs = append(errs, <-warm, <-end, p.alive())
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	if err := settle(); err != nil {
		return s, err
	}
	if s.FDsAfter, err = openFiles(p.pid()); err != nil {
		return s, err
	}
	if s.GoroutinesAfter, err = scrapeValue(ctx, gateway, "go_goroutines"); err != nil {
		return s, err
	}
	d.record(record{Kind: "soak", Requests: s.Requests, Errors: s.Errors, Values: map[string]float64{
		"browse_rate": s.BrowseRate, "checkout_rate": s.CheckoutRate,
		"rss_idle_mb": s.IdleRSS, "rss_after_warmup_mb": s.WarmRSS, "rss_after_soak_mb": s.SoakRSS,
		"fds_before": float64(s.FDsBefore), "fds_after": float64(s.FDsAfter),
		"goroutines_before": s.GoroutinesBefore, "goroutines_after": s.GoroutinesAfter,
		"warmup_s": d.o.warmup.Seconds(), "soak_s": d.o.soak.Seconds(),
	}})
	d.logf("  soak: RSS idle %.1f MB, after warm-up %.1f MB, after soak %.1f MB; fds %d→%d; goroutines %.0f→%.0f",
		s.IdleRSS, s.WarmRSS, s.SoakRSS, s.FDsBefore, s.FDsAfter, s.GoroutinesBefore, s.GoroutinesAfter)
	if s.Errors > 0 {
		d.logf("  soak: %d errors of %d requests", s.Errors, s.Requests)
	}
	return s, nil
}
