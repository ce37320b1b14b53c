package server

import (
	"net"
	"net/http"
)

// CodeNotLoopback is the error code of the 403 that a caller anywhere but
// on loopback gets from the Go profiles (PprofPrefix) and the incident
// control surface (WithIncidents).
const CodeNotLoopback = "not_loopback"

// loopbackOnly answers 403 with message to a caller whose address is not a
// loopback address, and passes the others to next. The admin endpoints
// that show or change a process's insides are wrapped in it: in compose
// mode the admin ports also listen on the Docker network.
func loopbackOnly(message string, next http.Handler) http.Handler {
	body := errorJSON(CodeNotLoopback, message)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			// The client may be gone already; there is no one to tell.
			_, _ = w.Write(body)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopback reports whether addr, a RemoteAddr ("host:port"), is a
// loopback address. Anything unparsable is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
