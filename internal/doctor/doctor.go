// Package doctor proves, hop by hop, that a running ShopLab's
// observability pipeline works: it sends one tagged probe checkout through
// the gateway and follows it into Prometheus, Tempo, Loki, the exemplars
// and the SMTP catcher, telling "still warming up" from "broken" and, for
// a broken hop, what was expected, what was found and where to look.
//
// It only reads the stack's documented HTTP APIs; `shoplab doctor` (package
// cli) is its command line.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/topology"
)

// Mode is how the lab runs.
type Mode string

// The lab's modes.
const (
	// ModeCompose: the services on this machine, the stack in containers.
	ModeCompose Mode = "compose"
	// ModeLocal: the services and an embedded broker, no stack.
	ModeLocal Mode = "local"
)

// Port is an address something must listen on.
type Port struct {
	Name string
	Addr string
}

// Config is where the lab's parts are and how patient the doctor is.
type Config struct {
	Mode Mode
	// Services are the five services (topology.Endpoints); the gateway's HTTP
	// address is where the probe goes.
	Services []topology.Endpoint
	// Brokers are the Kafka bootstrap addresses the services use.
	Brokers []string
	// LogDir holds the services' log files (<service>.log).
	LogDir string
	// SMTPAddr is where the notification service sends e-mails; empty
	// when it only logs them.
	SMTPAddr string
	// OTLPEndpoint is where the services export spans (for messages).
	OTLPEndpoint string

	// Base URLs of the stack's HTTP APIs (compose mode).
	PrometheusURL, LokiURL, TempoURL, GrafanaURL, MailpitURL string
	// AlertmanagerURL is the Alertmanager Prometheus sends alerts to.
	AlertmanagerURL string
	// Ports the stack publishes on this machine (compose mode).
	Ports []Port
	// Containers are the compose services that must be healthy.
	Containers []string
	// ComposeStatus lists the project's containers (docker compose ps);
	// tests inject a stand-in.
	ComposeStatus func(context.Context) ([]compose.Container, error)
	// DataSources are the Grafana data source UIDs to check.
	DataSources []string

	// Region is the probe's X-Region.
	Region string
	// HTTP sends every request; nil means a client with a 5 s timeout.
	HTTP *http.Client

	// Wait polls every check until it passes or Timeout ends; a check
	// still waiting then has failed. Without Wait, failures are final at
	// once and missing data gets Grace to arrive.
	Wait    bool
	Timeout time.Duration
	Grace   time.Duration
	// Interval is the pause between attempts (default 500 ms).
	Interval time.Duration

	// Progress, when set, hears every check's result as soon as it is
	// final, in report order.
	Progress func(CheckReport)
}

// DefaultRegion is the probe's region: one of the fixed set, so that the
// gateway's series for it exist in every dashboard.
const DefaultRegion = "eu-west"

// Doctor runs the checks of one Config.
type Doctor struct {
	cfg  Config
	http *http.Client
}

// New returns a doctor for cfg, filling in defaults.
func New(cfg Config) (*Doctor, error) {
	if cfg.Mode != ModeCompose && cfg.Mode != ModeLocal {
		return nil, fmt.Errorf("doctor: unknown mode %q", cfg.Mode)
	}
	if endpoint(cfg.Services, topology.Gateway).HTTP == "" {
		return nil, errors.New("doctor: no gateway endpoint")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 15 * time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	return &Doctor{cfg: cfg, http: hc}, nil
}

// Limit is how long a run may poll: Timeout with Wait, else Grace.
func (d *Doctor) Limit() time.Duration {
	if d.cfg.Wait {
		return d.cfg.Timeout
	}
	return d.cfg.Grace
}

// Run runs every check and returns the report. It returns early only when
// ctx ends.
func (d *Doctor) Run(ctx context.Context) *Report {
	start := time.Now()
	deadline := start.Add(d.Limit())
	probe, err := newProbe(d.cfg.Region)
	rep := &Report{Schema: SchemaVersion, Mode: d.cfg.Mode, Waited: d.cfg.Wait}
	if err != nil {
		// Only a broken random source gets here.
		rep.add(CheckReport{ID: "probe", Hop: HopProbe, Name: "probe: make the probe's IDs", Status: Fail, Found: err.Error()})
		return rep
	}
	emit := func(c CheckReport) {
		rep.add(c)
		if d.cfg.Progress != nil {
			d.cfg.Progress(c)
		}
	}
	// Preconditions and the probe run one after the other: each may need
	// what the one before found. The hops then poll side by side, so the
	// slowest one, not their sum, sets how long the run takes.
	for _, c := range append(d.preconditions(), d.probeCheck()) {
		emit(d.run(ctx, c, probe, deadline))
	}
	// A probe's data always gets the pipeline's normal delay to arrive,
	// however long the preconditions took.
	hopDeadline := deadline
	if probe.Sent() {
		hopDeadline = later(deadline, probe.SentAt.Add(min(d.cfg.Grace, d.Limit())))
	}
	hops := d.hops()
	results := make([]chan CheckReport, len(hops))
	var wg sync.WaitGroup
	for i, c := range hops {
		results[i] = make(chan CheckReport, 1)
		wg.Go(func() { results[i] <- d.run(ctx, c, probe, hopDeadline) })
	}
	for _, ch := range results {
		emit(<-ch)
	}
	wg.Wait()
	rep.Probe = probe.info()
	rep.OK = rep.Summary.Fail == 0 && rep.Summary.Waiting == 0
	rep.TookMS = time.Since(start).Milliseconds()
	return rep
}

// run attempts c until it passes, is skipped, fails for good or the
// deadline comes. Every check gets at least one attempt.
func (d *Doctor) run(ctx context.Context, c Check, p *Probe, deadline time.Time) CheckReport {
	start := time.Now()
	rep := CheckReport{ID: c.ID, Hop: c.Hop, Name: c.Name, Teaches: c.Teaches}
	var r Result
	if c.NeedsProbe && !p.Sent() {
		r = Result{Status: Skip, Found: "no probe was sent (see the probe's line above)"}
	} else {
		for {
			rep.Attempts++
			r = d.attempt(ctx, c, p, deadline)
			if r.Status == Pass || r.Status == Skip || (r.Status == Fail && !d.cfg.Wait) {
				break
			}
			wait := min(d.cfg.Interval, time.Until(deadline))
			if wait <= 0 || ctx.Err() != nil {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if r.Status == Waiting && d.cfg.Wait {
			// --wait gave it every chance: not arriving is a failure.
			r.Status = Fail
			r.Found = fmt.Sprintf("%s (still, after %s)", r.Found, time.Since(start).Round(100*time.Millisecond))
		}
	}
	rep.Status, rep.Expected, rep.Found, rep.Cause, rep.Fix = r.Status, r.Expected, r.Found, r.Cause, r.Fix
	rep.TookMS = time.Since(start).Milliseconds()
	return rep
}

// attempt runs c once, bounded by the deadline but never by less than
// minAttempt, so that a check that comes late (after preconditions that
// waited) still gets one honest try; each request is bounded by the HTTP
// client's timeout besides.
func (d *Doctor) attempt(ctx context.Context, c Check, p *Probe, deadline time.Time) Result {
	const minAttempt = 10 * time.Second
	budget := max(time.Until(deadline), minAttempt)
	actx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	return c.Run(actx, p)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// endpoint returns the named service's endpoint, or a zero one.
func endpoint(es []topology.Endpoint, service string) topology.Endpoint {
	for _, e := range es {
		if e.Service == service {
			return e
		}
	}
	return topology.Endpoint{}
}
