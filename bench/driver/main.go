// Command driver runs the load-generator benchmark (bench/README.md):
// shoplab load and vegeta against the same trivial target (bench/target),
// one after the other, and writes what it measured as Markdown tables and
// raw JSON. bench/run.sh builds the binaries and calls it; it is not meant
// to be run by hand, though it can be.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The pass criteria of a step of the rate sweep.
const (
	rateTolerance   = 0.01  // achieved rate (at the target) within 1% of the requested one
	countTolerance  = 0.01  // answered requests within 1% of rate×duration
	secondTolerance = 0.05  // no full second at the target off by more than 5%
	minSuccess      = 0.999 // at least 99.9% of the requests answered 2xx
	maxP99          = 100 * time.Millisecond
)

type config struct {
	Tool  string   `json:"tool"` // "shoplab" or "vegeta"
	Name  string   `json:"name"` // for tables, e.g. "-max-workers 64"
	Flags []string `json:"flags"`
}

func (c config) String() string {
	if c.Name == "" {
		return c.Tool + " (defaults)"
	}
	return c.Tool + " " + c.Name
}

// targetStats is bench/target's /__bench/stats.
type targetStats struct {
	Requests    int64   `json:"requests"`
	SpanS       float64 `json:"span_s"`
	Rate        float64 `json:"rate"`
	PerSecond   []int64 `json:"per_second"`
	Conns       int64   `json:"conns"`
	StallStartS float64 `json:"stall_start_s"`
	StallEndS   float64 `json:"stall_end_s"`
	Held        int64   `json:"held"`
}

// run is one run of one tool at one rate.
type run struct {
	Phase    string  `json:"phase"`
	Config   config  `json:"config"`
	Rate     float64 `json:"rate"`
	Duration float64 `json:"duration_s"`

	// What the tool says.
	ExitCode   int     `json:"exit_code"`
	Requests   int64   `json:"requests"`    // answered, any status
	OK         int64   `json:"ok"`          // answered 2xx
	ToolRate   float64 `json:"tool_rate"`   // the rate the tool reports
	P50MS      float64 `json:"p50_ms"`      // shoplab: from the intended start; vegeta: from the send
	P99MS      float64 `json:"p99_ms"`      //
	MaxMS      float64 `json:"max_ms"`      //
	ServiceP99 float64 `json:"service_p99"` // shoplab only: from the connection
	Saturated  bool    `json:"saturated"`   // shoplab only
	Dropped    int64   `json:"dropped"`     // shoplab only
	Late       int64   `json:"late"`        // shoplab only
	MaxLagMS   float64 `json:"max_lag_ms"`  // shoplab: its arrivals' worst lag; vegeta: computed, see SchedP99MS
	Reasons    string  `json:"reasons,omitempty"`

	// SchedP99MS is the p99 from each request's slot in the schedule,
	// whatever the tool reports: shoplab's own p99; for vegeta, computed
	// from its results file: request seq's slot is first send + seq/rate,
	// its send lag the time from the slot to its send, and its latency
	// from the schedule that lag plus the latency vegeta measured.
	// LateShare is the share of requests started more than 100ms after
	// their slot (shoplab: late arrivals / started).
	SchedP99MS float64 `json:"sched_p99_ms"`
	LagP99MS   float64 `json:"lag_p99_ms"` // vegeta only
	LateShare  float64 `json:"late_share"`

	// What it cost: CPU seconds of the generator process (user+system,
	// from its rusage, as /usr/bin/time reports them); for vegeta also
	// of `vegeta report`, which shoplab does in-process.
	CPUUser   float64 `json:"cpu_user_s"`
	CPUSys    float64 `json:"cpu_sys_s"`
	ReportCPU float64 `json:"report_cpu_s"`
	MaxRSSMB  float64 `json:"max_rss_mb"`
	TargetCPU float64 `json:"target_cpu_s"`
	WallS     float64 `json:"wall_s"`
	Target    targetStats
	// ForeignCores is the CPU other processes of the machine used
	// during the run, in cores; StealS the CPU seconds the hypervisor
	// stole from the machine.
	ForeignCores float64 `json:"foreign_cores"`
	StealS       float64 `json:"steal_s"`
	Attempt      int     `json:"attempt"`
	// PassCommon: the criteria both tools share, without shoplab's own
	// saturation verdict (which has no vegeta counterpart).
	PassCommon bool    `json:"pass_common"`
	QuietWaitS float64 `json:"quiet_wait_s"` // waited for the machine to be quiet before the run
	Pass       bool    `json:"pass"`
	FailReason string  `json:"fail_reason,omitempty"`
}

func (r *run) cpu() float64 { return r.CPUUser + r.CPUSys }

type driver struct {
	shoplab, vegeta, scenario, addr string
	tmp                             string
	targetPID                       int
	quietMax                        time.Duration
	attempts                        int
	raw                             *os.File
	runs                            []*run
}

func main() {
	d := &driver{}
	var (
		targetBin, outDir, vegetaVersion, shoplabVersion, rates, shoplabCfgs, vegetaCfgs string
		targetProcs, reps                                                                int
		step, fixed, stallRun                                                            time.Duration
		fixedRate, stallRate                                                             float64
		only                                                                             string
		quietMax                                                                         time.Duration
		attempts                                                                         int
	)
	flag.StringVar(&d.shoplab, "shoplab", "", "shoplab binary")
	flag.StringVar(&d.vegeta, "vegeta", "", "vegeta binary")
	flag.StringVar(&vegetaVersion, "vegeta-version", "", "vegeta version, for the report")
	flag.StringVar(&shoplabVersion, "shoplab-version", "", "shoplab version, for the report")
	flag.StringVar(&targetBin, "target", "", "bench/target binary")
	flag.IntVar(&targetProcs, "target-procs", 1, "GOMAXPROCS of the target")
	flag.StringVar(&d.scenario, "scenario", "bench/scenarios/trivial.yaml", "shoplab scenario file")
	flag.StringVar(&d.addr, "addr", "127.0.0.1:8199", "the target's address")
	flag.StringVar(&outDir, "out", "bench/out", "where the report and raw data go")
	flag.StringVar(&rates, "rates", "15000,20000,25000,30000,35000,40000", "rates of the sweep, requests/s")
	flag.StringVar(&shoplabCfgs, "shoplab-configs", "|--max-conns 128", "shoplab flag sets of the sweep, |-separated")
	flag.StringVar(&vegetaCfgs, "vegeta-configs", "-max-workers 32|-max-workers 64|-max-workers 256|-max-workers 1024", "vegeta flag sets of the sweep, |-separated")
	flag.DurationVar(&step, "step", 5*time.Second, "length of a sweep step")
	flag.DurationVar(&fixed, "fixed", 10*time.Second, "length of a fixed-rate run")
	flag.Float64Var(&fixedRate, "fixed-rate", 5000, "the fixed rate")
	flag.IntVar(&reps, "reps", 3, "repetitions of each fixed-rate run")
	flag.DurationVar(&stallRun, "stall-run", 10*time.Second, "length of the stall run")
	flag.Float64Var(&stallRate, "stall-rate", 1000, "rate of the stall run")
	flag.StringVar(&only, "only", "", `"cpu": only the fixed-rate runs of both tools' defaults (CPU per request, the headline), skipping the sweep and the stall`)
	flag.DurationVar(&quietMax, "quiet-wait", 30*time.Second, "how long to wait before a run for a quiet second")
	flag.IntVar(&attempts, "attempts", 3, "runs of a measurement while other processes disturb it (the last is kept)")
	flag.Parse()
	if only != "" && only != "cpu" {
		log.Fatalf("-only %q: want cpu or nothing", only)
	}
	d.quietMax, d.attempts = quietMax, max(attempts, 1)
	if d.shoplab == "" || d.vegeta == "" || targetBin == "" {
		log.Fatal("-shoplab, -vegeta and -target are required")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	var err error
	if d.tmp, err = os.MkdirTemp(shmOrTmp(), "shoplab-bench-"); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(d.tmp)
	if d.raw, err = os.Create(filepath.Join(outDir, "runs.jsonl")); err != nil {
		log.Fatal(err)
	}
	defer d.raw.Close()
	if err := os.WriteFile(filepath.Join(d.tmp, "targets.txt"), []byte("GET http://"+d.addr+"/api/v1/products\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	stop, err := d.startTarget(targetBin, targetProcs)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	began := time.Now()
	rep := &report{machine: machine(shoplabVersion, vegetaVersion, targetProcs), began: began, quietMax: d.quietMax, attempts: d.attempts}

	if only == "cpu" {
		d.fixed(rep, []config{{Tool: "shoplab"}, {Tool: "vegeta"}}, fixedRate, fixed, reps)
		d.finish(rep, outDir, began)
		return
	}

	// 1. The highest sustained rate of each configuration.
	var rateList []float64
	for _, s := range strings.Split(rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			log.Fatalf("-rates: %v", err)
		}
		rateList = append(rateList, r)
	}
	configs := append(parseConfigs("shoplab", shoplabCfgs), parseConfigs("vegeta", vegetaCfgs)...)
	rep.sweepStep = step
	for _, c := range configs {
		best, steps := d.sweep(c, rateList, step)
		rep.sweeps = append(rep.sweeps, sweepResult{config: c, best: best, steps: steps})
	}
	// The best configuration of each tool, confirmed by a second run at
	// its best rate (stepping down while the confirmation fails).
	for _, tool := range []string{"shoplab", "vegeta"} {
		rep.best = append(rep.best, d.confirm(tool, rep.sweeps, rateList, step))
	}

	// 2. A fixed rate: accuracy, p99 and CPU per million requests.
	fixedConfigs := []config{{Tool: "shoplab"}, {Tool: "vegeta"}}
	for _, b := range rep.best {
		if b.config.Name != "" && !slices.ContainsFunc(fixedConfigs, func(c config) bool { return c.String() == b.config.String() }) {
			fixedConfigs = append(fixedConfigs, b.config)
		}
	}
	d.fixed(rep, fixedConfigs, fixedRate, fixed, reps)

	// 3. A 1-second stall of the target.
	rep.stall = stallSetup{rate: stallRate, dur: stallRun, after: 2 * time.Second, length: time.Second}
	stallConfigs := []config{
		{Tool: "shoplab", Name: "--max-in-flight 5000", Flags: []string{"--max-in-flight", "5000"}},
		{Tool: "vegeta"},
	}
	for _, b := range rep.best {
		if b.config.Tool == "vegeta" && b.config.Name != "" {
			stallConfigs = append(stallConfigs, b.config)
		}
	}
	for _, c := range stallConfigs {
		r := d.run("stall", c, stallRate, stallRun, &rep.stall)
		rep.stall.runs = append(rep.stall.runs, r)
	}

	d.finish(rep, outDir, began)
}

// fixed runs each of configs reps times at rate for dur, interleaved, so
// that drift of the machine hits every tool alike.
func (d *driver) fixed(rep *report, configs []config, rate float64, dur time.Duration, reps int) {
	for i := 0; i < reps; i++ {
		for _, c := range configs {
			rep.fixed = append(rep.fixed, d.run("fixed", c, rate, dur, nil))
		}
	}
	rep.fixedRate, rep.fixedDur, rep.reps = rate, dur, reps
}

// finish writes the report, and prints it with the headline last, where
// a script (or a person) finds it.
func (d *driver) finish(rep *report, outDir string, began time.Time) {
	rep.took = time.Since(began)
	md := rep.markdown()
	if err := os.WriteFile(filepath.Join(outDir, "report.md"), []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md)
	if h, ok := rep.headline(); ok {
		if err := os.WriteFile(filepath.Join(outDir, "headline.txt"), []byte(h+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\n%s\n", h)
	}
	fmt.Fprintf(os.Stderr, "\nwrote %s and %s\n", filepath.Join(outDir, "report.md"), filepath.Join(outDir, "runs.jsonl"))
}

func shmOrTmp() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

func parseConfigs(tool, spec string) []config {
	var cs []config
	for _, s := range strings.Split(spec, "|") {
		s = strings.TrimSpace(s)
		cs = append(cs, config{Tool: tool, Name: s, Flags: strings.Fields(s)})
	}
	return cs
}

// startTarget starts bench/target and waits until it answers.
func (d *driver) startTarget(bin string, procs int) (func(), error) {
	cmd := exec.Command(bin, "-addr", d.addr)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
	}
	d.targetPID = cmd.Process.Pid
	for i := 0; i < 50; i++ {
		if resp, err := http.Get("http://" + d.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("the target did not answer on %s", d.addr)
}

// targetCPU is the target's CPU seconds so far (utime+stime).
func (d *driver) targetCPU() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.targetPID))
	if err != nil {
		return math.NaN()
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	ut, _ := strconv.ParseFloat(f[11], 64)                   // field 14
	st, _ := strconv.ParseFloat(f[12], 64)                   // field 15
	return (ut + st) / 100                                   // USER_HZ is 100 on Linux
}

func (d *driver) control(path string) ([]byte, error) {
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", path, resp.Status)
	}
	return b, err
}

// sweep steps c up through rates. A step that fails is run once more; the
// sweep ends at the first rate that fails twice, and best is the rate
// below it (0 if the first rate failed twice).
func (d *driver) sweep(c config, rates []float64, dur time.Duration) (best float64, steps []*run) {
	for _, rate := range rates {
		r := d.run("sweep", c, rate, dur, nil)
		steps = append(steps, r)
		if !r.Pass {
			r = d.run("retry", c, rate, dur, nil)
			steps = append(steps, r)
		}
		if !r.Pass {
			break
		}
		best = rate
	}
	return best, steps
}

type bestResult struct {
	config  config
	rate    float64 // confirmed
	swept   float64 // what the sweep found
	confirm []*run
}

// confirm picks tool's configuration with the highest sweep result (on a
// tie, the one with fewer failed runs) and runs it three more times at
// that rate; the rate is confirmed when at least two of the three pass.
// If not, the next lower rate is tried the same way, and so on.
func (d *driver) confirm(tool string, sweeps []sweepResult, rates []float64, dur time.Duration) bestResult {
	var b bestResult
	var cand *sweepResult
	fails := func(s *sweepResult) int {
		n := 0
		for _, st := range s.steps {
			if !st.Pass {
				n++
			}
		}
		return n
	}
	for i := range sweeps {
		s := &sweeps[i]
		if s.config.Tool != tool {
			continue
		}
		if cand == nil || s.best > cand.best || (s.best == cand.best && fails(s) < fails(cand)) {
			cand = s
		}
	}
	if cand == nil || cand.best == 0 {
		return b
	}
	b.config, b.swept = cand.config, cand.best
	var below []float64
	for _, r := range rates {
		if r <= cand.best {
			below = append(below, r)
		}
	}
	for i := len(below) - 1; i >= 0; i-- {
		pass, fail := 0, 0
		for pass < 2 && fail < 2 {
			r := d.run("confirm", cand.config, below[i], dur, nil)
			b.confirm = append(b.confirm, r)
			if r.Pass {
				pass++
			} else {
				fail++
			}
		}
		if pass == 2 {
			b.rate = below[i]
			break
		}
	}
	return b
}

type stallSetup struct {
	rate          float64
	dur           time.Duration
	after, length time.Duration
	runs          []*run
}

// maxForeign is how much CPU (in cores, averaged over a run) other
// processes of the machine may use during a run before it is run again.
const maxForeign = 0.25

// run runs c once at rate for dur and judges the result. A run during
// which other processes used more than maxForeign cores is run again, up
// to twice; the last attempt is kept and marked.
func (d *driver) run(phase string, c config, rate float64, dur time.Duration, stall *stallSetup) *run {
	var r *run
	for attempt := 1; attempt <= d.attempts; attempt++ {
		waited := waitQuiet(d.quietMax)
		r = d.runOnce(phase, c, rate, dur, stall)
		r.QuietWaitS = waited.Seconds()
		r.Attempt = attempt
		d.log(r)
		if r.ForeignCores <= maxForeign {
			break
		}
	}
	d.runs = append(d.runs, r)
	return r
}

func (d *driver) log(r *run) {
	verdict := "pass"
	if !r.Pass {
		verdict = "FAIL: " + r.FailReason
	}
	if r.ForeignCores > maxForeign {
		verdict = fmt.Sprintf("DISTURBED (other processes used %.2f cores) %s", r.ForeignCores, verdict)
	}
	fmt.Fprintf(os.Stderr, "%-8s %-26s %6.0f/s: target saw %8.1f/s, %7d ok, p99 %8.2fms (schedule %8.2fms), cpu %5.2fs, others %.2f cores  %s\n",
		r.Phase, r.Config, r.Rate, r.Target.Rate, r.OK, r.P99MS, r.SchedP99MS, r.cpu(), r.ForeignCores, verdict)
	b, _ := json.Marshal(r)
	_, _ = d.raw.Write(append(b, '\n'))
}

func (d *driver) runOnce(phase string, c config, rate float64, dur time.Duration, stall *stallSetup) *run {
	r := &run{Phase: phase, Config: c, Rate: rate, Duration: dur.Seconds()}
	reset := "/__bench/reset"
	if stall != nil {
		reset += fmt.Sprintf("?stall_after=%s&stall_for=%s", stall.after, stall.length)
	}
	if _, err := d.control(reset); err != nil {
		log.Fatalf("target: %v", err)
	}
	cpu0 := d.targetCPU()
	busy0, steal0 := machineCPU()
	self0 := selfCPU()
	t0 := time.Now()
	var err error
	switch c.Tool {
	case "shoplab":
		err = d.runShoplab(r, c, rate, dur)
	case "vegeta":
		err = d.runVegeta(r, c, rate, dur)
	}
	r.WallS = time.Since(t0).Seconds()
	r.TargetCPU = d.targetCPU() - cpu0
	busy1, steal1 := machineCPU()
	r.StealS = steal1 - steal0
	r.ForeignCores = (busy1 - busy0 - r.cpu() - r.ReportCPU - r.TargetCPU - (selfCPU() - self0)) / r.WallS
	if b, err := d.control("/__bench/stats"); err == nil {
		_ = json.Unmarshal(b, &r.Target)
	}
	switch {
	case err != nil:
		r.FailReason = err.Error()
	case stall != nil:
		r.Pass = true // the stall run is not judged by the sweep's criteria
	default:
		r.judge()
	}
	return r
}

// waitQuiet waits, at most max, until the machine has been quiet for a
// second: busy for less than maxForeign cores besides the driver itself
// (the target is idle between runs). It returns how long it waited.
func waitQuiet(max time.Duration) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < max {
		b0, _ := machineCPU()
		s0 := selfCPU()
		time.Sleep(time.Second)
		b1, _ := machineCPU()
		if b1-b0-(selfCPU()-s0) <= maxForeign {
			break
		}
	}
	return time.Since(t0) - time.Second
}

// machineCPU is the machine's busy CPU seconds so far (every state but
// idle and iowait) and, of those, the time stolen by the hypervisor.
func machineCPU() (busy, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return math.NaN(), math.NaN()
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait irq softirq steal ...
	var v [8]float64
	for i := range v {
		if i+1 < len(f) {
			v[i], _ = strconv.ParseFloat(f[i+1], 64)
		}
	}
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return busy / 100, v[7] / 100 // USER_HZ is 100 on Linux
}

// selfCPU is the driver's own CPU seconds so far.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// judge applies the sweep's pass criteria (also shown for other phases).
func (r *run) judge() {
	want := r.Rate * r.Duration
	var why []string
	if e := math.Abs(r.Target.Rate-r.Rate) / r.Rate; e > rateTolerance {
		why = append(why, fmt.Sprintf("target saw %.0f/s (%+.1f%%)", r.Target.Rate, 100*(r.Target.Rate-r.Rate)/r.Rate))
	}
	if float64(r.OK) < (1-countTolerance)*want {
		why = append(why, fmt.Sprintf("%d of %.0f answered 2xx", r.OK, want))
	}
	if r.Requests > 0 && float64(r.OK)/float64(r.Requests) < minSuccess {
		why = append(why, fmt.Sprintf("success %.2f%%", 100*float64(r.OK)/float64(r.Requests)))
	}
	if dev := r.worstSecond(); dev > secondTolerance {
		why = append(why, fmt.Sprintf("a second off by %.0f%%", 100*dev))
	}
	if r.SchedP99MS > float64(maxP99.Milliseconds()) {
		why = append(why, fmt.Sprintf("p99 from the schedule %.0fms", r.SchedP99MS))
	}
	if r.Config.Tool == "shoplab" && r.ExitCode != 0 && r.ExitCode != 3 {
		why = append(why, fmt.Sprintf("exit code %d", r.ExitCode))
	}
	r.PassCommon = len(why) == 0
	if r.Saturated {
		why = append(why, fmt.Sprintf("saturated (%d dropped, %d late)", r.Dropped, r.Late))
	}
	r.Pass = len(why) == 0
	r.FailReason = strings.Join(why, "; ")
}

// worstSecond is the largest relative deviation from the rate of a full
// second at the target (the last, partial second is left out).
func (r *run) worstSecond() float64 {
	ps := r.Target.PerSecond
	full := int(math.Floor(r.Target.SpanS))
	worst := 0.0
	for i := 0; i < full && i < len(ps); i++ {
		worst = math.Max(worst, math.Abs(float64(ps[i])-r.Rate)/r.Rate)
	}
	return worst
}

// shoplabResult is the part of `shoplab load --out json` read here.
type shoplabResult struct {
	Generator struct {
		Started   int64    `json:"started"`
		Dropped   int64    `json:"dropped"`
		Late      int64    `json:"late"`
		MaxLagMS  float64  `json:"max_lag_ms"`
		Saturated bool     `json:"saturated"`
		Reasons   []string `json:"reasons"`
	} `json:"generator"`
	Total struct {
		Requests int64                           `json:"requests"`
		Rate     float64                         `json:"rate"`
		Statuses map[string]int64                `json:"statuses"`
		Latency  struct{ P50, P99, Max float64 } `json:"latency_ms"`
		Service  struct{ P99 float64 }           `json:"service_ms"`
	} `json:"total"`
}

func (d *driver) runShoplab(r *run, c config, rate float64, dur time.Duration) error {
	args := append([]string{"load", "--scenario", d.scenario, "--target", "http://" + d.addr,
		"--rate", fmt.Sprint(rate), "--duration", dur.String(), "--no-think", "--out", "json"}, c.Flags...)
	cmd := exec.Command(d.shoplab, args...)
	// No Loki to annotate: an unanswered port, so the check fails at once.
	cmd.Env = append(os.Environ(), "LOKI_URL=http://127.0.0.1:1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	r.ExitCode = cmd.ProcessState.ExitCode()
	r.CPUUser, r.CPUSys, r.MaxRSSMB = usage(cmd.ProcessState)
	var res shoplabResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("shoplab exit %d, no JSON result: %s", r.ExitCode, lastLine(stderr.String()))
	}
	r.Requests, r.ToolRate = res.Total.Requests, res.Total.Rate
	for code, n := range res.Total.Statuses {
		if strings.HasPrefix(code, "2") {
			r.OK += n
		}
	}
	r.P50MS, r.P99MS, r.MaxMS, r.ServiceP99 = res.Total.Latency.P50, res.Total.Latency.P99, res.Total.Latency.Max, res.Total.Service.P99
	r.Saturated, r.Dropped, r.Late, r.MaxLagMS = res.Generator.Saturated, res.Generator.Dropped, res.Generator.Late, res.Generator.MaxLagMS
	r.SchedP99MS = r.P99MS
	if res.Generator.Started > 0 {
		r.LateShare = float64(r.Late) / float64(res.Generator.Started)
	}
	r.Reasons = strings.Join(res.Generator.Reasons, "; ")
	return nil
}

// vegetaReport is the part of `vegeta report -type=json` read here.
type vegetaReport struct {
	Requests  int64   `json:"requests"`
	Rate      float64 `json:"rate"`
	Success   float64 `json:"success"`
	Latencies struct {
		P50 int64 `json:"50th"`
		P99 int64 `json:"99th"`
		Max int64 `json:"max"`
	} `json:"latencies"`
	StatusCodes map[string]int64 `json:"status_codes"`
	Errors      []string         `json:"errors"`
}

func (d *driver) runVegeta(r *run, c config, rate float64, dur time.Duration) error {
	results := filepath.Join(d.tmp, "results.bin")
	defer os.Remove(results)
	args := append([]string{"attack", "-targets", filepath.Join(d.tmp, "targets.txt"),
		"-rate", fmt.Sprintf("%g/s", rate), "-duration", dur.String(), "-output", results}, c.Flags...)
	cmd := exec.Command(d.vegeta, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("vegeta attack: %v: %s", err, lastLine(stderr.String()))
	}
	r.CPUUser, r.CPUSys, r.MaxRSSMB = usage(cmd.ProcessState)
	rep := exec.Command(d.vegeta, "report", "-type=json", results)
	out, err := rep.Output()
	if err != nil {
		return fmt.Errorf("vegeta report: %v", err)
	}
	u, s, _ := usage(rep.ProcessState)
	r.ReportCPU = u + s
	var v vegetaReport
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("vegeta report: %v", err)
	}
	r.Requests, r.ToolRate = v.Requests, v.Rate
	for code, n := range v.StatusCodes {
		if strings.HasPrefix(code, "2") {
			r.OK += n
		}
	}
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	r.P50MS, r.P99MS, r.MaxMS = ms(v.Latencies.P50), ms(v.Latencies.P99), ms(v.Latencies.Max)
	return d.vegetaSchedule(r, results, rate)
}

// vegetaSchedule reads vegeta's results (as CSV, through vegeta encode)
// and computes what vegeta does not report: how late each request was
// sent against the schedule, and its latency from its slot. The first
// send stands for the schedule's start, so lags are, if anything,
// underestimated.
func (d *driver) vegetaSchedule(r *run, results string, rate float64) error {
	cmd := exec.Command(d.vegeta, "encode", "-to", "csv", results)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	type hit struct{ sent, latency, seq int64 }
	var hits []hit
	rd := csv.NewReader(bufio.NewReaderSize(out, 1<<20))
	rd.FieldsPerRecord = 12
	rd.ReuseRecord = true
	first := int64(math.MaxInt64)
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return fmt.Errorf("vegeta encode: %v", err)
		}
		ts, _ := strconv.ParseInt(rec[0], 10, 64)
		lat, _ := strconv.ParseInt(rec[2], 10, 64)
		seq, _ := strconv.ParseInt(rec[8], 10, 64)
		hits = append(hits, hit{ts, lat, seq})
		first = min(first, ts)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("vegeta encode: %v", err)
	}
	if len(hits) == 0 {
		return nil
	}
	lags := make([]float64, len(hits))
	sched := make([]float64, len(hits))
	late := 0
	for i, h := range hits {
		slot := first + int64(float64(h.seq)/rate*1e9)
		lag := float64(max(h.sent-slot, 0)) / 1e6
		lags[i], sched[i] = lag, lag+float64(h.latency)/1e6
		if lag > 100 {
			late++
		}
	}
	slices.Sort(lags)
	slices.Sort(sched)
	q := func(xs []float64, p float64) float64 { return xs[int(math.Ceil(p*float64(len(xs))))-1] }
	r.SchedP99MS, r.LagP99MS, r.MaxLagMS = q(sched, 0.99), q(lags, 0.99), lags[len(lags)-1]
	r.LateShare = float64(late) / float64(len(hits))
	return nil
}

func usage(ps *os.ProcessState) (user, sys, rssMB float64) {
	user, sys = ps.UserTime().Seconds(), ps.SystemTime().Seconds()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rssMB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return user, sys, rssMB
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// machine describes where the benchmark ran.
func machine(shoplabVersion, vegetaVersion string, targetProcs int) [][2]string {
	sh := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(out))
	}
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	cgroup := "none"
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		cgroup = strings.TrimSpace(string(b))
	}
	loadavg := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		loadavg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return [][2]string{
		{"date", time.Now().UTC().Format(time.RFC3339)},
		{"load average at the start", loadavg + " (other sessions share this machine; see \"others\" in the tables)"},
		{"nproc", sh("nproc")},
		{"CPU", model},
		{"memory", mem},
		{"cgroup cpu.max", cgroup},
		{"kernel", sh("uname", "-sr")},
		{"Go", sh("go", "version")},
		{"shoplab", shoplabVersion},
		{"vegeta", vegetaVersion},
		{"target", fmt.Sprintf("bench/target, GOMAXPROCS=%d, same machine, not pinned", targetProcs)},
		{"generators", fmt.Sprintf("GOMAXPROCS default (%d), not pinned; run one at a time", runtime.NumCPU())},
	}
}
