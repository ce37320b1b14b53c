package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/lesson"
	"github.com/shoplab/shoplab/internal/load"
)

// exitWrongAnswer is `shoplab lesson answer`'s exit code for an answer
// that is not the right one.
const exitWrongAnswer = 2

// NewCmdLesson builds `shoplab lesson` and its subcommands.
func NewCmdLesson(app *App) *cobra.Command { return newCmdLesson(app, defaultLessonHooks()) }

func newCmdLesson(app *App, hooks lessonHooks) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lesson",
		Short: "Guided lessons: the shop breaks in a hidden way, you find the cause with the lab's tools",
		Long: `Guided lessons. A lesson breaks the running shop in a hidden way (a region's
orders fail, a query slows down, e-mails wait, a metric multiplies, the log
shipper stops), runs traffic through it, and tells a short story. You find the
cause with the lab's own tools: the dashboards, the TUI, shoplab trace,
shoplab doctor, the services' /metrics. Then you answer, and the lesson checks
it and shows the evidence.

Which region, which query, which cause is drawn at random at each start;
--seed repeats a draw. Progress is kept in the data directory (lesson.json).
Stopping a lesson (or answering it right) stops its traffic and clears every
incident; a lesson whose traffic process died is cleared by the next lesson
command, and restarting the lab clears every incident too.

Exit codes:
  0  done
  1  failure (no lab running, no lesson on, ...)
  2  wrong answer`,
		Example: `  shoplab lesson list
  shoplab lesson start red-by-region
  shoplab lesson hint
  shoplab lesson answer ap-south
  shoplab lesson stop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newCmdLessonList(app, hooks),
		newCmdLessonStart(app, hooks),
		newCmdLessonHint(app, hooks),
		newCmdLessonAnswer(app, hooks),
		newCmdLessonStatus(app, hooks),
		newCmdLessonStop(app, hooks),
		newCmdLessonTraffic(app),
	)
	return cmd
}

func newCmdLessonList(app *App, hooks lessonHooks) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the lessons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			p, _ := e.Progress()
			w := app.Stdout
			fmt.Fprintf(w, "  %-18s %-10s %-8s %s\n", "LESSON", "ANSWER", "NEEDS", "TITLE")
			for _, l := range e.List() {
				mark := " "
				if p.Active() && p.Lesson == l.Name {
					mark = "▶"
				}
				needs := "-"
				if l.NeedsCompose {
					needs = "compose"
				}
				fmt.Fprintf(w, "%s %-18s %-10s %-8s %s\n", mark, l.Name, l.Kind, needs, l.Title)
			}
			fmt.Fprintln(w, "\nStart one with: shoplab lesson start NAME")
			return nil
		},
	}
}

func newCmdLessonStart(app *App, hooks lessonHooks) *cobra.Command {
	var seed uint64
	cmd := &cobra.Command{
		Use:   "start NAME",
		Short: "Break the shop for a lesson, start its traffic and tell its story",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			st, err := e.Start(cmd.Context(), args[0], lesson.StartOptions{Seed: seed})
			if err != nil {
				return err
			}
			if st.Notice != "" {
				fmt.Fprintln(app.Stderr, st.Notice)
			}
			printLesson(app, st)
			traffic := "no traffic process"
			if st.TrafficPID != 0 {
				traffic = fmt.Sprintf("traffic (%s) runs in the background, pid %d", st.Lesson.Scenario, st.TrafficPID)
			}
			fmt.Fprintf(app.Stdout, "\nThe shop is broken now (%s mode, seed %d, %s).\n", st.Mode, st.Seed, traffic)
			fmt.Fprintln(app.Stdout, "Give it a minute for the telemetry to show it. Then: shoplab lesson hint | answer VALUE | status | stop")
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 0, "repeat a draw of the hidden choice (default: a random one)")
	return cmd
}

func newCmdLessonHint(app *App, hooks lessonHooks) *cobra.Command {
	return &cobra.Command{
		Use:   "hint",
		Short: "Show the next hint, from vague to specific",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			h, err := e.Hint(cmd.Context())
			if err != nil {
				return err
			}
			printHint(app, h)
			if h.Last() {
				fmt.Fprintln(app.Stdout, "\n(That was the last hint.)")
			}
			return nil
		},
	}
}

func newCmdLessonAnswer(app *App, hooks lessonHooks) *cobra.Command {
	return &cobra.Command{
		Use:   "answer VALUE",
		Short: "Answer the lesson's task (exit code 2 when wrong)",
		Long:  "Answer the lesson's task. Case, spaces and punctuation do not matter (ap south is ap-south); an answer from a numbered list may be given by its number.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			answer := strings.Join(args, " ")
			res, err := e.Answer(cmd.Context(), answer)
			if res.Debrief != nil {
				printDebrief(app, res.Debrief)
			}
			if err != nil {
				return err
			}
			switch {
			case !res.Known:
				return &exitError{code: exitWrongAnswer, err: fmt.Errorf("%q is none of the possible answers: %s (not counted as an attempt)", answer, strings.Join(res.Options, "; "))}
			case !res.Correct:
				fmt.Fprintf(app.Stdout, "✗ Not %s. (attempt %d; shoplab lesson hint helps)\n", res.Option, res.Attempts)
				return &exitError{code: exitWrongAnswer, err: errors.New("wrong answer")}
			}
			return nil
		},
	}
}

func newCmdLessonStatus(app *App, hooks lessonHooks) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the lesson that is on: its task, the hints so far, the attempts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			st, err := e.Status(cmd.Context())
			if err != nil {
				return err
			}
			if st.Notice != "" {
				fmt.Fprintln(app.Stdout, st.Notice)
			}
			if !st.Active {
				fmt.Fprintln(app.Stdout, "No lesson is on. Start one with: shoplab lesson start NAME (shoplab lesson list shows them)")
				if st.Lesson != nil && !st.Finished.IsZero() {
					fmt.Fprintf(app.Stdout, "The last one, %s, ended %s (%s) after %d attempt(s) and %d hint(s).\n",
						st.Lesson.Name, st.Finished.Local().Format(time.DateTime), st.Outcome, st.Attempts, st.HintsUsed)
				}
				return nil
			}
			printLesson(app, st)
			fmt.Fprintf(app.Stdout, "\nOn since %s (%s mode, seed %d); %d of %d hints used, %d attempt(s).\n",
				st.Started.Local().Format(time.DateTime), st.Mode, st.Seed, st.HintsUsed, len(st.Lesson.Hints), st.Attempts)
			if st.TrafficPID != 0 {
				fmt.Fprintf(app.Stdout, "Traffic: %s, pid %d.\n", st.Lesson.Scenario, st.TrafficPID)
			}
			for _, h := range st.Hints {
				fmt.Fprintln(app.Stdout)
				printHint(app, h)
			}
			if st.IncidentsLost {
				fmt.Fprintln(app.Stdout, "\nWarning: the services no longer have this lesson's breakage (was the lab restarted?). Stop the lesson and start it again.")
			}
			return nil
		},
	}
}

func newCmdLessonStop(app *App, hooks lessonHooks) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "End the lesson: stop its traffic and clear every incident",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := newLessonEngine(app, hooks)
			if err != nil {
				return err
			}
			was, _ := e.Progress()
			st, err := e.Stop(cmd.Context())
			if err != nil {
				return fmt.Errorf("%w\nrun shoplab lesson stop again; restarting the lab (shoplab down, shoplab up) clears every incident too", err)
			}
			switch {
			case st.Notice != "":
				fmt.Fprintln(app.Stdout, st.Notice)
			case was.Active():
				fmt.Fprintf(app.Stdout, "Stopped lesson %s: its traffic is stopped and every incident is cleared. The answer stays hidden: start it again with --seed %d to resume the same case.\n", was.Lesson, was.Seed)
			default:
				fmt.Fprintln(app.Stdout, "No lesson was on; every service's incidents are cleared anyway.")
			}
			return nil
		},
	}
}

// newCmdLessonTraffic builds the hidden `shoplab lesson run-traffic`, the
// background process `lesson start` launches.
func newCmdLessonTraffic(app *App) *cobra.Command {
	var f struct {
		scenario, dir, target, dataDir string
		rate                           float64
		seed                           uint64
	}
	cmd := &cobra.Command{
		Use:     lesson.TrafficCommand,
		Aliases: []string{"traffic"},
		Short:   "Drive a lesson's traffic until stopped (started by lesson start)",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := load.Find(f.dir, f.scenario)
			if err != nil {
				return err
			}
			s, err := loadSettings(app.Getenv)
			if err != nil {
				return err
			}
			target, dataDir := s.cfg.Target, s.cfg.DataDir
			if f.target != "" {
				target = f.target
			}
			if f.dataDir != "" {
				dataDir = f.dataDir
			}
			fmt.Fprintf(app.Stdout, "%s lesson traffic: %s at %g journeys/s against %s (pid %d)\n",
				time.Now().Format(time.DateTime), sc.Name, f.rate, target, os.Getpid())
			return lesson.RunTraffic(cmd.Context(), lesson.RunOptions{
				Scenario: sc, Target: target, Rate: f.rate, Seed: f.seed, DataDir: dataDir, PID: os.Getpid(),
				Warn: func(err error) {
					fmt.Fprintf(app.Stderr, "%s lesson traffic: %v\n", time.Now().Format(time.DateTime), err)
				},
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "checkout", "scenario name or file")
	fl.StringVar(&f.dir, "scenarios-dir", "scenarios", "directory of the named scenarios")
	fl.StringVar(&f.target, "target", "", "gateway URL (default: the lab's)")
	fl.StringVar(&f.dataDir, "data-dir", "", "the lab's data directory (default: SHOPLAB_DATA_DIR)")
	fl.Float64Var(&f.rate, "rate", 2, "journeys per second")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the journeys and regions")
	return cmd
}
