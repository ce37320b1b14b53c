package cli

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
)

// TestTokenControlClearWithoutToken: a lab that never wrote its token can
// have no incident on, so clearing is done; an unreadable token is still
// an error.
func TestTokenControlClearWithoutToken(t *testing.T) {
	dir := t.TempDir()
	tc := tokenControl{dataDir: dir, http: http.DefaultClient}
	// No server listens there: Clear must not even ask.
	if err := tc.Clear(context.Background(), "http://127.0.0.1:1"); err != nil {
		t.Errorf("Clear without a token file: %v, want nil", err)
	}
	if err := os.WriteFile(incident.TokenPath(dir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tc.Clear(context.Background(), "http://127.0.0.1:1"); err == nil {
		t.Error("Clear with an empty token file: no error")
	}
}
