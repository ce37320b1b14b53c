// Package atomicfile replaces files whole, so that a reader, or a second
// writer at the same time, never sees half of one.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile writes data to name with permissions perm, as os.WriteFile
// does, but aside first (a temporary file in the same directory) and then
// renamed over name. The directory must exist.
func WriteFile(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Chmod(perm), f.Close()); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
