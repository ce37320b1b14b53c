package cli

import (
	"strconv"

	"github.com/shoplab/shoplab/internal/stack"
)

// composeDefaults point the services at the compose stack: Kafka's host
// listener, Tempo's OTLP/HTTP receiver and Mailpit. A variable the user
// set wins. bindHosts is where Prometheus, in a container, can reach them
// (see composeBindHosts).
func composeDefaults(bindHosts string) map[string]string {
	return map[string]string{
		"KAFKA_BROKERS":               stack.KafkaBrokers,
		"OTEL_EXPORTER_OTLP_ENDPOINT": stack.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"SMTP_HOST":                   stack.SMTPHost,
		"SMTP_PORT":                   strconv.Itoa(stack.SMTPPort),
		"SHOPLAB_BIND_HOST":           bindHosts,
	}
}

// withDefaults answers from getenv, falling back to defaults.
func withDefaults(getenv func(string) string, defaults map[string]string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
}

// composeFile is the stack's definition, relative to the repository root
// where shoplab runs; SHOPLAB_COMPOSE_FILE points elsewhere.
func composeFile(getenv func(string) string) string {
	if f := getenv("SHOPLAB_COMPOSE_FILE"); f != "" {
		return f
	}
	return stack.ComposeFile
}
