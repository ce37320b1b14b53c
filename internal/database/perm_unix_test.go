//go:build unix

package database

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask sets the process umask for the rest of the test. The umask is
// process-wide: tests that use this must not run in parallel.
func withUmask(t *testing.T, mask int) {
	t.Helper()
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// openAndWrite opens path, writes a row (so that SQLite creates the -wal and
// -shm files) and closes the database when the test ends.
func openAndWrite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), Source{Path: path}, Migrations{SQLite: []string{`CREATE TABLE secrets (v BLOB NOT NULL)`}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`INSERT INTO secrets (v) VALUES (x'00')`); err != nil {
		t.Fatal(err)
	}
	return db
}

// wantMode fails the test unless path exists with permission bits want.
func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
	}
}

func wantPrivate(t *testing.T, dir, path string) {
	t.Helper()
	wantMode(t, dir, 0o700)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}
}

func TestOpenMakesDirectoryAndFilesPrivate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		umask int
	}{
		{"usual umask", 0o022},
		{"no umask", 0o000},
		{"strict umask", 0o077},
	} {
		t.Run(tt.name, func(t *testing.T) {
			withUmask(t, tt.umask)
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "auth.db")
			openAndWrite(t, path)
			wantPrivate(t, dir, path)
		})
	}
}

// A data directory and databases made by an older build (0755, 0644) are
// tightened on the next start, including a -wal and -shm left by a crash:
// SQLite fixes the mode of an empty one it reuses, not of one with content.
func TestOpenTightensExistingDirectoryAndFiles(t *testing.T) {
	withUmask(t, 0o022)
	// A crash snapshot: the three files copied while the database is open.
	running := filepath.Join(t.TempDir(), "running.db")
	db := openAndWrite(t, running)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(running + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Fatalf("%s%s is empty; the test needs one with content", running, suffix)
		}
		if err := os.WriteFile(path+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db = openAndWrite(t, path)
	wantPrivate(t, dir, path)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM secrets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d rows after recovering the copied WAL and writing one, want 2", n)
	}
}

// A directory that is not a data directory of its own is left as it is;
// the database files are private regardless.
func TestOpenLeavesSharedDirectoriesAlone(t *testing.T) {
	withUmask(t, 0o022)
	t.Run("working directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		openAndWrite(t, "svc.db")
		wantMode(t, dir, 0o755)
		for _, p := range []string{"svc.db", "svc.db-wal", "svc.db-shm"} {
			wantMode(t, p, 0o600)
		}
	})
	t.Run("sticky directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "tmp")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777|fs.ModeSticky); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "svc.db")
		openAndWrite(t, path)
		wantMode(t, dir, 0o777)
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			wantMode(t, p, 0o600)
		}
	})
}
