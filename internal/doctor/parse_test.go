package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// serve answers every request with body and code.
func serve(t *testing.T, code int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newTestDoctor(t *testing.T, cfg Config) *Doctor {
	t.Helper()
	cfg.Mode = ModeCompose
	cfg.Services = testEndpoints(t)
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDoctorReadsTempoAnswers reads Tempo's trace-by-ID answers: the v2
// example from Tempo's documentation (base64 IDs, enum-name kinds), the
// v1 shape ("batches") with OTLP/JSON's hex IDs and numeric kinds, and an
// unknown trace.
func TestDoctorReadsTempoAnswers(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		body      string
		wantFound bool
		want      []traceSpan
	}{
		{
			// grafana/tempo docs/sources/tempo/api_docs/pushing-spans-with-http.md
			name: "v2 documented example", code: 200, wantFound: true,
			body: `{"trace": {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0"},"spans":[{"traceId":"W47/95gDgQPSabYzgT/HAA==","spanId":"7uGbfsPBsQA=","name":"I am a span!","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1689969302000000000","endTimeUnixNano":"1689970000000000000","attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}],"status":{}}]}]}]}}`,
			want: []traceSpan{{Service: "my.service", Name: "I am a span!", Kind: "server", TraceID: "5b8efff798038103d269b633813fc700"}},
		},
		{
			name: "v1 batches, hex IDs, numeric kinds", code: 200, wantFound: true,
			body: `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC700","spanId":"EEE19B7EC3C1B100","name":"publish order.placed","kind":4}]}]},{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"notification"}}]},"instrumentationLibrarySpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc700","spanId":"eee19b7ec3c1b101","name":"process order.placed","kind":5}]}]}]}`,
			want: []traceSpan{
				{Service: "orders", Name: "publish order.placed", Kind: "producer", TraceID: "5b8efff798038103d269b633813fc700"},
				{Service: "notification", Name: "process order.placed", Kind: "consumer", TraceID: "5b8efff798038103d269b633813fc700"},
			},
		},
		{name: "unknown trace", code: 404, body: "trace not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDoctor(t, Config{TempoURL: serve(t, tt.code, tt.body)})
			spans, found, err := d.tempoTrace(context.Background(), "5b8efff798038103d269b633813fc700")
			if err != nil || found != tt.wantFound || !reflect.DeepEqual(spans, tt.want) {
				t.Errorf("got %+v, found %v, err %v; want %+v, found %v", spans, found, err, tt.want, tt.wantFound)
			}
		})
	}
	d := newTestDoctor(t, Config{TempoURL: serve(t, 500, "internal error")})
	if _, _, err := d.tempoTrace(context.Background(), "5b8efff798038103d269b633813fc700"); err == nil {
		t.Error("a 500 from Tempo is not an error")
	}
}

// TestDoctorReadsLokiAndPrometheusAnswers reads the documented answer
// shapes of Loki's query_range and Prometheus's query, targets and
// query_exemplars, and their error envelopes.
func TestDoctorReadsLokiAndPrometheusAnswers(t *testing.T) {
	ctx := context.Background()
	// grafana/loki docs/sources/reference/loki-http-api.md, with the
	// labels Alloy gives ShopLab's lines.
	loki := serve(t, 200, `{"status":"success","data":{"resultType":"streams","result":[
		{"stream":{"job":"shoplab","service":"orders","level":"INFO","trace_id":"x"},"values":[["1569266497240578000","a"],["1569266492548155000","b"]]},
		{"stream":{"job":"shoplab","service":"orders","level":"WARN","trace_id":"x"},"values":[["1569266497240578001","c"]]},
		{"stream":{"job":"shoplab","service":"gateway","level":"INFO","trace_id":"x"},"values":[["1569266497240578002","d"]]}],"stats":{}}}`)
	d := newTestDoctor(t, Config{LokiURL: loki})
	got, err := d.lokiLinesByService(ctx, lokiQuery("x"), time.Now(), time.Now())
	if want := map[string]int{"orders": 3, "gateway": 1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("loki lines %v, %v; want %v", got, err, want)
	}
	if _, err := newTestDoctor(t, Config{LokiURL: serve(t, 200, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)}).
		lokiLinesByService(ctx, "q", time.Now(), time.Now()); err == nil {
		t.Error("a matrix answer to a log query is not an error")
	}

	// prometheus.io/docs/prometheus/latest/querying/api/
	prom := newTestDoctor(t, Config{PrometheusURL: serve(t, 200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1435781451.781,"3"]}]}}`)})
	if vs, err := prom.promQuery(ctx, "sum(x)"); err != nil || !reflect.DeepEqual(vs, []float64{3}) {
		t.Errorf("query: %v, %v", vs, err)
	}
	bad := newTestDoctor(t, Config{PrometheusURL: serve(t, 400, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}`)})
	if _, err := bad.promQuery(ctx, "sum("); err == nil || err.Error() != "prometheus /api/v1/query: bad_data: 1:5: parse error: unexpected end of input" {
		t.Errorf("bad query error: %v", err)
	}
	targets := newTestDoctor(t, Config{PrometheusURL: serve(t, 200, `{"status":"success","data":{"activeTargets":[{"discoveredLabels":{"__address__":"127.0.0.1:9090","job":"prometheus"},"labels":{"instance":"127.0.0.1:9090","job":"prometheus"},"scrapePool":"prometheus","scrapeUrl":"http://127.0.0.1:9090/metrics","globalUrl":"http://example-prometheus:9090/metrics","lastError":"","lastScrape":"2017-01-17T15:07:44.723715405+01:00","lastScrapeDuration":0.050688943,"health":"up","scrapeInterval":"1m","scrapeTimeout":"10s"}],"droppedTargets":[]}}`)})
	ts, err := targets.promTargets(ctx)
	if err != nil || len(ts) != 1 || ts[0].Labels["job"] != "prometheus" || ts[0].Health != "up" || ts[0].ScrapeURL != "http://127.0.0.1:9090/metrics" {
		t.Errorf("targets: %+v, %v", ts, err)
	}
	exemplars := newTestDoctor(t, Config{PrometheusURL: serve(t, 200, `{"status":"success","data":[{"seriesLabels":{"__name__":"test_exemplar_metric_total","instance":"localhost:8090","job":"prometheus","service":"bar"},"exemplars":[{"labels":{"trace_id":"EpTxMJ40fUus7aGY"},"value":"6","timestamp":1600096945.479},{"labels":{"trace_id":"Olp9XHlq763ccsfa"},"value":"19","timestamp":1600096955.479}]},{"seriesLabels":{"__name__":"test_exemplar_metric_total","instance":"localhost:8090","job":"prometheus","service":"foo"},"exemplars":[{"labels":{"trace_id":"hCtjygkIHwAN9vs4"},"value":"21","timestamp":1600096965.489}]}]}`)})
	ids, err := exemplars.promExemplars(ctx, "x", time.Now(), time.Now())
	if want := []string{"hCtjygkIHwAN9vs4", "Olp9XHlq763ccsfa", "EpTxMJ40fUus7aGY"}; err != nil || !reflect.DeepEqual(ids, want) {
		t.Errorf("exemplars %v, %v; want newest first %v", ids, err, want)
	}
}
