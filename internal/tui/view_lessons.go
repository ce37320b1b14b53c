package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/shoplab/shoplab/internal/lesson"
)

// Widths of the lesson list's columns.
const (
	lessonTitleW = 40
	lessonNameW  = 18
	lessonKindW  = 10
)

func (m Model) viewLessons(w, h int) []string {
	s := styles()
	if m.deps.Lessons == nil {
		return indent(wrapWords("Lessons are not available in this TUI. List them with: shoplab lesson list", w-2))
	}
	if m.lessons.page == pageList {
		return m.viewLessonList(w, h)
	}
	doc, pinned := m.lessonPageLines(w)
	avail := max(h-len(pinned), 1)
	top, more := m.lessonTop(len(doc), avail)
	if more {
		avail--
	}
	out := make([]string, 0, h)
	for i := top; i < top+avail && i < len(doc); i++ {
		out = append(out, doc[i])
	}
	if more {
		out = append(out, make([]string, avail-len(out))...)
		out = append(out, " "+s.dim.Render(fmt.Sprintf("↑/↓ scroll · lines %d-%d of %d", top+1, min(top+avail, len(doc)), len(doc))))
	} else if len(pinned) > 0 {
		out = append(out, make([]string, max(h-len(pinned)-len(out), 0))...)
	}
	return append(out, pinned...)
}

// lessonTop is the first line of a task or debrief of n lines shown in h
// lines, and whether it does not fit (a line then says so).
func (m Model) lessonTop(n, h int) (top int, more bool) {
	if n <= h {
		return 0, false
	}
	h = max(h-1, 1)
	last := n - h
	if m.lessons.follow {
		return last, true
	}
	return min(max(m.lessons.top, 0), last), true
}

// moveLessons moves the list's cursor, or scrolls the task or debrief.
func (m *Model) moveLessons(d int) {
	ls := &m.lessons
	if ls.page == pageList {
		ls.cursor = min(max(ls.cursor+d, 0), max(len(ls.list)-1, 0))
		return
	}
	doc, pinned := m.lessonPageLines(m.width)
	h := max(m.bodyHeight()-len(pinned), 1)
	top, more := m.lessonTop(len(doc), h)
	if !more {
		ls.top, ls.follow = 0, false
		return
	}
	ls.top, ls.follow = min(max(top+d, 0), len(doc)-(h-1)), false
}

func (m Model) viewLessonList(w, h int) []string {
	s, ls := styles(), m.lessons
	out := indent(wrapWords("Guided lessons: each breaks the shop in a hidden way while traffic runs; you find the cause with the lab's own tools, then answer.", w-2))
	out = append(out, "")
	withName := w >= 100
	const legend = "  ✓ solved · ▶ on"
	titleW := min(lessonTitleW, max(w-4-1-lessonKindW-1-8-len([]rune(legend)), 10))
	head := "    " + cell("LESSON", titleW) + " "
	if withName {
		head += cell("NAME", lessonNameW) + " "
	}
	out = append(out, s.header.Render(head+cell("ANSWER", lessonKindW)+" "+cell("NEEDS", 8))+s.dim.Render(legend))
	on := m.lessonOn()
	for i, l := range ls.list {
		mark := "  "
		switch {
		case l.Name == on:
			mark = s.accent.Render("▶") + " "
		case ls.solved[l.Name]:
			mark = s.ok.Render("✓") + " "
		}
		line := cursor(i == ls.cursor) + mark + cell(l.Title, titleW) + " "
		if withName {
			line += s.dim.Render(cell(l.Name, lessonNameW)) + " "
		}
		needs := ""
		if l.NeedsCompose {
			needs = "compose"
		}
		out = append(out, line+cell(string(l.Kind), lessonKindW)+" "+s.warn.Render(needs))
	}
	out = append(out, "")
	out = append(out, m.lessonListStatus(w)...)
	if ls.cursor < len(ls.list) {
		l := ls.list[ls.cursor]
		out = append(out, "", " "+s.bold.Render(l.Title)+s.dim.Render(" ("+l.Name+")"))
		story := l.Story
		if l.NeedsCompose {
			story += " Needs the compose stack (the lab started with Docker)."
		}
		out = append(out, dimmed(story, w)...)
	}
	return out
}

// lessonListStatus says what enter does, or what runs.
func (m Model) lessonListStatus(w int) []string {
	s, ls := styles(), m.lessons
	if ls.op.running() {
		return []string{" " + m.spin.View() + " " + ls.op.what}
	}
	var text string
	switch on := m.lessonOn(); {
	case on != "" && ls.ours == on:
		text = s.accent.Render("▶") + " Lesson " + on + " is on, started here: enter on it shows its task; s stops it. Quitting the TUI stops it too."
	case on != "":
		text = s.accent.Render("▶") + " Lesson " + on + " is on (started with shoplab lesson): enter on it shows its task; s stops it."
	case ls.statusErr != "":
		text = s.warn.Render("The lesson's state could not be read: " + ls.statusErr)
	default:
		text = "Enter starts the selected lesson: the shop breaks at once and traffic runs until you answer right or stop it (s). Quitting the TUI stops it too."
	}
	return indent(wrapWords(text, w-2))
}

// lessonPageLines are the task or the debrief, to scroll, and the lines
// kept under them: the answer being typed, the checker's word, the call
// under way.
func (m Model) lessonPageLines(w int) (doc, pinned []string) {
	ls := m.lessons
	if ls.page == pageDebrief && ls.debrief != nil {
		doc = m.debriefLines(w)
	} else {
		doc = m.taskLines(w)
	}
	s := styles()
	switch {
	case ls.op.running():
		pinned = append(pinned, "", " "+m.spin.View()+" "+ls.op.what)
	case ls.answering:
		in := ls.input
		in.SetWidth(max(w-ansi.StringWidth(in.Prompt)-3, 10))
		pinned = append(pinned, "", " "+in.View())
	case ls.result != nil && ls.page == pageTask:
		pinned = append(pinned, "")
		for _, l := range wrapWords(resultText(ls.result, ls.answered), w-2) {
			pinned = append(pinned, " "+s.warn.Render(l))
		}
	}
	return doc, pinned
}

// resultText is the checker's word on a wrong answer.
func resultText(r *lesson.AnswerResult, answered string) string {
	if !r.Known {
		return "✗ “" + answered + "” is none of the possible answers (" + strings.Join(r.Options, ", ") + "): not counted as an attempt. a answers again."
	}
	return fmt.Sprintf("✗ Not %s. Attempts so far: %d. h gives a hint, a answers again.", r.Option, r.Attempts)
}

func (m Model) taskLines(w int) []string {
	s, ls := styles(), m.lessons
	st := ls.status
	l := st.Lesson
	if l == nil {
		return indent(wrapWords("No lesson is on: esc goes back to the list.", w-2))
	}
	out := []string{" " + s.bold.Render(l.Title)}
	meta := []string{l.Name, string(st.Mode) + " mode"}
	if st.Seed != 0 {
		meta = append(meta, "seed "+strconv.FormatUint(st.Seed, 10))
	}
	if st.TrafficPID != 0 {
		meta = append(meta, fmt.Sprintf("traffic: %s at %g journeys/s", l.Scenario, l.Rate))
	}
	meta = append(meta, fmt.Sprintf("hints %d of %d", len(ls.hints), len(l.Hints)), fmt.Sprintf("attempts %d", st.Attempts))
	out = append(out, dimmed(strings.Join(meta, " · "), w)...)
	if st.IncidentsLost {
		for _, line := range wrapWords("The services no longer have this lesson's breakage (was the lab restarted?): press s to stop it, then start it again.", w-2) {
			out = append(out, " "+s.warn.Render(line))
		}
	}
	out = append(out, "")
	out = append(out, indent(wrapWords(l.Story, w-2))...)
	out = append(out, "")
	out = append(out, labelled(s.bold.Render("Task:"), l.Task, w)...)
	if len(l.Options) > 0 {
		opts := make([]string, len(l.Options))
		for i, o := range l.Options {
			opts[i] = strconv.Itoa(i+1) + " " + o.Value
		}
		out = append(out, labelled("Answer with a "+string(l.Kind)+" (its text or number):", strings.Join(opts, " · "), w)...)
	} else {
		out = append(out, labelled("Answer with a "+string(l.Kind)+" name", "(a types it).", w)...)
	}
	out = append(out, "")
	if len(ls.hints) == 0 {
		out = append(out, dimmed(fmt.Sprintf("No hint yet: h gives one, from vague to specific (%d in all).", len(l.Hints)), w)...)
	}
	for i, h := range ls.hints {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, hintLines(h, w)...)
	}
	return out
}

// hintLines is one hint: its text, where to look, the query to try.
func hintLines(h lesson.HintView, w int) []string {
	s := styles()
	out := labelled(s.accent.Render(fmt.Sprintf("Hint %d of %d:", h.N, h.Of)), h.Text, w)
	sub := func(label, text string) {
		for i, line := range wrapWords(label+" "+text, w-6) {
			if i == 0 {
				out = append(out, "   "+line)
				continue
			}
			out = append(out, "     "+line)
		}
	}
	if h.Where != "" {
		sub("Where:", h.Where)
	}
	if h.Query != nil {
		sub("Try ("+h.Query.Lang+"):", h.Query.Expr)
	}
	if h.Link != "" {
		sub("Open (g):", h.Link)
	}
	return out
}

// labelled wraps label and text as one paragraph.
func labelled(label, text string, w int) []string {
	return indent(wrapWords(label+" "+text, w-2))
}

func (m Model) debriefLines(w int) []string {
	s, d := styles(), m.lessons.debrief
	out := []string{" " + s.ok.Render("✓") + s.bold.Render(" Right: "+d.Answer+".")}
	title := ""
	if d.Lesson != nil {
		title = d.Lesson.Title + " · "
	}
	out = append(out, dimmed(fmt.Sprintf("%ssolved in %s with %d attempt(s) and %d hint(s)", title, d.Took, d.Attempts, d.HintsUsed), w)...)
	out = append(out, "", " "+s.bold.Render("What happened"))
	out = append(out, indent(wrapWords(d.Explanation, w-2))...)
	if len(d.Evidence) > 0 {
		out = append(out, "", " "+s.bold.Render("The evidence, read from the lab just now"))
		for _, e := range d.Evidence {
			out = append(out, bullet(e, w)...)
		}
	}
	if len(d.Links) > 0 {
		out = append(out, "", " "+s.bold.Render("In Grafana")+s.dim.Render(" (g opens the first)"))
		for _, l := range d.Links {
			out = append(out, bullet(l.Label+": "+l.URL, w)...)
		}
	}
	out = append(out, "")
	out = append(out, labelled(s.bold.Render("Concept:"), d.Concept+".", w)...)
	out = append(out, "")
	return append(out, dimmed("The shop is mended: the traffic is stopped and every incident cleared. esc goes back to the lessons.", w)...)
}

// dimmed is text wrapped, each line dim.
func dimmed(text string, w int) []string {
	lines := wrapWords(text, w-2)
	for i, l := range lines {
		lines[i] = " " + styles().dim.Render(l)
	}
	return lines
}

// bullet is text as a list item, wrapped under itself. Long words (a
// URL, a query) are broken.
func bullet(text string, w int) []string {
	lines := wrapWords(text, w-5)
	for i := range lines {
		if i == 0 {
			lines[i] = " • " + lines[i]
			continue
		}
		lines[i] = "   " + lines[i]
	}
	return lines
}

// wrapWords wraps text as wrap does, but not at hyphens: region names,
// lesson names and flags stay whole.
func wrapWords(text string, w int) []string {
	const nbHyphen = "\u2011"
	lines := wrap(strings.ReplaceAll(text, "-", nbHyphen), w)
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, nbHyphen, "-")
	}
	return lines
}
