package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// firingAlert is the part of an Alertmanager v2 alert that status shows.
type firingAlert struct {
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
}

// firingAlerts asks Alertmanager (GET /api/v2/alerts) for the alerts that
// fire now and are neither silenced nor inhibited: a page inhibits its
// ticket, so the page alone is shown.
func firingAlerts(ctx context.Context, client *http.Client, base string) ([]firingAlert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimSuffix(base, "/")+"/api/v2/alerts?active=true&silenced=false&inhibited=false", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alertmanager answered %s", resp.Status)
	}
	var alerts []firingAlert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("alertmanager's answer: %w", err)
	}
	slices.SortFunc(alerts, func(a, b firingAlert) int {
		return strings.Compare(a.Labels["alertname"]+a.Labels["region"], b.Labels["alertname"]+b.Labels["region"])
	})
	return alerts, nil
}

// printAlerts writes the firing alerts, or why there are none to show.
func printAlerts(w io.Writer, alerts []firingAlert, err error, now time.Time) {
	switch {
	case err != nil:
		fmt.Fprintf(w, "\nAlerts: cannot ask Alertmanager (%v).\n", err)
	case len(alerts) == 0:
		fmt.Fprintln(w, "\nAlerts: none firing.")
	default:
		fmt.Fprintf(w, "\n%-34s %-9s %-9s %s\n", "FIRING ALERT", "SEVERITY", "REGION", "FOR")
		for _, a := range alerts {
			region := a.Labels["region"]
			if region == "" {
				region = "-"
			}
			fmt.Fprintf(w, "%-34s %-9s %-9s %s\n", a.Labels["alertname"], a.Labels["severity"], region, now.Sub(a.StartsAt).Round(time.Second))
		}
	}
}
