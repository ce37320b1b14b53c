package server

import (
	"time"

	"github.com/shoplab/shoplab/internal/fault"
)

// HTTPOptions bound what clients can hold on an HTTP server. A zero field
// takes its default (the Default... constants); a negative one turns that
// limit off.
type HTTPOptions struct {
	// ReadHeaderTimeout bounds reading a request's line and headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body. Its
	// deadline is lifted once the body is in (net/http does so before it
	// watches the connection in the background), so it does not cut short
	// a handler that runs longer, such as a fault-delayed one.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer, so it must exceed the longest legitimate request.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that has been waiting
	// this long for its next request.
	IdleTimeout time.Duration
	// MaxConns bounds the open connections. Beyond it the server stops
	// accepting, so new connections wait in the kernel's queue until one
	// closes.
	MaxConns int
	// MaxRequests bounds the requests in progress. Beyond it a request is
	// answered at once with 503, an error body of code CodeOverloaded and
	// Retry-After. GET /metrics, /livez and /healthz are not counted, so
	// that an overload can still be observed and does not fail liveness.
	MaxRequests int
	// Grace is how long in-flight requests may finish once the server is
	// told to stop, at most: a Drain in the server's context (WithDrain)
	// may end the drain earlier.
	Grace time.Duration
}

// Defaults of HTTPOptions.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	// Request bodies are a few hundred bytes: twenty seconds for the
	// whole request is generous for any real client and short for one that
	// trickles.
	DefaultReadTimeout = 20 * time.Second
	// The longest legitimate request is the longest injected fault delay
	// plus the real work of up to two downstream calls.
	DefaultWriteTimeout = fault.MaxDelay + 30*time.Second
	DefaultIdleTimeout  = 30 * time.Second
	// DefaultMaxConns leaves room for the load generator's 256 connections
	// plus browsers, scrapers and probes, far below the process's file
	// limit.
	DefaultMaxConns = 1024
	// DefaultMaxRequests is twice the load generator's default connection
	// limit: normal load, even fully fault-delayed, is never turned away.
	DefaultMaxRequests = 512
	DefaultGrace       = 10 * time.Second
)

// withDefaults fills the zero fields and turns negative ones into 0, the
// value for "off" that net/http and the limiters understand.
func (o HTTPOptions) withDefaults() HTTPOptions {
	durations := []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{&o.ReadTimeout, DefaultReadTimeout},
		{&o.WriteTimeout, DefaultWriteTimeout},
		{&o.IdleTimeout, DefaultIdleTimeout},
		{&o.Grace, DefaultGrace},
	}
	for _, d := range durations {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			*d.v = 0
		}
	}
	counts := []struct {
		v   *int
		def int
	}{
		{&o.MaxConns, DefaultMaxConns},
		{&o.MaxRequests, DefaultMaxRequests},
	}
	for _, c := range counts {
		switch {
		case *c.v == 0:
			*c.v = c.def
		case *c.v < 0:
			*c.v = 0
		}
	}
	return o
}
