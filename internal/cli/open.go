package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/dashboards"
	"github.com/shoplab/shoplab/internal/stack"
)

// dashboardUIDs maps `shoplab open`'s argument, a provisioned dashboard's
// file name without .json, to its UID.
func dashboardUIDs() map[string]string {
	uids := map[string]string{}
	for _, d := range dashboards.All() {
		uids[strings.TrimSuffix(d.File, ".json")] = d.UID
	}
	return uids
}

// validTraceID reports whether id is a W3C trace ID: 32 lowercase hex
// digits, not all zero.
func validTraceID(id string) bool {
	b, err := hex.DecodeString(id)
	return err == nil && len(b) == 16 && id == strings.ToLower(id) && strings.Trim(id, "0") != ""
}

// NewCmdOpen builds `shoplab open`.
func NewCmdOpen(app *App) *cobra.Command {
	var traceID string
	names := make([]string, 0, len(dashboardUIDs()))
	for n := range dashboardUIDs() {
		names = append(names, n)
	}
	sort.Strings(names)
	cmd := &cobra.Command{
		Use:       "open [" + strings.Join(names, "|") + "]",
		Short:     "Open a Grafana dashboard, or a trace, in the browser",
		Long:      "Open a provisioned Grafana dashboard (overview when none is named), or with --trace a trace in Grafana Explore. Prints the URL when no browser can be opened.",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			var u string
			switch {
			case traceID != "" && len(args) > 0:
				return fmt.Errorf("give a dashboard or --trace, not both")
			case traceID != "":
				id := strings.ToLower(strings.TrimSpace(traceID))
				if !validTraceID(id) {
					return fmt.Errorf("--trace %q: want a 32-character hexadecimal trace ID (the X-Trace-Id response header)", traceID)
				}
				u = TraceURL(id)
			default:
				name := "overview"
				if len(args) == 1 {
					name = args[0]
				}
				uid, ok := dashboardUIDs()[name]
				if !ok {
					return fmt.Errorf("unknown dashboard %q: want one of %s", name, strings.Join(names, ", "))
				}
				u = dashboards.URL(stack.GrafanaURL, uid)
			}
			openBrowser(cmd.Context(), app, u)
			return nil
		},
	}
	cmd.Flags().StringVar(&traceID, "trace", "", "open this trace ID in Grafana Explore")
	return cmd
}

// TraceURL is Grafana Explore showing traceID from the Tempo data source.
func TraceURL(traceID string) string {
	return dashboards.ExploreURL(stack.GrafanaURL, "traceql", traceID, "now-1h")
}

// openBrowser prints u and hands it to the OS's opener when there is one;
// without one (a server, a container) the printed URL is the answer.
func openBrowser(ctx context.Context, app *App, u string) {
	fmt.Fprintln(app.Stdout, u)
	path, args, err := browserCommand(config.LoadDesktop(app.Getenv).Browser)
	if err != nil {
		fmt.Fprintln(app.Stderr, "(no browser opener found; open the URL above yourself)")
		return
	}
	if err := exec.CommandContext(ctx, path, append(args, u)...).Start(); err != nil {
		fmt.Fprintf(app.Stderr, "(could not start %s: %v; open the URL above yourself)\n", path, err)
	}
}

// browserCommand finds the OS's URL opener: browser ($BROWSER) when set,
// otherwise open (macOS), rundll32's FileProtocolHandler (Windows) or
// xdg-open. The URL goes after args. The error says that the opener is not
// installed.
func browserCommand(browser string) (path string, args []string, err error) {
	var name string
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		name = "xdg-open"
	}
	if browser != "" {
		name, args = browser, nil
	}
	path, err = exec.LookPath(name)
	if err != nil {
		return "", nil, err
	}
	return path, args, nil
}
