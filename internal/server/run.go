package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// ServeHTTP serves h on l until ctx ends, then drains for up to grace as
// ServeHTTPWith does. The other limits are HTTPOptions' defaults.
func ServeHTTP(ctx context.Context, l net.Listener, h http.Handler, grace time.Duration) error {
	return ServeHTTPWith(ctx, l, h, HTTPOptions{Grace: grace})
}

// ServeHTTPWith serves h on l until ctx ends, within the limits of o, and
// then drains: new requests are answered 503 CodeShuttingDown, /healthz
// answers 503 (/livez still 200), and the requests in flight may finish until o.Grace has
// passed or the deadline of a Drain in ctx (WithDrain) comes, whichever is
// first. Then what still runs is cut (HardStop) and the server closes. A
// cut is reported as an error wrapping ErrCut.
func ServeHTTPWith(ctx context.Context, l net.Listener, h http.Handler, o HTTPOptions) error {
	o = o.withDefaults()
	st := newStopping()
	defer st.cut()
	srv := &http.Server{
		Handler:           st.gate(limitRequests(o.MaxRequests, h)),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.WithoutCancel(ctx), stoppingKey{}, st)
		},
	}
	l = limitConns(l, o.MaxConns)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	cutAt, stopAt := stopDeadlines(ctx, o.Grace)
	// Each answer from now on closes its connection, and idle ones close
	// now, so that the connections end with the requests in flight.
	srv.SetKeepAlivesEnabled(false)
	idle := st.drain()
	timer := time.NewTimer(time.Until(cutAt))
	defer timer.Stop()
	var errs []error
	select {
	case <-idle:
	case <-timer.C:
		if n := st.cutNow(); n > 0 {
			errs = append(errs, fmt.Errorf("requests still in flight: %d: %w", n, ErrCut))
		}
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), stopAt)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		errs = append(errs, fmt.Errorf("connections closed under their requests: %w", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("http server on %s: stop: %w", l.Addr(), err)
	}
	return nil
}

// ServeGRPC serves s on l until ctx ends, then drains: hs (if not nil)
// turns NOT_SERVING at once, so that clients watching it stop sending
// calls, and the calls in flight may finish until grace has passed or the
// deadline of a Drain in ctx (WithDrain) comes, whichever is first. Then
// the calls still running are cancelled; that cut is reported as an error
// wrapping ErrCut.
func ServeGRPC(ctx context.Context, l net.Listener, s *grpc.Server, hs *health.Server, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("grpc server on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	cutAt, stopAt := stopDeadlines(ctx, grace)
	if hs != nil {
		hs.Shutdown()
	}
	// GracefulStop returns once every handler has returned, even when Stop
	// cut it short, so done also means that their spans have ended.
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	timer := time.NewTimer(time.Until(cutAt))
	defer timer.Stop()
	var err error
	select {
	case <-done:
	case <-timer.C:
		s.Stop()
		err = fmt.Errorf("grpc server on %s: calls still in flight: %w", l.Addr(), ErrCut)
		timer.Reset(time.Until(stopAt))
		select {
		case <-done:
		case <-timer.C:
			// A handler that ignores its cancelled context is left
			// behind rather than holding the whole stop.
			return fmt.Errorf("%w; handlers still running when the server had to be closed", err)
		}
	}
	<-errc
	return err
}
