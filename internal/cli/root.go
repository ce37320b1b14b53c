// Package cli holds shoplab's cobra commands. Each command is built by a
// NewCmdX constructor from an *App, so no command keeps state in package
// variables and every command can be run in a test.
package cli

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// App is what every command needs from its surroundings.
type App struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Executable is the path of the running shoplab binary, for commands
	// that start it again in the background.
	Executable func() (string, error)
}

// Run runs the shoplab command line.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	app := &App{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr, Executable: osExecutable}
	root := NewCmdRoot(app)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// NewCmdRoot builds the shoplab command tree.
func NewCmdRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "shoplab",
		Short: "An observability lab: the ShopEase shop with metrics, logs and traces",
		Long: `ShopLab runs ShopEase, a small e-commerce shop built as Go microservices,
with its whole observability pipeline: Prometheus metrics, logs in Loki and
traces in Tempo, side by side in Grafana.

Run alone in a terminal, shoplab opens an interactive view of the whole lab:
its services and containers, load scenarios with live charts, the slowest
traces and the dashboards.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(app.Stdin)
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	root.AddCommand(
		NewCmdUp(app),
		NewCmdDown(app),
		NewCmdStatus(app),
		NewCmdServe(app),
		NewCmdOpen(app),
		NewCmdLoad(app),
		NewCmdDoctor(app),
		NewCmdTrace(app),
		NewCmdLesson(app),
	)
	// Alone in a terminal, shoplab opens the TUI over the whole lab;
	// without one (a pipe, CI) it prints its help.
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if wantsTUI(app) {
			return runTUI(cmd.Context(), app)
		}
		return cmd.Help()
	}
	root.Args = cobra.NoArgs
	return root
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code for err: 1 unless the command chose
// another.
func ExitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
