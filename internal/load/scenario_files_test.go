package load

import (
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/labharness"
)

const scenarioDir = "../../scenarios"

func TestScenarioFilesValidate(t *testing.T) {
	names, err := List(scenarioDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"checkout", "browse", "flash-sale", "regional-outage", "slow-catalog"} {
		if !contains(names, want) {
			t.Errorf("no scenarios/%s.yaml", want)
		}
	}
	for _, name := range names {
		sc, err := Find(scenarioDir, name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if sc.Name != name || sc.Description == "" {
			t.Errorf("%s: name %q, description %q", name, sc.Name, sc.Description)
		}
	}
	if _, err := Find(scenarioDir, "nope"); err == nil || !strings.Contains(err.Error(), "checkout") {
		t.Errorf("unknown scenario: err = %v, want the list of scenarios", err)
	}
}

// TestScenariosRunAgainstTheShop runs every shipped scenario briefly, at a
// low rate, against the whole shop in this process: none may produce an
// unexpected error, and the injected faults must show.
func TestScenariosRunAgainstTheShop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole shop")
	}
	target := labharness.Start(t, nil).GatewayURL()

	names, err := List(scenarioDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sc, err := Find(scenarioDir, name)
			if err != nil {
				t.Fatal(err)
			}
			// This test is about the scenarios, not the generator's timing:
			// `go test ./...` runs other packages' shops on the same two
			// cores, so arrivals may start late. A 1s lag limit keeps
			// saturation for real trouble (drops, a stuck generator).
			res := runEngine(t, sc, Options{Target: target, Rate: 15, Duration: 2 * time.Second, NoThink: true, Seed: 3, MaxLag: time.Second})
			if res.Total.Requests == 0 || res.Total.Errors != 0 || res.Generator.Saturated {
				var b strings.Builder
				res.WriteText(&b, nil)
				t.Fatalf("%d requests, %d unexpected errors, saturated %v\n%s", res.Total.Requests, res.Total.Errors, res.Generator.Saturated, b.String())
			}
			if testing.Verbose() {
				var b strings.Builder
				res.WriteText(&b, nil)
				t.Log(b.String())
			}
			for _, e := range res.Endpoints {
				switch {
				case name == "regional-outage" && e.Method == "POST" && e.Route == "/api/v1/orders":
					if (e.Region == "ap-south") != (e.Statuses["503"] > 0) {
						t.Errorf("%s: orders answered %v; want 503s in ap-south only", e.Region, e.Statuses)
					}
				case name == "slow-catalog" && e.Route == "/api/v1/products":
					if e.Latency.P50 < 300 {
						t.Errorf("%s: listing products took %.1fms (p50) with catalog delayed by 300ms", e.Region, e.Latency.P50)
					}
				}
			}
		})
	}
}
