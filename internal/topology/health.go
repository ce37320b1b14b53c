package topology

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// CheckHTTP reports whether url answers 200.
func CheckHTTP(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// WaitHealthy polls every endpoint's health URL until all answer 200 or ctx
// ends. progress, when not nil, hears each endpoint once, when it turns
// healthy.
func WaitHealthy(ctx context.Context, endpoints []Endpoint, progress func(Endpoint)) error {
	client := &http.Client{Timeout: 2 * time.Second}
	pending := map[string]Endpoint{}
	for _, e := range endpoints {
		if e.HealthURL != "" {
			pending[e.Service] = e
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		for name, e := range pending {
			if err := CheckHTTP(ctx, client, e.HealthURL); err != nil {
				last = fmt.Errorf("%s: %w", name, err)
				continue
			}
			delete(pending, name)
			if progress != nil {
				progress(e)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("services not healthy: %w (last error: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}
