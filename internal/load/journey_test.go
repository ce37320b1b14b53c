package load

import (
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeShop answers the gateway's API just enough to check what a journey
// sends: every request is recorded under the X-Test-User header the test
// scenario puts on each step.
type fakeShop struct {
	mu     sync.Mutex
	seq    map[string][]string // user → "METHOD route" in order
	users  map[string]string   // email → password
	orders map[string]string   // order ID → owner's token
	faults []string
	errs   []string
}

func newFakeShop() *fakeShop {
	return &fakeShop{seq: map[string][]string{}, users: map[string]string{}, orders: map[string]string{}}
}

func (f *fakeShop) fail(w http.ResponseWriter, code int, format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
	w.WriteHeader(code)
}

func (f *fakeShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body map[string]any
	if r.Method == http.MethodPost {
		if r.Header.Get("Content-Type") != "application/json" {
			f.fail(w, 415, "%s %s: content type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.fail(w, 400, "%s %s: body: %v", r.Method, r.URL.Path, err)
			return
		}
	}
	if v := r.Header.Get("X-Shoplab-Fault"); v != "" {
		f.faults = append(f.faults, r.Header.Get("X-Region")+" "+v)
	}
	user := r.Header.Get("X-Test-User")
	route := r.URL.Path
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case r.Method == "GET" && route == "/api/v1/products":
		w.Write([]byte(`{"products":[{"id":3,"name":"mug"},{"id":5,"name":"tee"}]}`))
	case r.Method == "GET" && strings.HasPrefix(route, "/api/v1/products/"):
		route = "/api/v1/products/{id}"
		if id := strings.TrimPrefix(r.URL.Path, "/api/v1/products/"); id != "3" && id != "5" {
			f.fail(w, 404, "product %q", id)
			return
		}
		w.Write([]byte(`{"id":3}`))
	case r.Method == "POST" && route == "/api/v1/auth/register":
		email, _ := body["email"].(string)
		if email != user || f.users[email] != "" {
			f.fail(w, 409, "register %q as %q (twice?)", email, user)
			return
		}
		f.users[email], _ = body["password"].(string)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]any{"user": map[string]string{"email": email}})
	case r.Method == "POST" && route == "/api/v1/auth/login":
		email, _ := body["email"].(string)
		if pw, _ := body["password"].(string); pw == "" || f.users[email] != pw {
			f.fail(w, 401, "login %q with a wrong password", email)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": "tok-" + email})
	case r.Method == "POST" && route == "/api/v1/orders":
		if token != "tok-"+user {
			f.fail(w, 401, "order by %s with token %q", user, token)
			return
		}
		items, _ := body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["product_id"] != 3.0 && items[0].(map[string]any)["product_id"] != 5.0 {
			f.fail(w, 400, "order items %v", body["items"])
			return
		}
		id := fmt.Sprintf("ord-%d", len(f.orders)+1)
		f.orders[id] = token
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]string{"id": id})
	case r.Method == "GET" && strings.HasPrefix(route, "/api/v1/orders/"):
		route = "/api/v1/orders/{id}"
		if id := strings.TrimPrefix(r.URL.Path, "/api/v1/orders/"); f.orders[id] != token || token == "" {
			f.fail(w, 404, "order %q for token %q", id, token)
			return
		}
		w.Write([]byte(`{}`))
	default:
		f.fail(w, 404, "%s %s", r.Method, r.URL.Path)
		return
	}
	f.seq[user] = append(f.seq[user], r.Method+" "+route)
}

const checkoutScenario = `rate: 40
duration: 1s
journeys:
  - name: checkout
    vars:
      email: "{{randomEmail}}"
      password: correct horse battery
    steps:
      - method: GET
        route: /api/v1/products
        headers: {X-Test-User: "{{.email}}"}
        capture: {product_id: "$.products[*].id"}
      - method: GET
        route: /api/v1/products/{id}
        params: {id: "{{.product_id}}"}
        headers: {X-Test-User: "{{.email}}"}
        think: 10ms..30ms
      - method: POST
        route: /api/v1/auth/register
        headers: {X-Test-User: "{{.email}}"}
        body: '{"email": {{json .email}}, "password": {{json .password}}, "name": "{{randomName}}"}'
        expect: 201
      - method: POST
        route: /api/v1/auth/login
        headers: {X-Test-User: "{{.email}}"}
        body: '{"email": {{json .email}}, "password": {{json .password}}}'
        capture: {token: "$.token"}
      - method: POST
        route: /api/v1/orders
        headers: {X-Test-User: "{{.email}}", Authorization: "Bearer {{.token}}"}
        body: '{"items": [{"product_id": {{.product_id}}, "quantity": {{randomInt 1 3}}}]}'
        expect: [201]
        capture: {order_id: "$.id"}
      - method: GET
        route: /api/v1/orders/{id}
        params: {id: "{{.order_id}}"}
        headers: {X-Test-User: "{{.email}}", Authorization: "Bearer {{.token}}"}
`

func TestJourneysRunTheirStepsInOrderWithTheirTokens(t *testing.T) {
	shop := newFakeShop()
	srv := httptest.NewServer(shop)
	defer srv.Close()
	res := runEngine(t, mustScenario(t, checkoutScenario), Options{Target: srv.URL})

	want := []string{"GET /api/v1/products", "GET /api/v1/products/{id}", "POST /api/v1/auth/register",
		"POST /api/v1/auth/login", "POST /api/v1/orders", "GET /api/v1/orders/{id}"}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	if len(shop.errs) > 0 {
		t.Errorf("the shop saw %d bad requests, e.g. %s", len(shop.errs), shop.errs[0])
	}
	if len(shop.seq) != 40 {
		t.Errorf("%d users, want 40 (one per journey)", len(shop.seq))
	}
	for user, seq := range shop.seq {
		if !reflect.DeepEqual(seq, want) {
			t.Errorf("user %s: %q, want %q", user, seq, want)
		}
	}
	if j := res.Journeys[0]; j.Started != 40 || j.Completed != 40 || res.Total.Errors != 0 {
		t.Errorf("journeys %+v, errors %d (%s)", j, res.Total.Errors, res.Total.SampleError)
	}
	seen := map[string]bool{}
	for _, e := range res.Endpoints {
		seen[e.Method+" "+e.Route] = true
	}
	if len(seen) != 6 || len(res.Slowest) != 6 {
		t.Errorf("results for %d endpoints, slowest for %d; want 6", len(seen), len(res.Slowest))
	}
}

// TestExpectedStatusEndsJourneyWithoutError injects a fault in one region
// whose answer the step declares as expected: those journeys end there,
// and no error is counted.
func TestExpectedStatusEndsJourneyWithoutError(t *testing.T) {
	shop := newFakeShop()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Shoplab-Fault") == "orders:error=unavailable" && r.URL.Path == "/api/v1/orders" {
			w.WriteHeader(503)
			return
		}
		shop.ServeHTTP(w, r)
	}))
	defer srv.Close()
	src := strings.Replace(checkoutScenario, "expect: [201]", "expect: [201, 503]", 1)
	src = strings.Replace(src, "journeys:\n", "regions: {eu-west: 1, ap-south: 1}\nfaults:\n  - inject: orders:error=unavailable\n    regions: [ap-south]\njourneys:\n", 1)
	res := runEngine(t, mustScenario(t, src), Options{Target: srv.URL, Seed: 7})
	j := res.Journeys[0]
	if res.Total.Errors != 0 || j.Failed != 0 || j.Ended == 0 || j.Completed == 0 || j.Ended+j.Completed != 40 {
		t.Errorf("journeys %+v, errors %d (%s)", j, res.Total.Errors, res.Total.SampleError)
	}
	for _, e := range res.Endpoints {
		if e.Route == "/api/v1/orders" && e.Method == "POST" {
			if (e.Region == "ap-south") != (e.Statuses["503"] == e.Requests) {
				t.Errorf("%s: statuses %v of %d requests", e.Region, e.Statuses, e.Requests)
			}
		}
	}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	for _, f := range shop.faults {
		if f != "ap-south orders:error=unavailable" {
			t.Errorf("fault header sent as %q", f)
		}
	}
}

func TestRegionWeightsAreHonoured(t *testing.T) {
	sc := mustScenario(t, "rate: 1\nduration: 1s\nregions: {us-east: 50, eu-west: 30, ap-south: 20, sa-east: 0}\n"+
		"journeys: [{steps: [{method: GET, route: /api/v1/products}]}]\n")
	tests := []struct {
		only []string
		want map[string]float64
	}{
		{nil, map[string]float64{"us-east": 0.5, "eu-west": 0.3, "ap-south": 0.2}},
		{[]string{"eu-west", "ap-south"}, map[string]float64{"eu-west": 0.6, "ap-south": 0.4}},
	}
	for _, tt := range tests {
		e, err := New(sc, Options{Target: "http://127.0.0.1:1", Regions: tt.only})
		if err != nil {
			t.Fatal(err)
		}
		const draws = 10000
		rng := mrand.New(mrand.NewPCG(1, 2))
		got := map[string]float64{}
		for range draws {
			got[e.regions[pick(e.regionCum, rng)]] += 1.0 / draws
		}
		if len(got) != len(tt.want) {
			t.Errorf("regions %v drawn, want %v", got, tt.want)
		}
		for r, share := range tt.want {
			if math.Abs(got[r]-share) > 0.03 {
				t.Errorf("--region %v: %s drawn %.3f of the time, want %.2f±0.03", tt.only, r, got[r], share)
			}
		}
	}
	for _, bad := range [][]string{{"mars"}, {"sa-east"}} {
		if _, err := New(sc, Options{Target: "http://127.0.0.1:1", Regions: bad}); err == nil {
			t.Errorf("regions %v accepted", bad)
		}
	}
}
