package gateway

import (
	"maps"
	"slices"
	"testing"

	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// TestHappyPaths calls each route as a client would and checks status and
// the exact JSON keys.
func TestHappyPaths(t *testing.T) {
	env := newEnv(t, nil)
	auth := jsonHeader("Authorization", "Bearer "+goodToken)
	userKeys := []string{"created_at", "email", "id", "name"}
	productKeys := []string{"currency", "description", "id", "name", "price_cents", "sku", "stock"}
	orderKeys := []string{"created_at", "currency", "id", "lines", "status", "total_cents", "user_id"}

	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		status int
		keys   []string
		check  func(t *testing.T, body map[string]any, r response)
	}{
		{
			name: "register", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(),
			body:   `{"email":" grace@example.com ","password":"pw","name":"Grace"}`,
			status: 201, keys: []string{"user"},
			check: func(t *testing.T, body map[string]any, _ response) {
				u := body["user"].(map[string]any)
				wantKeys(t, u, userKeys)
				if u["email"] != "grace@example.com" || u["created_at"] != "2026-01-02T03:04:05Z" {
					t.Errorf("user %v: want trimmed email and RFC 3339 created_at", u)
				}
			},
		},
		{
			name: "login", method: "POST", path: "/api/v1/auth/login", header: jsonHeader("Content-Type", "application/json; charset=utf-8"),
			body:   `{"email":"ada@example.com","password":"` + goodPassword + `"}`,
			status: 200, keys: []string{"expires_at", "token", "user"},
			check: func(t *testing.T, body map[string]any, _ response) {
				if body["token"] != goodToken || body["expires_at"] != "2026-01-02T04:04:05Z" {
					t.Errorf("login answer %v", body)
				}
				wantKeys(t, body["user"].(map[string]any), userKeys)
			},
		},
		{
			name: "list products", method: "GET", path: "/api/v1/products",
			status: 200, keys: []string{"products"},
			check: func(t *testing.T, body map[string]any, _ response) {
				ps := body["products"].([]any)
				if len(ps) != 2 {
					t.Fatalf("%d products, want 2", len(ps))
				}
				p := ps[1].(map[string]any)
				wantKeys(t, p, productKeys)
				if p["id"] != 2.0 || p["price_cents"] != float64(unitPrice) || p["sku"] != "SKU-2" {
					t.Errorf("product %v", p)
				}
			},
		},
		{
			name: "get product", method: "GET", path: "/api/v1/products/7",
			status: 200, keys: productKeys,
			check: func(t *testing.T, body map[string]any, _ response) {
				if body["id"] != 7.0 || body["stock"] != float64(maxFakeStock) {
					t.Errorf("product %v", body)
				}
			},
		},
		{
			name: "place order", method: "POST", path: "/api/v1/orders", header: auth,
			body:   `{"items":[{"product_id":1,"quantity":2},{"product_id":3,"quantity":1}]}`,
			status: 201, keys: orderKeys,
			check: func(t *testing.T, body map[string]any, r response) {
				if body["total_cents"] != float64(3*unitPrice) || body["user_id"] != fakeUserID {
					t.Errorf("order %v", body)
				}
				lines := body["lines"].([]any)
				if len(lines) != 2 {
					t.Fatalf("%d lines, want 2", len(lines))
				}
				wantKeys(t, lines[0].(map[string]any), []string{"name", "product_id", "quantity", "unit_price_cents"})
				if loc := r.header.Get("Location"); loc != "/api/v1/orders/"+knownOrderID {
					t.Errorf("Location %q", loc)
				}
				// The user behind the token, not the client, owns the order.
				c, _ := env.rec.last("PlaceOrder")
				req := c.req.(*shopv1.PlaceOrderRequest)
				if req.GetUserId() != fakeUserID || req.GetEmail() != fakeEmail || len(req.GetLines()) != 2 {
					t.Errorf("orders got %v", req)
				}
			},
		},
		{
			name: "get order", method: "GET", path: "/api/v1/orders/" + knownOrderID, header: auth,
			status: 200, keys: orderKeys,
			check: func(t *testing.T, body map[string]any, _ response) {
				if body["id"] != knownOrderID || body["status"] != "placed" {
					t.Errorf("order %v", body)
				}
			},
		},
		{
			name: "get order with upper-case id", method: "GET", path: "/api/v1/orders/0B4C6F5E-8D0A-4C1E-9A7E-2F3D4C5B6A79", header: auth,
			status: 200, keys: orderKeys,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.do(t, tc.method, tc.path, tc.header, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var body map[string]any
			r.decode(t, &body)
			wantKeys(t, body, tc.keys)
			if tc.check != nil {
				tc.check(t, body, r)
			}
		})
	}
}

func wantKeys(t *testing.T, obj map[string]any, want []string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(obj))
	if !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}
