package gateway

import (
	"fmt"
	"log/slog"
	"net/http"

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

// validate checks the items in order and answers for the first one wrong.
func (req placeOrderRequest) validate() *apiError {
	if len(req.Items) == 0 {
		return missingError("items")
	}
	if len(req.Items) > maxOrderItems {
		return invalid("an order has at most %d items (got %d)", maxOrderItems, len(req.Items))
	}
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
			return e
		}
		switch pid, qty := *it.ProductID, *it.Quantity; {
		case pid <= 0:
			return invalid("%s must be a positive integer (got %d)", fieldPath(i, "product_id"), pid)
		case qty <= 0 || qty > maxQuantity:
			return invalid("%s must be between 1 and %d (got %d)", fieldPath(i, "quantity"), maxQuantity, qty)
		}
		if first, dup := seen[*it.ProductID]; dup {
			return invalid("%s repeats product %d of items[%d]; put the whole quantity in one item", fieldPath(i, "product_id"), *it.ProductID, first)
		}
		seen[*it.ProductID] = i
	}
	return nil
}

// stockLines turns the items of a validated request into the order's
// lines.
func (req placeOrderRequest) stockLines() []*shopv1.StockLine {
	lines := make([]*shopv1.StockLine, 0, len(req.Items))
	for _, it := range req.Items {
		lines = append(lines, &shopv1.StockLine{ProductId: *it.ProductID, Quantity: *it.Quantity})
	}
	return lines
}

func fieldPath(i int, name string) string {
	return fmt.Sprintf("items[%d].%s", i, name)
}

// handlePlaceOrder is POST /api/v1/orders. auth checks the caller's token.
func handlePlaceOrder(log *slog.Logger, auth shopv1.AuthServiceClient, orders shopv1.OrdersServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := authenticate(log, auth, w, r)
		if !ok {
			return
		}
		req, ok := decodeValid[placeOrderRequest](log, w, r)
		if !ok {
			return
		}
		ctx, cancel := callContext(r.Context())
		defer cancel()
		o, err := orders.PlaceOrder(ctx, &shopv1.PlaceOrderRequest{UserId: who.userID, Email: who.email, Lines: req.stockLines()})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		w.Header().Set("Location", "/api/v1/orders/"+o.GetId())
		writeJSON(log, w, r, http.StatusCreated, toOrder(o))
	})
}

// handleGetOrder is GET /api/v1/orders/{id}. The orders service only
// finds the caller's own orders; auth checks the caller's token.
func handleGetOrder(log *slog.Logger, auth shopv1.AuthServiceClient, orders shopv1.OrdersServiceClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := authenticate(log, auth, w, r)
		if !ok {
			return
		}
		id, ok := urlParam(log, w, r, "id", parseOrderID)
		if !ok {
			return
		}
		ctx, cancel := callContext(r.Context())
		defer cancel()
		o, err := orders.GetOrder(ctx, &shopv1.GetOrderRequest{OrderId: id, UserId: who.userID})
		if err != nil {
			failGRPC(log, w, r, err)
			return
		}
		writeJSON(log, w, r, http.StatusOK, toOrder(o))
	})
}
