package gateway

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// The API's JSON shapes are written out here rather than derived from the
// protobuf messages, so that a proto change cannot silently change the
// public API.

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type registerResponse struct {
	User userJSON `json:"user"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

type productJSON struct {
	ID          int64  `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"price_cents"`
	Currency    string `json:"currency"`
	Stock       int64  `json:"stock"`
}

type productsResponse struct {
	Products []productJSON `json:"products"`
}

type orderLineJSON struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

type orderJSON struct {
	ID         string          `json:"id"`
	UserID     string          `json:"user_id"`
	Status     string          `json:"status"`
	Lines      []orderLineJSON `json:"lines"`
	TotalCents int64           `json:"total_cents"`
	Currency   string          `json:"currency"`
	CreatedAt  time.Time       `json:"created_at"`
}

func toUser(u *shopv1.User) userJSON {
	return userJSON{ID: u.GetId(), Email: u.GetEmail(), Name: u.GetName(), CreatedAt: timeOf(u.GetCreatedAt())}
}

func toProduct(p *shopv1.Product) productJSON {
	return productJSON{
		ID: p.GetId(), SKU: p.GetSku(), Name: p.GetName(), Description: p.GetDescription(),
		PriceCents: p.GetPriceCents(), Currency: p.GetCurrency(), Stock: p.GetStock(),
	}
}

func toOrder(o *shopv1.Order) orderJSON {
	lines := make([]orderLineJSON, 0, len(o.GetLines()))
	for _, l := range o.GetLines() {
		lines = append(lines, orderLineJSON{
			ProductID: l.GetProductId(), Name: l.GetName(), Quantity: l.GetQuantity(), UnitPriceCents: l.GetUnitPriceCents(),
		})
	}
	return orderJSON{
		ID: o.GetId(), UserID: o.GetUserId(), Status: o.GetStatus(), Lines: lines,
		TotalCents: o.GetTotalCents(), Currency: o.GetCurrency(), CreatedAt: timeOf(o.GetCreatedAt()),
	}
}

// timeOf is ts in UTC; a missing timestamp is the zero time.
func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}
