package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/compose"
)

// fixtureAlertsAt is when fixtureAlerts' answer came.
var fixtureAlertsAt = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// fixtureAlerts is Alertmanager's answer: checkout burning its error
// budget in one region (a page) and slowly in another (a ticket).
func fixtureAlerts() alertsMsg {
	return alertsMsg{at: fixtureAlertsAt, list: []Alert{
		{Name: "CheckoutErrorBudgetBurn", Severity: "page", Region: "eu-west", Since: fixtureAlertsAt.Add(-4*time.Minute - 12*time.Second)},
		{Name: "CheckoutErrorBudgetBurn", Severity: "ticket", Region: "us-east", Since: fixtureAlertsAt.Add(-1*time.Hour - 3*time.Minute)},
		{Name: "NotificationLag", Severity: "ticket", Since: fixtureAlertsAt.Add(-45 * time.Second)},
	}}
}

// composeHealthy is a poll that finds the lab healthy in compose mode.
func composeHealthy(d Deps) healthMsg {
	msg := allHealthy(d)
	msg.docker = dockerOK
	for _, name := range []string{"prometheus", "loki", "tempo", "mailpit", "alertmanager", "grafana", "alloy", "kafka", "kafka-ui"} {
		msg.containers = append(msg.containers, compose.Container{Service: name, State: "running", Health: "healthy"})
	}
	return msg
}

func TestTUIFiringAlerts(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	d := fixtureDeps(t)
	d.Alerts = func(context.Context) ([]Alert, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return fixtureAlerts().list, nil
	}

	// Local mode: no Alertmanager to ask, no section.
	// Tall enough for the containers and the alerts both.
	m, _ := apply(New(context.Background(), d), tea.WindowSizeMsg{Width: 120, Height: 40}, allHealthy(d))
	if m.alerts.busy {
		t.Fatal("asked for alerts in local mode")
	}
	if scr := screen(m); strings.Contains(scr, "Firing alerts") {
		t.Errorf("local mode shows a firing-alerts section:\n%s", scr)
	}

	// Compose mode: the poll asks, in a command.
	m, _ = apply(m, composeHealthy(d))
	if !m.alerts.busy {
		t.Fatal("a poll in compose mode did not ask for the firing alerts")
	}
	mu.Lock()
	if calls != 0 {
		t.Error("Update asked Alertmanager itself: I/O belongs in the command")
	}
	mu.Unlock()
	contains(t, screen(m), "Firing alerts — asking Alertmanager…")

	m, _ = apply(m, fixtureAlerts())
	if m.alerts.busy {
		t.Fatal("still busy after the answer")
	}
	scr := screen(m)
	contains(t, scr, "Firing alerts (3; for how long)")
	for _, tt := range []struct{ name, want string }{
		{"CheckoutErrorBudgetBurn", "page     eu-west    4m12s"},
		{"NotificationLag", "ticket   -          45s"},
	} {
		if r := row(scr, tt.name); !strings.Contains(r, tt.want) {
			t.Errorf("row %q lacks %q", r, tt.want)
		}
	}
	contains(t, scr, "ticket   us-east    1h3m0s")

	// Only five rows, then how many more.
	many := fixtureAlerts()
	for range 5 {
		many.list = append(many.list, many.list[2])
	}
	got, _ := apply(m, many)
	scr = screen(got)
	if n := strings.Count(scr, "NotificationLag"); n != 3 {
		t.Errorf("%d NotificationLag rows, want 3 (five rows in all):\n%s", n, scr)
	}
	contains(t, scr, "… and 3 more")

	// A terminal too small for the rows gets one line.
	small, _ := apply(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	contains(t, screen(small), "Firing alerts: 3 — CheckoutErrorBudgetBurn (page, eu-west) and 2 more")

	for _, tt := range []struct {
		name string
		msg  alertsMsg
		want string
	}{
		{"none", alertsMsg{at: fixtureAlertsAt}, "Firing alerts — none firing."},
		{"unreachable", alertsMsg{err: errors.New(`Get "http://localhost:9093/api/v2/alerts?active=true": dial tcp [::1]:9093: connect: connection refused`)},
			"Firing alerts: cannot ask Alertmanager (connect: connection refused)"},
	} {
		got, _ := apply(m, tt.msg)
		contains(t, screen(got), tt.want)
	}

	// Other screens do not ask.
	m, _ = apply(m, press("2"), composeHealthy(d))
	if m.alerts.busy {
		t.Error("asked for alerts while the Load screen shows")
	}
	// The stack stopped: the section goes, and comes back asking afresh.
	m, _ = apply(m, press("1"), allHealthy(d))
	if m.alerts.busy || m.alerts.answered || strings.Contains(screen(m), "Firing alerts") {
		t.Errorf("alerts %+v shown or asked for without the stack", m.alerts)
	}
}

func TestTUIFiringAlertsNil(t *testing.T) {
	d := fixtureDeps(t)
	m, _ := apply(New(context.Background(), d), composeHealthy(d))
	if m.alerts.busy || strings.Contains(screen(m), "Firing alerts") {
		t.Error("without Deps.Alerts the Stack screen still asks or shows alerts")
	}
}

func TestTUIFiringAlertsArrive(t *testing.T) {
	d := fixtureDeps(t)
	d.Containers = func(context.Context) ([]compose.Container, error) {
		return composeHealthy(d).containers, nil
	}
	d.Alerts = func(context.Context) ([]Alert, error) { return fixtureAlerts().list, nil }
	dr := newDriver(t, d)
	dr.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	dr.until("the firing alerts listed", func(m Model) bool { return len(m.alerts.list) == 3 })
	contains(t, dr.screen(), "CheckoutErrorBudgetBurn", "NotificationLag")
}
