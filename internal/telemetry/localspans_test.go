package telemetry

import (
	"path/filepath"
	"testing"
)

func TestLocalSpanDir(t *testing.T) {
	tests := []struct {
		name string
		o    OTLP
		want string
	}{
		{"local mode: no endpoint", OTLP{}, filepath.Join("logs", "spans")},
		{"exporting is off", OTLP{Endpoint: "http://localhost:4318", TracesExporter: "none"}, filepath.Join("logs", "spans")},
		{"compose mode: Tempo keeps them", OTLP{Endpoint: "http://localhost:4318", Protocol: ProtocolHTTP}, ""},
		{"a traces endpoint alone", OTLP{TracesEndpoint: "http://tempo:4318/v1/traces"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LocalSpanDir(tt.o, "logs"); got != tt.want {
				t.Errorf("LocalSpanDir = %q, want %q", got, tt.want)
			}
		})
	}
}
