package dashboards

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	dto "github.com/prometheus/client_model/go"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
)

// shop is the whole ShopEase shop running in this process on free ports
// (labharness.Start), and what the bursts sent it.
type shop struct {
	*labharness.Shop
	// traceIDs are the X-Trace-Id of every request the bursts sent.
	traceIDs map[string]bool
	// bursts counts the bursts sent.
	bursts int
}

func startShop(t *testing.T) *shop {
	t.Helper()
	return &shop{Shop: labharness.Start(t, nil), traceIDs: map[string]bool{}}
}

// faultHeader adds X-Shoplab-Fault to every request, so that a service
// fails on purpose.
type faultHeader struct{ value string }

func (f faultHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Shoplab-Fault", f.value)
	return http.DefaultTransport.RoundTrip(r)
}

// burst sends the traffic every dashboard panel needs, from every region
// and an unknown one: sign-ups, logins, browsing, checkouts, the usual
// client mistakes (4xx) and one injected failure (5xx). It returns once
// the notification service has sent the e-mails of its events, so the
// Kafka and notification metrics moved too.
//
// A counter series is born at its first increment, and Prometheus's
// rate() only sees increments after its first sample of a series: a test
// of rate() needs a second burst after a scrape of the first.
func (s *shop) burst(t *testing.T) {
	t.Helper()
	s.bursts++
	base := s.GatewayURL()
	regions := append(region.All(), "")
	do := func(c *testkit.Client, method, path string, body any, want func(int) bool) testkit.Response {
		t.Helper()
		r := c.Do(t, method, path, body)
		if !want(r.Status) {
			t.Fatalf("%s %s (region %q): unexpected %s", method, path, c.Region, r)
		}
		if r.TraceID != "" {
			s.traceIDs[r.TraceID] = true
		}
		return r
	}
	is := func(code int) func(int) bool { return func(got int) bool { return got == code } }
	clientError := func(got int) bool { return got >= 400 && got < 500 }
	for i, r := range regions {
		c := &testkit.Client{Base: base, Region: r}
		email := fmt.Sprintf("user%d.%d@example.com", s.bursts, i)
		do(c, "POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": "Ada"}, is(201))
		var login struct {
			Token string `json:"token"`
		}
		do(c, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password"}, is(401))
		do(c, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"}, is(200)).Decode(t, &login)
		c.Token = login.Token
		do(c, "GET", "/api/v1/products", nil, is(200))
		productID := int64(i%12 + 1)
		do(c, "GET", fmt.Sprintf("/api/v1/products/%d", productID), nil, is(200))
		do(c, "GET", "/api/v1/products/9999", nil, is(404))
		var order struct {
			ID string `json:"id"`
		}
		do(c, "POST", "/api/v1/orders", map[string]any{"items": []map[string]int64{{"product_id": productID, "quantity": 1}}}, is(201)).Decode(t, &order)
		do(c, "GET", "/api/v1/orders/"+order.ID, nil, is(200))
		do(c, "GET", "/api/v1/orders/0b4c6f5e-8d0a-4c1e-9a7e-2f3d4c5b6a79", nil, is(404))
		do(c, "POST", "/api/v1/orders", map[string]any{"items": []map[string]int64{{"product_id": 9999, "quantity": 1}}}, clientError)
		do(c, "POST", "/api/v1/orders", map[string]any{"items": []map[string]int64{{"product_id": productID, "quantity": 1000}}}, is(409))
		do(c, "GET", "/api/v1/nowhere", nil, is(404))
	}
	broken := &testkit.Client{Base: base, Region: "eu-west", HTTP: &http.Client{Transport: faultHeader{"catalog:error=unavailable"}}}
	do(broken, "GET", "/api/v1/products", nil, func(got int) bool { return got >= 500 })

	nf := testkit.Scrape(s.Endpoint(topology.Notification).MetricsURL)
	for _, topic := range []string{"order.placed", "user.registered"} {
		testkit.WaitMetric(t, nf, "shoplab_notifications_sent_total",
			map[string]string{"event_type": topic, "outcome": "ok"}, float64(s.bursts*len(regions)), 20*time.Second)
	}
	// The lag gauge appears with the consumer's first fetch.
	testkit.WaitMetric(t, nf, "shoplab_kafka_consumer_lag", nil, 0, 20*time.Second)
}

// scrapeSeries scrapes every service and returns its series as Prometheus
// would store them: one name per sample (histograms as _bucket with le,
// _sum and _count), plus the job (the service name) and instance labels
// the scrape adds.
func (s *shop) scrapeSeries(t *testing.T) []labels.Labels {
	t.Helper()
	var out []labels.Labels
	for _, name := range topology.Services() {
		e := s.Endpoint(name)
		fams := scrapeFamilies(t, e.MetricsURL)
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				b := labels.NewBuilder(labels.EmptyLabels())
				b.Set("job", name)
				b.Set("instance", e.HTTP)
				for _, l := range m.GetLabel() {
					b.Set(l.GetName(), l.GetValue())
				}
				add := func(metric string, extra ...string) {
					mb := labels.NewBuilder(b.Labels())
					mb.Set(labels.MetricName, metric)
					for i := 0; i+1 < len(extra); i += 2 {
						mb.Set(extra[i], extra[i+1])
					}
					out = append(out, mb.Labels())
				}
				switch f.GetType() {
				case dto.MetricType_HISTOGRAM:
					for _, bk := range m.GetHistogram().GetBucket() {
						add(f.GetName()+"_bucket", "le", fmt.Sprint(bk.GetUpperBound()))
					}
					add(f.GetName()+"_bucket", "le", "+Inf")
					add(f.GetName() + "_sum")
					add(f.GetName() + "_count")
				case dto.MetricType_SUMMARY:
					for _, q := range m.GetSummary().GetQuantile() {
						add(f.GetName(), "quantile", fmt.Sprint(q.GetQuantile()))
					}
					add(f.GetName() + "_sum")
					add(f.GetName() + "_count")
				default:
					add(f.GetName())
				}
			}
		}
	}
	return out
}

// scrapeFamilies scrapes url, a service's /metrics, which must expose
// something.
func scrapeFamilies(t *testing.T, url string) []*dto.MetricFamily {
	t.Helper()
	out, err := testkit.Scrape(url).Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s exposes no metrics", url)
	}
	return out
}
