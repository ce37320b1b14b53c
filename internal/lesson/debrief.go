package lesson

import (
	"context"
	"time"
)

// AnswerResult is what the checker said of an answer.
type AnswerResult struct {
	Verdict
	// Options are the possible answers, when the answer was none of them.
	Options  []string
	Attempts int
	// Debrief is set when the answer was right.
	Debrief *Debrief
}

// Debrief closes a solved lesson: the answer, what was broken, the
// evidence in the telemetry, and the concept it teaches.
type Debrief struct {
	Lesson      *Lesson
	Answer      string
	Concept     string
	Explanation string
	// Evidence are lines read from the lab when the answer came: metric
	// values, trace IDs, log lines.
	Evidence []string
	// Links go to Grafana (compose mode).
	Links     []Link
	Attempts  int
	HintsUsed int
	Took      time.Duration
}

// evidenceBudget bounds the reads of a debrief.
const evidenceBudget = 10 * time.Second

// Answer checks answer. A right one ends the lesson: the debrief is read
// while the shop is still broken, then the shop is mended. A wrong one
// counts as an attempt; one that is none of the options does not.
func (e *Engine) Answer(ctx context.Context, answer string) (AnswerResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, l, err := e.active(ctx)
	if err != nil {
		return AnswerResult{}, err
	}
	res := AnswerResult{Verdict: l.Check(p.Choice, answer)}
	if !res.Known {
		res.Options, res.Attempts = l.OptionValues(), p.Attempts
		return res, nil
	}
	p.Attempts++
	res.Attempts = p.Attempts
	if !res.Correct {
		return res, SaveProgress(e.d.DataDir, p)
	}
	res.Debrief = e.debrief(ctx, l, p)
	return res, e.finish(ctx, p, OutcomeSolved)
}

func (e *Engine) debrief(ctx context.Context, l *Lesson, p *Progress) *Debrief {
	d := &Debrief{
		Lesson: l, Answer: p.Choice.Answer, Concept: l.Concept,
		Attempts: p.Attempts, HintsUsed: p.HintsUsed, Took: e.d.Now().Sub(p.Started).Round(time.Second),
	}
	if l.explain != nil {
		d.Explanation = l.explain(p.Choice)
	}
	if l.evidence != nil {
		ev := e.d.Evidence
		ev.Services, ev.Since = e.d.Services, p.Started
		ctx, cancel := context.WithTimeout(ctx, evidenceBudget)
		d.Evidence = l.evidence(ctx, &ev, p.Choice)
		cancel()
		if len(d.Evidence) == 0 {
			d.Evidence = []string{"(nothing could be read from the lab's telemetry just now)"}
		}
	}
	if p.Mode == ModeCompose && l.links != nil && e.d.Grafana.Base != "" {
		d.Links = l.links(e.d.Grafana, p.Choice)
	}
	return d
}
