package config

import (
	"strings"
	"testing"
)

func TestSignals(t *testing.T) {
	all := Signals{}
	none := Signals{TracesOff: true, MetricsOff: true, LogsOff: true}
	tests := []struct {
		value   string
		want    Signals
		wantErr string
	}{
		{value: "", want: all},
		{value: "traces,metrics,logs", want: all},
		{value: " Logs , TRACES,metrics ", want: all},
		{value: "traces,traces,metrics,logs", want: all},
		{value: "metrics,logs", want: Signals{TracesOff: true}},
		{value: "traces,logs", want: Signals{MetricsOff: true}},
		{value: "traces,metrics", want: Signals{LogsOff: true}},
		{value: "traces,", want: Signals{MetricsOff: true, LogsOff: true}},
		{value: "none", want: none},
		{value: "NONE", want: none},
		{value: "spans", wantErr: `"spans" is not a signal`},
		{value: "traces,none", wantErr: `"none" is not a signal`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Load(func(k string) string {
				if k == "SHOPLAB_SIGNALS" {
					return tt.value
				}
				return ""
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), "SHOPLAB_SIGNALS") || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming SHOPLAB_SIGNALS and %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Signals != tt.want {
				t.Fatalf("Signals = %+v, want %+v", c.Signals, tt.want)
			}
			// String reads back as the same switches.
			back, err := Load(func(k string) string {
				if k == "SHOPLAB_SIGNALS" {
					return c.Signals.String()
				}
				return ""
			})
			if err != nil || back.Signals != c.Signals {
				t.Fatalf("%q read back as %+v (%v), want %+v", c.Signals.String(), back.Signals, err, c.Signals)
			}
		})
	}
}

func TestSignalsZeroValueIsAllOn(t *testing.T) {
	var s Signals
	if !s.Traces() || !s.Metrics() || !s.Logs() || s.String() != "traces,metrics,logs" {
		t.Fatalf("zero Signals: traces %v metrics %v logs %v %q", s.Traces(), s.Metrics(), s.Logs(), s)
	}
}
