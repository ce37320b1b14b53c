package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/shoplab/shoplab/internal/region"
	"github.com/shoplab/shoplab/internal/telemetry"
)

// FuzzPropagation sends arbitrary traceparent, baggage and X-Region
// headers through the gateway's middleware. It must never panic, the
// request's baggage (and what is injected into outgoing calls) holds the
// region member alone, and the region is one of the fixed set or
// "unknown". Seeds: testdata/fuzz/FuzzPropagation.
func FuzzPropagation(f *testing.F) {
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "gateway"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tel.Shutdown(context.Background()) })
	g, err := New(Options{Telemetry: tel})
	if err != nil {
		f.Fatal(err)
	}
	var seen context.Context
	h := chi.Chain(g.middleware()...).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Context()
	})
	allowed := append(region.All(), region.Unknown)

	f.Fuzz(func(t *testing.T, traceparent, bag, xRegion string) {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/products", nil)
		// Set directly: a client's bytes need not be valid header values.
		r.Header["Traceparent"] = []string{traceparent}
		r.Header["Baggage"] = []string{bag}
		r.Header[region.Header] = []string{xRegion}
		w := httptest.NewRecorder()
		seen = nil
		h.ServeHTTP(w, r)
		if seen == nil {
			t.Fatalf("request stopped at the middleware: %d %s", w.Code, w.Body)
		}

		want := region.Normalize(xRegion)
		if !slices.Contains(allowed, want) {
			t.Fatalf("region %q is not in %v", want, allowed)
		}
		if got := w.Header().Get(region.Header); got != want {
			t.Errorf("X-Region answered %q, want %q", got, want)
		}
		members := baggage.FromContext(seen).Members()
		if len(members) != 1 || members[0].Key() != "shoplab.region" || members[0].Value() != want || len(members[0].Properties()) != 0 {
			t.Errorf("baggage %q, want only shoplab.region=%s", baggage.FromContext(seen).String(), want)
		}
		out := propagation.MapCarrier{}
		tel.Propagator.Inject(seen, out)
		if got := out.Get("baggage"); got != "shoplab.region="+want {
			t.Errorf("outgoing baggage %q, want shoplab.region=%s", got, want)
		}
		if !trace.SpanContextFromContext(seen).IsValid() {
			t.Error("no valid span context for the request")
		}
	})
}
