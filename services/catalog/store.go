package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/incident"
)

// Product is one item for sale.
type Product struct {
	ID          int64
	SKU         string
	Name        string
	Description string
	PriceCents  int64
	Currency    string
	Stock       int64
}

// Line asks for quantity units of one product.
type Line struct {
	ProductID int64
	Quantity  int64
}

// ReservedLine is a line of a reservation, priced when it was taken.
type ReservedLine struct {
	ProductID      int64
	Name           string
	Quantity       int64
	UnitPriceCents int64
}

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID  string
	Lines    []ReservedLine
	Currency string
}

// Units is the total quantity reserved.
func (r Reservation) Units() int64 {
	var n int64
	for _, l := range r.Lines {
		n += l.Quantity
	}
	return n
}

// Domain errors. The gRPC layer maps them to status codes.
var (
	// ErrInvalidInput means the request itself is malformed.
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnknownProduct means a product ID names no product.
	ErrUnknownProduct = errors.New("unknown product")
	// ErrInsufficientStock means a product has fewer units than asked for.
	ErrInsufficientStock = errors.New("insufficient stock")
	// ErrReservationReleased means the order's reservation was already given
	// back; reserving again under the same order ID is refused, so that a
	// late retry cannot resurrect a cancelled order's stock.
	ErrReservationReleased = errors.New("reservation already released")
	// ErrMixedCurrency means the products of one reservation are priced in
	// different currencies, which an order cannot total.
	ErrMixedCurrency = errors.New("products priced in different currencies")
)

// UnknownProductError names the missing product. It matches
// ErrUnknownProduct with errors.Is.
type UnknownProductError struct {
	ProductID int64
}

// Error names the missing product.
func (e *UnknownProductError) Error() string {
	return fmt.Sprintf("product %d does not exist", e.ProductID)
}

// Unwrap makes errors.Is(err, ErrUnknownProduct) true.
func (e *UnknownProductError) Unwrap() error { return ErrUnknownProduct }

// InsufficientStockError names the product that is short. It matches
// ErrInsufficientStock with errors.Is.
type InsufficientStockError struct {
	ProductID int64
	Name      string
	Requested int64
	Available int64
}

// Error names the product, what was asked and what is left.
func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("not enough stock for %q (product %d): requested %d, available %d",
		e.Name, e.ProductID, e.Requested, e.Available)
}

// Unwrap makes errors.Is(err, ErrInsufficientStock) true.
func (e *InsufficientStockError) Unwrap() error { return ErrInsufficientStock }

// store is the catalog's SQL.
type store struct {
	db     *sql.DB
	tracer trace.Tracer
	// spanOptions are each query's span options (querySpan).
	spanOptions map[string][]trace.SpanStartOption
	// incidents can slow a query down or split one into many.
	incidents *incident.Set
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const productColumns = `id, sku, name, description, price_cents, currency, stock`

func scanProduct(scan func(...any) error) (Product, error) {
	var p Product
	err := scan(&p.ID, &p.SKU, &p.Name, &p.Description, &p.PriceCents, &p.Currency, &p.Stock)
	return p, err
}

// Queries of the products list, in one statement or (the N+1 pattern)
// one for the list and one per product for its stock.
const (
	listProductsQuery = `SELECT ` + productColumns + ` FROM products ORDER BY id`
	listNoStockQuery  = `SELECT id, sku, name, description, price_cents, currency FROM products ORDER BY id`
	stockQuery        = `SELECT stock FROM products WHERE id = $1`
	getProductQuery   = `SELECT ` + productColumns + ` FROM products WHERE id = $1`
)

func (st *store) listProducts(ctx context.Context) ([]Product, error) {
	if st.incidents.NPlusOne() {
		return st.listProductsOneByOne(ctx)
	}
	qctx, span := st.querySpan(ctx, listProductsQuery)
	out, err := st.queryProducts(qctx, listProductsQuery, st.incidents.QueryDelay(incident.RPCListProducts), scanProduct)
	endQuery(span, err)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return out, nil
}

// listProductsOneByOne lists the products without their stock, then asks
// for each product's stock in a query of its own.
func (st *store) listProductsOneByOne(ctx context.Context) ([]Product, error) {
	qctx, span := st.querySpan(ctx, listNoStockQuery)
	out, err := st.queryProducts(qctx, listNoStockQuery, st.incidents.QueryDelay(incident.RPCListProducts), func(scan func(...any) error) (Product, error) {
		var p Product
		err := scan(&p.ID, &p.SKU, &p.Name, &p.Description, &p.PriceCents, &p.Currency)
		return p, err
	})
	endQuery(span, err)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	for i := range out {
		qctx, span := st.querySpan(ctx, stockQuery)
		err := st.db.QueryRowContext(qctx, stockQuery, out[i].ID).Scan(&out[i].Stock)
		endQuery(span, err)
		if err != nil {
			return nil, fmt.Errorf("list products: stock of %d: %w", out[i].ID, err)
		}
	}
	return out, nil
}

// listCapacity is the products list's starting capacity.
const listCapacity = 16

func (st *store) queryProducts(ctx context.Context, query string, delay time.Duration, scan func(func(...any) error) (Product, error)) ([]Product, error) {
	if err := incident.Wait(ctx, delay); err != nil {
		return nil, err
	}
	rows, err := st.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Room for the seeded catalog, so that the list is not regrown row by
	// row on every call.
	out := make([]Product, 0, listCapacity)
	for rows.Next() {
		p, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (st *store) getProduct(ctx context.Context, id int64) (Product, error) {
	qctx, span := st.querySpan(ctx, getProductQuery)
	err := incident.Wait(qctx, st.incidents.QueryDelay(incident.RPCGetProduct))
	var p Product
	if err == nil {
		p, err = getProduct(qctx, st.db, id)
	}
	var unknown *UnknownProductError
	if errors.As(err, &unknown) {
		// No row is an answer, not a failed query.
		endQuery(span, nil)
	} else {
		endQuery(span, err)
	}
	return p, err
}

func getProduct(ctx context.Context, q querier, id int64) (Product, error) {
	p, err := scanProduct(q.QueryRowContext(ctx, getProductQuery, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, &UnknownProductError{ProductID: id}
	}
	if err != nil {
		return Product{}, fmt.Errorf("get product %d: %w", id, err)
	}
	return p, nil
}
