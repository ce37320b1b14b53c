package orders

import (
	"context"
	"fmt"
)

// get returns order rawID if userID owns it.
func (s *Service) get(ctx context.Context, rawID, userID string) (Order, error) {
	id, err := parseOrderID(rawID)
	if err != nil {
		return Order{}, err
	}
	if userID == "" {
		return Order{}, fmt.Errorf("%w: user_id is required", ErrInvalidInput)
	}
	return getOrder(ctx, s.db, id, userID)
}
