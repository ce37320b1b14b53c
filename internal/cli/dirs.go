package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoplab/shoplab/internal/config"
)

// makeRuntimeDirs creates the log and data directories before anything
// uses them: the services' own (SHOPLAB_LOG_DIR, SHOPLAB_DATA_DIR) and the
// ./logs beside docker-compose.yml that the log shipper bind-mounts. A
// directory Docker had to create for a bind mount would belong to root,
// and the services could not write their log files into it.
func makeRuntimeDirs(getenv func(string) string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	dirs := []struct {
		path string
		perm os.FileMode
	}{
		{cfg.LogDir, 0o755},
		{filepath.Join(filepath.Dir(cfg.Stack.ComposeFile), "logs"), 0o755},
		// auth.db holds the token signing key: the data is for this user only.
		{cfg.DataDir, 0o700},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d.path, d.perm); err != nil {
			return fmt.Errorf("create %s: %w", d.path, err)
		}
	}
	return nil
}
