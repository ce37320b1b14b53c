package incident

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 64 {
		t.Errorf("token %q: want 64 hex digits", tok)
	}
	st, err := os.Stat(TokenPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := LoadOrCreateToken(dir)
	if err != nil || again != tok {
		t.Errorf("second LoadOrCreateToken = %q, %v; want the same token", again, err)
	}
	if got, err := LoadToken(dir); err != nil || got != tok {
		t.Errorf("LoadToken = %q, %v", got, err)
	}
	// A token readable by others is narrowed, not replaced.
	if err := os.Chmod(TokenPath(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadOrCreateToken(dir); err != nil || got != tok {
		t.Fatalf("LoadOrCreateToken on a 0644 file = %q, %v", got, err)
	}
	if st, _ := os.Stat(TokenPath(dir)); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after narrowing %v, want 0600", st.Mode().Perm())
	}
}

// TestLoadOrCreateTokenRace: runners starting together agree on one token.
func TestLoadOrCreateTokenRace(t *testing.T) {
	dir := t.TempDir()
	toks := make([]string, 8)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() {
			tok, err := LoadOrCreateToken(dir)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range toks[1:] {
		if tok != toks[0] {
			t.Fatalf("runners got different tokens: %v", toks)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d files, want the token alone", len(entries))
	}
}
