package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// parseProductID reads a product ID: a positive decimal integer, no sign.
func parseProductID(raw string) (int64, *apiError) {
	bad := &apiError{Status: http.StatusBadRequest, Code: CodeInvalidID, Message: "product id must be a positive integer"}
	if raw == "" || strings.TrimLeft(raw, "0123456789") != "" {
		return 0, bad
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, bad
	}
	return id, nil
}

// parseOrderID reads an order ID: a UUID in its canonical 8-4-4-4-12 hex
// form, returned in lower case.
func parseOrderID(raw string) (string, *apiError) {
	if !isUUID(raw) {
		return "", &apiError{Status: http.StatusBadRequest, Code: CodeInvalidID, Message: "order id must be a UUID such as 0b4c6f5e-8d0a-4c1e-9a7e-2f3d4c5b6a79"}
	}
	return strings.ToLower(raw), nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
