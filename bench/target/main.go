// Command target is the trivial HTTP endpoint of the load-generator
// benchmark (bench/README.md): GET /api/v1/products answers a tiny 200
// JSON body at once, and counts what arrives so that every generator is
// judged by the same, independent measure of the rate it achieved.
//
// It can stall once: GET /__bench/reset?stall_after=2s&stall_for=1s arms a
// stall that starts stall_after after the first counted request arrives;
// every request that arrives while it lasts is held until it ends.
//
//	GET /api/v1/products   {"products":[]}, counted
//	GET /healthz           200 (shoplab load's reachability probe), not counted
//	GET /__bench/reset     zero the counters; arm a stall (optional)
//	GET /__bench/stats     the counters, as JSON
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

// maxBuckets bounds the per-second arrival counts kept (10 minutes).
const maxBuckets = 600

var body = []byte(`{"products":[]}`)

type counters struct {
	base time.Time // the clock's origin: every time below is since base

	requests atomic.Int64
	first    atomic.Int64 // ns since base of the first counted arrival; 0 = none yet
	last     atomic.Int64
	buckets  [maxBuckets]atomic.Int64 // arrivals per second since first
	conns    atomic.Int64             // connections accepted

	stallAfter, stallFor atomic.Int64 // ns; stallFor 0 = no stall armed
	held                 atomic.Int64 // requests held by the stall
}

func (c *counters) now() int64 { return int64(time.Since(c.base)) }

func (c *counters) reset(stallAfter, stallFor time.Duration) {
	c.requests.Store(0)
	c.first.Store(0)
	c.last.Store(0)
	for i := range c.buckets {
		c.buckets[i].Store(0)
	}
	c.conns.Store(0)
	c.held.Store(0)
	c.stallAfter.Store(int64(stallAfter))
	c.stallFor.Store(int64(stallFor))
}

func (c *counters) products(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	now := c.now()
	if now == 0 {
		now = 1 // 0 means "no first arrival yet"
	}
	c.requests.Add(1)
	first := c.first.Load()
	if first == 0 {
		if c.first.CompareAndSwap(0, now) {
			first = now
		} else {
			first = c.first.Load()
		}
	}
	for { // last = max(last, now)
		l := c.last.Load()
		if now <= l || c.last.CompareAndSwap(l, now) {
			break
		}
	}
	if i := (now - first) / int64(time.Second); i >= 0 && i < maxBuckets {
		c.buckets[i].Add(1)
	}
	if d := c.stallFor.Load(); d > 0 {
		start := first + c.stallAfter.Load()
		if end := start + d; now >= start && now < end {
			c.held.Add(1)
			time.Sleep(time.Duration(end - now))
		}
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	_, _ = w.Write(body)
}

// Stats is what /__bench/stats answers.
type Stats struct {
	Requests int64 `json:"requests"`
	// SpanS is the time from the first counted arrival to the last;
	// Rate = (Requests-1)/SpanS, the rate the target saw.
	SpanS float64 `json:"span_s"`
	Rate  float64 `json:"rate"`
	// PerSecond counts the arrivals in each second since the first one.
	PerSecond []int64 `json:"per_second"`
	Conns     int64   `json:"conns"`
	// Stall: when it started and ended (seconds since the first arrival)
	// and how many requests it held.
	StallStartS float64 `json:"stall_start_s,omitempty"`
	StallEndS   float64 `json:"stall_end_s,omitempty"`
	Held        int64   `json:"held"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
}

func (c *counters) stats() Stats {
	s := Stats{Requests: c.requests.Load(), Conns: c.conns.Load(), Held: c.held.Load(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	first, last := c.first.Load(), c.last.Load()
	if first > 0 && last > first {
		s.SpanS = time.Duration(last - first).Seconds()
		s.Rate = float64(s.Requests-1) / s.SpanS
		n := int((last-first)/int64(time.Second)) + 1
		for i := 0; i < n && i < maxBuckets; i++ {
			s.PerSecond = append(s.PerSecond, c.buckets[i].Load())
		}
	}
	if d := c.stallFor.Load(); d > 0 {
		s.StallStartS = time.Duration(c.stallAfter.Load()).Seconds()
		s.StallEndS = time.Duration(c.stallAfter.Load() + d).Seconds()
	}
	return s
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8199", "listen address")
	flag.Parse()

	c := &counters{base: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/products", c.products)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/__bench/reset", func(w http.ResponseWriter, r *http.Request) {
		var after, dur time.Duration
		var err error
		if v := r.URL.Query().Get("stall_after"); v != "" {
			if after, err = time.ParseDuration(v); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		if v := r.URL.Query().Get("stall_for"); v != "" {
			if dur, err = time.ParseDuration(v); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		c.reset(after, dur)
		fmt.Fprintln(w, "reset")
	})
	mux.HandleFunc("/__bench/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.stats())
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.conns.Add(1)
			}
		},
		ErrorLog: log.New(os.Stderr, "target: ", 0),
	}
	fmt.Fprintf(os.Stderr, "target: listening on %s (GOMAXPROCS %d)\n", ln.Addr(), runtime.GOMAXPROCS(0))
	log.Fatal(srv.Serve(ln))
}
