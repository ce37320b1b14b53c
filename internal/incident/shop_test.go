package incident_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// adminURL is the control surface's base URL of service in shop.
func adminURL(shop *labharness.Shop, service string) string {
	return "http://" + shop.Endpoint(service).HTTP
}

// signUp registers and logs in a new user and returns a client acting as
// them from region.
func signUp(t *testing.T, shop *labharness.Shop, name, region string) *testkit.Client {
	t.Helper()
	c := &testkit.Client{Base: shop.GatewayURL(), Region: region}
	email := name + "@example.com"
	c.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse", "name": name}).Want(t, http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	c.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse"}).Want(t, http.StatusOK).Decode(t, &login)
	c.Token = login.Token
	return c
}

func order(t *testing.T, c *testkit.Client) testkit.Response {
	t.Helper()
	return c.Do(t, http.MethodPost, "/api/v1/orders", map[string]any{"items": []map[string]int{{"product_id": 1, "quantity": 1}}})
}

// TestIncidentsInTheShop switches each whole-shop incident on through the
// control surface of a running lab, as a lesson does, and checks what the
// learner can see in the services' /metrics, then that it is gone once
// cleared.
func TestIncidentsInTheShop(t *testing.T) {
	shop := labharness.Start(t, nil)
	ctx := context.Background()
	st, err := os.Stat(incident.TokenPath(shop.Config.DataDir))
	if err != nil {
		t.Fatalf("the lab wrote no token: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	token, err := incident.LoadToken(shop.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	c := incident.Client{Token: token}
	gatewayMetrics := testkit.Scrape(shop.Endpoint(topology.Gateway).MetricsURL)

	t.Run("every service serves the surface", func(t *testing.T) {
		for _, svc := range topology.Services() {
			if got, err := c.List(ctx, adminURL(shop, svc)); err != nil || len(got) != 0 {
				t.Errorf("%s: List = %v, %v; want none", svc, got, err)
			}
			if err := (incident.Client{Token: "guess"}).Clear(ctx, adminURL(shop, svc)); !errors.Is(err, incident.ErrUnauthorized) {
				t.Errorf("%s: Clear with a wrong token = %v, want ErrUnauthorized", svc, err)
			}
		}
		if err := c.Set(ctx, adminURL(shop, topology.Catalog), incident.RegionOutage, incident.Params{incident.ParamRegion: "us-east"}); !errors.Is(err, incident.ErrUnknown) {
			t.Errorf("region-outage in catalog = %v, want ErrUnknown", err)
		}
	})

	t.Run(incident.RegionOutage, func(t *testing.T) {
		south, west := signUp(t, shop, "south", "ap-south"), signUp(t, shop, "west", "eu-west")
		if err := c.Set(ctx, adminURL(shop, topology.Orders), incident.RegionOutage, incident.Params{incident.ParamRegion: "ap-south"}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			order(t, south).Want(t, http.StatusServiceUnavailable)
			order(t, west).Want(t, http.StatusCreated)
		}
		failures := func(region string) int {
			n := 0
			for _, m := range testkit.MetricSeries(t, gatewayMetrics, "shoplab_http_requests_total", map[string]string{"region": region, "route": "/api/v1/orders"}) {
				for _, l := range m.GetLabel() {
					if l.GetName() == "status" && strings.HasPrefix(l.GetValue(), "5") {
						n += int(m.GetCounter().GetValue())
					}
				}
			}
			return n
		}
		if got := failures("ap-south"); got != 3 {
			t.Errorf("ap-south 5xx = %d, want 3", got)
		}
		if got := failures("eu-west"); got != 0 {
			t.Errorf("eu-west 5xx = %d, want 0", got)
		}

		if err := c.Clear(ctx, adminURL(shop, topology.Orders)); err != nil {
			t.Fatal(err)
		}
		order(t, south).Want(t, http.StatusCreated)
		if got := failures("ap-south"); got != 3 {
			t.Errorf("ap-south 5xx after clearing = %d, want still 3", got)
		}
	})

	t.Run(incident.Cardinality, func(t *testing.T) {
		const metric = "shoplab_http_requests_by_user_total"
		users := []*testkit.Client{signUp(t, shop, "card1", "us-east"), signUp(t, shop, "card2", "us-east")}
		order(t, users[0]).Want(t, http.StatusCreated)
		if got := testkit.MetricSeries(t, gatewayMetrics, metric, nil); len(got) != 0 {
			t.Fatalf("%s has %d series before the incident", metric, len(got))
		}
		if err := c.Set(ctx, adminURL(shop, topology.Gateway), incident.Cardinality, nil); err != nil {
			t.Fatal(err)
		}
		for i, u := range users {
			order(t, u).Want(t, http.StatusCreated)
			if got := len(testkit.MetricSeries(t, gatewayMetrics, metric, nil)); got != i+1 {
				t.Errorf("after %d users: %d series, want %d", i+1, got, i+1)
			}
		}
		users = append(users, signUp(t, shop, "card3", "us-west"))
		order(t, users[2]).Want(t, http.StatusCreated)
		if got := len(testkit.MetricSeries(t, gatewayMetrics, metric, nil)); got != 3 {
			t.Errorf("after a third user: %d series, want 3", got)
		}

		if err := c.Clear(ctx, adminURL(shop, topology.Gateway)); err != nil {
			t.Fatal(err)
		}
		order(t, users[0]).Want(t, http.StatusCreated)
		if got := testkit.MetricSeries(t, gatewayMetrics, metric, nil); len(got) != 0 {
			t.Errorf("%s has %d series after clearing", metric, len(got))
		}
	})

	t.Run(incident.OutboxStalled, func(t *testing.T) {
		ordersMetrics := testkit.Scrape(shop.Endpoint(topology.Orders).MetricsURL)
		buyer := signUp(t, shop, "stalled", "eu-west")
		if err := c.Set(ctx, adminURL(shop, topology.Orders), incident.OutboxStalled, nil); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			order(t, buyer).Want(t, http.StatusCreated)
		}
		testkit.WaitMetric(t, ordersMetrics, "shoplab_outbox_backlog", nil, 3, 10*time.Second)
		if err := c.Clear(ctx, adminURL(shop, topology.Orders)); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 15*time.Second, "the outbox to drain", func() error {
			if v := testkit.MetricValue(t, ordersMetrics, "shoplab_outbox_backlog", nil); v != 0 {
				return fmt.Errorf("backlog %v", v)
			}
			return nil
		})
	})

	t.Run("the switches leave no trace in the request metrics", func(t *testing.T) {
		for _, m := range testkit.MetricSeries(t, gatewayMetrics, "shoplab_http_requests_total", nil) {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && (strings.Contains(l.GetValue(), "admin") || l.GetValue() == "unmatched") {
					t.Errorf("a control-surface call was counted: %v", m)
				}
			}
		}
	})

	t.Run("a restart clears every incident", func(t *testing.T) {
		if err := c.Set(ctx, adminURL(shop, topology.Orders), incident.OutboxStalled, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, adminURL(shop, topology.Catalog), incident.NPlusOne, nil); err != nil {
			t.Fatal(err)
		}
		if err := shop.Lab.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		again := labharness.Start(t, map[string]string{"SHOPLAB_DATA_DIR": shop.Config.DataDir, "SHOPLAB_LOG_DIR": shop.Config.LogDir})
		if tok, err := incident.LoadToken(again.Config.DataDir); err != nil || tok != token {
			t.Errorf("token after the restart = %q, %v; want the same", tok, err)
		}
		for _, svc := range topology.Services() {
			if got, err := c.List(ctx, adminURL(again, svc)); err != nil || len(got) != 0 {
				t.Errorf("%s after the restart: List = %v, %v; want none", svc, got, err)
			}
		}
	})
}

// TestFaultsOffRefusesTheSurface: SHOPLAB_FAULTS=off closes the control
// surface of every service of a running lab.
func TestFaultsOffRefusesTheSurface(t *testing.T) {
	shop := labharness.Start(t, map[string]string{"SHOPLAB_FAULTS": "off"})
	token, err := incident.LoadToken(shop.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	c := incident.Client{Token: token}
	for _, svc := range topology.Services() {
		if _, err := c.List(context.Background(), adminURL(shop, svc)); !errors.Is(err, incident.ErrForbidden) {
			t.Errorf("%s: List = %v, want ErrForbidden", svc, err)
		}
	}
}
