package lab

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shoplab/shoplab/internal/server"
)

// GRPCHealthCheck asks a gRPC service's standard health service whether it
// is SERVING.
func GRPCHealthCheck(conn grpc.ClientConnInterface) server.Check {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("status %s", resp.GetStatus())
		}
		return nil
	}
}

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
