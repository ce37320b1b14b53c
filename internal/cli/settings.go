package cli

import (
	"log/slog"
	"os"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// settings is everything read from the environment, once, at start (by
// package config, the only reader), in the forms the commands hand on.
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
	return settings{cfg: cfg, otlp: telemetry.OTLP(cfg.OTLP), logLevel: cfg.LogLevel}, nil
}

func osExecutable() (string, error) { return os.Executable() }
