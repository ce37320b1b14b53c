package events

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	env, err := NewEnvelope("evt-1", TopicOrderPlaced, at, OrderPlaced{OrderID: "o-1", Email: "ada@example.com",
		Lines: []OrderLine{{ProductID: 1, Name: "Widget", Quantity: 2, UnitPriceCents: 999}}})
	if err != nil {
		t.Fatal(err)
	}
	if env.OccurredAt.Location() != time.UTC || !env.OccurredAt.Equal(at) {
		t.Errorf("OccurredAt = %v, want %v in UTC", env.OccurredAt, at)
	}
	value, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(value)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "evt-1" || got.Type != TopicOrderPlaced || !got.OccurredAt.Equal(at) {
		t.Errorf("decoded %+v", got)
	}
	var d OrderPlaced
	if err := json.Unmarshal(got.Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.OrderID != "o-1" || len(d.Lines) != 1 || d.Lines[0].UnitPriceCents != 999 {
		t.Errorf("data = %+v", d)
	}
}

func TestNewEnvelopeRejectsUnencodableData(t *testing.T) {
	if _, err := NewEnvelope("evt-1", TopicOrderPlaced, time.Now(), make(chan int)); err == nil {
		t.Fatal("want an error")
	}
}

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		wantErr bool
	}{
		{"valid", `{"id":"e","type":"t","occurred_at":"2030-01-02T03:04:05Z","data":{}}`, false},
		{"without time and data", `{"id":"e","type":"t"}`, false},
		{"not JSON", `{not json`, true},
		{"without id", `{"type":"t","data":{}}`, true},
		{"without type", `{"id":"e","data":{}}`, true},
		{"null", `null`, true},
		{"bad time", `{"id":"e","type":"t","occurred_at":"yesterday"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeEnvelope([]byte(tt.value))
			if (err != nil) != tt.wantErr {
				t.Errorf("DecodeEnvelope(%s) error = %v, want error %v", tt.value, err, tt.wantErr)
			}
		})
	}
}

func TestTopics(t *testing.T) {
	got := Topics()
	if len(got) != 2 || got[0] != TopicUserRegistered || got[1] != TopicOrderPlaced {
		t.Errorf("Topics() = %v", got)
	}
	got[0] = "changed"
	if Topics()[0] != TopicUserRegistered {
		t.Error("Topics() shares its slice with callers")
	}
}
