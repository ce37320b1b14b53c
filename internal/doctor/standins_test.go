package doctor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/shoplab/shoplab/internal/compose"
	"github.com/shoplab/shoplab/internal/slo"
	stackpkg "github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
)

// The stand-ins answer like the real APIs, from the shop's real data: the
// Prometheus stand-in scrapes the services when asked, the Tempo stand-in
// serves the spans the services exported over OTLP, the Loki stand-in
// reads the services' log files (what the log shipper would have sent),
// the Mailpit stand-in shows what reached the SMTP server. faults breaks
// one hop at a time.
type faults struct {
	// targetDown reports this job's target as down.
	targetDown string
	// hideCounter: Prometheus has no shoplab_http_requests_total.
	hideCounter bool
	// bogusExemplars: every exemplar's trace_id is one Tempo never saw.
	bogusExemplars bool
	// hideSpansOf: Tempo never got this service's spans.
	hideSpansOf string
	// hideLogsOf: the shipper never sent this service's lines.
	hideLogsOf string
	// hideMail: Mailpit never got the e-mails.
	hideMail bool
	// unhealthyDataSource: Grafana's health check of this UID fails.
	unhealthyDataSource string
	// unhealthyContainer: docker compose reports it unhealthy.
	unhealthyContainer string
	// noDocker: docker is not installed.
	noDocker bool
	// late: each stand-in answers "no data yet" to its first late
	// requests, as a pipeline that is still warming up does.
	late int64
}

// gate withholds a stand-in's data for its first n answers.
type gate struct {
	n     int64
	calls atomic.Int64
}

func (g *gate) open() bool { return g.calls.Add(1) > g.n }

type standIns struct {
	prom, tempo, loki, mailpit, grafana *httptest.Server
	alertmanager                        *httptest.Server
	gates                               map[string]*gate
	f                                   faults
	shop                                *shop
}

func startStandIns(t *testing.T, s *shop, f faults) *standIns {
	t.Helper()
	st := &standIns{f: f, shop: s, gates: map[string]*gate{}}
	for _, name := range []string{"prometheus", "tempo", "loki", "mailpit"} {
		st.gates[name] = &gate{n: f.late}
	}
	start := func(h http.Handler) *httptest.Server {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	st.prom = start(st.prometheusAPI())
	st.tempo = start(st.tempoAPI())
	st.loki = start(st.lokiAPI())
	st.mailpit = start(st.mailpitAPI())
	st.grafana = start(st.grafanaAPI())
	st.alertmanager = start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/ready" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "OK")
	}))
	return st
}

// config is a compose-mode doctor pointed at the stand-ins and the shop.
func (st *standIns) config() Config {
	s := st.shop
	addr := func(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }
	var containers []string
	for _, c := range stackpkg.DefaultContainers() {
		containers = append(containers, c.Service)
	}
	cfg := Config{
		Mode:            ModeCompose,
		Services:        s.Lab.Endpoints(),
		Brokers:         s.Lab.Brokers(),
		LogDir:          s.Config.LogDir,
		OTLPEndpoint:    s.spans.Endpoint(),
		PrometheusURL:   st.prom.URL,
		LokiURL:         st.loki.URL,
		TempoURL:        st.tempo.URL,
		GrafanaURL:      st.grafana.URL,
		MailpitURL:      st.mailpit.URL,
		AlertmanagerURL: st.alertmanager.URL,
		Ports: []Port{
			{"Prometheus", addr(st.prom)}, {"Loki", addr(st.loki)}, {"Tempo", addr(st.tempo)},
			{"Tempo's OTLP receiver", s.spans.Addr}, {"Grafana", addr(st.grafana)}, {"Mailpit", addr(st.mailpit)},
		},
		Containers:    containers,
		ComposeStatus: st.composeStatus,
		DataSources:   []string{"prometheus", "loki", "tempo"},
		Wait:          true,
		Timeout:       10 * time.Second * slowdown,
		Interval:      100 * time.Millisecond,
		HTTP:          &http.Client{Timeout: 5 * time.Second * slowdown},
	}
	if s.smtp != nil {
		cfg.SMTPAddr = s.smtp.addr()
		cfg.Ports = append(cfg.Ports, Port{"Mailpit's SMTP", s.smtp.addr()})
	}
	return cfg
}

// composeStatus stands in for docker compose ps.
func (st *standIns) composeStatus(context.Context) ([]compose.Container, error) {
	if st.f.noDocker {
		return nil, fmt.Errorf("%w: install Docker Engine or Docker Desktop", compose.ErrNoDocker)
	}
	var out []compose.Container
	for _, c := range stackpkg.DefaultContainers() {
		ct := compose.Container{Name: "shoplab-" + c.Service + "-1", Service: c.Service, State: "running", Health: "healthy"}
		if c.Service == st.f.unhealthyContainer {
			ct.Health = "unhealthy"
		}
		out = append(out, ct)
	}
	return out, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// --- Prometheus (https://prometheus.io/docs/prometheus/latest/querying/api/)

// scrapeTarget is one service as Prometheus in the compose stack sees it:
// through host.docker.internal.
func scrapeTarget(e topology.Endpoint) (instance, url string) {
	_, port, _ := net.SplitHostPort(e.HTTP)
	instance = "host.docker.internal:" + port
	return instance, "http://" + instance + "/metrics"
}

func (st *standIns) prometheusAPI() http.Handler {
	mux := http.NewServeMux()
	g := st.gates["prometheus"]
	ok := func(w http.ResponseWriter, data any) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": data})
	}
	bad := func(w http.ResponseWriter, err error) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": "error", "errorType": "bad_data", "error": err.Error()})
	}
	// The SLO rules as the compose stack's Prometheus loads them: one
	// alerting group per SLO from the mounted rule file.
	mux.HandleFunc("GET /api/v1/rules", func(w http.ResponseWriter, r *http.Request) {
		groups := []map[string]any{}
		for _, s := range slo.All() {
			groups = append(groups, map[string]any{
				"name":  "sloth-slo-alerts-shoplab-" + s.Name,
				"file":  "/etc/prometheus/" + slo.RulesFile,
				"rules": []map[string]any{{"name": s.Alert, "type": "alerting", "state": "inactive"}},
			})
		}
		ok(w, map[string]any{"groups": groups})
	})
	mux.HandleFunc("GET /api/v1/targets", func(w http.ResponseWriter, r *http.Request) {
		open := g.open()
		active := []map[string]any{}
		for _, e := range st.shop.Lab.Endpoints() {
			instance, url := scrapeTarget(e)
			health, lastErr, last := "up", "", time.Now().UTC().Format(time.RFC3339Nano)
			switch {
			case !open:
				health, last = "unknown", "0001-01-01T00:00:00Z"
			case e.Service == st.f.targetDown:
				health, lastErr = "down", fmt.Sprintf(`Get "%s": dial tcp 172.17.0.1:%s: connect: connection refused`, url, strings.TrimPrefix(instance, "host.docker.internal:"))
			default:
				if _, err := scrapeFamilies(r.Context(), http.DefaultClient, e.MetricsURL); err != nil {
					health, lastErr = "down", err.Error()
				}
			}
			active = append(active, map[string]any{
				"discoveredLabels":   map[string]string{"__address__": instance, "__metrics_path__": "/metrics", "__scheme__": "http", "job": e.Service},
				"labels":             map[string]string{"instance": instance, "job": e.Service},
				"scrapePool":         e.Service,
				"scrapeUrl":          url,
				"globalUrl":          url,
				"lastError":          lastErr,
				"lastScrape":         last,
				"lastScrapeDuration": 0.002,
				"health":             health,
				"scrapeInterval":     "5s",
				"scrapeTimeout":      "4s",
			})
		}
		ok(w, map[string]any{"activeTargets": active, "droppedTargets": []any{}})
	})
	mux.HandleFunc("GET /api/v1/query", func(w http.ResponseWriter, r *http.Request) {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.FormValue("query"))
		if err != nil {
			bad(w, err)
			return
		}
		result := []map[string]any{}
		now := float64(time.Now().UnixMilli()) / 1000
		value := func(v float64) [2]any { return [2]any{now, strconv.FormatFloat(v, 'f', -1, 64)} }
		var vs *parser.VectorSelector
		sum := false
		switch e := expr.(type) {
		case *parser.VectorSelector:
			vs = e
		case *parser.AggregateExpr:
			inner, isVS := e.Expr.(*parser.VectorSelector)
			if e.Op != parser.SUM || len(e.Grouping) > 0 || !isVS {
				bad(w, fmt.Errorf("the stand-in evaluates only a selector or sum(selector), not %s", expr))
				return
			}
			vs, sum = inner, true
		default:
			bad(w, fmt.Errorf("the stand-in evaluates only a selector or sum(selector), not %s", expr))
			return
		}
		if !g.open() {
			ok(w, map[string]any{"resultType": "vector", "result": result})
			return
		}
		samples := st.select_(r.Context(), vs.LabelMatchers)
		if sum && len(samples) > 0 {
			var total float64
			for _, s := range samples {
				total += s.value
			}
			result = append(result, map[string]any{"metric": map[string]string{}, "value": value(total)})
		} else if !sum {
			for _, s := range samples {
				result = append(result, map[string]any{"metric": s.labels, "value": value(s.value)})
			}
		}
		ok(w, map[string]any{"resultType": "vector", "result": result})
	})
	mux.HandleFunc("GET /api/v1/query_exemplars", func(w http.ResponseWriter, r *http.Request) {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.FormValue("query"))
		vs, isVS := expr.(*parser.VectorSelector)
		if err != nil || !isVS {
			bad(w, fmt.Errorf("the stand-in takes a selector: %v", err))
			return
		}
		data := []map[string]any{}
		if !g.open() {
			ok(w, data)
			return
		}
		for _, s := range st.select_(r.Context(), vs.LabelMatchers) {
			if s.exemplar == nil {
				continue
			}
			exLabels := map[string]string{}
			for _, l := range s.exemplar.GetLabel() {
				exLabels[l.GetName()] = l.GetValue()
			}
			if st.f.bogusExemplars {
				exLabels["trace_id"] = "0badc0de0badc0de0badc0de0badc0de"
			}
			ts := s.exemplar.GetTimestamp().AsTime()
			data = append(data, map[string]any{
				"seriesLabels": s.labels,
				"exemplars": []map[string]any{{
					"labels":    exLabels,
					"value":     strconv.FormatFloat(s.exemplar.GetValue(), 'f', -1, 64),
					"timestamp": float64(ts.UnixMilli()) / 1000,
				}},
			})
		}
		ok(w, data)
	})
	return mux
}

// promSample is one series of a scrape with its latest value and exemplar.
type promSample struct {
	labels   map[string]string
	value    float64
	exemplar *dto.Exemplar
}

// select_ scrapes every service that is up and returns the series that
// match, as Prometheus stores them (histograms as _bucket, _sum, _count;
// job and instance added by the scrape).
func (st *standIns) select_(ctx context.Context, matchers []*labels.Matcher) []promSample {
	var out []promSample
	for _, e := range st.shop.Lab.Endpoints() {
		if e.Service == st.f.targetDown {
			continue
		}
		fams, err := scrapeFamilies(ctx, http.DefaultClient, e.MetricsURL)
		if err != nil {
			continue
		}
		instance, _ := scrapeTarget(e)
		for name, f := range fams {
			if st.f.hideCounter && name == requestsMetric {
				continue
			}
			for _, m := range f.GetMetric() {
				add := func(metric string, v float64, ex *dto.Exemplar, extra ...string) {
					ls := map[string]string{"__name__": metric, "job": e.Service, "instance": instance}
					for _, l := range m.GetLabel() {
						ls[l.GetName()] = l.GetValue()
					}
					for i := 0; i+1 < len(extra); i += 2 {
						ls[extra[i]] = extra[i+1]
					}
					for _, mt := range matchers {
						if !mt.Matches(ls[mt.Name]) {
							return
						}
					}
					out = append(out, promSample{labels: ls, value: v, exemplar: ex})
				}
				switch f.GetType() {
				case dto.MetricType_COUNTER:
					add(name, m.GetCounter().GetValue(), m.GetCounter().GetExemplar())
				case dto.MetricType_GAUGE:
					add(name, m.GetGauge().GetValue(), nil)
				case dto.MetricType_HISTOGRAM:
					h := m.GetHistogram()
					for _, b := range h.GetBucket() {
						add(name+"_bucket", float64(b.GetCumulativeCount()), b.GetExemplar(), "le", strconv.FormatFloat(b.GetUpperBound(), 'f', -1, 64))
					}
					add(name+"_bucket", float64(h.GetSampleCount()), nil, "le", "+Inf")
					add(name+"_sum", h.GetSampleSum(), nil)
					add(name+"_count", float64(h.GetSampleCount()), nil)
				}
			}
		}
	}
	return out
}

// --- Tempo: GET /api/v2/traces/<id> (grafana/tempo docs/sources/tempo/
// api_docs/pushing-spans-with-http.md shows the answer: {"trace":
// {"resourceSpans":[...]}} with base64 IDs and enum-name kinds).

func (st *standIns) tempoAPI() http.Handler {
	mux := http.NewServeMux()
	g := st.gates["tempo"]
	mux.HandleFunc("GET /api/v2/traces/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !g.open() {
			http.Error(w, "trace not found", http.StatusNotFound)
			return
		}
		byService := map[string][]map[string]any{}
		for _, s := range st.shop.spans.Spans(r.PathValue("id")) {
			if s.Service == st.f.hideSpansOf {
				continue
			}
			span := map[string]any{
				"traceId":           b64(s.TraceID),
				"spanId":            b64(s.SpanID),
				"name":              s.Name,
				"kind":              s.Kind.String(),
				"startTimeUnixNano": strconv.FormatInt(time.Now().UnixNano(), 10),
				"endTimeUnixNano":   strconv.FormatInt(time.Now().UnixNano(), 10),
				"status":            map[string]any{},
			}
			if s.ParentID != "" {
				span["parentSpanId"] = b64(s.ParentID)
			}
			byService[s.Service] = append(byService[s.Service], span)
		}
		if len(byService) == 0 {
			http.Error(w, "trace not found", http.StatusNotFound)
			return
		}
		rs := []map[string]any{}
		for svc, spans := range byService {
			rs = append(rs, map[string]any{
				"resource": map[string]any{"attributes": []map[string]any{
					{"key": "service.name", "value": map[string]any{"stringValue": svc}},
				}},
				"scopeSpans": []map[string]any{{"scope": map[string]any{"name": "shoplab"}, "spans": spans}},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"trace": map[string]any{"resourceSpans": rs}})
	})
	return mux
}

func b64(hexID string) string {
	b, _ := hex.DecodeString(hexID)
	return base64.StdEncoding.EncodeToString(b)
}

// --- Loki: GET /loki/api/v1/query_range (grafana/loki
// docs/sources/reference/loki-http-api.md). The stand-in reads the log
// files the way Alloy ships them (alloy-config.alloy): labels job, service,
// level, region, filename; trace_id as structured metadata, which a query
// without categorize-labels returns among the stream's labels.

func (st *standIns) lokiAPI() http.Handler {
	mux := http.NewServeMux()
	g := st.gates["loki"]
	logQuery := regexp.MustCompile(`^\{job="shoplab"\} \| trace_id="([0-9a-f]{32})"$`)
	mux.HandleFunc("GET /loki/api/v1/query_range", func(w http.ResponseWriter, r *http.Request) {
		q := r.FormValue("query")
		m := logQuery.FindStringSubmatch(q)
		streams := []map[string]any{}
		answer := func() {
			writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": map[string]any{"resultType": "streams", "result": streams, "stats": map[string]any{}}})
		}
		if m == nil {
			if strings.Contains(q, "trace_id") && strings.HasPrefix(q, "{") {
				// trace_id inside the selector: no stream has that label.
				answer()
				return
			}
			http.Error(w, "parse error: the stand-in understands {job=\"shoplab\"} | trace_id=\"...\"", http.StatusBadRequest)
			return
		}
		if !g.open() {
			answer()
			return
		}
		start, _ := strconv.ParseInt(r.FormValue("start"), 10, 64)
		end, _ := strconv.ParseInt(r.FormValue("end"), 10, 64)
		files, _ := filepath.Glob(filepath.Join(st.shop.Config.LogDir, "*.log"))
		byStream := map[string]map[string]any{}
		for _, file := range files {
			svc := strings.TrimSuffix(filepath.Base(file), ".log")
			if svc == st.f.hideLogsOf {
				continue
			}
			for _, line := range readLines(file) {
				var l struct {
					Time    time.Time `json:"time"`
					Level   string    `json:"level"`
					Service string    `json:"service"`
					Region  string    `json:"region"`
					TraceID string    `json:"trace_id"`
				}
				if json.Unmarshal([]byte(line), &l) != nil || l.TraceID != m[1] {
					continue
				}
				ns := l.Time.UnixNano()
				if ns < start || ns >= end {
					continue
				}
				ls := map[string]string{"job": "shoplab", "filename": "/var/log/shoplab/" + svc + ".log", "service": l.Service, "level": l.Level, "trace_id": l.TraceID}
				if l.Region != "" {
					ls["region"] = l.Region
				}
				key := fmt.Sprint(ls)
				if byStream[key] == nil {
					byStream[key] = map[string]any{"stream": ls, "values": [][2]string{}}
				}
				byStream[key]["values"] = append(byStream[key]["values"].([][2]string), [2]string{strconv.FormatInt(ns, 10), line})
			}
		}
		keys := make([]string, 0, len(byStream))
		for k := range byStream {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			streams = append(streams, byStream[k])
		}
		answer()
	})
	return mux
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// --- Mailpit (axllent/mailpit server/ui/api/v1/swagger.json:
// MessagesSummary, MessageSummary, MessageHeadersResponse).

func (st *standIns) mailpitAPI() http.Handler {
	mux := http.NewServeMux()
	g := st.gates["mailpit"]
	type message struct {
		id      string
		header  mail.Header
		to      []*mail.Address
		subject string
	}
	messages := func() []message {
		if st.shop.smtp == nil || st.f.hideMail {
			return nil
		}
		var out []message
		for i, raw := range st.shop.smtp.messages() {
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				continue
			}
			to, _ := m.Header.AddressList("To")
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			out = append(out, message{id: fmt.Sprintf("msg%04d", i), header: m.Header, to: to, subject: subject})
		}
		// Newest first, as Mailpit sorts.
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	mux.HandleFunc("GET /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		query := r.FormValue("query")
		if query == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"Error": "no search query"})
			return
		}
		summaries := []map[string]any{}
		var all []message
		if g.open() {
			all = messages()
		}
		for _, m := range all {
			if !mailMatches(m.to, m.subject, query) {
				continue
			}
			to := []map[string]string{}
			for _, a := range m.to {
				to = append(to, map[string]string{"Name": a.Name, "Address": a.Address})
			}
			summaries = append(summaries, map[string]any{
				"ID": m.id, "MessageID": m.header.Get("Message-Id"), "Subject": m.subject, "To": to,
				"From": map[string]string{"Name": "ShopEase", "Address": "orders@shopease.test"},
				"Cc":   []any{}, "Bcc": []any{}, "ReplyTo": []any{}, "Tags": []string{},
				"Created": time.Now().UTC().Format(time.RFC3339Nano), "Read": false, "Attachments": 0, "Size": 1000, "Snippet": "",
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"total": len(all), "unread": len(all), "messages_count": len(summaries), "start": 0, "tags": []string{}, "messages": summaries,
		})
	})
	mux.HandleFunc("GET /api/v1/message/{id}/headers", func(w http.ResponseWriter, r *http.Request) {
		for _, m := range messages() {
			if m.id == r.PathValue("id") {
				writeJSON(w, http.StatusOK, map[string][]string(m.header))
				return
			}
		}
		http.Error(w, "message not found", http.StatusNotFound)
	})
	return mux
}

// mailMatches applies Mailpit's to: filter (a substring of the To
// addresses) and treats other terms as text to find in the subject.
func mailMatches(to []*mail.Address, subject, query string) bool {
	for _, term := range strings.Fields(query) {
		if rest, ok := strings.CutPrefix(strings.ToLower(term), "to:"); ok {
			hit := false
			for _, a := range to {
				hit = hit || strings.Contains(strings.ToLower(a.String()), rest)
			}
			if !hit {
				return false
			}
		} else if !strings.Contains(strings.ToLower(subject), strings.ToLower(term)) {
			return false
		}
	}
	return true
}

// --- Grafana: GET /api/datasources/uid/<uid>/health answers 200 with
// status OK, or 400 with status ERROR (grafana/grafana pkg/api/datasources.go).

func (st *standIns) grafanaAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/datasources/uid/{uid}/health", func(w http.ResponseWriter, r *http.Request) {
		uid := r.PathValue("uid")
		switch {
		case uid != "prometheus" && uid != "loki" && uid != "tempo":
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
		case uid == st.f.unhealthyDataSource:
			writeJSON(w, http.StatusBadRequest, map[string]string{
				"status":  "ERROR",
				"message": fmt.Sprintf(`Unable to connect with %s. Please check the server logs for more details. Get "http://%s:3100/ready": dial tcp: lookup %s on 127.0.0.11:53: no such host`, uid, uid, uid),
			})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": "OK", "message": "Data source successfully connected."})
		}
	})
	return mux
}
