package cli

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// settings is everything read from the environment, once, at start.
type settings struct {
	cfg      config.Config
	otlp     telemetry.OTLP
	logLevel slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return settings{}, err
	}
	otlp, err := telemetry.OTLPFromEnv(getenv)
	if err != nil {
		return settings{}, fmt.Errorf("invalid OpenTelemetry settings:\n%w", err)
	}
	level, err := telemetry.ParseLevel(getenv("SHOPLAB_LOG_LEVEL"))
	if err != nil {
		return settings{}, fmt.Errorf("SHOPLAB_LOG_LEVEL: %w", err)
	}
	return settings{cfg: cfg, otlp: otlp, logLevel: level}, nil
}

func osExecutable() (string, error) { return os.Executable() }
