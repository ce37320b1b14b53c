package telemetry

import (
	"strings"

	"github.com/shoplab/shoplab/internal/config"
)

// OTLP holds the standard OTEL_* exporter settings. Package config reads
// and validates them (config.OTLP documents each field); the runner hands
// them over as OTLP(cfg.OTLP).
type OTLP config.OTLP

// Protocols understood by OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolGRPC = config.ProtocolGRPC
	ProtocolHTTP = config.ProtocolHTTP
)

// tracesURL is where spans go, or "" when they stay in-process.
func (o OTLP) tracesURL() string {
	if o.TracesExporter == "none" {
		return ""
	}
	if o.TracesEndpoint != "" {
		return o.TracesEndpoint
	}
	if o.Endpoint == "" {
		return ""
	}
	if o.Protocol == ProtocolHTTP {
		return strings.TrimSuffix(o.Endpoint, "/") + "/v1/traces"
	}
	return o.Endpoint
}
