// Command shoplab runs the ShopLab observability lab: the ShopEase shop's
// services, its telemetry stack, load scenarios and the TUI over them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/shoplab/shoplab/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shoplab:", err)
		os.Exit(cli.ExitCode(err))
	}
}
