package incident

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Errors a refused request unwraps to (errors.Is).
var (
	// ErrUnauthorized: no or wrong token (401).
	ErrUnauthorized = errors.New("incident control: missing or wrong token")
	// ErrForbidden: a non-loopback caller, or SHOPLAB_FAULTS is off (403).
	ErrForbidden = errors.New("incident control: refused")
	// ErrUnknown: no such incident in that service (404).
	ErrUnknown = errors.New("incident control: unknown incident")
	// ErrBadParams: the parameters do not fit the incident (400).
	ErrBadParams = errors.New("incident control: bad parameters")
)

// StatusError is a control-surface answer other than success.
type StatusError struct {
	StatusCode int
	// Code and Message are the JSON error body's.
	Code, Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("incident control: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Unwrap maps the status onto the package's sentinel errors.
func (e *StatusError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrUnknown
	case http.StatusBadRequest:
		return ErrBadParams
	}
	return nil
}

// Client switches incidents through services' control surfaces.
type Client struct {
	// Token is the content of TokenPath(dataDir) (see LoadToken).
	Token string
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

// Set switches incident name on in the service whose admin address is
// adminURL ("http://127.0.0.1:8082"), replacing its parameters if it was
// on already.
func (c Client) Set(ctx context.Context, adminURL, name string, params Params) error {
	if params == nil {
		params = Params{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("incident %s: %w", name, err)
	}
	return c.do(ctx, http.MethodPut, adminURL, name, body, nil)
}

// Remove switches incident name off in that service (no error if it was
// off).
func (c Client) Remove(ctx context.Context, adminURL, name string) error {
	return c.do(ctx, http.MethodDelete, adminURL, name, nil, nil)
}

// Clear switches every incident of that service off.
func (c Client) Clear(ctx context.Context, adminURL string) error {
	return c.do(ctx, http.MethodDelete, adminURL, "", nil, nil)
}

// List returns the incidents that are on in that service, sorted by name.
func (c Client) List(ctx context.Context, adminURL string) ([]Active, error) {
	var out []Active
	if err := c.do(ctx, http.MethodGet, adminURL, "", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c Client) do(ctx context.Context, method, adminURL, name string, body []byte, into any) error {
	u := strings.TrimSuffix(adminURL, "/") + RoutePrefix
	if name != "" {
		u += "/" + url.PathEscape(name)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("incident control: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("incident control %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("incident control %s %s: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		var eb errorBody
		_ = json.Unmarshal(data, &eb)
		if eb.Error.Message == "" {
			eb.Error.Message = strings.TrimSpace(string(data))
		}
		return fmt.Errorf("%s %s: %w", method, u, &StatusError{StatusCode: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message})
	}
	if into == nil {
		return nil
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("incident control %s %s: %w", method, u, err)
	}
	return nil
}
