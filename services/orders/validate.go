package orders

import (
	"fmt"

	"github.com/google/uuid"
)

// Limits on one order; the catalog enforces the same.
const (
	maxLines    = 50
	maxQuantity = 1000
)

func validatePlace(userID string, lines []Line) error {
	if userID == "" {
		return fmt.Errorf("%w: user_id is required", ErrInvalidInput)
	}
	switch {
	case len(lines) == 0:
		return fmt.Errorf("%w: at least one line is required", ErrInvalidInput)
	case len(lines) > maxLines:
		return fmt.Errorf("%w: at most %d lines are allowed, got %d", ErrInvalidInput, maxLines, len(lines))
	}
	seen := make(map[int64]bool, len(lines))
	for i, l := range lines {
		switch {
		case l.ProductID <= 0:
			return fmt.Errorf("%w: lines[%d]: product_id must be positive, got %d", ErrInvalidInput, i, l.ProductID)
		case l.Quantity < 1 || l.Quantity > maxQuantity:
			return fmt.Errorf("%w: lines[%d]: quantity must be between 1 and %d, got %d", ErrInvalidInput, i, maxQuantity, l.Quantity)
		case seen[l.ProductID]:
			return fmt.Errorf("%w: lines[%d]: product %d appears more than once", ErrInvalidInput, i, l.ProductID)
		}
		seen[l.ProductID] = true
	}
	return nil
}

// parseOrderID accepts any form uuid.Parse does and returns the canonical
// lower-case form the orders are stored under.
func parseOrderID(raw string) (string, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: order_id %q is not a valid order ID", ErrInvalidInput, raw)
	}
	return id.String(), nil
}
