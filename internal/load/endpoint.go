package load

import (
	"strings"
)

// Endpoint is one of the gateway's routes: a method and a route template
// such as /api/v1/products/{id}. Results are kept per endpoint, never per
// raw path, so that their number stays bounded.
type Endpoint struct {
	Method string `json:"method"`
	Route  string `json:"route"`
}

func (e Endpoint) String() string { return e.Method + " " + e.Route }

// endpoints is the gateway's API (services/gateway/routes.go). A step must
// name one of them; its index is the endpoint's number in the stats.
var endpoints = [...]Endpoint{
	{"GET", "/api/v1/products"},
	{"GET", "/api/v1/products/{id}"},
	{"POST", "/api/v1/auth/register"},
	{"POST", "/api/v1/auth/login"},
	{"POST", "/api/v1/orders"},
	{"GET", "/api/v1/orders/{id}"},
}

// Endpoints returns the routes a scenario step may name.
func Endpoints() []Endpoint { return append([]Endpoint(nil), endpoints[:]...) }

func endpointIndex(method, route string) int {
	for i, e := range endpoints {
		if e.Method == method && e.Route == route {
			return i
		}
	}
	return -1
}

func endpointList() string {
	s := make([]string, len(endpoints))
	for i, e := range endpoints {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

// routeParams returns the names of route's {params}, in order.
func routeParams(route string) []string {
	var names []string
	for rest := route; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}
