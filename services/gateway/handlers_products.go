package gateway

import (
	"log/slog"
	"net/http"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// handleListProducts is GET /api/v1/products.
func handleListProducts(log *slog.Logger, catalog shopv1.CatalogServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := callContext(r.Context())
		defer cancel()
		resp, err := catalog.ListProducts(ctx, &shopv1.ListProductsRequest{})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		// An empty catalog is [], not null.
		products := make([]productJSON, 0, len(resp.GetProducts()))
		for _, p := range resp.GetProducts() {
			products = append(products, toProduct(p))
		}
		writeJSON(log, w, r, http.StatusOK, productsResponse{Products: products})
	})
}

// handleGetProduct is GET /api/v1/products/{id}.
func handleGetProduct(log *slog.Logger, catalog shopv1.CatalogServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := urlParam(log, w, r, "id", parseProductID)
		if !ok {
			return
		}
		ctx, cancel := callContext(r.Context())
		defer cancel()
		p, err := catalog.GetProduct(ctx, &shopv1.GetProductRequest{Id: id})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		writeJSON(log, w, r, http.StatusOK, toProduct(p))
	})
}
