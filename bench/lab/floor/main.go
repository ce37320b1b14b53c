// Command floor is the shop's browse path with nothing in it but the
// transport: net/http answers GET /api/v1/products and
// /api/v1/products/{id} by calling a gRPC catalog service
// (proto/shop/v1) that returns the products from memory, and writes the
// same JSON as the gateway. No telemetry, no database, no middleware.
// bench/LAB.md compares the shop's browse path with it: the floor is
// what the same work costs with nothing of the shop's own.
//
// The products are the catalog's seed, read once at start through the
// catalog service itself (a throwaway database in a temporary directory),
// so that both answer the same bytes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/shoplab/shoplab/internal/database"
	"github.com/shoplab/shoplab/internal/telemetry"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
	"github.com/shoplab/shoplab/services/catalog"
)

func main() {
	httpAddr := flag.String("http", "127.0.0.1:8190", "where the HTTP API listens")
	grpcAddr := flag.String("grpc", "127.0.0.1:8191", "where the in-memory catalog's gRPC API listens")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *httpAddr, *grpcAddr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, httpAddr, grpcAddr string) error {
	products, err := seedProducts(ctx)
	if err != nil {
		return err
	}
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	shopv1.RegisterCatalogServiceServer(gs, newMemCatalog(products))
	go gs.Serve(gl)
	defer gs.Stop()

	conn, err := grpc.NewClient(gl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	hs := &http.Server{Addr: httpAddr, Handler: routes(shopv1.NewCatalogServiceClient(conn)), ReadHeaderTimeout: 5 * time.Second}
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(hl) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seedProducts reads the catalog's seed through the catalog service, on a
// throwaway database, with every signal off.
func seedProducts(ctx context.Context) ([]*shopv1.Product, error) {
	dir, err := os.MkdirTemp("", "shoplab-floor-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tel, err := telemetry.New(ctx, telemetry.Config{Service: "catalog", Signals: telemetry.Signals{TracesOff: true, MetricsOff: true, LogsOff: true}})
	if err != nil {
		return nil, err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	svc, err := catalog.New(ctx, catalog.Options{Database: database.Source{Path: filepath.Join(dir, "catalog.db")}, Telemetry: tel})
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	resp, err := svc.ListProducts(ctx, &shopv1.ListProductsRequest{})
	if err != nil {
		return nil, fmt.Errorf("read the catalog seed: %w", err)
	}
	if len(resp.GetProducts()) == 0 {
		return nil, errors.New("the catalog seed is empty")
	}
	return resp.GetProducts(), nil
}

// memCatalog answers the catalog's read calls from memory.
type memCatalog struct {
	shopv1.UnimplementedCatalogServiceServer
	list *shopv1.ListProductsResponse
	byID map[int64]*shopv1.Product
}

func newMemCatalog(products []*shopv1.Product) *memCatalog {
	m := &memCatalog{list: &shopv1.ListProductsResponse{Products: products}, byID: map[int64]*shopv1.Product{}}
	for _, p := range products {
		m.byID[p.GetId()] = p
	}
	return m
}

func (m *memCatalog) ListProducts(context.Context, *shopv1.ListProductsRequest) (*shopv1.ListProductsResponse, error) {
	return m.list, nil
}

func (m *memCatalog) GetProduct(_ context.Context, req *shopv1.GetProductRequest) (*shopv1.Product, error) {
	if p, ok := m.byID[req.GetId()]; ok {
		return p, nil
	}
	return nil, status.Error(codes.NotFound, "product not found")
}

// routes is the gateway's two browse routes and a health probe.
func routes(c shopv1.CatalogServiceClient) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /api/v1/products", func(w http.ResponseWriter, r *http.Request) {
		resp, err := c.ListProducts(r.Context(), &shopv1.ListProductsRequest{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out := productsJSON{Products: make([]productJSON, 0, len(resp.GetProducts()))}
		for _, p := range resp.GetProducts() {
			out.Products = append(out.Products, toJSON(p))
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /api/v1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, "bad product id", http.StatusBadRequest)
			return
		}
		p, err := c.GetProduct(r.Context(), &shopv1.GetProductRequest{Id: id})
		if status.Code(err) == codes.NotFound {
			http.Error(w, "product not found", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		writeJSON(w, toJSON(p))
	})
	return mux
}
