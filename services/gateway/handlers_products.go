package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// listProducts is GET /api/v1/products.
func (g *Gateway) listProducts(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := callContext(r.Context())
	defer cancel()
	resp, err := g.catalog.ListProducts(ctx, &shopv1.ListProductsRequest{})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	// An empty catalog is [], not null.
	products := make([]productJSON, 0, len(resp.GetProducts()))
	for _, p := range resp.GetProducts() {
		products = append(products, toProduct(p))
	}
	g.writeJSON(w, r, http.StatusOK, productsResponse{Products: products})
}

// getProduct is GET /api/v1/products/{id}.
func (g *Gateway) getProduct(w http.ResponseWriter, r *http.Request) {
	id, e := parseProductID(chi.URLParam(r, "id"))
	if e != nil {
		g.fail(w, r, *e)
		return
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	p, err := g.catalog.GetProduct(ctx, &shopv1.GetProductRequest{Id: id})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	g.writeJSON(w, r, http.StatusOK, toProduct(p))
}
