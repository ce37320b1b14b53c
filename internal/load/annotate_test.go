package load

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestAnnotatorPushesLokiJSON(t *testing.T) {
	var got struct {
		Streams []struct {
			Stream map[string]string `json:"stream"`
			Values [][]string        `json:"values"`
		} `json:"streams"`
	}
	var contentType, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			w.Write([]byte("ready\n"))
			return
		}
		path, contentType = r.URL.Path, r.Header.Get("Content-Type")
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("push body %s: %v", body, err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	a := &Annotator{URL: srv.URL + "/"}
	ctx := context.Background()
	if err := a.Ready(ctx, 500*time.Millisecond); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	at := time.Unix(1700000000, 123)
	if err := a.Push(ctx, AnnotationLabels("checkout"), at, `{"event":"load test started"}`); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if path != "/loki/api/v1/push" || contentType != "application/json" {
		t.Errorf("pushed to %s as %s", path, contentType)
	}
	if len(got.Streams) != 1 {
		t.Fatalf("%d streams", len(got.Streams))
	}
	s := got.Streams[0]
	if s.Stream["job"] != "shoplab-load" || s.Stream["scenario"] != "checkout" || len(s.Stream) != 2 {
		t.Errorf("labels %v", s.Stream)
	}
	if len(s.Values) != 1 || len(s.Values[0]) != 2 || s.Values[0][0] != strconv.FormatInt(at.UnixNano(), 10) || s.Values[0][1] != `{"event":"load test started"}` {
		t.Errorf("values %q", s.Values)
	}
}

func TestAnnotatorReportsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Ingester not ready", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	a := &Annotator{URL: srv.URL}
	if err := a.Ready(context.Background(), time.Second); err == nil {
		t.Error("Ready accepted a 503")
	}
	if err := a.Push(context.Background(), AnnotationLabels("x"), time.Now(), "x"); err == nil {
		t.Error("Push accepted a 503")
	}
	srv.Close()
	if err := a.Ready(context.Background(), 500*time.Millisecond); err == nil {
		t.Error("Ready with no Loki succeeded")
	}
}
