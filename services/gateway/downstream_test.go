package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestDownstreamFailures: a backend's failure becomes the matching HTTP
// status with a JSON body; a 5xx hides the backend's detail from the
// client and keeps it in the error log line.
func TestDownstreamFailures(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		product int
		status  int
		code    string
		message string
	}{
		{product: productDown, status: 503, code: CodeUnavailable, message: "unavailable"},
		{product: productBroken, status: 500, code: CodeInternal, message: "internal error"},
		{product: productBusy, status: 429, code: CodeResourceExhausted, message: "too many requests for this product"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.product), func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/products/%d", tc.product)
			r := env.do(t, http.MethodGet, path, nil, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.errorOf(t)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.message) {
				t.Errorf("error %+v, want code %s and message with %q", e, tc.code, tc.message)
			}
			if strings.Contains(string(r.body), "sqlite") || strings.Contains(string(r.body), "locked") {
				t.Errorf("5xx body leaks the backend's detail: %s", r.body)
			}
			line := env.requestLine(t, path)
			wantLevel := "INFO"
			if tc.status >= 500 {
				wantLevel = "ERROR"
			}
			if line["level"] != wantLevel || line["error_code"] != tc.code {
				t.Errorf("log line %v, want level %s and error_code %s", line, wantLevel, tc.code)
			}
			if tc.product == productBroken && !strings.Contains(fmt.Sprint(line["error"]), secretDetail) {
				t.Errorf("log line %v lacks the backend's detail", line)
			}
		})
	}
}

// TestDownstreamDeadline: every backend call carries a deadline long
// enough for the longest injected delay.
func TestDownstreamDeadline(t *testing.T) {
	env := newEnv(t, nil)
	env.do(t, http.MethodGet, "/api/v1/products", nil, "")
	c, _ := env.rec.last("ListProducts")
	if c.deadline <= downstreamTimeout-5*1e9 || c.deadline > downstreamTimeout {
		t.Errorf("catalog call had %v left, want just under %v", c.deadline, downstreamTimeout)
	}
}
