package tui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/shoplab/shoplab/internal/incident"
	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/topology"
)

// recordingControl is the services' control surfaces, in memory: the
// incidents each admin URL has on.
type recordingControl struct {
	mu sync.Mutex
	on map[string][]string
}

func (c *recordingControl) Set(_ context.Context, adminURL, name string, _ incident.Params) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on[adminURL] = append(c.on[adminURL], name)
	return nil
}

func (c *recordingControl) Clear(_ context.Context, adminURL string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.on, adminURL)
	return nil
}

func (c *recordingControl) List(_ context.Context, adminURL string) ([]incident.Active, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []incident.Active
	for _, n := range c.on[adminURL] {
		out = append(out, incident.Active{Name: n})
	}
	return out, nil
}

func (c *recordingControl) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, names := range c.on {
		n += len(names)
	}
	return n
}

// TestTUIWithTheLessonEngine drives the real lesson engine (and the real
// lessons) from the Lessons screen: a start switches the incident on, a
// right answer ends the lesson with its debrief, and quitting during a
// lesson started here clears every incident.
func TestTUIWithTheLessonEngine(t *testing.T) {
	var services []topology.Endpoint
	for _, svc := range topology.Services() {
		// Nothing answers but 404: the debrief reads no evidence.
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		services = append(services, topology.NewEndpoint(svc, strings.TrimPrefix(srv.URL, "http://"), ""))
	}
	control := &recordingControl{on: map[string][]string{}}
	e := lesson.New(lesson.Deps{
		DataDir: t.TempDir(), Services: services, Control: control,
		Health:   func(context.Context) error { return nil },
		Evidence: lesson.Evidence{LogDir: t.TempDir()},
	})
	dr := lessonDriver(t, e)

	dr.send(press("enter"))
	dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
	first := e.List()[0]
	contains(t, dr.screen(), first.Title, first.Task)
	if control.count() == 0 {
		t.Fatal("the start switched no incident on")
	}
	dr.send(press("h"))
	dr.until("a hint", func(m Model) bool { return len(m.lessons.hints) == 1 })
	contains(t, dr.screen(), "Hint 1 of", first.Hints[0].Text)

	p, err := e.Progress()
	if err != nil || p == nil {
		t.Fatalf("progress %v, %v", p, err)
	}
	dr.send(press("a"))
	dr.typeText(p.Choice.Answer)
	dr.send(press("enter"))
	dr.until("the debrief", func(m Model) bool { return m.lessons.page == pageDebrief })
	contains(t, dr.screen(), "✓ Right: "+p.Choice.Answer, "Concept:")
	if n := control.count(); n != 0 {
		t.Fatalf("%d incidents still on after the right answer", n)
	}

	// Again, then quit: the lesson started here is stopped.
	dr.send(press("esc"), press("enter"))
	dr.until("the task", func(m Model) bool { return m.lessons.page == pageTask })
	if control.count() == 0 {
		t.Fatal("the second start switched no incident on")
	}
	dr.send(press("q"))
	dr.until("quit", func(Model) bool { return dr.quit })
	if n := control.count(); n != 0 {
		t.Fatalf("%d incidents still on after quitting", n)
	}
	if st, err := e.Status(context.Background()); err != nil || st.Active || st.Outcome != lesson.OutcomeStopped {
		t.Fatalf("after quitting: status %+v, %v", st, err)
	}
}
