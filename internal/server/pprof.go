package server

import (
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
)

// PprofPrefix is where the admin endpoints serve Go's profiles
// (net/http/pprof): `go tool pprof http://127.0.0.1:<admin port>/debug/pprof/profile?seconds=10`.
const PprofPrefix = "/debug/pprof/"

// CodeNotLoopback is the error code of the 403 a profile asked for from
// anywhere but loopback gets.
const CodeNotLoopback = "not_loopback"

// pprofRoutes adds the profiles to mux, mounted one by one rather than
// relied on through http.DefaultServeMux (where importing net/http/pprof
// also puts them, and which no ShopLab server serves), so that they exist
// only where the admin endpoints do. They answer loopback callers only: a
// profile shows the process's memory and its goroutines' stacks, and in
// compose mode the admin ports also listen on the docker network.
func pprofRoutes(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, loopbackOnly(h))
	}
	// Index serves the named profiles (heap, goroutine, allocs, block,
	// mutex, threadcreate) under the prefix as well as the index itself.
	handle(PprofPrefix, pprof.Index)
	handle(PprofPrefix+"cmdline", pprof.Cmdline)
	handle(PprofPrefix+"profile", pprof.Profile)
	handle(PprofPrefix+"symbol", pprof.Symbol)
	handle(PprofPrefix+"trace", pprof.Trace)
}

// loopbackOnly answers 403 to a caller whose address is not a loopback
// address.
func loopbackOnly(next http.Handler) http.Handler {
	body := []byte(`{"error":{"code":"` + CodeNotLoopback + `","message":"the profiles answer loopback callers only"}}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("X-Content-Type-Options", "nosniff")
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

// isPprofRequest reports whether r asks for a profile.
func isPprofRequest(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, PprofPrefix)
}
