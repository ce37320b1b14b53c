package gateway

import (
	"fmt"
	"net/http"
	"strings"
)

// field is a required string field of a request body.
type field struct{ name, value string }

// missingFields answers for the required fields left empty (or blank),
// named in the order given; nil when none is.
func missingFields(fields ...field) *apiError {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	return missingError(missing...)
}

func missingError(names ...string) *apiError {
	switch len(names) {
	case 0:
		return nil
	case 1:
		return &apiError{Status: http.StatusBadRequest, Code: CodeMissingField, Message: fmt.Sprintf("missing required field %q", names[0])}
	default:
		return &apiError{Status: http.StatusBadRequest, Code: CodeMissingField, Message: "missing required fields " + quoteAll(names)}
	}
}

func invalid(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: CodeValidationFailed, Message: fmt.Sprintf(format, args...)}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
