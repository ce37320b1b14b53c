package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/lab"
	"github.com/shoplab/shoplab/internal/stack"
	"github.com/shoplab/shoplab/internal/topology"
)

func printEndpoints(w io.Writer, cfg config.Config, l *lab.Lab, withStack bool) {
	logDir := cfg.LogDir
	kafka := fmt.Sprintf("Kafka at %v", l.Brokers())
	if l.Embedded() {
		kafka = fmt.Sprintf("embedded Kafka-protocol broker at %v", l.Brokers())
	}
	fmt.Fprintf(w, "\nShopLab is running (%s), listening on %s.\n\n", kafka, strings.Join(cfg.BindHosts, " and "))
	fmt.Fprintf(w, "  %-13s %-28s %-17s %s\n", "SERVICE", "HTTP (/healthz, /metrics)", "gRPC", "LOG FILE")
	for _, e := range l.Endpoints() {
		grpc := e.GRPC
		if grpc == "" {
			grpc = "-"
		}
		fmt.Fprintf(w, "  %-13s %-28s %-17s %s\n", e.Service, "http://"+e.HTTP, grpc, filepath.Join(logDir, e.Service+".log"))
	}
	for _, e := range l.Endpoints() {
		if e.Service == topology.Gateway {
			fmt.Fprintf(w, "\n  Shop API:     http://%s/api/v1/products\n", e.HTTP)
		}
	}
	if !withStack {
		return
	}
	fmt.Fprintln(w)
	for _, u := range []struct{ name, url string }{
		{"Grafana", dashboards.URL(stack.GrafanaURL, dashboards.OverviewUID)},
		{"Prometheus", stack.PrometheusURL},
		{"Alertmanager", stack.AlertmanagerURL},
		{"kafka-ui", stack.KafkaUIURL},
		{"Mailpit", stack.MailpitURL},
		{"Alloy", stack.AlloyURL},
	} {
		fmt.Fprintf(w, "  %-13s %s\n", u.name+":", u.url)
	}
}
