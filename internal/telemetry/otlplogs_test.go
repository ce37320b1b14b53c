package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	collectorlogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"
)

// TestOTLPLogsPath sends log records through the otelslog bridge to an
// OTLP/HTTP endpoint when OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set.
func TestOTLPLogsPath(t *testing.T) {
	var records atomic.Int64
	// instances are the service.instance.id of the resources received.
	var instances sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/logs" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req collectorlogs.ExportLogsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rl := range req.GetResourceLogs() {
			for _, a := range rl.GetResource().GetAttributes() {
				if a.GetKey() == "service.instance.id" {
					instances.Store(a.GetValue().GetStringValue(), true)
				}
			}
			for _, sl := range rl.GetScopeLogs() {
				records.Add(int64(len(sl.GetLogRecords())))
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectorlogs.ExportLogsServiceResponse{})
		w.Write(b)
	}))
	defer srv.Close()

	ctx := context.Background()
	tel, err := New(ctx, Config{Service: "auth", OTLP: OTLP{Protocol: ProtocolHTTP, LogsEndpoint: srv.URL + "/v1/logs"}})
	if err != nil {
		t.Fatal(err)
	}
	sctx, span := tel.Tracer().Start(ctx, "work")
	tel.Logger.InfoContext(sctx, "one")
	tel.Logger.WarnContext(sctx, "two")
	span.End()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := records.Load(); n != 2 {
		t.Fatalf("OTLP endpoint received %d log records, want 2", n)
	}
	var got []any
	instances.Range(func(k, _ any) bool { got = append(got, k); return true })
	if len(got) != 1 || got[0] != tel.InstanceID {
		t.Errorf("log records' service.instance.id %v, want [%s]", got, tel.InstanceID)
	}
}
