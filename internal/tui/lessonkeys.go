package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/shoplab/shoplab/internal/lesson"
)

// onLessonsKey picks and starts a lesson, asks for hints, opens the
// answer's input and stops the lesson.
func (m Model) onLessonsKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.deps.Lessons == nil {
		return m, nil
	}
	k, ls := m.keys, &m.lessons
	if ls.op.running() && key.Matches(msg, k.open, k.hint, k.answer, k.stopLesson) {
		m.notice = &notice{text: "Wait: " + strings.TrimSuffix(ls.op.what, "…") + "."}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.up):
		m.moveCursor(-1)
	case key.Matches(msg, k.down):
		m.moveCursor(1)
	case key.Matches(msg, k.pageUp):
		m.moveCursor(-max(m.bodyHeight()-2, 1))
	case key.Matches(msg, k.pageDown):
		m.moveCursor(max(m.bodyHeight()-2, 1))
	case key.Matches(msg, k.stopLesson):
		if m.lessonOn() == "" {
			m.notice = &notice{text: "No lesson is on."}
			return m, nil
		}
		return m, m.stopLesson()
	case ls.page == pageList && key.Matches(msg, k.open):
		return m.pickLesson()
	case ls.page == pageTask && key.Matches(msg, k.hint):
		return m, m.askHint()
	case ls.page == pageTask && key.Matches(msg, k.answer):
		ls.answering = true
		ls.input = newAnswerInput()
		ls.input.Placeholder = answerPlaceholder(ls.status.Lesson)
		return m, ls.input.Focus()
	case key.Matches(msg, k.grafana):
		if u, label := m.lessonLink(); u != "" {
			return m, m.openURL(label, u, true)
		}
	}
	return m, nil
}

// pickLesson starts the selected lesson, or shows the task of the one
// that is on.
func (m Model) pickLesson() (tea.Model, tea.Cmd) {
	ls := &m.lessons
	if ls.cursor >= len(ls.list) {
		return m, nil
	}
	l := ls.list[ls.cursor]
	switch on := m.lessonOn(); {
	case on == l.Name:
		ls.page, ls.debrief = pageTask, nil
		return m, nil
	case on != "":
		m.notice = &notice{text: "Lesson " + on + " is on: finish it, or press s to stop it, before starting another.", bad: true}
		return m, nil
	}
	if m.polled && len(m.services) > 0 && m.servicesUp() == 0 {
		// The engine would say so too, after asking every service.
		m.notice = &notice{text: "The lab is not running, so there is nothing to break. Start it on the Stack screen (1, then l), then try again.", bad: true}
		return m, nil
	}
	return m, m.startLesson(l)
}

// onAnswerKey edits the answer: every key types, but for enter (check
// it), esc (leave it) and ctrl+c (quit).
func (m Model) onAnswerKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k, ls := m.keys, &m.lessons
	switch {
	case msg.String() == "ctrl+c":
		ls.answering = false
		return m.quit()
	case key.Matches(msg, k.dismiss):
		ls.answering = false
		ls.input.Blur()
		return m, nil
	case key.Matches(msg, k.open):
		answer := strings.TrimSpace(ls.input.Value())
		if answer == "" {
			return m, nil
		}
		if ls.op.running() {
			m.notice = &notice{text: "Wait: " + strings.TrimSuffix(ls.op.what, "…") + "."}
			return m, nil
		}
		ls.answering = false
		ls.input.Blur()
		m.notice = nil
		return m, m.submitAnswer(answer)
	}
	var cmd tea.Cmd
	ls.input, cmd = ls.input.Update(msg)
	return m, cmd
}

// answerPlaceholder says what the answer is: one of the options (by its
// text or number) or, for an open kind, what sort of thing.
func answerPlaceholder(l *lesson.Lesson) string {
	switch {
	case l == nil:
		return ""
	case len(l.Options) == 0:
		return "a " + string(l.Kind) + " name"
	}
	return "one of the " + string(l.Kind) + "s above, or its number"
}

// lessonLink is the link g opens: the newest hint's query in Grafana, or
// the debrief's first link.
func (m Model) lessonLink() (url, label string) {
	ls := m.lessons
	switch ls.page {
	case pageTask:
		if n := len(ls.hints); n > 0 && ls.hints[n-1].Link != "" {
			return ls.hints[n-1].Link, "the hint's query"
		}
	case pageDebrief:
		if ls.debrief != nil && len(ls.debrief.Links) > 0 {
			l := ls.debrief.Links[0]
			return l.URL, "“" + l.Label + "”"
		}
	}
	return "", ""
}
