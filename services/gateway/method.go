package gateway

import "net/http"

// methodOther stands for any method outside the standard set, as in the
// OpenTelemetry conventions: a client-chosen method must not become a new
// metric series.
const methodOther = "_OTHER"

// methodLabel is r's method, bounded.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return methodOther
}
