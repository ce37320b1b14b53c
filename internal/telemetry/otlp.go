package telemetry

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// OTLP holds the standard OTEL_* exporter settings, read once at start.
type OTLP struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT: the base URL for every signal.
	Endpoint string
	// TracesEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full URL for
	// traces, used as is.
	TracesEndpoint string
	// LogsEndpoint is OTEL_EXPORTER_OTLP_LOGS_ENDPOINT. Logs go over OTLP
	// only when it is set: the generic endpoint usually points at Tempo,
	// which takes no logs; ShopLab ships logs through files and the log
	// shipper by default.
	LogsEndpoint string
	// Protocol is OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" or "http/protobuf"
	// (the specification's default).
	Protocol string
	// TracesExporter is OTEL_TRACES_EXPORTER; "none" turns exporting off.
	TracesExporter string
}

// Protocols understood by OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// OTLPFromEnv reads the OTEL_* variables ShopLab honours.
func OTLPFromEnv(getenv func(string) string) (OTLP, error) {
	o := OTLP{
		Endpoint:       strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")),
		TracesEndpoint: strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
		LogsEndpoint:   strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")),
		Protocol:       strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")),
		TracesExporter: strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")),
	}
	if o.Protocol == "" {
		o.Protocol = ProtocolHTTP
	}
	var errs []error
	if o.Protocol != ProtocolGRPC && o.Protocol != ProtocolHTTP {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: want %q or %q", o.Protocol, ProtocolGRPC, ProtocolHTTP))
	}
	switch o.TracesExporter {
	case "", "otlp", "none":
	default:
		errs = append(errs, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: ShopLab supports otlp or none", o.TracesExporter))
	}
	for key, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        o.Endpoint,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": o.TracesEndpoint,
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT":   o.LogsEndpoint,
	} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want a URL such as http://localhost:4318", key, v))
		}
	}
	return o, errors.Join(errs...)
}

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
