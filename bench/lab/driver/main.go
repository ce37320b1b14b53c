// Command driver is `make bench-lab` (bench/LAB.md): the performance of
// the lab itself on this machine. It starts the floor (bench/lab/floor)
// and the shop (`shoplab up --local`, several ways), drives them with
// `shoplab load`, and writes bench/out/lab.jsonl and the numbers of
// bench/LAB.md. It is a benchmark, not a test: it judges nothing it
// measures, and exits non-zero only when it could not measure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/topology"
)

type options struct {
	repo, shoplab, floor, scenarios, out, labMD string
	floorHTTP, floorGRPC                        string
	step, soak, warmup                          time.Duration
	runs, bisect, maxInFlight                   int
	browseStart, browseInc, checkoutStart       float64
	checkoutInc, cpuRate, tuiRate, maxRate      float64
	bcryptCost                                  string
	browseLimit, checkoutLimit                  time.Duration
	// only lists the parts measured (floor, shop, signals, checkout, tui,
	// soak); empty is all.
	only []string
}

type driver struct {
	o         options
	tmp       string
	seq, run  int
	recv      *receiver
	endpoints []topology.Endpoint
	jsonl     *json.Encoder
	starts    []time.Duration
	runs      []runResult
	soak      soakResult
	machine   machine
}

func main() {
	var o options
	flag.StringVar(&o.repo, "repo", ".", "the repository (scenarios/, git)")
	flag.StringVar(&o.shoplab, "shoplab", "", "the built shoplab binary")
	flag.StringVar(&o.floor, "floor", "", "the built floor binary (bench/lab/floor)")
	flag.StringVar(&o.out, "out", "bench/out", "where lab.jsonl goes")
	flag.StringVar(&o.labMD, "lab-md", "bench/LAB.md", "the write-up whose numbers are rewritten")
	flag.StringVar(&o.floorHTTP, "floor-http", "127.0.0.1:8190", "the floor's HTTP address")
	flag.StringVar(&o.floorGRPC, "floor-grpc", "127.0.0.1:8191", "the floor's gRPC address")
	flag.DurationVar(&o.step, "step", 10*time.Second, "length of each measured step (STEP)")
	flag.DurationVar(&o.soak, "soak", 10*time.Minute, "length of the soak, after its warm-up (SOAK)")
	flag.DurationVar(&o.warmup, "warmup", time.Minute, "the soak's warm-up, not counted as growth (at most SOAK)")
	flag.IntVar(&o.runs, "runs", 2, "runs of the measurements (RUNS); the soak runs once")
	flag.IntVar(&o.bisect, "bisect", 4, "bisection steps after the step search")
	flag.IntVar(&o.maxInFlight, "max-in-flight", 8000, "shoplab load --max-in-flight: large enough that think times never limit")
	flag.Float64Var(&o.browseStart, "browse-start", 1000, "browse search: first rate (journeys/s)")
	flag.Float64Var(&o.browseInc, "browse-inc", 500, "browse search: step")
	flag.Float64Var(&o.checkoutStart, "checkout-start", 5, "checkout search: first rate (journeys/s)")
	flag.Float64Var(&o.checkoutInc, "checkout-inc", 5, "checkout search: step")
	flag.Float64Var(&o.cpuRate, "cpu-rate", 500, "the fixed browse rate at which every signal configuration's CPU per request is measured")
	flag.Float64Var(&o.tuiRate, "tui-rate", 500, "browse rate of the TUI comparison (snapped down to a rate the TUI offers)")
	flag.Float64Var(&o.maxRate, "max-rate", 100000, "no search goes above this")
	flag.StringVar(&o.bcryptCost, "bcrypt-cost", "", "AUTH_BCRYPT_COST as set for the shop (for the report; empty: bcrypt's default, 10)")
	flag.DurationVar(&o.browseLimit, "browse-p99", 25*time.Millisecond, "browse: the p99 a sustained rate must keep")
	flag.DurationVar(&o.checkoutLimit, "checkout-p99", 250*time.Millisecond, "checkout: the p99 a sustained rate must keep")
	only := flag.String("only", "", "measure only these parts, comma-separated: floor, shop, signals, checkout, tui, soak (development; the rest reads n/a)")
	flag.Parse()
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	o.scenarios = filepath.Join(o.repo, "scenarios")
	if o.warmup > o.soak {
		o.warmup = o.soak
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-lab: the benchmark failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.shoplab == "" || o.floor == "" {
		return fmt.Errorf("-shoplab and -floor are required")
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		return err
	}
	d := &driver{o: o, endpoints: topology.Endpoints(cfg)}
	if d.tmp, err = os.MkdirTemp("", "shoplab-bench-lab-"); err != nil {
		return err
	}
	defer os.RemoveAll(d.tmp)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(o.out, "lab.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	d.jsonl = json.NewEncoder(f)
	if d.recv, err = startReceiver(); err != nil {
		return err
	}
	defer d.recv.stop()

	d.machine = describeMachine(ctx, o.repo)
	d.record(record{Kind: "machine", Machine: &d.machine})
	d.logf("bench-lab: %d CPUs (%s), commit %s; step %s, soak %s, %d run(s)", d.machine.CPUs, d.machine.CPUModel, d.machine.commitLabel(), o.step, o.soak, o.runs)

	for d.run = 1; d.run <= o.runs; d.run++ {
		d.logf("run %d of %d", d.run, o.runs)
		r, err := d.measureRun(ctx)
		if err != nil {
			return fmt.Errorf("run %d: %w", d.run, err)
		}
		d.runs = append(d.runs, r)
	}
	d.run = 0
	d.soak = soakResult{IdleRSS: math.NaN(), WarmRSS: math.NaN(), SoakRSS: math.NaN(), GoroutinesBefore: math.NaN(), GoroutinesAfter: math.NaN()}
	if d.only("soak") {
		d.logf("soak: %s after a %s warm-up", o.soak, o.warmup)
		if d.soak, err = d.measureSoak(ctx); err != nil {
			return fmt.Errorf("soak: %w", err)
		}
	}
	rep := d.report()
	if err := rewriteLabMD(o.labMD, rep); err != nil {
		return err
	}
	d.logf("\nwrote %s and %s", filepath.Join(o.out, "lab.jsonl"), o.labMD)
	fmt.Print(rep.goalsText())
	for _, g := range rep.goals {
		d.record(record{Kind: "goal", Measure: g.name, Pass: g.met, Why: g.value})
	}
	return nil
}

func (d *driver) record(r record) {
	d.jsonl.Encode(r)
}

func (d *driver) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
