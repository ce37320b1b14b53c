package gateway

import (
	"strings"
	"testing"
)

// TestBadInput sends every kind of wrong request and expects a clear 4xx
// with the error body, never a 500.
func TestBadInput(t *testing.T) {
	env := newEnv(t, nil)
	auth := jsonHeader("Authorization", "Bearer "+goodToken)
	okUser := `{"email":"new@example.com","password":"pw","name":"New"}`
	tooBig := `{"email":"` + strings.Repeat("a", maxBodyBytes) + `","password":"pw","name":"n"}`

	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		body        string
		status      int
		code        string
		msgContains string
		wantHeader  map[string]string
		// calls is how many backend calls the request may cost: what the
		// gateway can reject alone must not reach the backends.
		calls int
	}{
		{name: "truncated JSON", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":`, status: 400, code: CodeInvalidJSON},
		{name: "syntax error", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email" "a"}`, status: 400, code: CodeInvalidJSON},
		{name: "empty body", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: ``, status: 400, code: CodeInvalidJSON},
		{name: "array not object", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `[1,2]`, status: 400, code: CodeInvalidJSON},
		{name: "unknown field", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":"a@b.c","password":"p","name":"n","admin":true}`, status: 400, code: CodeUnknownField, msgContains: `"admin"`},
		{name: "trailing garbage", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: okUser + ` xyz`, status: 400, code: CodeInvalidJSON},
		{name: "second object", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: okUser + okUser, status: 400, code: CodeInvalidJSON},
		{name: "invalid UTF-8 in email", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: "{\"email\":\"a\xffb@example.com\",\"password\":\"pw\",\"name\":\"n\"}", status: 400, code: CodeInvalidUTF8, msgContains: "UTF-8"},
		{name: "invalid UTF-8 in name", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: "{\"email\":\"a@b.c\",\"password\":\"pw\",\"name\":\"Jos\xe9\"}", status: 400, code: CodeInvalidUTF8},
		{name: "truncated UTF-8 sequence", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: "{\"email\":\"a@b.c\xe2\x82\",\"password\":\"pw\"}", status: 400, code: CodeInvalidUTF8},
		{name: "lone surrogate escape", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":"a@b.c","password":"pw","name":"x\ud800y"}`, status: 400, code: CodeInvalidUTF8, msgContains: "surrogate"},
		{name: "lone low surrogate escape", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"\uDC00@b.c","password":"pw"}`, status: 400, code: CodeInvalidUTF8},
		{name: "duplicate key", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":"a@b.c","password":"pw","name":"n","email":"admin@b.c"}`, status: 400, code: CodeDuplicateField, msgContains: `"email"`},
		{name: "duplicate key in other case", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"a@b.c","password":"pw","PASSWORD":"x"}`, status: 400, code: CodeDuplicateField, msgContains: `"PASSWORD"`},
		{name: "duplicate key escaped", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"a@b.c","password":"pw","\u0065mail":"b@b.c"}`, status: 400, code: CodeDuplicateField, msgContains: `"email"`},
		{name: "duplicate unknown key", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"a@b.c","password":"pw","x":1,"x":2}`, status: 400, code: CodeDuplicateField, msgContains: `"x"`},
		{name: "nested too deep", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,"password":"pw"}`, status: 400, code: CodeInvalidJSON, msgContains: "nested"},
		{name: "missing fields", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":"a@b.c"}`, status: 400, code: CodeMissingField, msgContains: `"password", "name"`},
		{name: "blank email", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"  ","password":"pw"}`, status: 400, code: CodeMissingField, msgContains: `"email"`},
		{name: "wrong type", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":1,"password":"pw"}`, status: 400, code: CodeValidationFailed, msgContains: "email"},
		{name: "oversized body", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: tooBig, status: 413, code: CodeBodyTooLarge},
		{name: "text content type", method: "POST", path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "text/plain"}, body: `{"email":"a","password":"b"}`, status: 415, code: CodeUnsupportedMediaType},
		{name: "no content type", method: "POST", path: "/api/v1/auth/login", body: `{"email":"a","password":"b"}`, status: 415, code: CodeUnsupportedMediaType},
		{name: "duplicate email", method: "POST", path: "/api/v1/auth/register", header: jsonHeader(), body: `{"email":"` + takenEmail + `","password":"pw","name":"n"}`, status: 409, code: CodeEmailTaken, msgContains: "already exists", calls: 1},
		{name: "bad credentials", method: "POST", path: "/api/v1/auth/login", header: jsonHeader(), body: `{"email":"` + fakeEmail + `","password":"wrong"}`, status: 401, code: CodeInvalidCredentials, wantHeader: map[string]string{"WWW-Authenticate": "Bearer"}, calls: 1},

		{name: "order without token", method: "POST", path: "/api/v1/orders", header: jsonHeader(), body: `{"items":[{"product_id":1,"quantity":1}]}`, status: 401, code: CodeUnauthorized, wantHeader: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "Bearer without token", method: "POST", path: "/api/v1/orders", header: jsonHeader("Authorization", "Bearer"), body: `{"items":[{"product_id":1,"quantity":1}]}`, status: 401, code: CodeUnauthorized},
		{name: "Bearer and blank", method: "POST", path: "/api/v1/orders", header: jsonHeader("Authorization", "Bearer   "), body: `{"items":[{"product_id":1,"quantity":1}]}`, status: 401, code: CodeUnauthorized},
		{name: "Basic scheme", method: "GET", path: "/api/v1/orders/" + knownOrderID, header: map[string]string{"Authorization": "Basic YTpi"}, status: 401, code: CodeUnauthorized},
		{name: "invalid token", method: "POST", path: "/api/v1/orders", header: jsonHeader("Authorization", "Bearer forged"), body: `{"items":[{"product_id":1,"quantity":1}]}`, status: 401, code: CodeInvalidToken, wantHeader: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}, calls: 1},
		{name: "order no items", method: "POST", path: "/api/v1/orders", header: auth, body: `{}`, status: 400, code: CodeMissingField, msgContains: `"items"`, calls: 1},
		{name: "order empty items", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[]}`, status: 400, code: CodeMissingField, msgContains: `"items"`, calls: 1},
		{name: "quantity zero", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":0}]}`, status: 400, code: CodeValidationFailed, msgContains: "items[0].quantity", calls: 1},
		{name: "quantity negative", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":-2}]}`, status: 400, code: CodeValidationFailed, msgContains: "items[0].quantity", calls: 1},
		{name: "quantity fractional", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":1.5}]}`, status: 400, code: CodeValidationFailed, msgContains: "quantity", calls: 1},
		{name: "quantity missing", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1},{"product_id":2,"quantity":1}]}`, status: 400, code: CodeMissingField, msgContains: "items[0].quantity", calls: 1},
		{name: "product id zero", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":1},{"product_id":0,"quantity":1}]}`, status: 400, code: CodeValidationFailed, msgContains: "items[1].product_id", calls: 1},
		{name: "duplicate product", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":1},{"product_id":1,"quantity":1}]}`, status: 400, code: CodeValidationFailed, msgContains: "items[1].product_id", calls: 1},
		{name: "unknown field in item", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"qty":1}]}`, status: 400, code: CodeUnknownField, msgContains: `"qty"`, calls: 1},
		{name: "duplicate key in item", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":1},{"product_id":2,"quantity":1,"quantity":9}]}`, status: 400, code: CodeDuplicateField, msgContains: "items[1].quantity", calls: 1},
		{name: "duplicate items", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":1}],"items":[]}`, status: 400, code: CodeDuplicateField, msgContains: `"items"`, calls: 1},
		{name: "unknown product", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":404,"quantity":1}]}`, status: 404, code: CodeUnknownProduct, calls: 2},
		{name: "insufficient stock", method: "POST", path: "/api/v1/orders", header: auth, body: `{"items":[{"product_id":1,"quantity":11}]}`, status: 409, code: CodeInsufficientStock, msgContains: "only 10", calls: 2},

		{name: "product id not integer", method: "GET", path: "/api/v1/products/abc", status: 400, code: CodeInvalidID},
		{name: "product id zero in path", method: "GET", path: "/api/v1/products/0", status: 400, code: CodeInvalidID},
		{name: "product id negative", method: "GET", path: "/api/v1/products/-3", status: 400, code: CodeInvalidID},
		{name: "product id signed", method: "GET", path: "/api/v1/products/+3", status: 400, code: CodeInvalidID},
		{name: "product id overflows", method: "GET", path: "/api/v1/products/99999999999999999999", status: 400, code: CodeInvalidID},
		{name: "unknown product by id", method: "GET", path: "/api/v1/products/404", status: 404, code: CodeUnknownProduct, calls: 1},
		{name: "order id not a UUID", method: "GET", path: "/api/v1/orders/42", header: auth, status: 400, code: CodeInvalidID, calls: 1},
		{name: "order id without hyphens", method: "GET", path: "/api/v1/orders/0b4c6f5e8d0a4c1e9a7e2f3d4c5b6a79", header: auth, status: 400, code: CodeInvalidID, calls: 1},
		{name: "order id with a non-hex digit", method: "GET", path: "/api/v1/orders/0b4c6f5e-8d0a-4c1e-9a7e-2f3d4c5b6a7z", header: auth, status: 400, code: CodeInvalidID, calls: 1},
		{name: "someone else's order", method: "GET", path: "/api/v1/orders/11111111-2222-3333-4444-555555555555", header: auth, status: 404, code: CodeNotFound, calls: 2},

		{name: "unknown route", method: "GET", path: "/api/v1/nope", status: 404, code: CodeNotFound},
		{name: "unknown root path", method: "GET", path: "/index.php", status: 404, code: CodeNotFound},
		{name: "trailing slash", method: "GET", path: "/api/v1/products/", status: 404, code: CodeNotFound},
		{name: "wrong method on collection", method: "DELETE", path: "/api/v1/products", status: 405, code: CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "GET"}},
		{name: "GET on POST route", method: "GET", path: "/api/v1/orders", status: 405, code: CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "PUT on login", method: "PUT", path: "/api/v1/auth/login", header: jsonHeader(), body: `{}`, status: 405, code: CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "made-up method", method: "BREW", path: "/api/v1/products", status: 405, code: CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "GET"}},
		{name: "made-up method, unknown path", method: "BREW", path: "/nowhere", status: 404, code: CodeNotFound},
		{name: "fault without kind", method: "GET", path: "/api/v1/products", header: map[string]string{"X-Shoplab-Fault": "catalog:explode"}, status: 400, code: CodeInvalidFault, msgContains: "X-Shoplab-Fault"},
		{name: "fault for unknown service", method: "GET", path: "/api/v1/products", header: map[string]string{"X-Shoplab-Fault": "pluto:delay=1s"}, status: 400, code: CodeInvalidFault, msgContains: "pluto"},
		{name: "fault delay too long", method: "GET", path: "/api/v1/products", header: map[string]string{"X-Shoplab-Fault": "catalog:delay=1h"}, status: 400, code: CodeInvalidFault},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := env.rec.count()
			r := env.do(t, tc.method, tc.path, tc.header, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.errorOf(t)
			if e.Code != tc.code {
				t.Errorf("code %q, want %q (message %q)", e.Code, tc.code, e.Message)
			}
			if !strings.Contains(e.Message, tc.msgContains) {
				t.Errorf("message %q does not mention %q", e.Message, tc.msgContains)
			}
			for k, v := range tc.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if n := env.rec.count() - calls; n != tc.calls {
				t.Errorf("%d backend calls, want %d", n, tc.calls)
			}
		})
	}
}
