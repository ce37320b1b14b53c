package lesson

import (
	"reflect"
	"slices"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
)

// TestChoicesAreSeededAndValid: a seed always draws the same choice; the
// seeds draw every answer a lesson can hide; and every incident a choice
// names acts in the service it is sent to, with parameters the service's
// own parser accepts.
func TestChoicesAreSeededAndValid(t *testing.T) {
	wantAnswers := map[string]int{
		"red-by-region": 5, "exemplar-to-span": 2, "logs-and-traces": 2, "kafka-hop": 2,
		"cardinality": 1, "broken-pipeline": 1, "trace-shape": 2, "slow-database": 2,
	}
	for _, l := range All() {
		t.Run(l.Name, func(t *testing.T) {
			answers := map[string]bool{}
			for seed := uint64(1); seed <= 200; seed++ {
				c := l.Choose(seed)
				if again := l.Choose(seed); !reflect.DeepEqual(c, again) {
					t.Fatalf("seed %d drew %+v, then %+v", seed, c, again)
				}
				answers[c.Answer] = true
				if v := l.Check(c, c.Answer); !v.Correct {
					t.Errorf("seed %d: the checker refuses the choice's own answer %q", seed, c.Answer)
				}
				if len(l.Options) > 0 && !slices.Contains(l.OptionValues(), c.Answer) {
					t.Errorf("seed %d: answer %q is none of the options %v", seed, c.Answer, l.OptionValues())
				}
				for _, inc := range c.Incidents {
					if svc, ok := incident.ServiceOf(inc.Name); !ok || svc != inc.Service {
						t.Fatalf("seed %d: incident %s is sent to %s, acts in %q", seed, inc.Name, inc.Service, svc)
					}
					if err := incident.NewSet(inc.Service).On(inc.Name, inc.Params); err != nil {
						t.Fatalf("seed %d: %s refuses %s %v: %v", seed, inc.Service, inc.Name, inc.Params, err)
					}
				}
				if len(c.Incidents) == 0 && len(c.StopContainers) == 0 {
					t.Fatalf("seed %d breaks nothing", seed)
				}
			}
			if len(answers) != wantAnswers[l.Name] {
				t.Errorf("200 seeds drew %d different answers (%v), want %d", len(answers), answers, wantAnswers[l.Name])
			}
		})
	}
}

func TestEveryLessonIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range All() {
		if seen[l.Name] {
			t.Errorf("two lessons named %s", l.Name)
		}
		seen[l.Name] = true
		if l.Title == "" || l.Story == "" || l.Task == "" || l.Concept == "" || l.Scenario == "" || l.Rate <= 0 {
			t.Errorf("%s: missing title, story, task, concept or traffic", l.Name)
		}
		if len(l.Hints) != 3 {
			t.Errorf("%s: %d hints, want 3 (vague to specific)", l.Name, len(l.Hints))
		}
		for i, h := range l.Hints {
			if h.Text == "" || (h.Local == "" && h.Compose == "") {
				t.Errorf("%s: hint %d points at no tool", l.Name, i+1)
			}
		}
		if l.choose == nil || l.explain == nil || l.evidence == nil || l.links == nil {
			t.Errorf("%s: missing its choice, explanation, evidence or links", l.Name)
		}
	}
	if len(seen) < 6 {
		t.Errorf("%d lessons, want at least 6", len(seen))
	}
}

func lessonNamed(t *testing.T, name string) *Lesson {
	t.Helper()
	for _, l := range All() {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lesson %s", name)
	return nil
}

// choiceWith finds a seed whose choice's answer is answer.
func choiceWith(t *testing.T, l *Lesson, answer string) Choice {
	t.Helper()
	for seed := uint64(1); seed < 1000; seed++ {
		if c := l.Choose(seed); c.Answer == answer {
			return c
		}
	}
	t.Fatalf("%s: no seed draws %q", l.Name, answer)
	return Choice{}
}

func TestCheckerAcceptsTheAnswerAndRejectsTheOthers(t *testing.T) {
	tests := []struct {
		lesson, answer string
		right          []string
		wrong          []string
		unknown        []string
	}{
		{"red-by-region", "ap-south", []string{"ap-south", "AP South", " ap_south ", "apsouth", "4"}, []string{"us-east", "EU West", "5", "sa-east"}, []string{"mars", "6", "0", ""}},
		{"exemplar-to-span", "GetProduct", []string{"GetProduct", "get product", "shop.v1.CatalogService/GetProduct", "CatalogService.GetProduct", "getproduct()", "1"}, []string{"ListProducts", "list_products", "/shop.v1.CatalogService/ListProducts"}, []string{"ReserveStock"}},
		{"logs-and-traces", causeMailRefuse, []string{"451", "SMTP 451", "the mail server refuses e-mails (451, try again later)", "2"}, []string{"disk I/O error", "out of stock", "1"}, []string{"cosmic rays"}},
		{"kafka-hop", causeOutbox, []string{"outbox", "The outbox relay is stalled.", "Outbox relay stalled", "1"}, []string{"slow mail server", "kafka down", "consumer crashed", "2"}, []string{"dns"}},
		{"cardinality", perUserMetric, []string{"shoplab_http_requests_by_user_total", "shoplab_http_requests_by_user", "user_id", `shoplab_http_requests_by_user_total{route="/api/v1/orders",user_id="x"} 3`}, []string{"shoplab_http_requests_total", "shoplab_http_request_duration_seconds", "route"}, []string{""}},
		{"broken-pipeline", "logs", []string{"logs", "Loki", "log shipper", "3"}, []string{"metrics", "traces", "exemplars", "e-mail", "1"}, []string{"grafana"}},
		{"trace-shape", causeNPlusOne, []string{"N+1", "n plus one", "an N+1 query pattern", "1"}, []string{"slow query", "lock contention", "2"}, []string{"gc pause"}},
		{"slow-database", "orders", []string{"orders", "Orders service", "order", "4"}, []string{"catalog", "auth", "gateway", "notification"}, []string{"billing"}},
	}
	for _, tt := range tests {
		t.Run(tt.lesson, func(t *testing.T) {
			l := lessonNamed(t, tt.lesson)
			c := choiceWith(t, l, tt.answer)
			for _, a := range tt.right {
				if v := l.Check(c, a); !v.Known || !v.Correct || v.Option != tt.answer {
					t.Errorf("Check(%q) = %+v, want right (%s)", a, v, tt.answer)
				}
			}
			for _, a := range tt.wrong {
				if v := l.Check(c, a); !v.Known || v.Correct {
					t.Errorf("Check(%q) = %+v, want a known wrong answer", a, v)
				}
			}
			for _, a := range tt.unknown {
				if v := l.Check(c, a); v.Known || v.Correct {
					t.Errorf("Check(%q) = %+v, want an unknown answer", a, v)
				}
			}
		})
	}
}
