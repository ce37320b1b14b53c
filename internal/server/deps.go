package server

import (
	"path/filepath"

	"github.com/shoplab/shoplab/internal/database"
)

// Database is where service keeps its state: the PostgreSQL database its
// <SERVICE>_DATABASE_URL names, else its SQLite file in the data
// directory (DBPath).
func (d Deps) Database(service string) database.Source {
	return database.Source{URL: d.Config.Databases.URL(service), Path: d.DBPath(service)}
}

// DBPath is where service keeps its SQLite database: one file per service
// in the data directory.
func (d Deps) DBPath(service string) string {
	return filepath.Join(d.Config.DataDir, service+".db")
}
