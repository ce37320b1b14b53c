package gateway

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// validator is a request body that can check itself once decoded, for
// what its JSON shape alone cannot say (required and bounded fields).
type validator interface {
	validate() *apiError
}

// decodeValid reads r's body into a T (see decodeJSON) and validates it.
// When either fails it has answered already and reports false.
func decodeValid[T validator](log *slog.Logger, w http.ResponseWriter, r *http.Request) (T, bool) {
	var req T
	if e := decodeJSON(w, r, &req); e != nil {
		fail(log, w, r, *e)
		return req, false
	}
	if e := req.validate(); e != nil {
		fail(log, w, r, *e)
		return req, false
	}
	return req, true
}

// urlParam reads the route's URL parameter name with parse. When parse
// rejects it, it has answered already and reports false.
func urlParam[T any](log *slog.Logger, w http.ResponseWriter, r *http.Request, name string, parse func(string) (T, *apiError)) (T, bool) {
	v, e := parse(chi.URLParam(r, name))
	if e != nil {
		fail(log, w, r, *e)
		return v, false
	}
	return v, true
}
