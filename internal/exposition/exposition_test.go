package exposition

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "demo_seconds", Help: "demo", Buckets: []float64{1}})
	reg.MustRegister(h)
	h.(prometheus.ExemplarObserver).ObserveWithExemplar(0.5, prometheus.Labels{"trace_id": "abc"})
	text := "# TYPE demo_total counter\ndemo_total{route=\"/a\"} 3\n"

	mux := http.NewServeMux()
	mux.Handle("/proto", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/text", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(text))
	})
	mux.HandleFunc("/bare", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(text)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	fams, err := Scrape(ctx, srv.Client(), srv.URL+"/proto")
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || fams[0].GetName() != "demo_seconds" {
		t.Fatalf("families %v, want demo_seconds", fams)
	}
	ex := fams[0].GetMetric()[0].GetHistogram().GetBucket()[0].GetExemplar()
	if ex == nil || ex.GetLabel()[0].GetValue() != "abc" {
		t.Errorf("bucket exemplar %v, want trace_id abc: the protobuf format carries it", ex)
	}

	for _, path := range []string{"/text", "/bare"} {
		fams, err := Scrape(ctx, srv.Client(), srv.URL+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(fams) != 1 || fams[0].GetMetric()[0].GetCounter().GetValue() != 3 {
			t.Errorf("%s: families %v, want demo_total 3", path, fams)
		}
	}

	if _, err := Scrape(ctx, srv.Client(), srv.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 page: error %v, want the status", err)
	}
}
