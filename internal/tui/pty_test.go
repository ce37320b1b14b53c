package tui_test

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/shoplab/shoplab/internal/labharness"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/tui"
)

// terminal is the other end of a pseudo-terminal: a terminal emulator
// that keeps the screen the program draws, and a keyboard.
type terminal struct {
	t    *testing.T
	ptmx io.Writer
	emu  *vt.SafeEmulator
}

func (term *terminal) screen() string { return ansi.Strip(term.emu.Render()) }

func (term *terminal) keys(ks ...string) {
	term.t.Helper()
	for _, k := range ks {
		if _, err := io.WriteString(term.ptmx, k); err != nil {
			term.t.Fatal(err)
		}
	}
}

// waitFor waits until the screen matches re, and returns the match.
func (term *terminal) waitFor(what string, re *regexp.Regexp, timeout time.Duration) []string {
	term.t.Helper()
	var m []string
	testkit.WaitFor(term.t, timeout, what, func() error {
		scr := term.screen()
		if m = re.FindStringSubmatch(scr); m == nil {
			return fmt.Errorf("the screen:\n%s", scr)
		}
		return nil
	})
	return m
}

// TestTUIInAPseudoTerminal runs the real program in a real pseudo-terminal
// against the shop running in this process: it opens, shows the services
// healthy, starts a short browse load, counts its requests, and quits
// (stopping the load first), leaving the terminal as it found it.
func TestTUIInAPseudoTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the shop")
	}
	ctx := context.Background()
	shop := labharness.Start(t, nil)
	l, target := shop.Lab, shop.GatewayURL()

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 80, Rows: 24}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	emu := vt.NewSafeEmulator(80, 24)
	go io.Copy(emu, ptmx) // what the program draws
	go io.Copy(ptmx, emu) // the terminal's answers to its queries
	term := &terminal{t: t, ptmx: ptmx, emu: emu}

	deps := tui.Deps{
		Services:     l.Endpoints(),
		Brokers:      []tui.Broker{{Name: "kafka (embedded)", Addr: l.Brokers()[0], Embedded: true}},
		ScenariosDir: "../../scenarios",
		Target:       target,
		PollEvery:    250 * time.Millisecond,
	}
	done := make(chan error, 1)
	go func() {
		done <- tui.Run(ctx, deps, tty, tty, tea.WithEnvironment([]string{"TERM=xterm-256color"}))
	}()

	term.waitFor("every service healthy", regexp.MustCompile(`lab up \(local\)`), 15*time.Second)
	scr := term.screen()
	for _, e := range l.Endpoints() {
		if !regexp.MustCompile(e.Service + `\s+● healthy`).MatchString(scr) {
			t.Errorf("%s is not shown healthy:\n%s", e.Service, scr)
		}
	}

	// The Load screen: browse is the first scenario. Duration: three
	// steps down from its 60s, to 15s.
	term.keys("2")
	term.waitFor("the load form", regexp.MustCompile(`Scenario\s+◂ browse ▸`), 5*time.Second)
	term.keys("\x1b[B", "\x1b[B", "\x1b[D", "\x1b[D", "\x1b[D")
	term.waitFor("a 15s duration", regexp.MustCompile(`Duration\s+◂ 15s ▸`), 5*time.Second)
	started := time.Now()
	term.keys("s")
	m := term.waitFor("requests counted", regexp.MustCompile(`requests ([1-9][0-9]*) · errors`), 15*time.Second)
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Fatalf("requests %s", m[1])
	}
	term.waitFor("the request-rate chart", regexp.MustCompile(`requests/s\s+[▁▂▃▄▅▆▇█]`), 10*time.Second)

	// Quitting while the load runs stops it first: Run returns long
	// before the 15 seconds are over.
	term.keys("q")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the TUI did not quit; the screen:\n%s", term.screen())
	}
	if took := time.Since(started); took >= 15*time.Second {
		t.Errorf("quitting waited for the whole run (%s) instead of stopping it", took)
	}

	after, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Errorf("terminal modes not restored: lflag %#x→%#x iflag %#x→%#x oflag %#x→%#x",
			before.Lflag, after.Lflag, before.Iflag, after.Iflag, before.Oflag, after.Oflag)
	}
	testkit.WaitFor(t, 5*time.Second, "the main screen back after quitting", func() error {
		scr := term.screen()
		if alt := emu.IsAltScreen(); alt || !strings.Contains(scr, "The lab is still running") {
			return fmt.Errorf("alternate screen %v; the screen:\n%s", alt, scr)
		}
		return nil
	})
}
