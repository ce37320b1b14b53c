package server

import (
	"net/http"
	"net/http/pprof"
	"strings"
)

// PprofPrefix is where the admin endpoints serve Go's profiles
// (net/http/pprof): `go tool pprof http://127.0.0.1:<admin port>/debug/pprof/profile?seconds=10`.
const PprofPrefix = "/debug/pprof/"

// pprofRoutes adds the profiles to mux, mounted one by one rather than
// relied on through http.DefaultServeMux (where importing net/http/pprof
// also puts them, and which no ShopLab server serves), so that they exist
// only where the admin endpoints do. They answer loopback callers only: a
// profile shows the process's memory and its goroutines' stacks, and in
// compose mode the admin ports also listen on the docker network.
func pprofRoutes(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, loopbackOnly("the profiles answer loopback callers only", h))
	}
	// Index serves the named profiles (heap, goroutine, allocs, block,
	// mutex, threadcreate) under the prefix as well as the index itself.
	handle(PprofPrefix, pprof.Index)
	handle(PprofPrefix+"cmdline", pprof.Cmdline)
	handle(PprofPrefix+"profile", pprof.Profile)
	handle(PprofPrefix+"symbol", pprof.Symbol)
	handle(PprofPrefix+"trace", pprof.Trace)
}

// isPprofRequest reports whether r asks for a profile.
func isPprofRequest(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, PprofPrefix)
}
