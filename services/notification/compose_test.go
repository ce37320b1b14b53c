package notification

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/testkit"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		cents    int64
		currency string
		want     string
	}{
		{0, "USD", "0.00 USD"},
		{5, "USD", "0.05 USD"},
		{999, "EUR", "9.99 EUR"},
		{100000, "USD", "1,000.00 USD"},
		{123456789, "USD", "1,234,567.89 USD"},
		{-250, "USD", "-2.50 USD"},
		{1234, "", "12.34"},
		{math.MinInt64, "", "-92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		if got := formatMoney(tt.cents, tt.currency); got != tt.want {
			t.Errorf("formatMoney(%d, %q) = %q, want %q", tt.cents, tt.currency, got, tt.want)
		}
	}
}

func TestCompose(t *testing.T) {
	tests := []struct {
		name          string
		topic, data   string
		wantPermanent bool
		wantSubject   string
	}{
		{"welcome", events.TopicUserRegistered, `{"user_id":"u","email":"ada@example.com","name":"Ada"}`, false, "Welcome to ShopEase, Ada!"},
		{"welcome without a name", events.TopicUserRegistered, `{"user_id":"u","email":"ada@example.com"}`, false, "Welcome to ShopEase!"},
		{"order", events.TopicOrderPlaced, `{"order_id":"o-1","email":"ada@example.com","total_cents":100,"currency":"USD","lines":[{"name":"x","quantity":1,"unit_price_cents":100}]}`, false, "Your ShopEase order o-1 is confirmed"},
		{"newline in order ID", events.TopicOrderPlaced, `{"order_id":"o-1\r\nBcc: x@evil.test","email":"ada@example.com","lines":[{"name":"x","quantity":1}]}`, false, "Your ShopEase order o-1  Bcc: x@evil.test is confirmed"},
		{"null data", events.TopicUserRegistered, `null`, true, ""},
		{"data of the wrong type", events.TopicUserRegistered, `{"email":42}`, true, ""},
		{"bad recipient", events.TopicUserRegistered, `{"email":"not an address"}`, true, ""},
		{"order without ID", events.TopicOrderPlaced, `{"email":"ada@example.com","lines":[{"name":"x","quantity":1}]}`, true, ""},
		{"unknown topic", "user.deleted", `{}`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := compose(tt.topic, events.Envelope{ID: "e", Type: tt.topic, Data: json.RawMessage(tt.data)})
			if tt.wantPermanent {
				if !errors.Is(err, events.ErrPermanent) {
					t.Fatalf("err = %v, want an ErrPermanent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", e.subject, tt.wantSubject)
			}
		})
	}
}

// TestBuildMessageHeaders checks that event text cannot add headers and
// that non-ASCII text survives.
func TestBuildMessageHeaders(t *testing.T) {
	e, err := compose(events.TopicUserRegistered, events.Envelope{Data: json.RawMessage(
		`{"email":"zoe@example.com","name":"Zoë\r\nBcc: x@evil.test"}`)})
	if err != nil {
		t.Fatal(err)
	}
	from := &mail.Address{Name: "ShopEase", Address: "orders@shopease.test"}
	raw := buildMessage(from, e, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), messageID("evt/1", from), "evt/1", "0123456789abcdef0123456789abcdef")
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if line == "" {
			break // end of the header
		}
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Fatalf("event text injected a header: %q", line)
		}
	}
	m := parse(t, testkit.SMTPMessage{Data: bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))})
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Welcome to ShopEase, Zoë  Bcc: x@evil.test!"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if !strings.Contains(m.body, "Hello Zoë  Bcc: x@evil.test,") {
		t.Errorf("body lost the name:\n%s", m.body)
	}
	if id := m.header.Get("Message-ID"); strings.Contains(id, "/") || !strings.HasSuffix(id, ".notification@shopease.test>") {
		t.Errorf("Message-ID = %q, want a hashed, header-safe ID", id)
	}
	if got := m.header.Get("X-Trace-Id"); got != "0123456789abcdef0123456789abcdef" {
		t.Errorf("X-Trace-Id = %q", got)
	}
}
