// Package config is the one place ShopLab reads the environment: every
// variable is declared in Vars (name, default, documentation), read once,
// at start, into typed values, and validated, with every problem reported
// at once. The rest of the program gets those values, never the
// environment.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Getenv looks up an environment variable; os.Getenv in production, a map
// in tests.
type Getenv func(string) string

// Default ports. They stay clear of the ports the compose stack publishes
// (1025, 3100, 3200, 4000, 4317, 4318, 8025, 8080, 9090, 9092, 12345).
const (
	GatewayHTTPPort      = 8100
	AuthHTTPPort         = 8101
	CatalogHTTPPort      = 8102
	OrdersHTTPPort       = 8103
	NotificationHTTPPort = 8104
	AuthGRPCPort         = 8201
	CatalogGRPCPort      = 8202
	OrdersGRPCPort       = 8203
	EmbeddedKafkaPort    = 19092
)

// DefaultKafkaPartitions is how many partitions a topic the shop creates
// gets unless configured otherwise (KAFKA_PARTITIONS): the most consumers
// of one group that can share its work.
const DefaultKafkaPartitions = 3

// Config is everything read from the environment but the desktop's: where
// the services of the shop run and what they talk to, where their
// telemetry goes, and what the commands drive and check.
type Config struct {
	// BindHosts are the addresses every service listens on (each port on
	// each of them). 127.0.0.1 keeps the shop private. Compose mode on a
	// Linux engine adds the address host.docker.internal resolves to in the
	// containers (the Docker bridge's, on this machine), so that Prometheus
	// can scrape the services without them listening on every interface.
	BindHosts []string
	DataDir   string
	LogDir    string
	// LogLevel is the least severe level the services log.
	LogLevel slog.Level

	Gateway      HTTPService
	Auth         GRPCService
	Catalog      GRPCService
	Orders       GRPCService
	Notification HTTPService

	// KafkaBrokers is empty when the lab should start its embedded broker.
	KafkaBrokers []string
	// EmbeddedKafkaPort is where the embedded broker listens.
	EmbeddedKafkaPort int
	// KafkaPartitions is how many partitions each topic the lab creates
	// gets: the most consumers of one group that can share the work.
	KafkaPartitions int

	SMTP SMTP
	// JWTSecret signs tokens; empty means auth generates one and keeps it in
	// its database.
	JWTSecret string
	// TokenTTL is how long a login token stays valid.
	TokenTTL time.Duration
	// BcryptCost is the password hashing cost (bcrypt's 4-31; 0 means
	// bcrypt's default, 10). Each step doubles the CPU a register or login
	// takes: tests and heavy load runs lower it.
	BcryptCost int
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration
	// Databases are the services' PostgreSQL URLs; a service without one
	// keeps its SQLite file in DataDir.
	Databases Databases
	// Reconcile is how the orders service gives back the stock of orders
	// that were never stored.
	Reconcile Reconcile
	// Faults lets a request inject faults (X-Shoplab-Fault, package
	// fault). The lab's scenarios and lessons rely on it, so it is on by
	// default; anything reachable by untrusted clients should turn it off.
	Faults bool
	// Signals are the telemetry signals the services produce
	// (SHOPLAB_SIGNALS; all by default).
	Signals Signals
	// Instance tells this process's service instances apart from other
	// replicas in their telemetry (SHOPLAB_INSTANCE_ID, POD_NAME, ...).
	Instance Instance

	// OTLP is where spans (and optionally logs) are exported.
	OTLP OTLP
	// Target is the gateway `shoplab load` and the TUI send traffic to,
	// without a trailing slash: SHOPLAB_TARGET, else this lab's gateway.
	Target string
	// Stack is where the commands find the compose stack.
	Stack Stack
}

// Reconcile tunes the orders service's reconciler.
type Reconcile struct {
	// ReservationTimeout is how old a pending reservation must be before
	// the reconciler releases its stock. It must stay well above the
	// longest order placement (the orders service bounds its stock call to
	// a minute): an order still being placed after it is refused. Tests
	// lower it to see crashed orders released quickly.
	ReservationTimeout time.Duration
	// Interval is the pause between the reconciler's passes.
	Interval time.Duration
}

// HTTPService is a service reached over HTTP only (its API or its admin
// endpoints /metrics and /healthz).
type HTTPService struct {
	HTTPPort int
}

// GRPCService is a service with a gRPC API and an HTTP admin port.
type GRPCService struct {
	HTTPPort int
	GRPCPort int
	// Addr is where clients dial the gRPC API (host:port).
	Addr string
}

// SMTP is the mail server the notification service sends through. Host
// empty means e-mails are only logged.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// Enabled reports whether e-mails go out over SMTP.
func (s SMTP) Enabled() bool { return s.Host != "" }

// Addr is the SMTP server's host:port.
func (s SMTP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Load reads the configuration: every variable of Vars but the desktop's
// (LoadDesktop). Every variable is optional; the defaults run the whole
// lab on one machine.
func Load(getenv Getenv) (Config, error) {
	r := newReader(getenv)
	c := Config{
		BindHosts: r.ips("SHOPLAB_BIND_HOST"),
		DataDir:   r.str("SHOPLAB_DATA_DIR"),
		LogDir:    r.str("SHOPLAB_LOG_DIR"),
		LogLevel:  r.level("SHOPLAB_LOG_LEVEL"),
		Gateway:   HTTPService{HTTPPort: r.port("GATEWAY_HTTP_PORT")},
		Auth: GRPCService{
			HTTPPort: r.port("AUTH_HTTP_PORT"),
			GRPCPort: r.port("AUTH_GRPC_PORT"),
		},
		Catalog: GRPCService{
			HTTPPort: r.port("CATALOG_HTTP_PORT"),
			GRPCPort: r.port("CATALOG_GRPC_PORT"),
		},
		Orders: GRPCService{
			HTTPPort: r.port("ORDERS_HTTP_PORT"),
			GRPCPort: r.port("ORDERS_GRPC_PORT"),
		},
		Notification:      HTTPService{HTTPPort: r.port("NOTIFICATION_HTTP_PORT")},
		KafkaBrokers:      r.list("KAFKA_BROKERS"),
		EmbeddedKafkaPort: r.port("SHOPLAB_EMBEDDED_KAFKA_PORT"),
		KafkaPartitions:   r.integer("KAFKA_PARTITIONS"),
		SMTP: SMTP{
			Host:     r.str("SMTP_HOST"),
			Port:     r.port("SMTP_PORT"),
			Username: r.str("SMTP_USERNAME"),
			Password: r.str("SMTP_PASSWORD"),
			From:     r.str("SMTP_FROM"),
		},
		JWTSecret:       r.str("AUTH_JWT_SECRET"),
		TokenTTL:        r.duration("AUTH_TOKEN_TTL"),
		BcryptCost:      r.integer("AUTH_BCRYPT_COST"),
		ShutdownTimeout: r.duration("SHOPLAB_SHUTDOWN_TIMEOUT"),
		Faults:          r.boolean("SHOPLAB_FAULTS"),
		Signals:         r.signals("SHOPLAB_SIGNALS"),
		Instance:        r.instance(),
		Reconcile: Reconcile{
			ReservationTimeout: r.duration("ORDERS_RESERVATION_TIMEOUT"),
			Interval:           r.duration("ORDERS_RECONCILE_INTERVAL"),
		},
		OTLP:  r.otlp(),
		Stack: r.stack(),
	}
	c.Databases = r.databases()
	c.Auth.Addr = cmp.Or(r.str("AUTH_ADDR"), loopback(c.Auth.GRPCPort))
	c.Catalog.Addr = cmp.Or(r.str("CATALOG_ADDR"), loopback(c.Catalog.GRPCPort))
	c.Orders.Addr = cmp.Or(r.str("ORDERS_ADDR"), loopback(c.Orders.GRPCPort))
	c.Target = strings.TrimSuffix(r.url("SHOPLAB_TARGET"), "/")
	if c.Target == "" {
		c.Target = "http://" + loopback(c.Gateway.HTTPPort)
	}

	if c.SMTP.From != "" {
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			r.fail("SMTP_FROM=%q: %w", c.SMTP.From, err)
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		r.fail("AUTH_JWT_SECRET: must be at least 32 characters")
	}
	if c.BcryptCost != 0 && (c.BcryptCost < 4 || c.BcryptCost > 31) {
		r.fail("AUTH_BCRYPT_COST=%d: want 4-31", c.BcryptCost)
	}
	if c.TokenTTL <= 0 {
		r.fail("AUTH_TOKEN_TTL: must be positive")
	}
	if c.Reconcile.ReservationTimeout <= 0 {
		r.fail("ORDERS_RESERVATION_TIMEOUT: must be positive")
	}
	if c.Reconcile.Interval <= 0 {
		r.fail("ORDERS_RECONCILE_INTERVAL: must be positive")
	}
	if c.KafkaPartitions < 1 || c.KafkaPartitions > 1000 {
		r.fail("KAFKA_PARTITIONS=%d: want 1-1000", c.KafkaPartitions)
	}
	for _, b := range c.KafkaBrokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			r.fail("KAFKA_BROKERS: %q is not host:port", b)
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// loopback is port on 127.0.0.1, host:port.
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// EmbeddedKafkaAddr is where the embedded broker listens and is reached:
// always loopback, since it advertises the address it listens on and only
// this machine's services use it.
func (c Config) EmbeddedKafkaAddr() string {
	return loopback(c.EmbeddedKafkaPort)
}

// Brokers are the Kafka bootstrap addresses clients use: KAFKA_BROKERS,
// or the embedded broker's when it is unset.
func (c Config) Brokers() []string {
	if len(c.KafkaBrokers) > 0 {
		return c.KafkaBrokers
	}
	return []string{c.EmbeddedKafkaAddr()}
}

// BrokerDataDir is where the embedded broker keeps its log, so that events
// the outbox already handed over survive a restart of the lab.
func (c Config) BrokerDataDir() string { return filepath.Join(c.DataDir, "broker") }

// Listen returns the host:port addresses a service binds to for port.
func (c Config) Listen(port int) []string {
	out := make([]string, len(c.BindHosts))
	for i, h := range c.BindHosts {
		out[i] = net.JoinHostPort(h, strconv.Itoa(port))
	}
	return out
}
