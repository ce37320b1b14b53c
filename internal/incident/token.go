package incident

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tokenFile is the token's file name in the data directory.
const tokenFile = "incidents.token"

// TokenPath is where the control surface's token lives in dataDir.
func TokenPath(dataDir string) string { return filepath.Join(dataDir, tokenFile) }

// LoadToken reads the token the runner wrote into dataDir.
func LoadToken(dataDir string) (string, error) {
	data, err := os.ReadFile(TokenPath(dataDir))
	if err != nil {
		return "", fmt.Errorf("incident token: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("incident token %s: empty", TokenPath(dataDir))
	}
	return tok, nil
}

// LoadOrCreateToken returns the token in dataDir, writing a new one (hex
// of 32 random bytes, mode 0600) when there is none. An existing file
// readable by others is narrowed to 0600: the token is what keeps other
// local users from breaking the shop.
func LoadOrCreateToken(dataDir string) (string, error) {
	path := TokenPath(dataDir)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("incident token: %w", err)
	}
	tok, err := LoadToken(dataDir)
	if err == nil {
		if err := narrow(path); err != nil {
			return "", err
		}
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("incident token: %w", err)
	}
	// Written aside and linked into place, so that a runner starting at
	// the same time never reads a half-written token.
	f, err := os.CreateTemp(dataDir, tokenFile+".*")
	if err != nil {
		return "", fmt.Errorf("incident token: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(hex.EncodeToString(raw) + "\n")
	if err := errors.Join(werr, f.Chmod(0o600), f.Close()); err != nil {
		return "", fmt.Errorf("incident token: %w", err)
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("incident token: %w", err)
	}
	// Either ours or the one another runner linked first.
	return LoadToken(dataDir)
}

func narrow(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("incident token: %w", err)
	}
	if st.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("incident token: %w", err)
	}
	return nil
}
