package config

// OTLP holds the standard OTEL_* exporter settings ShopLab honours.
// Package telemetry exports with them (telemetry.OTLP is this type).
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

func (r *reader) otlp() OTLP {
	return OTLP{
		Endpoint:       r.url("OTEL_EXPORTER_OTLP_ENDPOINT"),
		TracesEndpoint: r.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
		LogsEndpoint:   r.url("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
		Protocol:       r.oneOf("OTEL_EXPORTER_OTLP_PROTOCOL", ProtocolGRPC, ProtocolHTTP),
		// ShopLab has no other exporter (zipkin, console) built in.
		TracesExporter: r.oneOf("OTEL_TRACES_EXPORTER", "otlp", "none"),
	}
}
