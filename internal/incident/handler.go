package incident

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// RoutePrefix is where a service's admin port serves the control surface:
//
//	GET    /admin/incidents         the incidents that are on (JSON list of Active)
//	PUT    /admin/incidents/{name}  switch one on; the body is its Params
//	DELETE /admin/incidents         switch all off
//	DELETE /admin/incidents/{name}  switch one off
const RoutePrefix = "/admin/incidents"

// Error codes of the control surface's JSON error bodies.
const (
	CodeUnauthorized     = "unauthorized"
	CodeFaultsDisabled   = "faults_disabled"
	CodeUnknownIncident  = "unknown_incident"
	CodeInvalidParams    = "invalid_params"
	CodeInvalidJSON      = "invalid_json"
	CodeMethodNotAllowed = "method_not_allowed"
)

// maxBody bounds a PUT body; parameters are a few short strings.
const maxBody = 16 << 10

// errorBody is the shape of an error answer, the gateway's.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// NewHandler is the control surface of set. It answers only when enabled
// (SHOPLAB_FAULTS), and only to requests carrying "Authorization: Bearer
// <token>"; an empty token refuses everyone. It does not look at the
// caller's address: mount it with server.WithIncidents, which refuses
// callers off loopback (compose mode also listens on the Docker bridge).
// It logs nothing and counts nothing: an incident must leave no trace that
// names it.
func NewHandler(set *Set, token string, enabled bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+RoutePrefix, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, set.Active())
	})
	mux.HandleFunc("DELETE "+RoutePrefix, func(w http.ResponseWriter, r *http.Request) {
		set.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT "+RoutePrefix+"/{name}", func(w http.ResponseWriter, r *http.Request) {
		var params Params
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeInvalidJSON, "the body is not readable or too large")
			return
		}
		if len(strings.TrimSpace(string(data))) > 0 {
			if err := json.Unmarshal(data, &params); err != nil {
				writeError(w, http.StatusBadRequest, CodeInvalidJSON, "the body must be a JSON object of string parameters")
				return
			}
		}
		if err := set.On(r.PathValue("name"), params); err != nil {
			failed(w, err)
			return
		}
		writeJSON(w, http.StatusOK, set.Active())
	})
	mux.HandleFunc("DELETE "+RoutePrefix+"/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := set.Off(r.PathValue("name")); err != nil {
			failed(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !enabled:
			writeError(w, http.StatusForbidden, CodeFaultsDisabled, "incidents are disabled (SHOPLAB_FAULTS=off)")
		case len(want) == 0 || subtle.ConstantTimeCompare([]byte(bearer(r)), want) != 1:
			w.Header().Set("WWW-Authenticate", `Bearer realm="shoplab incidents"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or wrong token; it is in the data directory's incidents.token")
		default:
			// Only the mux's own serving sets the {name} path value.
			if _, pattern := mux.Handler(r); pattern == "" {
				writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use GET or DELETE "+RoutePrefix+", PUT or DELETE "+RoutePrefix+"/{name}")
				return
			}
			mux.ServeHTTP(w, r)
		}
	})
}

func failed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnknown):
		writeError(w, http.StatusNotFound, CodeUnknownIncident, err.Error())
	case errors.Is(err, ErrBadParams):
		writeError(w, http.StatusBadRequest, CodeInvalidParams, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(v[len(prefix):])
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = errCode, msg
	writeJSON(w, code, b)
}
