// Package events defines the shop's Kafka events and moves them: a
// Publisher and a Consumer that carry the W3C trace context in message
// headers, so that a trace continues across the broker.
package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// Topics.
const (
	TopicUserRegistered = "user.registered"
	TopicOrderPlaced    = "order.placed"
)

// Topics returns every topic the shop uses.
func Topics() []string { return []string{TopicUserRegistered, TopicOrderPlaced} }

// Envelope is the JSON value of every message. ID is unique per event and
// is what consumers deduplicate on.
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// UserRegistered is the data of a user.registered event.
type UserRegistered struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

// OrderPlaced is the data of an order.placed event.
type OrderPlaced struct {
	OrderID    string      `json:"order_id"`
	UserID     string      `json:"user_id"`
	Email      string      `json:"email"`
	TotalCents int64       `json:"total_cents"`
	Currency   string      `json:"currency"`
	Lines      []OrderLine `json:"lines"`
}

// OrderLine is one line of an OrderPlaced.
type OrderLine struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// NewEnvelope wraps data as event id of type typ.
func NewEnvelope(id, typ string, at time.Time, data any) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Envelope{ID: id, Type: typ, OccurredAt: at.UTC(), Data: raw}, nil
}

// DecodeEnvelope parses a message value.
func DecodeEnvelope(value []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(value, &env); err != nil {
		return Envelope{}, fmt.Errorf("decode event: %w", err)
	}
	if env.ID == "" || env.Type == "" {
		return Envelope{}, fmt.Errorf("decode event: id and type are required")
	}
	return env, nil
}
