package config

import (
	"strconv"
	"strings"
)

// Var is one environment variable ShopLab reads. Vars lists them all: the
// reader takes each default from there, and the README's Configuration
// table is generated from it, so a variable is declared in one place.
type Var struct {
	Name string
	// Default is the value an unset or blank variable reads as, written
	// the way a user would set it; "" when there is none.
	Default string
	// Unset says, for the documentation, what an unset variable means when
	// that is no value of its own (nothing happens, or a value worked out
	// from other variables). At most one of Default and Unset is set.
	Unset string
	// Doc says what the variable does: one line of Markdown.
	Doc string
}

// Vars lists every environment variable ShopLab reads, in the order the
// README documents them.
func Vars() []Var {
	port := strconv.Itoa
	return []Var{
		// Where the services run.
		{Name: "SHOPLAB_BIND_HOST", Default: "127.0.0.1", Doc: `comma-separated IP addresses the services listen on (every port on each); compose mode on a Linux engine adds the Docker bridge's address, see "Scraping the host"`},
		{Name: "SHOPLAB_DATA_DIR", Default: "data", Doc: "the databases, the embedded broker's log (`broker/`) and the pid file. The directory is made 0700 and the databases (with `-wal`/`-shm`) 0600: `auth.db` holds the token signing key. Give it a directory of its own: an existing one is tightened at start (except the working directory, a sticky shared directory such as `/tmp`, or one owned by someone else)"},
		{Name: "SHOPLAB_LOG_DIR", Default: "logs", Doc: "the services' log files, `<service>.log`"},
		{Name: "SHOPLAB_LOG_LEVEL", Default: "info", Doc: "`debug`, `info`, `warn` or `error`"},
		{Name: "GATEWAY_HTTP_PORT", Default: port(GatewayHTTPPort), Doc: "the gateway's API, `/metrics` and `/healthz`; for every port, `0` picks a free one (tests)"},
		{Name: "AUTH_HTTP_PORT", Default: port(AuthHTTPPort), Doc: "auth's `/metrics` and `/healthz`"},
		{Name: "AUTH_GRPC_PORT", Default: port(AuthGRPCPort), Doc: "auth's gRPC API"},
		{Name: "CATALOG_HTTP_PORT", Default: port(CatalogHTTPPort), Doc: "catalog's `/metrics` and `/healthz`"},
		{Name: "CATALOG_GRPC_PORT", Default: port(CatalogGRPCPort), Doc: "catalog's gRPC API"},
		{Name: "ORDERS_HTTP_PORT", Default: port(OrdersHTTPPort), Doc: "orders' `/metrics` and `/healthz`"},
		{Name: "ORDERS_GRPC_PORT", Default: port(OrdersGRPCPort), Doc: "orders' gRPC API"},
		{Name: "NOTIFICATION_HTTP_PORT", Default: port(NotificationHTTPPort), Doc: "notification's `/metrics` and `/healthz`"},
		{Name: "AUTH_ADDR", Unset: "`127.0.0.1:<AUTH_GRPC_PORT>`", Doc: "where a service started alone (`shoplab serve`) finds auth's gRPC API, host:port"},
		{Name: "CATALOG_ADDR", Unset: "`127.0.0.1:<CATALOG_GRPC_PORT>`", Doc: "where `shoplab serve` finds catalog's gRPC API"},
		{Name: "ORDERS_ADDR", Unset: "`127.0.0.1:<ORDERS_GRPC_PORT>`", Doc: "where `shoplab serve` finds orders' gRPC API"},
		{Name: "KAFKA_BROKERS", Unset: "the embedded broker", Doc: "comma-separated Kafka bootstrap servers, host:port; compose mode points it at the stack's Kafka"},
		{Name: "SHOPLAB_EMBEDDED_KAFKA_PORT", Default: port(EmbeddedKafkaPort), Doc: "the embedded broker's port (on 127.0.0.1)"},
		{Name: "KAFKA_PARTITIONS", Default: strconv.Itoa(DefaultKafkaPartitions), Doc: "partitions of each topic the lab creates (the embedded broker's, or `KAFKA_BROKERS`' when a topic is missing): up to this many notification replicas share the work; events of one order or user share a key and stay in order on one partition. An existing topic keeps its count"},
		{Name: "SMTP_HOST", Unset: "e-mails are only logged", Doc: "the SMTP server the notification service sends e-mails through; compose mode points it at Mailpit"},
		{Name: "SMTP_PORT", Default: "1025", Doc: "the SMTP server's port"},
		{Name: "SMTP_USERNAME", Doc: "the SMTP login, if the server wants one"},
		{Name: "SMTP_PASSWORD", Doc: "the SMTP password"},
		{Name: "SMTP_FROM", Default: "ShopEase <orders@shopease.test>", Doc: "the e-mails' sender"},
		{Name: "AUTH_JWT_SECRET", Unset: "generated, kept in auth's database", Doc: "the token signing key, 32 characters or more"},
		{Name: "AUTH_TOKEN_TTL", Default: "24h", Doc: "how long a login token stays valid"},
		{Name: "AUTH_BCRYPT_COST", Unset: "bcrypt's default (10)", Doc: "password hashing cost, 4-31: each step doubles the CPU of a register or login, which dominates the checkout scenario on a small machine; the tests use 4. After a change, a user's stored hash is redone at the new cost at their next successful login; until then a wrong password for such a user also costs one comparison at the new cost, so failures take as long as for an unknown e-mail"},
		{Name: "AUTH_DATABASE_URL", Unset: "`auth.db` in `SHOPLAB_DATA_DIR` (SQLite)", Doc: "auth's PostgreSQL database, `postgres://user:password@host:5432/database`: set for replicas of a service to share its state (see \"PostgreSQL\")"},
		{Name: "CATALOG_DATABASE_URL", Unset: "`catalog.db` in `SHOPLAB_DATA_DIR` (SQLite)", Doc: "catalog's PostgreSQL database; a database of its own, not another service's"},
		{Name: "ORDERS_DATABASE_URL", Unset: "`orders.db` in `SHOPLAB_DATA_DIR` (SQLite)", Doc: "orders' PostgreSQL database"},
		{Name: "NOTIFICATION_DATABASE_URL", Unset: "`notification.db` in `SHOPLAB_DATA_DIR` (SQLite)", Doc: "notification's PostgreSQL database"},
		{Name: "SHOPLAB_SHUTDOWN_TIMEOUT", Default: "15s", Doc: `the whole budget of a graceful stop (see "Graceful stop")`},
		{Name: "ORDERS_RESERVATION_TIMEOUT", Default: "2m", Doc: "a stock reservation no stored order claims after this long is released; keep it well above the longest order placement (orders waits at most 1 minute for a reservation)"},
		{Name: "ORDERS_RECONCILE_INTERVAL", Default: "30s", Doc: "how often orders looks for such reservations (and once at start)"},
		{Name: "SHOPLAB_FAULTS", Default: "on", Doc: "`on`/`off` (also `true`/`false`, `1`/`0`): whether requests may inject faults (`X-Shoplab-Fault`); off for anything shared"},
		{Name: "SHOPLAB_SIGNALS", Default: "traces,metrics,logs", Doc: "the telemetry signals the services produce: a comma-separated subset of `traces`, `metrics` and `logs`, or `none`. Turning one off is for measuring its cost (`make bench-lab`, bench/LAB.md says what off means for each): traces off samples no span (none exported or written to the span files), metrics off skips the per-request HTTP and gRPC metrics (`/metrics` still serves the Go runtime's), logs off discards every log line"},

		// Where the telemetry goes: the standard OpenTelemetry variables.
		{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Unset: "spans are made (their IDs reach the logs) but exported nowhere", Doc: "the OTLP receiver's base URL; compose mode points it at Tempo"},
		{Name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Unset: "`OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/traces` over http/protobuf)", Doc: "the full URL spans go to, used as is"},
		{Name: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", Unset: "logs go to files only", Doc: "also send logs over OTLP (the otelslog bridge), e.g. to Loki's OTLP endpoint"},
		{Name: "OTEL_EXPORTER_OTLP_PROTOCOL", Default: ProtocolHTTP, Doc: "`http/protobuf` or `grpc`"},
		{Name: "OTEL_TRACES_EXPORTER", Default: "otlp", Doc: "`otlp`, or `none` to export no spans"},

		// Which replica this is: what the telemetry tells replicas apart by.
		{Name: "SHOPLAB_INSTANCE_ID", Unset: "`<POD_NAMESPACE>.<POD_NAME>.<service>` in Kubernetes, else a random UUID per service instance and start", Doc: "`service.instance.id` of every span and log record (the log field `service_instance_id`) and the `service_instance_id` label of `target_info`: what tells replicas of one service apart. Unique per service: replicas of one service must not share it. Letters, digits and `. _ : @ / + = -`"},
		{Name: "POD_NAME", Doc: "in Kubernetes, the pod's name (downward API `metadata.name`): `k8s.pod.name`, and the instance ID unless `SHOPLAB_INSTANCE_ID` is set"},
		{Name: "POD_NAMESPACE", Doc: "in Kubernetes, the pod's namespace (downward API `metadata.namespace`): `k8s.namespace.name`"},
		{Name: "NODE_NAME", Doc: "in Kubernetes, the node the pod runs on (downward API `spec.nodeName`): `k8s.node.name`"},

		// What the commands drive and check.
		{Name: "SHOPLAB_TARGET", Unset: "`http://127.0.0.1:<GATEWAY_HTTP_PORT>`", Doc: "the gateway `shoplab load` and the TUI send traffic to (`--target` overrides it)"},
		{Name: "SHOPLAB_COMPOSE_FILE", Default: "docker-compose.yml", Doc: "the compose stack's definition; the log shipper reads the `logs/` beside it"},
		{Name: "LOKI_URL", Default: "http://localhost:3100", Doc: "the Loki that `shoplab load` marks its runs in (the dashboards' annotations)"},
		{Name: "SHOPLAB_LOKI_URL", Unset: "`LOKI_URL`'s value", Doc: "the Loki `shoplab doctor` checks"},
		{Name: "SHOPLAB_PROMETHEUS_URL", Default: "http://localhost:9090", Doc: "the Prometheus `shoplab doctor` checks"},
		{Name: "SHOPLAB_TEMPO_URL", Default: "http://localhost:3200", Doc: "the Tempo `shoplab doctor` checks"},
		{Name: "SHOPLAB_GRAFANA_URL", Default: "http://localhost:4000", Doc: "the Grafana `shoplab doctor` checks"},
		{Name: "SHOPLAB_MAILPIT_URL", Default: "http://localhost:8025", Doc: "the Mailpit `shoplab doctor` checks"},
		{Name: "SHOPLAB_ALERTMANAGER_URL", Default: "http://localhost:9093", Doc: "the Alertmanager `shoplab doctor` checks and `shoplab status` lists firing alerts from"},

		// The desktop's own conventions, which ShopLab follows.
		{Name: "BROWSER", Unset: "`xdg-open`, `open` (macOS) or `rundll32` (Windows)", Doc: "the program `shoplab open` and the TUI open links with"},
		{Name: "DISPLAY", Doc: "on Linux, without it, `WAYLAND_DISPLAY` or `BROWSER` the TUI shows a link instead of opening a browser"},
		{Name: "WAYLAND_DISPLAY", Doc: "see `DISPLAY`"},
		{Name: "TERM", Doc: "`dumb` makes a bare `shoplab` print its help instead of starting the TUI"},
	}
}

// Lookup reads one declared variable that a command needs before, or
// without, loading the rest: its value, or its default and set false when
// the environment has none. The value is not validated (Load does that).
// An undeclared name reads as unset, without a default; a test keeps the
// callers to declared names.
func Lookup(getenv Getenv, name string) (value string, set bool) {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v, true
	}
	for _, v := range Vars() {
		if v.Name == name {
			return v.Default, false
		}
	}
	return "", false
}
