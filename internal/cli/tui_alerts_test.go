package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/tui"
)

func TestTUIAlertsMapsLabels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/alerts" || r.URL.Query().Get("silenced") != "false" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`[{"labels":{"alertname":"CheckoutErrorBudgetBurn","severity":"page","region":"eu-west"},"startsAt":"2026-03-14T15:05:14Z"}]`))
	}))
	defer srv.Close()
	env := map[string]string{"SHOPLAB_ALERTMANAGER_URL": srv.URL}
	d, err := tuiDeps(&App{Getenv: func(k string) string { return env[k] }, Executable: func() (string, error) { return "/opt/shoplab", nil }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Alerts(context.Background())
	want := tui.Alert{Name: "CheckoutErrorBudgetBurn", Severity: "page", Region: "eu-west", Since: time.Date(2026, 3, 14, 15, 5, 14, 0, time.UTC)}
	if err != nil || len(got) != 1 || got[0].Name != want.Name || got[0].Severity != want.Severity || got[0].Region != want.Region || !got[0].Since.Equal(want.Since) {
		t.Fatalf("alerts %+v, %v; want [%+v]", got, err, want)
	}

	srv.Close()
	if _, err := d.Alerts(context.Background()); err == nil {
		t.Error("no error when Alertmanager does not answer")
	}
}
