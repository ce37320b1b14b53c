package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/shoplab/shoplab/internal/database"
)

// DefaultTestPostgresURL is the server the PostgreSQL cases use when
// SHOPLAB_TEST_POSTGRES_URL is unset: the one .ci/run starts. The URL
// must name a role allowed to create databases, and any database it can
// connect to (each test gets a fresh one of its own).
const DefaultTestPostgresURL = "postgres://shoplab:shoplab@127.0.0.1:5432/postgres?sslmode=disable"

// Backend is one engine a storage test runs against.
type Backend struct {
	// Name is the subtest's name: "sqlite" or "postgres".
	Name string
	// New returns a fresh, empty database for t, dropped (or deleted) when
	// t ends. Every call is a new database; open the returned source as
	// many times as the test needs replicas.
	New func(t testing.TB) database.Source
}

// Backends are the engines every storage test runs against: SQLite, and
// a real PostgreSQL (see PostgresSource).
func Backends() []Backend {
	return []Backend{
		{Name: string(database.SQLite), New: SQLiteSource},
		{Name: string(database.Postgres), New: PostgresSource},
	}
}

// ForEachBackend runs test once per engine of Backends, each as a subtest
// named for it.
func ForEachBackend(t *testing.T, test func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

// SQLiteSource is a new SQLite file in t's temporary directory.
func SQLiteSource(t testing.TB) database.Source {
	t.Helper()
	return database.Source{Path: filepath.Join(t.TempDir(), "db", "test.db")}
}

// PostgresSource creates a database of its own for t (shoplab_test_<random>)
// on the server SHOPLAB_TEST_POSTGRES_URL names (DefaultTestPostgresURL
// when unset), and drops it, with whatever connections are left, when t
// ends. An unreachable server skips t with a clear message on a
// developer's machine and fails it under CI (CI=true), which must never
// skip silently.
func PostgresSource(t testing.TB) database.Source {
	t.Helper()
	admin := os.Getenv("SHOPLAB_TEST_POSTGRES_URL")
	if admin == "" {
		admin = DefaultTestPostgresURL
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("SHOPLAB_TEST_POSTGRES_URL: %v", err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", u.Redacted(), err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v); set SHOPLAB_TEST_POSTGRES_URL, or start a server with a role that may create databases (.ci/run shows how)", u.Redacted(), err)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI must run the PostgreSQL cases", msg)
		}
		t.Skipf("skipping: %s", msg)
	}
	name := "shoplab_test_" + randomSuffix(t)
	// A database name cannot be a parameter; name is ours, [a-z0-9_].
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	own := *u
	own.Path = "/" + name
	return database.Source{URL: own.String()}
}

// dropDatabase drops name even if a test left connections open to it
// (WITH (FORCE), PostgreSQL 13 and later).
func dropDatabase(t testing.TB, admin, name string) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
