package server

import (
	"net/http"

	"github.com/shoplab/shoplab/internal/incident"
)

// WithIncidents serves h, a control surface (incident.NewHandler), under
// incident.RoutePrefix, to loopback callers only: the surface itself
// checks no address, and every service mounts it here.
func WithIncidents(h http.Handler) AdminOption {
	h = loopbackOnly("the incident control answers loopback callers only", h)
	return func(mux *http.ServeMux) {
		mux.Handle(incident.RoutePrefix, h)
		mux.Handle(incident.RoutePrefix+"/", h)
	}
}

// IncidentControl is the control surface of set as d's runner configured
// it: d.IncidentToken, refused when d.Config.Faults is off.
func (d Deps) IncidentControl(set *incident.Set) http.Handler {
	return incident.NewHandler(set, d.IncidentToken, d.Config.Faults)
}
