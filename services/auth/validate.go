package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input limits.
const (
	maxEmailLen    = 254 // RFC 5321's limit on a forward path
	maxNameRunes   = 100
	minPasswordLen = 8
	// maxPasswordLen is bcrypt's limit: it reads at most 72 bytes, and
	// x/crypto refuses longer passwords rather than silently ignoring the
	// rest.
	maxPasswordLen = 72
)

// validateRegistration checks a registration's fields (email and name
// already trimmed) and returns an *invalidInputError naming every problem,
// or nil.
func validateRegistration(email, password, name string) error {
	var v []fieldViolation
	add := func(field, desc string) { v = append(v, fieldViolation{field, desc}) }

	switch {
	case email == "":
		add("email", "is required")
	case len(email) > maxEmailLen:
		add("email", "must be at most 254 characters")
	default:
		// ParseAddress also accepts `Ada <ada@example.com>`; only a bare
		// address is an e-mail address here.
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			add("email", "must be an e-mail address such as ada@example.com")
		}
	}

	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		add("name", "is required")
	case n > maxNameRunes:
		add("name", "must be at most 100 characters")
	case strings.ContainsFunc(name, unicode.IsControl):
		add("name", "must not contain control characters")
	}

	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		add("password", "must be 8 to 72 bytes long (bcrypt's limit; a non-ASCII character takes 2 to 4 bytes)")
	}

	if len(v) > 0 {
		return &invalidInputError{violations: v}
	}
	return nil
}

// validateLogin rejects a login that names no e-mail or password; whether
// they match is Login's business.
func validateLogin(email, password string) error {
	var v []fieldViolation
	if email == "" {
		v = append(v, fieldViolation{"email", "is required"})
	}
	if password == "" {
		v = append(v, fieldViolation{"password", "is required"})
	}
	if len(v) > 0 {
		return &invalidInputError{violations: v}
	}
	return nil
}
