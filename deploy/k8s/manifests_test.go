package k8s_test

import (
	"strings"
	"testing"
)

// TestOverlays builds the base and each overlay and holds them to every
// rule: a kustomization that builds, decodes strictly and breaks no rule.
func TestOverlays(t *testing.T) {
	for _, tc := range []struct {
		dir string
		p   profile
	}{
		{dir: "base"},
		{dir: "overlays/local"},
		{dir: "overlays/scaled", p: profile{scaled: true}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			o := load(t, tc.dir)
			// A Service per service, and a headless one per gRPC API.
			if len(o.deployments) != 5 || len(o.services) != 8 {
				t.Fatalf("%d Deployments and %d Services, want 5 and 8", len(o.deployments), len(o.services))
			}
			for _, v := range check(o, tc.p) {
				t.Error(v)
			}
		})
	}
}

// TestRulesReject builds fixtures that each break one rule, and checks
// that the checker says so: the rules can fail.
func TestRulesReject(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		p       profile
		want    string
	}{
		{"probe-wrong-port", profile{}, "readiness probe targets port 8101; /healthz is on 8100"},
		{"no-liveness", profile{}, "no liveness probe"},
		{"liveness-on-healthz", profile{}, `Deployment auth: the liveness probe gets "/healthz", not /livez: /healthz fails while a dependency`},
		{"startup-on-healthz", profile{}, `Deployment catalog: the startup probe gets "/healthz", not /livez`},
		{"readiness-on-livez", profile{}, `Deployment orders: the readiness probe gets "/livez", not /healthz`},
		{"peer-cluster-ip", profile{}, "AUTH_ADDR=auth:8201 names Service auth, which has a cluster IP"},
		{"peer-wrong-port", profile{}, "CATALOG_ADDR=catalog-headless:8102: port 8102 is not the gRPC port of the catalog pods (8202)"},
		{"peer-unset", profile{}, "ORDERS_ADDR=127.0.0.1:8203 is an IP address"},
		{"latest-image", profile{}, "is not pinned"},
		{"untagged-image", profile{}, "is not pinned"},
		{"secret-in-repo", profile{}, "Secret shoplab-secrets: has data in the repository"},
		{"literal-password", profile{}, "env SMTP_PASSWORD is a secret in plain text"},
		{"short-grace", profile{}, "terminationGracePeriodSeconds 20s is not more than"},
		{"no-prestop", profile{}, "no preStop sleep"},
		{"no-requests", profile{}, "no cpu request"},
		{"service-port-mismatch", profile{}, "Service orders: port grpc targets 9999"},
		{"config-port-moved", profile{}, "containerPort http is 8103, the service listens on 9103"},
		{"scrape-wrong-port", profile{}, `Deployment auth: the scrape annotations (scrape "true", port "8201", path "/metrics") do not point at /metrics on 8101`},
		{"writable-root", profile{}, "the root file system is not read-only"},
		{"unknown-variable", profile{}, "SHOPLAB_SHUTDOWN_TIMOUT is not a variable ShopLab reads"},
		{"sqlite-replicas", profile{}, "2 replicas, but CATALOG_DATABASE_URL is not set from a Secret"},
		{"scaled-no-pdb", profile{scaled: true}, "Deployment orders: no PodDisruptionBudget selects its pods"},
		{"scaled-one-replica", profile{scaled: true}, "Deployment gateway: the scaled overlay runs 1 replica"},
		{"scaled-optional-jwt", profile{scaled: true}, "AUTH_JWT_SECRET is not a required secretKeyRef"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			o := load(t, "testdata/"+tc.fixture)
			v := check(o, tc.p)
			for _, line := range v {
				if strings.Contains(line, tc.want) {
					return
				}
			}
			t.Errorf("no violation contains %q; got %q", tc.want, v)
		})
	}
}

// TestStrictDecoding checks that a field the API types lack fails the
// build's decoding instead of being dropped (as a lenient decoder would).
func TestStrictDecoding(t *testing.T) {
	docs, err := build("testdata/unknown-field", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = decode(docs, false)
	if err == nil || !strings.Contains(err.Error(), "readinessProbes") {
		t.Fatalf("decode = %v, want an error naming the unknown field readinessProbes", err)
	}
}
