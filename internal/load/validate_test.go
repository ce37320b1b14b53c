package load

import (
	"errors"
	"strings"
	"testing"
)

// base is a valid scenario; each case breaks one thing in it.
const base = `name: t
rate: 10
duration: 2s
regions: {us-east: 1, eu-west: 1}
journeys:
  - name: buy
    vars:
      email: "{{randomEmail}}"
    steps:
      - method: GET
        route: /api/v1/products
        capture: {product_id: "$.products[*].id"}
      - method: POST
        route: /api/v1/auth/login
        body: '{"email": {{json .email}}, "password": "secret123"}'
        capture: {token: "$.token"}
      - method: GET
        route: /api/v1/products/{id}
        params: {id: "{{.product_id}}"}
        think: 1s..2s
`

func TestValidScenarioCompiles(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Journeys) != 1 || len(sc.Journeys[0].Steps) != 3 || sc.Regions[0].Region != "us-east" {
		t.Fatalf("compiled %+v", sc)
	}
	if st := sc.Journeys[0].Steps[2]; st.Endpoint.Route != "/api/v1/products/{id}" || st.ThinkMin.Seconds() != 1 || st.ThinkMax.Seconds() != 2 {
		t.Errorf("step 3 = %+v", st)
	}
}

func TestMalformedScenariosAreRejected(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string // "LINE: message part"
	}{
		{"unknown top-level field", "rate: 10\n", "rate: 10\nrat: 5\n", `t.yaml:3: unknown field "rat" in the scenario (known: name, description, rate,`},
		{"unknown step field", "        think: 1s..2s\n", "        think: 1s..2s\n        thinc: 1s\n", `t.yaml:21: unknown field "thinc" in a step`},
		{"region weights sum to zero", "regions: {us-east: 1, eu-west: 1}", "regions: {us-east: 0, eu-west: 0}", "t.yaml:4: region weights sum to zero"},
		{"journey weights sum to zero", "  - name: buy\n", "  - name: buy\n    weight: 0\n", "t.yaml:6: journey weights sum to zero"},
		{"unknown region", "eu-west: 1}", "eu-north: 1}", `t.yaml:4: unknown region "eu-north"`},
		{"unknown route", "route: /api/v1/auth/login", "route: /api/v1/auth/logout", `t.yaml:14: unknown route "POST /api/v1/auth/logout": want one of GET /api/v1/products,`},
		{"wrong method for route", "      - method: GET\n        route: /api/v1/products\n", "      - method: DELETE\n        route: /api/v1/products\n", `t.yaml:11: unknown route "DELETE /api/v1/products"`},
		{"bad duration", "duration: 2s", "duration: 2 seconds", `t.yaml:3: duration "2 seconds" is not a duration`},
		{"zero duration", "duration: 2s", "duration: 0s", "t.yaml:3: duration must be above zero"},
		{"bad think", "think: 1s..2s", "think: 2s..1s", "t.yaml:20: think \"2s..1s\": the upper bound is below the lower one"},
		{"bad template", `"{{.product_id}}"`, `"{{.product_id"`, "t.yaml:19: param id: template"},
		{"undefined variable", `"{{.product_id}}"`, `"{{.product}}"`, "t.yaml:19: {{.product}} is not defined here"},
		{"variable used before its capture", `{{json .email}}`, `{{json .token}}`, "t.yaml:15: {{.token}} is not defined here"},
		{"unknown template function", `"{{randomEmail}}"`, `"{{randomMail}}"`, `t.yaml:8: var email: template "{{randomMail}}": 1: function "randomMail" not defined`},
		{"missing route param", `        params: {id: "{{.product_id}}"}` + "\n", "", "t.yaml:18: route /api/v1/products/{id} needs params: {id: ...}"},
		{"bad capture path", `"$.token"`, `"token"`, `t.yaml:16: capture token: path "token" must start with $`},
		{"GET with a body", "        capture: {product_id", "        body: '{}'\n        capture: {product_id", "t.yaml:12: a GET step has no body"},
		{"reserved header", "        think: 1s..2s\n", "        think: 1s..2s\n        headers: {X-Region: eu-west}\n", "t.yaml:21: header X-Region is set by the load generator"},
		{"bad fault", "journeys:\n", "faults:\n  - inject: catalog:slow=1s\njourneys:\n", `t.yaml:6: fault "catalog:slow=1s": unknown kind "slow"`},
		{"fault for a region without traffic", "journeys:\n", "faults:\n  - inject: catalog:delay=1s\n    regions: [sa-east]\njourneys:\n", `t.yaml:7: fault for region "sa-east", which gets no traffic`},
		{"faults of a region over the limits together", "journeys:\n", "faults:\n  - inject: catalog:delay=20s\n  - inject: orders:delay=20s\n    regions: [eu-west]\njourneys:\n", `t.yaml:6: the faults of region eu-west together: fault delays add up to 40s`},
		{"notification fault", "journeys:\n", "faults:\n  - inject: notification:delay=1s\njourneys:\n", `t.yaml:6: fault "notification:delay=1s": notification cannot be faulted by a request`},
		{"bad threshold", "journeys:\n", "thresholds: [p99<fast]\njourneys:\n", `t.yaml:5: threshold "p99<fast": "fast" is not a duration`},
		{"rate and stages", "journeys:\n", "stages: [{duration: 1s, rate: 5}]\njourneys:\n", "t.yaml:5: give rate and duration, or stages, not both"},
		{"wrong type", "rate: 10", "rate: fast", "t.yaml:2: cannot unmarshal !!str `fast` into float64"},
		{"bad status", "        think: 1s..2s\n", "        think: 1s..2s\n        expect: [200, 999]\n", "t.yaml:21: expect 999 is not an HTTP status"},
		{"yaml syntax", "journeys:\n", "journeys:\n  - name: [\n", "t.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("test case does not apply: %q is not in the base scenario", tt.old)
			}
			src := strings.Replace(base, tt.old, tt.new, 1)
			_, err := Parse("t.yaml", []byte(src))
			if err == nil {
				t.Fatalf("accepted:\n%s", src)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
			var se *ScenarioError
			if !errors.As(err, &se) || se.File != "t.yaml" || se.Line == 0 {
				t.Errorf("error %v is not a ScenarioError with file and line", err)
			}
		})
	}
}

func TestStagesValidate(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"start_rate: 0\nstages: [{duration: 1s, rate: 0}]\n", "every stage has rate 0"},
		{"stages: [{duration: soon, rate: 5}]\n", `stage duration "soon" is not a duration`},
		{"stages: [{duration: 1s, rate: -5}]\n", "stage rate must not be negative"},
		{"stages: [{duration: 1s, rate: 5, hold: 2s}]\n", `unknown field "hold" in a stage (known: duration, rate)`},
		{"", "no schedule"},
		{"duration: 1s\n", "duration without rate"},
	}
	journeys := "journeys: [{steps: [{method: GET, route: /api/v1/products}]}]\n"
	for _, tt := range tests {
		_, err := Parse("s.yaml", []byte(tt.yaml+journeys))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
	if _, err := Parse("s.yaml", []byte("stages: [{duration: 1s, rate: 5}]\n"+journeys)); err != nil {
		t.Errorf("valid ramp rejected: %v", err)
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{"token": "abc", "n": 3.0, "products": []any{map[string]any{"id": "7"}, map[string]any{"id": "9"}}}
	tests := []struct {
		path    string
		want    []string // any of
		wantErr string
	}{
		{"$.token", []string{"abc"}, ""},
		{"$.products[0].id", []string{"7"}, ""},
		{"$.products[-1].id", []string{"9"}, ""},
		{"$.products[*].id", []string{"7", "9"}, ""},
		{"$.products[2].id", nil, "out of range"},
		{"$.missing", nil, `no member "missing"`},
		{"$.token.x", nil, "non-object"},
	}
	for _, tt := range tests {
		p, err := parseJSONPath(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.eval(doc)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !contains(tt.want, got) {
			t.Errorf("%s = %q, %v; want one of %q", tt.path, got, err, tt.want)
		}
	}
	for _, bad := range []string{"token", "$.", "$[x]", "$.a[1", "$!"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
