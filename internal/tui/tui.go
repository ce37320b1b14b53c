// Package tui is ShopLab's terminal UI, built with Bubble Tea v2: the
// lab's components and their health (with starting and stopping the
// lab) and the newest traces, load tests with live charts from the load
// engine's own numbers, the slowest requests with their traces (shown as
// a waterfall with the spans' log lines, or opened in Grafana), the
// Grafana dashboards, and the guided lessons (pick one, read the task,
// ask for hints, answer, read the debrief).
//
// The Model is pure: Update turns messages into state and returns
// commands for everything that touches the world (polling health,
// running shoplab up/down, running the load engine, reading traces,
// opening a browser), each built from Deps so that tests can replace it.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
)

// stopWait bounds the wait, after the program ends, for a load test or a
// lab operation that was told to stop.
const stopWait = 30 * time.Second

// Run shows the TUI on in and out until the user quits or ctx ends. A
// load test still running then is stopped, and waited for, before Run
// returns, and so is a lesson started in the TUI: quitting clears its
// incidents (a lesson started with `shoplab lesson start` stays on).
// Links the TUI could not open are printed to out afterwards.
func Run(ctx context.Context, d Deps, in io.Reader, out io.Writer, opts ...tea.ProgramOption) error {
	opts = append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out)}, opts...)
	p := tea.NewProgram(New(ctx, d), opts...)
	final, err := p.Run()
	m, ok := final.(Model)
	if !ok {
		return err
	}
	m.stopAll(stopWait)
	if said := m.stopOurLesson(stopWait); said != "" {
		fmt.Fprintln(out, said)
	}
	if urls := m.URLs(); len(urls) > 0 {
		fmt.Fprintln(out, "Links from this session to open yourself:")
		for _, u := range urls {
			fmt.Fprintln(out, "  "+u)
		}
	}
	if m.servicesUp() > 0 || m.containersRunning() {
		fmt.Fprintln(out, "The lab is still running (stop it with: shoplab down).")
	}
	if errors.Is(err, tea.ErrInterrupted) || (errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		// Stopped from outside (a signal); what ran was stopped above.
		return nil
	}
	return err
}

// stopAll cancels whatever still runs and waits for it to return.
func (m Model) stopAll(wait time.Duration) {
	timeout := time.After(wait)
	for _, w := range []struct {
		cancel   context.CancelFunc
		finished <-chan struct{}
	}{{m.run.cancel, m.run.finished}, {m.op.cancel, m.op.finished}} {
		if w.finished == nil {
			continue
		}
		if w.cancel != nil {
			w.cancel()
		}
		select {
		case <-w.finished:
		case <-timeout:
			return
		}
	}
}
