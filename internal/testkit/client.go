package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Client calls the shop's REST API through the gateway.
type Client struct {
	Base   string
	Region string
	Token  string
	HTTP   *http.Client
}

// Response is a decoded API answer.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	TraceID string
}

// Do sends method path with body (encoded as JSON unless it is nil) and
// returns the answer.
func (c *Client) Do(t testing.TB, method, path string, body any) Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Region != "" {
		req.Header.Set("X-Region", c.Region)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b, TraceID: resp.Header.Get("X-Trace-Id")}
}

// Decode parses the body into v, failing the test if it does not parse.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Want fails the test unless the status is want.
func (r Response) Want(t testing.TB, want int) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// String is for failure messages.
func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }
