package sqlitedb

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpenMigratesOnceAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "svc", "svc.db")
	migrations := []string{
		`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
		`ALTER TABLE items ADD COLUMN qty INTEGER NOT NULL DEFAULT 0`,
	}
	db, err := Open(ctx, path, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO items (name) VALUES ('a')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path, migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	var qty int
	if err := db.QueryRow(`SELECT name, qty FROM items`).Scan(&name, &qty); err != nil {
		t.Fatal(err)
	}
	if name != "a" || qty != 0 {
		t.Fatalf("got %q %d after second migration", name, qty)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "svc.db")
	db, err := Open(ctx, path, []string{`CREATE TABLE a (x)`, `CREATE TABLE b (x)`})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, path, []string{`CREATE TABLE a (x)`}); err == nil {
		t.Fatal("Open with fewer migrations than applied: want error")
	}
}
