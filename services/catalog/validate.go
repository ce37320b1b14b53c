package catalog

import "fmt"

// Limits on one reservation.
const (
	maxLines    = 50
	maxQuantity = 1000
)

func validateProductID(id int64) error {
	if id <= 0 {
		return fmt.Errorf("%w: product id must be positive, got %d", ErrInvalidInput, id)
	}
	return nil
}

func validateOrderID(orderID string) error {
	if orderID == "" {
		return fmt.Errorf("%w: order_id is required", ErrInvalidInput)
	}
	return nil
}

func validateReservation(orderID string, lines []Line) error {
	if err := validateOrderID(orderID); err != nil {
		return err
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
