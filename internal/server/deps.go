package server

import "path/filepath"

// DBPath is where service keeps its SQLite database: one file per service
// in the data directory.
func (d Deps) DBPath(service string) string {
	return filepath.Join(d.Config.DataDir, service+".db")
}
