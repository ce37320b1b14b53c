package database

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A database can hold secrets (auth keeps its JWT signing key in one), so
// its directory and files are for the owner only.
const (
	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600
)

// sidecarSuffixes name the files SQLite keeps next to a database. SQLite
// gives the ones it creates the database file's mode, but ones left behind
// by an older build keep whatever mode they had.
var sidecarSuffixes = []string{"-wal", "-shm", "-journal"}

// makePrivate creates path's directory and the database file (empty, which
// SQLite takes for a new database) before SQLite opens them, so that neither
// is ever readable by others, whatever the umask; an existing directory or
// file with a looser mode is tightened.
func makePrivate(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("database directory: %w", err)
	}
	if err := tightenDir(dir); err != nil {
		return fmt.Errorf("database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return fmt.Errorf("database file: %w", err)
	}
	// OpenFile's mode goes through the umask and does not apply to an
	// existing file; set it outright.
	err = f.Chmod(filePerm)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("database file: %w", err)
	}
	for _, s := range sidecarSuffixes {
		if err := os.Chmod(path+s, filePerm); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database file: %w", err)
		}
	}
	return nil
}

// tightenDir makes dir owner-only. The directory a database lives in is the
// service's state directory and ours to lock down (data/ made 0755 by older
// builds included), except where it plainly is not: the working directory
// (the path named no directory), a sticky shared directory such as /tmp,
// and a directory owned by someone else (chmod is refused). The files
// themselves are 0600 in every case.
func tightenDir(dir string) error {
	if dir == "." {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSticky != 0 || fi.Mode().Perm() == dirPerm {
		return nil
	}
	if err := os.Chmod(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return nil
}
