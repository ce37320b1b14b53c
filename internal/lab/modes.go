package lab

import (
	"strconv"

	"github.com/shoplab/shoplab/internal/stack"
)

// ComposeDefaults point the services at the compose stack: Kafka's host
// listener, Tempo's OTLP/HTTP receiver and Mailpit. A variable the user
// set wins (WithDefaults). bindHosts is where Prometheus, in a container,
// can reach them.
func ComposeDefaults(bindHosts string) map[string]string {
	return map[string]string{
		"KAFKA_BROKERS":               stack.KafkaBrokers,
		"OTEL_EXPORTER_OTLP_ENDPOINT": stack.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"SMTP_HOST":                   stack.SMTPHost,
		"SMTP_PORT":                   strconv.Itoa(stack.SMTPPort),
		"SHOPLAB_BIND_HOST":           bindHosts,
	}
}

// WithDefaults answers from getenv, falling back to defaults.
func WithDefaults(getenv func(string) string, defaults map[string]string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
}
