package lesson

import (
	"context"
	"fmt"
	"strings"
)

// HintView is one hint as shown in the lab's mode.
type HintView struct {
	// N is the hint's number, from 1, of Of.
	N, Of int
	Text  string
	// Where says where to look in this mode: a tool, a dashboard panel,
	// a TUI screen.
	Where string
	// Query is one to try (compose mode), with Link opening it in
	// Grafana Explore.
	Query *Query
	Link  string
}

// Last reports whether no hint comes after this one.
func (h HintView) Last() bool { return h.N == h.Of }

// Hint gives the next hint, from vague to specific; once all are given,
// the last one again.
func (e *Engine) Hint(ctx context.Context) (HintView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, l, err := e.active(ctx)
	if err != nil {
		return HintView{}, err
	}
	if p.HintsUsed < len(l.Hints) {
		p.HintsUsed++
		if err := SaveProgress(e.d.DataDir, p); err != nil {
			return HintView{}, err
		}
	}
	return e.hintView(l, p.Mode, p.HintsUsed-1), nil
}

// active loads the progress of the lesson that is on.
func (e *Engine) active(ctx context.Context) (*Progress, *Lesson, error) {
	p, notice, err := e.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	if notice != "" {
		return nil, nil, &trafficLost{notice: notice}
	}
	if !p.Active() {
		return nil, nil, fmt.Errorf("%w: start one with shoplab lesson start NAME (shoplab lesson list shows them)", ErrNoLesson)
	}
	l, ok := e.Lesson(p.Lesson)
	if !ok {
		return nil, nil, fmt.Errorf("%w %q in %s: stop it with shoplab lesson stop", ErrUnknownLesson, p.Lesson, ProgressPath(e.d.DataDir))
	}
	return p, l, nil
}

// hintView renders hint i of l for mode: in compose mode the Grafana
// side, in local mode the TUI, shoplab trace and /metrics side.
func (e *Engine) hintView(l *Lesson, mode Mode, i int) HintView {
	h := l.Hints[i]
	v := HintView{N: i + 1, Of: len(l.Hints), Text: e.expand(h.Text), Where: e.expand(h.Local)}
	if mode == ModeCompose {
		if h.Compose != "" {
			v.Where = e.expand(h.Compose)
		}
		if h.Query != nil {
			q := *h.Query
			v.Query, v.Link = &q, e.d.Grafana.Explore(q)
		}
	}
	return v
}

// expand fills in the lab's addresses: {metrics:SERVICE} is the
// service's /metrics URL, {http:SERVICE} its HTTP address, {prometheus}
// the compose stack's Prometheus.
func (e *Engine) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	pairs := []string{"{prometheus}", strings.TrimRight(e.d.Grafana.Prometheus, "/")}
	for _, svc := range e.d.Services {
		pairs = append(pairs, "{metrics:"+svc.Service+"}", svc.MetricsURL, "{http:"+svc.Service+"}", svc.HTTP)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
