package cli

import (
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/stack"
)

// composeFile is the stack's definition, relative to the repository root
// where shoplab runs; SHOPLAB_COMPOSE_FILE points elsewhere.
func composeFile(getenv func(string) string) string {
	if f, _ := config.Lookup(getenv, "SHOPLAB_COMPOSE_FILE"); f != "" {
		return f
	}
	return stack.ComposeFile
}
