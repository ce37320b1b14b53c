package cli

import (
	"fmt"

	"github.com/shoplab/shoplab/internal/lesson"
)

// printLesson prints a lesson's title, story, task and possible answers.
func printLesson(app *App, st lesson.Status) {
	l, w := st.Lesson, app.Stdout
	fmt.Fprintf(w, "Lesson %s: %s\n\n%s\n\nTask: %s\n", l.Name, l.Title, l.Story, l.Task)
	if len(l.Options) == 0 {
		fmt.Fprintf(w, "Answer with: shoplab lesson answer VALUE (a %s)\n", l.Kind)
		return
	}
	fmt.Fprintln(w, "Possible answers (the text or its number):")
	for i, o := range l.Options {
		fmt.Fprintf(w, "  %d. %s\n", i+1, o.Value)
	}
}

func printHint(app *App, h lesson.HintView) {
	w := app.Stdout
	fmt.Fprintf(w, "Hint %d of %d: %s\n", h.N, h.Of, h.Text)
	if h.Where != "" {
		fmt.Fprintf(w, "  Where: %s\n", h.Where)
	}
	if h.Query != nil {
		fmt.Fprintf(w, "  Try (%s): %s\n", h.Query.Lang, h.Query.Expr)
	}
	if h.Link != "" {
		fmt.Fprintf(w, "  Open: %s\n", h.Link)
	}
}

func printDebrief(app *App, d *lesson.Debrief) {
	w := app.Stdout
	fmt.Fprintf(w, "✓ Right: %s.\n\n", d.Answer)
	fmt.Fprintf(w, "What happened: %s\n", d.Explanation)
	if len(d.Evidence) > 0 {
		fmt.Fprintln(w, "\nThe evidence, read from the lab just now:")
		for _, e := range d.Evidence {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
	for i, l := range d.Links {
		if i == 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "  %s: %s\n", l.Label, l.URL)
	}
	fmt.Fprintf(w, "\nConcept: %s.\n", d.Concept)
	fmt.Fprintf(w, "Solved in %s with %d attempt(s) and %d hint(s). The shop is mended: traffic stopped, incidents cleared.\n",
		d.Took, d.Attempts, d.HintsUsed)
}
