package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/doctor"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
)

type doctorFlags struct {
	local, wait, json bool
	timeout, grace    time.Duration
}

// NewCmdDoctor builds `shoplab doctor`.
func NewCmdDoctor(app *App) *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Prove every hop of the observability pipeline, or say which one is broken and why",
		Long: `Check the running lab hop by hop and say whether it is still warming up or broken.

First the preconditions: Docker and Compose (compose mode), the stack's ports,
every container's and service's health, Grafana's data sources. Then one
tagged probe checkout goes through the gateway with a traceparent the doctor
made, and the doctor follows it:

  metrics    the gateway's request counter rose in Prometheus for the probe's
             route and region; every service's scrape target is up
  traces     the probe's trace is in Tempo, with spans from every service it
             touched, across the Kafka hop
  logs       Loki has the probe's log lines from every service (shipped by
             Alloy from logs/*.log)
  exemplars  an exemplar on the gateway's latency histogram leads to a trace
             Tempo has
  e-mail     the probe order's e-mail reached Mailpit

Each check prints one line with ✓ (pass), ✗ (fail), … (waiting) or – (skipped)
and how long it took; a failing one says what was expected, what was found,
the most likely cause and what to check.

Without --wait, failures are final at once and data that has not arrived gets
--grace to do so (the pipeline's normal delay: a 5 s scrape, a 5 s span
batch). With --wait every check is retried until it passes or --timeout ends.

With --local the doctor checks what local mode has: the services, the
embedded broker, the services' own /metrics, the log files, and lists the hops
that need the compose stack as skipped.

The stack's URLs can be overridden with SHOPLAB_PROMETHEUS_URL,
SHOPLAB_ALERTMANAGER_URL, SHOPLAB_LOKI_URL (or LOKI_URL), SHOPLAB_TEMPO_URL,
SHOPLAB_GRAFANA_URL and SHOPLAB_MAILPIT_URL; the services' ports and log directory come from the same
variables as shoplab up.

--json prints one document: {"schema":1,"mode","ok","waited","took_ms",
"probe":{"trace_id","order_id","email","region","sent_at"},"checks":[{"id",
"hop","name","status":"pass|fail|waiting|skip","took_ms","attempts","teaches",
"expected","found","cause","fix"}],"summary":{"pass","fail","waiting","skip"}}.

Exit codes:
  0  every check that ran passed (skipped ones do not count)
  1  a check failed, or the doctor could not run
  2  nothing failed, but some data had not arrived in time (warming up)`,
		Example: `  shoplab doctor
  shoplab doctor --wait --timeout 2m
  shoplab doctor --local
  shoplab doctor --json | jq '.checks[] | select(.status != "pass")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), app, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.local, "local", false, "check a lab started with shoplab up --local (no compose stack)")
	fl.BoolVar(&f.wait, "wait", false, "keep polling until every check passes or --timeout ends")
	fl.DurationVar(&f.timeout, "timeout", 60*time.Second, "with --wait, how long to keep polling")
	fl.DurationVar(&f.grace, "grace", 15*time.Second, "without --wait, how long data may take to arrive")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON (for scripts)")
	return cmd
}

func runDoctor(ctx context.Context, app *App, f doctorFlags) error {
	if f.timeout <= 0 || f.grace <= 0 {
		return errors.New("--timeout and --grace must be positive")
	}
	cfg, err := doctorConfig(app, f)
	if err != nil {
		return err
	}
	var pr *doctor.Printer
	if !f.json {
		pr = doctor.NewPrinter(app.Stdout, cfg.LogDir)
		cfg.Progress = pr.Check
	}
	d, err := doctor.New(cfg)
	if err != nil {
		return err
	}
	if pr != nil {
		pr.Header(cfg.Mode, cfg.Wait, d.Limit())
	}
	rep := d.Run(ctx)
	if f.json {
		if err := doctor.WriteJSON(app.Stdout, rep); err != nil {
			return err
		}
	} else {
		pr.Summary(rep)
	}
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("doctor interrupted")}
	}
	switch code := doctor.ExitCode(rep); code {
	case 0:
		return nil
	case 2:
		return &exitError{code: code, err: fmt.Errorf("%d check(s) still waiting for data: run shoplab doctor --wait", rep.Summary.Waiting)}
	default:
		return &exitError{code: code, err: fmt.Errorf("%d check(s) failed", rep.Summary.Fail)}
	}
}

// doctorConfig reads where the lab's parts are from the environment, the
// way shoplab up does for the mode.
func doctorConfig(app *App, f doctorFlags) (doctor.Config, error) {
	getenv := app.Getenv
	mode := doctor.ModeLocal
	if !f.local {
		mode = doctor.ModeCompose
		getenv = lab.WithDefaults(app.Getenv, lab.ComposeDefaults(loopback))
	}
	s, err := loadSettings(getenv)
	if err != nil {
		return doctor.Config{}, err
	}
	brokers := s.cfg.Brokers()
	cfg := doctor.Config{
		Mode:     mode,
		Services: topology.Endpoints(s.cfg),
		Brokers:  brokers,
		LogDir:   s.cfg.LogDir,
		Region:   doctor.DefaultRegion,
		Wait:     f.wait,
		Timeout:  f.timeout,
		Grace:    f.grace,
	}
	if s.cfg.SMTP.Enabled() {
		cfg.SMTPAddr = s.cfg.SMTP.Addr()
	}
	cfg.OTLPEndpoint = s.otlp.TracesEndpoint
	if cfg.OTLPEndpoint == "" {
		cfg.OTLPEndpoint = s.otlp.Endpoint
	}
	if mode == doctor.ModeLocal {
		return cfg, nil
	}
	st := s.cfg.Stack
	cfg.PrometheusURL, cfg.LokiURL, cfg.TempoURL = st.PrometheusURL, st.LokiURL, st.TempoURL
	cfg.GrafanaURL, cfg.MailpitURL = st.GrafanaURL, st.MailpitURL
	cfg.AlertmanagerURL = st.AlertmanagerURL
	for _, p := range []struct{ name, url string }{
		{"Prometheus", cfg.PrometheusURL}, {"Loki", cfg.LokiURL}, {"Tempo", cfg.TempoURL},
		{"Tempo's OTLP receiver", cfg.OTLPEndpoint}, {"Grafana", cfg.GrafanaURL}, {"Mailpit", cfg.MailpitURL},
	} {
		if addr := hostPortOf(p.url); addr != "" {
			cfg.Ports = append(cfg.Ports, doctor.Port{Name: p.name, Addr: addr})
		}
	}
	if cfg.SMTPAddr != "" {
		cfg.Ports = append(cfg.Ports, doctor.Port{Name: "Mailpit's SMTP", Addr: cfg.SMTPAddr})
	}
	for _, c := range stack.DefaultContainers() {
		cfg.Containers = append(cfg.Containers, c.Service)
	}
	cfg.DataSources = []string{"prometheus", "loki", "tempo"}
	file := st.ComposeFile
	cfg.ComposeStatus = func(ctx context.Context) ([]compose.Container, error) {
		c, err := compose.New(ctx, file, io.Discard)
		if err != nil {
			return nil, err
		}
		return c.PS(ctx)
	}
	return cfg, nil
}

// hostPortOf is the host:port a URL connects to, or "".
func hostPortOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
