package compose

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// WaitHealthy polls the containers until every one of services is ready,
// reporting each as it becomes ready. It fails at once when a container
// turns unhealthy or exits, naming it and how to see why.
func (c *Compose) WaitHealthy(ctx context.Context, services []string, interval time.Duration, ready func(Container, time.Duration)) error {
	start := time.Now()
	done := map[string]bool{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		cs, err := c.PS(ctx)
		if err != nil {
			return err
		}
		byService := map[string]Container{}
		for _, ct := range cs {
			byService[ct.Service] = ct
		}
		var waiting []string
		for _, s := range services {
			ct, ok := byService[s]
			switch {
			case !ok:
				waiting = append(waiting, s+" (not created)")
			case ct.Failed():
				return fmt.Errorf("container %s is %s: see why with: docker compose -p %s logs %s", s, ct.Status(), Project, s)
			case ct.Ready():
				if !done[s] {
					done[s] = true
					if ready != nil {
						ready(ct, time.Since(start))
					}
				}
			default:
				waiting = append(waiting, s+" ("+ct.Status()+")")
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		sort.Strings(waiting)
		select {
		case <-ctx.Done():
			return fmt.Errorf("containers not healthy after %s: waiting for %s", time.Since(start).Round(time.Second), strings.Join(waiting, ", "))
		case <-tick.C:
		}
	}
}
