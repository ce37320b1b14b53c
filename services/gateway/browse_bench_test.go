package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
	"github.com/shoplab/shoplab/services/catalog"
)

// The browse benchmarks drive the shop's busiest path end to end in one
// process: the real gateway handler, a real gRPC call over loopback TCP to
// the real catalog, and its real SQLite database. Two telemetry setups:
//
//   - signals=all: as `shoplab up --local` runs it: JSON log lines to
//     each service's log file, every span sampled and written to the span
//     files, Prometheus metrics with exemplars.
//   - signals=none: SHOPLAB_SIGNALS=none.
//
// The difference is what the three signals cost together. Profile with
//
//	go test -run '^$' -bench Browse -benchmem -cpuprofile cpu.out ./services/gateway/
//
// The numbers are for comparison on one machine, never asserted.

// BenchmarkBrowseListProducts is GET /api/v1/products.
func BenchmarkBrowseListProducts(b *testing.B) {
	benchBrowse(b, "/api/v1/products")
}

// BenchmarkBrowseGetProduct is GET /api/v1/products/{id}.
func BenchmarkBrowseGetProduct(b *testing.B) {
	benchBrowse(b, "/api/v1/products/7")
}

func benchBrowse(b *testing.B, path string) {
	for _, setup := range []string{"all", "none"} {
		b.Run("signals="+setup, func(b *testing.B) {
			h := newBrowseShop(b, setup == "all")
			b.Run("serial", func(b *testing.B) {
				w := newDiscardWriter()
				r := browseRequest(path)
				b.ReportAllocs()
				for b.Loop() {
					serveOK(b, h, w, r)
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					w := newDiscardWriter()
					r := browseRequest(path)
					for pb.Next() {
						serveOK(b, h, w, r)
					}
				})
			})
		})
	}
}

// browseRequest is what the load generator sends: a region and a user agent.
func browseRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("X-Region", "eu-west")
	r.Header.Set("User-Agent", "shoplab-load/1")
	return r
}

func serveOK(b *testing.B, h http.Handler, w *discardWriter, r *http.Request) {
	w.reset()
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK {
		b.Fatalf("GET %s: status %d", r.URL.Path, w.status)
	}
}

// newBrowseShop serves a catalog on loopback gRPC and returns a gateway
// handler in front of it, each service with telemetry of its own.
func newBrowseShop(b *testing.B, lab bool) http.Handler {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	catTel := benchTelemetry(b, topology.Catalog, dir, lab)
	svc, err := catalog.New(ctx, catalog.Options{
		Database: database.Source{Path: filepath.Join(dir, "catalog.db")}, Telemetry: catTel, Incidents: incident.NewSet(topology.Catalog),
	})
	if err != nil {
		b.Fatal(err)
	}
	g, _, err := server.NewGRPCServer(catTel, svc.Register)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Serve(l)
	}()
	b.Cleanup(func() {
		g.Stop()
		<-done
		svc.Close()
	})

	gwTel := benchTelemetry(b, topology.Gateway, dir, lab)
	metrics, err := server.NewClientMetrics(gwTel)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := server.Dial(gwTel, metrics, l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	gw, err := New(Options{
		Telemetry: gwTel,
		// Browsing calls only the catalog.
		Auth:      shopv1.NewAuthServiceClient(conn),
		Catalog:   shopv1.NewCatalogServiceClient(conn),
		Orders:    shopv1.NewOrdersServiceClient(conn),
		Faults:    true,
		Incidents: incident.NewSet(topology.Gateway),
	})
	if err != nil {
		b.Fatal(err)
	}
	return gw.Handler()
}

// benchTelemetry is service's telemetry as the lab builds it in local
// mode (log file and span file in dir), with every signal on or none.
func benchTelemetry(b *testing.B, service, dir string, on bool) *telemetry.Telemetry {
	b.Helper()
	ctx := context.Background()
	cfg := telemetry.Config{Service: service, LogDir: dir, SpanDir: telemetry.SpanDirOf(dir), LogLevel: slog.LevelInfo}
	if !on {
		cfg.Signals = telemetry.Signals{TracesOff: true, MetricsOff: true, LogsOff: true}
	}
	tel, err := telemetry.New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tel.Shutdown(ctx) })
	return tel
}

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, reused across requests.
type discardWriter struct {
	header http.Header
	status int
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (w *discardWriter) reset() {
	clear(w.header)
	w.status = 0
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
