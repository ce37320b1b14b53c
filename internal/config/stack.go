package config

import "cmp"

// Stack is where the commands that drive or check the lab (up, down,
// status, doctor, load, the TUI) find the compose stack. The defaults are
// the addresses docker-compose.yml publishes on this machine, the same
// facts package stack states (a test keeps the two equal).
type Stack struct {
	// ComposeFile is SHOPLAB_COMPOSE_FILE, relative to the repository
	// root where shoplab runs.
	ComposeFile string
	// AnnotationURL is the Loki `shoplab load` marks its runs in:
	// LOKI_URL.
	AnnotationURL string
	// The services `shoplab doctor` checks. LokiURL is SHOPLAB_LOKI_URL,
	// else LOKI_URL.
	PrometheusURL, LokiURL, TempoURL, GrafanaURL, MailpitURL string
	// AlertmanagerURL is SHOPLAB_ALERTMANAGER_URL: doctor checks it,
	// status lists its firing alerts.
	AlertmanagerURL string
}

func (r *reader) stack() Stack {
	s := Stack{
		ComposeFile:     r.str("SHOPLAB_COMPOSE_FILE"),
		AnnotationURL:   r.url("LOKI_URL"),
		PrometheusURL:   r.url("SHOPLAB_PROMETHEUS_URL"),
		TempoURL:        r.url("SHOPLAB_TEMPO_URL"),
		GrafanaURL:      r.url("SHOPLAB_GRAFANA_URL"),
		MailpitURL:      r.url("SHOPLAB_MAILPIT_URL"),
		AlertmanagerURL: r.url("SHOPLAB_ALERTMANAGER_URL"),
	}
	s.LokiURL = cmp.Or(r.url("SHOPLAB_LOKI_URL"), s.AnnotationURL)
	return s
}
