package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// shopAPI calls the lab's REST API through the gateway.
type shopAPI struct {
	base string
	http *http.Client
}

func newShopAPI(base string) *shopAPI {
	// Above the gateway's own deadline: an order is either answered or
	// cut off by a kill, never abandoned by the client.
	return &shopAPI{base: base, http: &http.Client{Timeout: time.Minute}}
}

// call sends a JSON request and returns the status and body; err is a
// transport failure (the lab is down or was killed mid-request).
func (a *shopAPI) call(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// stock returns every product's stock.
func (a *shopAPI) stock(t *testing.T) map[int64]int64 {
	t.Helper()
	status, body, err := a.call(http.MethodGet, "/api/v1/products", "", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("list products: %d %s %v", status, body, err)
	}
	var resp struct {
		Products []struct {
			ID    int64 `json:"id"`
			Stock int64 `json:"stock"`
		} `json:"products"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, p := range resp.Products {
		out[p.ID] = p.Stock
	}
	return out
}

// signUp registers n shoppers and returns their tokens.
func (a *shopAPI) signUp(t *testing.T, n int) []string {
	t.Helper()
	var tokens []string
	for i := range n {
		email, password := fmt.Sprintf("crash-%d@shopease.test", i), "crash-test-password"
		status, body, err := a.call(http.MethodPost, "/api/v1/auth/register", "",
			map[string]string{"email": email, "password": password, "name": fmt.Sprintf("Shopper %d", i)})
		if err != nil || status != http.StatusCreated {
			t.Fatalf("register %s: %d %s %v", email, status, body, err)
		}
		status, body, err = a.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
		if err != nil || status != http.StatusOK {
			t.Fatalf("log in %s: %d %s %v", email, status, body, err)
		}
		var login struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
			t.Fatalf("log in %s: no token in %s", email, body)
		}
		tokens = append(tokens, login.Token)
	}
	return tokens
}

// lines is an order's quantities by product.
type lines map[int64]int64

// checkoutStream places orders from one goroutine per shopper, each at
// most one every pace, until stopped, and remembers what the gateway
// answered. It runs across kills: while the lab is down the requests fail
// at once and are counted as unanswered.
type checkoutStream struct {
	api      *shopAPI
	products []int64
	pace     time.Duration
	quit     chan struct{}
	wg       sync.WaitGroup

	mu         sync.Mutex
	acked      map[string]lines // 201 answers, by order ID
	refused    map[int]int      // other answers, by status
	unanswered int              // transport failures: the order may or may not be stored
}

func startCheckouts(api *shopAPI, tokens []string, products []int64, pace time.Duration) *checkoutStream {
	s := &checkoutStream{api: api, products: products, pace: pace, quit: make(chan struct{}),
		acked: map[string]lines{}, refused: map[int]int{}}
	for i, token := range tokens {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		s.wg.Go(func() { s.shop(token, rng) })
	}
	return s
}

func (s *checkoutStream) shop(token string, rng *rand.Rand) {
	tick := time.NewTicker(s.pace)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		// One or two distinct products, one or two of each.
		want := lines{}
		for range 1 + rng.IntN(2) {
			want[s.products[rng.IntN(len(s.products))]] = 1 + rng.Int64N(2)
		}
		var items []map[string]int64
		for p, q := range want {
			items = append(items, map[string]int64{"product_id": p, "quantity": q})
		}
		status, body, err := s.api.call(http.MethodPost, "/api/v1/orders", token, map[string]any{"items": items})
		s.record(status, body, err)
	}
}

func (s *checkoutStream) record(status int, body []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.unanswered++
		return
	}
	if status != http.StatusCreated {
		s.refused[status]++
		return
	}
	var o struct {
		ID    string `json:"id"`
		Lines []struct {
			ProductID int64 `json:"product_id"`
			Quantity  int64 `json:"quantity"`
		} `json:"lines"`
	}
	if json.Unmarshal(body, &o) != nil || o.ID == "" {
		s.refused[-status]++ // a 201 without an order: flagged by the check
		return
	}
	got := lines{}
	for _, l := range o.Lines {
		got[l.ProductID] += l.Quantity
	}
	s.acked[o.ID] = got
}

// ackedCount is how many orders the gateway confirmed so far.
func (s *checkoutStream) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked)
}

// stop ends the stream once every request in flight is answered.
func (s *checkoutStream) stop() {
	close(s.quit)
	s.wg.Wait()
}

// productsWithStock are the products holding at least min units, in
// order, so that the stream does not run the shop out of stock.
func productsWithStock(stock map[int64]int64, min int64) []int64 {
	var out []int64
	for id, n := range stock {
		if n >= min {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
