package gateway

import (
	"net/http"

	"github.com/shoplab/shoplab/internal/region"
)

// withRegion puts the client's region (X-Region, normalised onto the fixed
// set) into the context's baggage, from where it reaches every span, log
// line and backend. The X-Region header is the authority: a region the
// client put in its own baggage is overwritten.
func withRegion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg := region.Normalize(r.Header.Get(region.Header))
		w.Header().Set(region.Header, reg)
		next.ServeHTTP(w, r.WithContext(region.WithRegion(r.Context(), reg)))
	})
}

// regionLabel is the region of ctx as a metric label.
func regionLabel(r *http.Request) string {
	if reg := region.FromContext(r.Context()); reg != "" {
		return reg
	}
	return region.Unknown
}
