package auth

import (
	"errors"
	"strings"
)

// Domain errors; grpc.go maps them to status codes.
var (
	errEmailTaken         = errors.New("email already registered")
	errInvalidCredentials = errors.New("invalid email or password")
	errMissingToken       = errors.New("no token")
	errInvalidToken       = errors.New("invalid token")
)

// fieldViolation says what is wrong with one request field.
type fieldViolation struct {
	Field       string
	Description string
}

// invalidInputError lists every problem of a request at once, so that a
// client can fix them all in one go.
type invalidInputError struct {
	violations []fieldViolation
}

func (e *invalidInputError) Error() string {
	parts := make([]string, len(e.violations))
	for i, v := range e.violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return "invalid request: " + strings.Join(parts, "; ")
}
