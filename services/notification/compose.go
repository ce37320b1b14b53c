package notification

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"

	"github.com/shoplab/shoplab/internal/events"
)

// email is a message to send; body lines end in "\n".
type email struct {
	to      *mail.Address
	subject string
	body    string
}

// compose decodes the event's data and writes its e-mail. Data that cannot
// make an e-mail is an events.ErrPermanent error: retrying cannot fix it.
func compose(topic string, env events.Envelope) (email, error) {
	switch topic {
	case events.TopicUserRegistered:
		var d events.UserRegistered
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return email{}, fmt.Errorf("%w: %s data: %w", events.ErrPermanent, topic, err)
		}
		to, err := recipient(d.Email)
		if err != nil {
			return email{}, err
		}
		return welcome(to, clean(d.Name)), nil
	case events.TopicOrderPlaced:
		var d events.OrderPlaced
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return email{}, fmt.Errorf("%w: %s data: %w", events.ErrPermanent, topic, err)
		}
		if d.OrderID == "" || len(d.Lines) == 0 {
			return email{}, fmt.Errorf("%w: %s data: order_id and lines are required", events.ErrPermanent, topic)
		}
		to, err := recipient(d.Email)
		if err != nil {
			return email{}, err
		}
		return orderConfirmation(to, d), nil
	}
	return email{}, fmt.Errorf("%w: no e-mail for topic %q", events.ErrPermanent, topic)
}

func recipient(addr string) (*mail.Address, error) {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient %q: %w", events.ErrPermanent, addr, err)
	}
	return a, nil
}

func welcome(to *mail.Address, name string) email {
	greeting, subject := "Hello,", "Welcome to ShopEase!"
	if name != "" {
		greeting, subject = "Hello "+name+",", "Welcome to ShopEase, "+name+"!"
		to = &mail.Address{Name: name, Address: to.Address}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", greeting)
	fmt.Fprintf(&b, "your ShopEase account is ready. Sign in with %s to start shopping.\n\n", to.Address)
	b.WriteString("Happy shopping!\nThe ShopEase team\n")
	return email{to: to, subject: subject, body: b.String()}
}

func orderConfirmation(to *mail.Address, d events.OrderPlaced) email {
	id, currency := clean(d.OrderID), clean(d.Currency)
	var b strings.Builder
	b.WriteString("Hello,\n\nthank you for your order. We have received it and are preparing it.\n\n")
	fmt.Fprintf(&b, "Order: %s\n\n", id)
	for _, l := range d.Lines {
		fmt.Fprintf(&b, "  %d x %s at %s = %s\n", l.Quantity, clean(l.Name),
			formatMoney(l.UnitPriceCents, currency), formatMoney(l.Quantity*l.UnitPriceCents, currency))
	}
	fmt.Fprintf(&b, "\nTotal: %s\n\nThe ShopEase team\n", formatMoney(d.TotalCents, currency))
	return email{to: to, subject: "Your ShopEase order " + id + " is confirmed", body: b.String()}
}

// formatMoney writes cents as e.g. "1,234.50 EUR".
func formatMoney(cents int64, currency string) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", -u // two's complement: correct even for math.MinInt64
	}
	whole := strconv.FormatUint(u/100, 10)
	var grouped strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(r)
	}
	s := fmt.Sprintf("%s%s.%02d", sign, grouped.String(), u%100)
	if currency != "" {
		s += " " + currency
	}
	return s
}

// clean makes event text safe to put in a header or a line of the body:
// control characters (a CR LF could start a new header) become spaces.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}
