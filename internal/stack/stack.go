// Package stack describes ShopLab's containerized observability stack:
// the compose file and its configuration files at the repository root, the
// containers it runs and the URLs it publishes on the host.
//
// docker-compose.yml is the source of truth; this package restates the
// facts that Go code (the shoplab CLI) needs about it, and its tests load
// the compose file and every configuration file to prove that the two agree
// and that the stack follows the lab's rules (pinned images, ports bound to
// 127.0.0.1, named volumes, healthchecks, no secrets).
package stack

// ComposeFile is the compose file's path relative to the repository root.
const ComposeFile = "docker-compose.yml"

// ProjectName is the compose project name (docker-compose.yml's `name:`).
const ProjectName = "shoplab"

// URLs the stack publishes on the host. Every port is bound to 127.0.0.1.
const (
	GrafanaURL    = "http://localhost:4000"
	PrometheusURL = "http://localhost:9090"
	LokiURL       = "http://localhost:3100"
	TempoURL      = "http://localhost:3200"
	KafkaUIURL    = "http://localhost:8080"
	MailpitURL    = "http://localhost:8025"
	AlloyURL      = "http://localhost:12345"
	// AlertmanagerURL serves the alerts Prometheus fired from the SLO
	// rules (prometheus/rules/), its API under /api/v2/.
	AlertmanagerURL = "http://localhost:9093"
)

// Addresses the Go services on the host use to reach the stack.
const (
	// KafkaBrokers is the broker's host listener (advertised as
	// localhost:9092). Containers use kafka:19092 instead.
	KafkaBrokers = "localhost:9092"
	// OTLPEndpoint is Tempo's OTLP/HTTP receiver (protocol http/protobuf).
	OTLPEndpoint = "http://localhost:4318"
	// SMTPHost and SMTPPort are Mailpit's SMTP listener.
	SMTPHost = "localhost"
	SMTPPort = 1025
)

// ShipperProfile is the compose profile of the opt-in Promtail log shipper.
// Promtail is end of life; Alloy is the default shipper and only one of
// them should run: `docker compose --profile promtail up -d --scale alloy=0`.
const ShipperProfile = "promtail"

// Container is one service of docker-compose.yml.
type Container struct {
	// Service is the compose service name (also its DNS name on the
	// compose network).
	Service string
	// Image is the pinned image reference.
	Image string
	// Profile is empty for the default set, else the compose profile that
	// enables the service.
	Profile string
	// Healthcheck says whether the container reports health, so that
	// `docker compose ps` shows healthy/unhealthy and `up --wait` waits.
	Healthcheck bool
	// URL is the service's main HTTP address on the host, if it publishes
	// one.
	URL string
}

// Containers lists the services of docker-compose.yml in start order
// (dependencies first). The tests check it against the compose file.
func Containers() []Container {
	return []Container{
		{Service: "prometheus", Image: "prom/prometheus:v3.14.0", Healthcheck: true, URL: PrometheusURL},
		{Service: "loki", Image: "grafana/loki:3.7.7", Healthcheck: true, URL: LokiURL},
		{Service: "tempo", Image: "grafana/tempo:3.0.3", Healthcheck: true, URL: TempoURL},
		{Service: "mailpit", Image: "axllent/mailpit:v1.31.1", Healthcheck: true, URL: MailpitURL},
		{Service: "alertmanager", Image: "prom/alertmanager:v0.35.0", Healthcheck: true, URL: AlertmanagerURL},
		{Service: "grafana", Image: "grafana/grafana:13.2.2", Healthcheck: true, URL: GrafanaURL},
		{Service: "alloy", Image: "grafana/alloy:v1.19.2", Healthcheck: true, URL: AlloyURL},
		{Service: "promtail", Image: "grafana/promtail:3.6.11", Profile: ShipperProfile, Healthcheck: true},
		{Service: "kafka", Image: "apache/kafka:4.3.1", Healthcheck: true},
		{Service: "kafka-ui", Image: "ghcr.io/kafbat/kafka-ui:v1.5.0", Healthcheck: true, URL: KafkaUIURL},
	}
}

// DefaultContainers is Containers without the opt-in profiles: what a plain
// `docker compose up` starts.
func DefaultContainers() []Container {
	var out []Container
	for _, c := range Containers() {
		if c.Profile == "" {
			out = append(out, c)
		}
	}
	return out
}
