// Package database opens a service's own database, SQLite or PostgreSQL,
// and brings its schema up to date. The stores above it share one set of
// queries: they write $1, $2... placeholders, which PostgreSQL reads as
// positions and SQLite as parameters named in order of appearance, so
// that a query binds the same arguments on both as long as each $n first
// appears after $n-1.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver
)

// Dialect is the SQL engine behind a *sql.DB.
type Dialect string

// The dialects a service's database can speak.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Source names a service's database: a PostgreSQL URL when URL is set,
// else the SQLite file at Path.
type Source struct {
	// URL is a postgres:// (or postgresql://) connection URL.
	URL string
	// Path is the SQLite file, used when URL is empty.
	Path string
}

// IsZero reports whether s names no database.
func (s Source) IsZero() bool { return s.URL == "" && s.Path == "" }

// Dialect is the engine s names.
func (s Source) Dialect() Dialect {
	if s.URL != "" {
		return Postgres
	}
	return SQLite
}

// String names the database for logs and errors, without the password.
func (s Source) String() string {
	if s.URL == "" {
		return s.Path
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "postgres database (unparsable URL)"
	}
	return u.Redacted()
}

// Migrations are a service's schema steps, one list per dialect:
// SQLite[i] takes a SQLite schema from version i to i+1 (kept in
// user_version), Postgres[i] a PostgreSQL one (kept in the
// schema_migrations table). Append, never edit: a step already applied
// somewhere is not applied again.
type Migrations struct {
	SQLite   []string
	Postgres []string
}

// Pool sizes for PostgreSQL. Each replica of each service holds its own
// pool, so the sum over replicas must stay under the server's
// max_connections (100 by default).
const (
	pgMaxOpenConns    = 10
	pgMaxIdleConns    = 5
	pgConnMaxIdleTime = 5 * time.Minute
)

// Pool settings for SQLite: readers run concurrently under WAL, each on a
// connection of its own.
const (
	sqliteMaxIdleConns    = 16
	sqliteConnMaxIdleTime = 5 * time.Minute
	sqliteStmtCacheSize   = 32
)

// Open opens (creating if needed) the database src names and applies the
// migrations it has not seen yet.
//
// A SQLite database's directory is made 0700 and its files 0600 (see
// makePrivate). A PostgreSQL database must exist; its schema is created
// in it, under a lock that lets replicas starting together migrate once.
func Open(ctx context.Context, src Source, m Migrations) (*sql.DB, error) {
	if src.IsZero() {
		return nil, fmt.Errorf("open database: no URL and no path")
	}
	if src.Dialect() == Postgres {
		return openPostgres(ctx, src, m.Postgres)
	}
	return openSQLite(ctx, src.Path, m.SQLite)
}

func openSQLite(ctx context.Context, path string, migrations []string) (*sql.DB, error) {
	if err := makePrivate(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// WAL lets readers run while a writer commits; _txlock=immediate takes
	// the write lock at BEGIN, so that two writers queue on busy_timeout
	// instead of failing with SQLITE_BUSY halfway through a transaction.
	// _stmt_cache_size keeps each connection's prepared statements, so
	// that a hot query is parsed and planned once per connection rather
	// than on every call.
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=%d", path, sqliteStmtCacheSize)
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default: under concurrent
	// reads every further one was opened (file, PRAGMAs, WAL) and closed
	// again per query, with its statement cache.
	db.SetMaxIdleConns(sqliteMaxIdleConns)
	db.SetConnMaxIdleTime(sqliteConnMaxIdleTime)
	if err := migrateSQLite(ctx, db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, src Source, migrations []string) (*sql.DB, error) {
	db, err := sql.Open("pgx", src.URL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src, err)
	}
	db.SetMaxOpenConns(pgMaxOpenConns)
	db.SetMaxIdleConns(pgMaxIdleConns)
	db.SetConnMaxIdleTime(pgConnMaxIdleTime)
	if err := migratePostgres(ctx, db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", src, err)
	}
	return db, nil
}

// InTx runs fn in a transaction, committing when fn returns nil.
//
// On SQLite the transaction holds the database's write lock from BEGIN,
// so it is serialised with every other writer. On PostgreSQL it runs at
// READ COMMITTED among concurrent ones: code that reads then writes must
// lock the rows it read (FOR UPDATE), write conditionally, or let a
// unique constraint decide (IsUniqueViolation).
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	return nil
}

// ErrCommit reports that COMMIT itself failed. The transaction's outcome
// is then unknown to the caller: a connection lost while COMMIT was on the
// wire may have been lost after the server committed.
var ErrCommit = errors.New("commit failed, outcome unknown")
