package traceview

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// recordBackground records a trace of background work (no server span)
// in logDir's span files.
func recordBackground(t *testing.T, logDir string) string {
	t.Helper()
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Config{Service: "orders", LogDir: logDir, SpanDir: telemetry.SpanDirOf(logDir)})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer().Start(ctx, "orders.reconcile")
	span.End()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return span.SpanContext().TraceID().String()
}

func TestLocalRecentListsTheNewestRequests(t *testing.T) {
	dir := t.TempDir()
	// Spans this old are beyond the part of the file Recent reads: its
	// first, cut line must not be an error.
	old, _ := recordTrace(t, dir)
	spanFile := filepath.Join(telemetry.SpanDirOf(dir), "gateway"+telemetry.SpanFileExt)
	f, err := os.OpenFile(spanFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"resourceSpans":[],"padding":"` + strings.Repeat("x", recentTail) + `"}` + "\n")
	f.Close()

	var ids []string
	for range 3 {
		id, _ := recordTrace(t, dir)
		ids = append(ids, id)
	}
	background := recordBackground(t, dir)

	got, err := NewLocal(dir).Recent(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].TraceID != ids[2] || got[1].TraceID != ids[1] {
		t.Fatalf("got %+v, want the last two requests %s and %s, newest first", got, ids[2], ids[1])
	}
	s := got[0]
	if s.Service != "gateway" || s.Name != "POST /api/v1/orders" || s.DurationMS <= 0 || s.Start.IsZero() || !s.Failed {
		t.Errorf("summary %+v: want the gateway's server span, failed (its persist span failed)", s)
	}
	all, err := NewLocal(dir).Recent(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.TraceID == background || s.TraceID == old {
			t.Errorf("listed %s (%s): background work and spans beyond the tail are left out", s.TraceID, s.Name)
		}
	}
	if len(all) != 3 {
		t.Errorf("got %d traces, want 3", len(all))
	}

	_, err = NewLocal(t.TempDir()).Recent(context.Background(), 5)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("no span files: %v, want ErrUnavailable", err)
	}
}

func TestComposeRecentReadsTempoSearch(t *testing.T) {
	// The shape Tempo's documentation shows (2.0: spanSet, spans without
	// names, leading zeros of the ID dropped), then 2.2's spanSets with
	// names; the second trace's entry is its earlier matching span, not
	// Tempo's missing root.
	const answer = `{"traces":[
	{"traceID":"7a1d2dd4deaf177e0acf55b3c49032","rootServiceName":"gateway","rootTraceName":"GET /api/v1/products","startTimeUnixNano":"1678972751297796608","durationMs":6,
	 "spanSet":{"spans":[{"spanID":"c9da5e6e5f51bb83","startTimeUnixNano":"1678972751297796608","durationNanos":"6870784","attributes":[{"key":"service.name","value":{"stringValue":"gateway"}}]}],"matched":1}},
	{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","rootServiceName":"<root span not yet received>","startTimeUnixNano":"1678972752000000000","durationMs":300,
	 "spanSets":[{"spans":[
	   {"spanID":"a000000000000005","name":"shop.v1.Orders/PlaceOrder","startTimeUnixNano":"1678972752011000000","durationNanos":"193000000","attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
	   {"spanID":"a000000000000001","name":"POST /api/v1/orders","startTimeUnixNano":"1678972752000000000","durationNanos":"212000000","attributes":[{"key":"service.name","value":{"stringValue":"gateway"}}]}
	 ],"matched":2}]}
	],"metrics":{"inspectedBytes":"1000"}}`
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/search" {
			http.NotFound(w, r)
			return
		}
		query = r.URL.RawQuery
		w.Write([]byte(answer))
	}))
	defer srv.Close()

	got, err := NewCompose(srv.URL, srv.URL).Recent(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v, want 2 traces", got)
	}
	if s := got[0]; s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Name != "POST /api/v1/orders" || s.Service != "gateway" || s.DurationMS != 212 {
		t.Errorf("newest: %+v, want the gateway's POST of 212ms", s)
	}
	if s := got[1]; s.TraceID != "007a1d2dd4deaf177e0acf55b3c49032" || s.Name != "GET /api/v1/products" || s.Service != "gateway" || s.DurationMS != 6.871 {
		t.Errorf("older: %+v", s)
	}
	q, _ := url.ParseQuery(query)
	start, _ := strconv.ParseInt(q.Get("start"), 10, 64)
	end, _ := strconv.ParseInt(q.Get("end"), 10, 64)
	if q.Get("limit") != "5" || !strings.Contains(q.Get("q"), "with (most_recent=true)") || end-start != int64(recentWindow.Seconds()) {
		t.Errorf("query %q: want limit 5, the most_recent hint and the last %s", query, recentWindow)
	}

	_, err = NewCompose(closedURL(t), "").Recent(context.Background(), 5)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Tempo down: %v, want ErrUnavailable", err)
	}
}

type fakeLister struct {
	got []Summary
	err error
}

func (f fakeLister) Recent(context.Context, int) ([]Summary, error) { return f.got, f.err }

func TestRecentOfMergesStores(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := Summary{TraceID: "a", Start: t0.Add(3 * time.Second)}
	b := Summary{TraceID: "b", Start: t0.Add(2 * time.Second)}
	c := Summary{TraceID: "c", Start: t0.Add(time.Second)}
	down := fakeLister{err: ErrUnavailable}
	got, err := RecentOf(context.Background(), 2, fakeLister{got: []Summary{c, a}}, down, fakeLister{got: []Summary{b, a}})
	if err != nil || len(got) != 2 || got[0].TraceID != "a" || got[1].TraceID != "b" {
		t.Errorf("got %+v, %v: want a then b, once each", got, err)
	}
	if _, err := RecentOf(context.Background(), 2, down, down); !errors.Is(err, ErrUnavailable) {
		t.Errorf("every store down: %v", err)
	}
	if got, err := RecentOf(context.Background(), 2, down, fakeLister{}); err != nil || len(got) != 0 {
		t.Errorf("one store empty, one down: %+v, %v: want none and no error", got, err)
	}
}
