package testkit

import (
	"path/filepath"
	"testing"

	"github.com/shoplab/shoplab/internal/config"
)

// LabEnv is the environment of a lab for tests: every port 0 (a free one),
// data and logs in temporary directories, and the cheapest bcrypt cost so
// that registering and logging in do not dominate a test's CPU. extra
// overrides or adds variables.
func LabEnv(t testing.TB, extra map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"SHOPLAB_DATA_DIR": filepath.Join(dir, "data"),
		"SHOPLAB_LOG_DIR":  filepath.Join(dir, "logs"),
		"AUTH_BCRYPT_COST": "4",
	}
	for _, k := range []string{"GATEWAY_HTTP_PORT", "AUTH_HTTP_PORT", "AUTH_GRPC_PORT", "CATALOG_HTTP_PORT", "CATALOG_GRPC_PORT",
		"ORDERS_HTTP_PORT", "ORDERS_GRPC_PORT", "NOTIFICATION_HTTP_PORT", "SHOPLAB_EMBEDDED_KAFKA_PORT"} {
		env[k] = "0"
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// LabConfig is the configuration LabEnv describes.
func LabConfig(t testing.TB, extra map[string]string) config.Config {
	t.Helper()
	env := LabEnv(t, extra)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
