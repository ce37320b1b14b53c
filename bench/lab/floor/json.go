package main

import (
	"encoding/json"
	"net/http"
)

// productJSON is the gateway's product, field for field.
type productJSON struct {
	ID          int64  `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int64  `json:"price_cents"`
	Currency    string `json:"currency"`
	Stock       int64  `json:"stock"`
}

type productsJSON struct {
	Products []productJSON `json:"products"`
}

func toJSON(p interface {
	GetId() int64
	GetSku() string
	GetName() string
	GetDescription() string
	GetPriceCents() int64
	GetCurrency() string
	GetStock() int64
}) productJSON {
	return productJSON{
		ID: p.GetId(), SKU: p.GetSku(), Name: p.GetName(), Description: p.GetDescription(),
		PriceCents: p.GetPriceCents(), Currency: p.GetCurrency(), Stock: p.GetStock(),
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}
