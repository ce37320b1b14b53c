package main

import (
	"context"
	"net"
	"sync/atomic"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// receiver is an OTLP/gRPC trace endpoint that counts the spans it gets
// and keeps nothing: the shop's export path is measured to its end, the
// receiver's own work is the driver's.
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer
	addr  string
	spans atomic.Int64
	srv   *grpc.Server
}

func startReceiver() (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{addr: l.Addr().String(), srv: grpc.NewServer()}
	collectortrace.RegisterTraceServiceServer(r.srv, r)
	go r.srv.Serve(l)
	return r, nil
}

func (r *receiver) endpoint() string { return "http://" + r.addr }

func (r *receiver) stop() { r.srv.Stop() }

// Export implements the OTLP trace service.
func (r *receiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	r.spans.Add(int64(n))
	return &collectortrace.ExportTraceServiceResponse{}, nil
}
