package gateway

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// placeOrderRequest uses pointers so that a missing field can be told
// from a zero one: "quantity": 0 is a wrong value, no quantity is a
// missing field.
type placeOrderRequest struct {
	Items []orderItem `json:"items"`
}

type orderItem struct {
	ProductID *int64 `json:"product_id"`
	Quantity  *int64 `json:"quantity"`
}

// Bounds on one order: far above any real basket, low enough that a
// request cannot make the backends do unbounded work.
const (
	maxOrderItems = 100
	maxQuantity   = 1000
)

// stockLines checks the items and turns them into the order's lines.
func (req placeOrderRequest) stockLines() ([]*shopv1.StockLine, *apiError) {
	if len(req.Items) == 0 {
		return nil, missingError("items")
	}
	if len(req.Items) > maxOrderItems {
		return nil, invalid("an order has at most %d items (got %d)", maxOrderItems, len(req.Items))
	}
	lines := make([]*shopv1.StockLine, 0, len(req.Items))
	seen := make(map[int64]int, len(req.Items))
	for i, it := range req.Items {
		var missing []string
		if it.ProductID == nil {
			missing = append(missing, fieldPath(i, "product_id"))
		}
		if it.Quantity == nil {
			missing = append(missing, fieldPath(i, "quantity"))
		}
		if e := missingError(missing...); e != nil {
			return nil, e
		}
		switch pid, qty := *it.ProductID, *it.Quantity; {
		case pid <= 0:
			return nil, invalid("%s must be a positive integer (got %d)", fieldPath(i, "product_id"), pid)
		case qty <= 0 || qty > maxQuantity:
			return nil, invalid("%s must be between 1 and %d (got %d)", fieldPath(i, "quantity"), maxQuantity, qty)
		}
		if first, dup := seen[*it.ProductID]; dup {
			return nil, invalid("%s repeats product %d of items[%d]; put the whole quantity in one item", fieldPath(i, "product_id"), *it.ProductID, first)
		}
		seen[*it.ProductID] = i
		lines = append(lines, &shopv1.StockLine{ProductId: *it.ProductID, Quantity: *it.Quantity})
	}
	return lines, nil
}

func fieldPath(i int, name string) string {
	return fmt.Sprintf("items[%d].%s", i, name)
}

// placeOrder is POST /api/v1/orders.
func (g *Gateway) placeOrder(w http.ResponseWriter, r *http.Request) {
	who, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	var req placeOrderRequest
	if e := decodeJSON(w, r, &req); e != nil {
		g.fail(w, r, *e)
		return
	}
	lines, e := req.stockLines()
	if e != nil {
		g.fail(w, r, *e)
		return
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	o, err := g.orders.PlaceOrder(ctx, &shopv1.PlaceOrderRequest{UserId: who.userID, Email: who.email, Lines: lines})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orders/"+o.GetId())
	g.writeJSON(w, r, http.StatusCreated, toOrder(o))
}

// getOrder is GET /api/v1/orders/{id}. The orders service only finds the
// caller's own orders.
func (g *Gateway) getOrder(w http.ResponseWriter, r *http.Request) {
	who, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	id, e := parseOrderID(chi.URLParam(r, "id"))
	if e != nil {
		g.fail(w, r, *e)
		return
	}
	ctx, cancel := callContext(r.Context())
	defer cancel()
	o, err := g.orders.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: id, UserId: who.userID})
	if err != nil {
		g.failGRPC(w, r, err)
		return
	}
	g.writeJSON(w, r, http.StatusOK, toOrder(o))
}
