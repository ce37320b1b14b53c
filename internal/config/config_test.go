package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Gateway.HTTPPort != GatewayHTTPPort || c.Catalog.Addr != "127.0.0.1:8202" || len(c.BindHosts) != 1 || c.BindHosts[0] != "127.0.0.1" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.SMTP.Enabled() {
		t.Fatal("SMTP enabled without SMTP_HOST")
	}
	if len(c.KafkaBrokers) != 0 {
		t.Fatalf("KafkaBrokers = %v, want none (embedded broker)", c.KafkaBrokers)
	}
	if c.LogLevel != slog.LevelInfo || c.OTLP != (OTLP{Protocol: ProtocolHTTP, TracesExporter: "otlp"}) || c.Target != "http://127.0.0.1:8100" {
		t.Fatalf("log level %v, OTLP %+v, target %q", c.LogLevel, c.OTLP, c.Target)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr string
	}{
		{name: "brokers list", env: map[string]string{"KAFKA_BROKERS": "localhost:9092, kafka:19092"},
			check: func(c Config) bool { return len(c.KafkaBrokers) == 2 && c.KafkaBrokers[1] == "kafka:19092" }},
		{name: "smtp", env: map[string]string{"SMTP_HOST": "localhost", "SMTP_PORT": "2525"},
			check: func(c Config) bool { return c.SMTP.Enabled() && c.SMTP.Addr() == "localhost:2525" }},
		{name: "peer override", env: map[string]string{"CATALOG_ADDR": "catalog.internal:9000"},
			check: func(c Config) bool { return c.Catalog.Addr == "catalog.internal:9000" }},
		{name: "ttl", env: map[string]string{"AUTH_TOKEN_TTL": "15m"},
			check: func(c Config) bool { return c.TokenTTL == 15*time.Minute }},
		{name: "bcrypt cost", env: map[string]string{"AUTH_BCRYPT_COST": "4"},
			check: func(c Config) bool { return c.BcryptCost == 4 }},
		{name: "bcrypt cost out of range", env: map[string]string{"AUTH_BCRYPT_COST": "3"}, wantErr: "AUTH_BCRYPT_COST"},
		{name: "bad port", env: map[string]string{"GATEWAY_HTTP_PORT": "http"}, wantErr: "GATEWAY_HTTP_PORT"},
		{name: "port out of range", env: map[string]string{"ORDERS_GRPC_PORT": "70000"}, wantErr: "ORDERS_GRPC_PORT"},
		{name: "bad duration", env: map[string]string{"AUTH_TOKEN_TTL": "1 day"}, wantErr: "AUTH_TOKEN_TTL"},
		{name: "short secret", env: map[string]string{"AUTH_JWT_SECRET": "hunter2"}, wantErr: "AUTH_JWT_SECRET"},
		{name: "bad broker", env: map[string]string{"KAFKA_BROKERS": "localhost"}, wantErr: "KAFKA_BROKERS"},
		{name: "bad from", env: map[string]string{"SMTP_FROM": "not an address"}, wantErr: "SMTP_FROM"},
		{name: "faults on by default", env: map[string]string{},
			check: func(c Config) bool { return c.Faults }},
		{name: "faults off", env: map[string]string{"SHOPLAB_FAULTS": "off"},
			check: func(c Config) bool { return !c.Faults }},
		{name: "faults false", env: map[string]string{"SHOPLAB_FAULTS": " FALSE "},
			check: func(c Config) bool { return !c.Faults }},
		{name: "faults 0", env: map[string]string{"SHOPLAB_FAULTS": "0"},
			check: func(c Config) bool { return !c.Faults }},
		{name: "faults true", env: map[string]string{"SHOPLAB_FAULTS": "true"},
			check: func(c Config) bool { return c.Faults }},
		{name: "faults bad value", env: map[string]string{"SHOPLAB_FAULTS": "yes"}, wantErr: "SHOPLAB_FAULTS=\"yes\": want on, off, true, false, 1 or 0"},
		{name: "reconciler defaults", env: map[string]string{},
			check: func(c Config) bool {
				return c.Reconcile.ReservationTimeout == 2*time.Minute && c.Reconcile.Interval == 30*time.Second
			}},
		{name: "reconciler tuned", env: map[string]string{"ORDERS_RESERVATION_TIMEOUT": "3s", "ORDERS_RECONCILE_INTERVAL": "250ms"},
			check: func(c Config) bool {
				return c.Reconcile.ReservationTimeout == 3*time.Second && c.Reconcile.Interval == 250*time.Millisecond
			}},
		{name: "reservation timeout zero", env: map[string]string{"ORDERS_RESERVATION_TIMEOUT": "0s"}, wantErr: "ORDERS_RESERVATION_TIMEOUT: must be positive"},
		{name: "reservation timeout negative", env: map[string]string{"ORDERS_RESERVATION_TIMEOUT": "-1m"}, wantErr: "ORDERS_RESERVATION_TIMEOUT: must be positive"},
		{name: "reservation timeout bad", env: map[string]string{"ORDERS_RESERVATION_TIMEOUT": "2 minutes"}, wantErr: "ORDERS_RESERVATION_TIMEOUT"},
		{name: "reconcile interval zero", env: map[string]string{"ORDERS_RECONCILE_INTERVAL": "0"}, wantErr: "ORDERS_RECONCILE_INTERVAL: must be positive"},
		{name: "reconcile interval bad", env: map[string]string{"ORDERS_RECONCILE_INTERVAL": "often"}, wantErr: "ORDERS_RECONCILE_INTERVAL"},
		{name: "bind hosts", env: map[string]string{"SHOPLAB_BIND_HOST": "127.0.0.1, 172.17.0.1"},
			check: func(c Config) bool {
				l := c.Listen(8100)
				return len(l) == 2 && l[0] == "127.0.0.1:8100" && l[1] == "172.17.0.1:8100"
			}},
		{name: "bind host not an IP", env: map[string]string{"SHOPLAB_BIND_HOST": "127.0.0.1,docker0"}, wantErr: `SHOPLAB_BIND_HOST: "docker0" is not an IP address`},
		{name: "every error at once", env: map[string]string{"GATEWAY_HTTP_PORT": "x", "AUTH_TOKEN_TTL": "y"}, wantErr: "AUTH_TOKEN_TTL"},
		{name: "log level", env: map[string]string{"SHOPLAB_LOG_LEVEL": "Debug"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{name: "log level bad", env: map[string]string{"SHOPLAB_LOG_LEVEL": "chatty"}, wantErr: `SHOPLAB_LOG_LEVEL="chatty"`},
		{name: "otlp", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": " http://localhost:4317 ", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_EXPORTER": "none"},
			check: func(c Config) bool {
				return c.OTLP == OTLP{Endpoint: "http://localhost:4317", Protocol: ProtocolGRPC, TracesExporter: "none"}
			}},
		{name: "otlp bad protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{name: "otlp bad url", env: map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "localhost:4317"}, wantErr: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"},
		{name: "otlp bad exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{name: "target", env: map[string]string{"SHOPLAB_TARGET": "http://shop.test:9000/", "GATEWAY_HTTP_PORT": "18100"},
			check: func(c Config) bool { return c.Target == "http://shop.test:9000" }},
		{name: "target follows the gateway", env: map[string]string{"GATEWAY_HTTP_PORT": "18100"},
			check: func(c Config) bool { return c.Target == "http://127.0.0.1:18100" }},
		{name: "target not a URL", env: map[string]string{"SHOPLAB_TARGET": "shop.test:9000"}, wantErr: "SHOPLAB_TARGET"},
		{name: "LOKI_URL serves load and doctor", env: map[string]string{"LOKI_URL": "http://loki:3100"},
			check: func(c Config) bool {
				return c.Stack.AnnotationURL == "http://loki:3100" && c.Stack.LokiURL == "http://loki:3100"
			}},
		{name: "SHOPLAB_LOKI_URL is the doctor's alone", env: map[string]string{"LOKI_URL": "http://loki:3100", "SHOPLAB_LOKI_URL": "http://other:3100"},
			check: func(c Config) bool {
				return c.Stack.AnnotationURL == "http://loki:3100" && c.Stack.LokiURL == "http://other:3100"
			}},
		{name: "stack", env: map[string]string{"SHOPLAB_COMPOSE_FILE": "lab/compose.yml", "SHOPLAB_GRAFANA_URL": "https://grafana.test"},
			check: func(c Config) bool {
				return c.Stack.ComposeFile == "lab/compose.yml" && c.Stack.GrafanaURL == "https://grafana.test" && c.Stack.TempoURL == "http://localhost:3200"
			}},
		{name: "stack URL bad", env: map[string]string{"SHOPLAB_MAILPIT_URL": "localhost:8025"}, wantErr: "SHOPLAB_MAILPIT_URL"},
		{name: "no instance configured", env: map[string]string{},
			check: func(c Config) bool { return c.Instance == Instance{} }},
		{name: "instance ID", env: map[string]string{"SHOPLAB_INSTANCE_ID": " orders-1 "},
			check: func(c Config) bool { return c.Instance == Instance{ID: "orders-1"} }},
		{name: "downward API", env: map[string]string{"POD_NAME": "orders-7d9f-x2k4p", "POD_NAMESPACE": "shop", "NODE_NAME": "node-a"},
			check: func(c Config) bool {
				return c.Instance == Instance{PodName: "orders-7d9f-x2k4p", PodNamespace: "shop", NodeName: "node-a"}
			}},
		{name: "instance ID with a blank", env: map[string]string{"SHOPLAB_INSTANCE_ID": "orders 1"}, wantErr: `SHOPLAB_INSTANCE_ID="orders 1"`},
		{name: "instance ID too long", env: map[string]string{"SHOPLAB_INSTANCE_ID": strings.Repeat("a", 254)}, wantErr: "SHOPLAB_INSTANCE_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}
