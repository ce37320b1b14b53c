package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// maxCaptureBody bounds what is read of an answer a step captures from.
const maxCaptureBody = 4 << 20

// userAgent names the generator in the gateway's logs.
const userAgent = "shoplab-load/1"

// worker runs one journey at a time. Everything a request needs is kept
// here and reused, so that a request allocates little beyond what
// net/http itself does.
type worker struct {
	e       *Engine
	rng     *mrand.ChaCha8
	req     *http.Request
	hdr     http.Header
	body    *bodyReader
	buf     bytes.Buffer // rendered templates, copied out at once
	bodyBuf bytes.Buffer // the rendered body, which body may still read
	answer  bytes.Buffer // bodies captured from
	vars    map[string]string
	timer   *time.Timer
	gotConn atomic.Int64 // since the run's start
	tp      [55]byte
	tpValue []string
	fault   []string
	// Header values the transport only reads, shared by the requests.
	regions   [][]string
	userAgent []string
	jsonType  []string
}

func (e *Engine) newWorker() *worker {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read does not fail
	w := &worker{
		e:       e,
		rng:     mrand.NewChaCha8(seed),
		hdr:     make(http.Header, 8),
		vars:    make(map[string]string, 8),
		timer:   time.NewTimer(time.Hour),
		body:    new(bodyReader),
		tpValue: make([]string, 1),
		fault:   make([]string, 1),

		userAgent: []string{userAgent},
		jsonType:  []string{"application/json"},
	}
	w.timer.Stop()
	for _, r := range e.regions {
		w.regions = append(w.regions, []string{r})
	}
	// One request per worker, reused: the trace hook, bound to it
	// once, notes when each request gets its connection.
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { w.gotConn.Store(int64(time.Since(e.start))) }}
	ctx := httptrace.WithClientTrace(e.ctx(), trace)
	w.req, _ = http.NewRequestWithContext(ctx, http.MethodGet, e.base.String(), nil)
	w.req.Header = w.hdr
	return w
}

func (w *worker) loop(first arrival) {
	defer w.e.wg.Done()
	w.journey(first)
	for a := range w.e.work {
		w.journey(a)
	}
}

type outcome int

const (
	stepOK      outcome = iota // 2xx as expected: the journey goes on
	stepEnded                  // an expected answer that is not 2xx
	stepFailed                 // an unexpected answer or an error
	stepAborted                // the run was interrupted
)

func (w *worker) journey(a arrival) {
	e := w.e
	st := e.stats
	st.noteLag(time.Since(e.start)-a.intended, e.o.MaxLag)
	st.started.Add(1)
	storeMax(&st.peak, st.inFlight.Add(1))
	defer st.inFlight.Add(-1)
	js := &st.journeys[a.journey]
	js.started.Add(1)

	begun := time.Since(e.start)
	var thought time.Duration
	defer func() {
		st.journeysDone.Add(1)
		st.journeyNanos.Add(int64(time.Since(e.start) - begun))
		st.thinkNanos.Add(int64(thought))
	}()

	j := &e.journeys[a.journey]
	clear(w.vars)
	w.vars["region"] = e.regions[a.region]
	for _, v := range j.vars {
		w.buf.Reset()
		if err := v.value.render(&w.buf, w.vars); err != nil {
			js.failed.Add(1)
			return
		}
		w.vars[v.name] = w.buf.String()
	}
	next := a.intended
	for i := range j.steps {
		s := &j.steps[i]
		if s.Chance < 1 && mrand.Float64() >= s.Chance {
			continue
		}
		if think := w.think(s.Step); think > 0 {
			next = time.Since(e.start) + think
			if !w.sleepUntil(next) {
				return
			}
			thought += think
		}
		switch w.do(s, next, a.region) {
		case stepEnded:
			js.ended.Add(1)
			return
		case stepFailed:
			js.failed.Add(1)
			return
		case stepAborted:
			return
		}
		next = time.Since(e.start)
	}
	js.completed.Add(1)
}

func (w *worker) think(s *Step) time.Duration {
	if w.e.o.NoThink || s.ThinkMax == 0 {
		return 0
	}
	if s.ThinkMax == s.ThinkMin {
		return s.ThinkMin
	}
	return s.ThinkMin + time.Duration(mrand.Int64N(int64(s.ThinkMax-s.ThinkMin)+1))
}

// sleepUntil waits until the run's clock reads t; false when the run
// ended meanwhile.
func (w *worker) sleepUntil(t time.Duration) bool {
	d := t - time.Since(w.e.start)
	if d <= 0 {
		return true
	}
	w.timer.Reset(d)
	select {
	case <-w.timer.C:
		return true
	case <-w.e.ctx().Done():
		w.timer.Stop()
		return false
	}
}

// do sends one step's request, whose slot was intended, and records it.
func (w *worker) do(s *boundStep, intended time.Duration, reg uint8) outcome {
	e := w.e
	smp := sample{intended: intended, region: reg}
	if err := w.prepare(s, reg); err != nil {
		// Templates were checked at load; a failure here is a bug in the
		// scenario's data (e.g. randomInt 5 1), charged to the step.
		smp.failed, smp.errMsg = true, err.Error()
		smp.sent, smp.done = time.Since(e.start), time.Since(e.start)
		e.stats.record(s.endpoint, &smp)
		return stepFailed
	}
	w.newTraceParent(&smp.traceID)

	w.gotConn.Store(0)
	t0 := time.Since(e.start)
	resp, err := e.rt.RoundTrip(w.req)
	if err == nil {
		if len(s.captures) > 0 {
			w.answer.Reset()
			_, err = w.answer.ReadFrom(io.LimitReader(resp.Body, maxCaptureBody))
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		smp.status = resp.StatusCode
	}
	smp.done = time.Since(e.start)
	smp.sent = max(t0, time.Duration(w.gotConn.Load()))
	if err != nil {
		if cause := context.Cause(e.ctx()); errors.Is(cause, errInterrupted) {
			return stepAborted
		} else if cause != nil {
			err = fmt.Errorf("unanswered when %w", cause)
		}
		smp.status, smp.failed, smp.errMsg = 0, true, err.Error()
		e.stats.record(s.endpoint, &smp)
		return stepFailed
	}
	out := stepOK
	switch {
	case !s.expected(smp.status):
		smp.failed = true
		out = stepFailed
	case smp.status < 200 || smp.status > 299:
		out = stepEnded
	case len(s.captures) > 0:
		if err := w.capture(s); err != nil {
			smp.failed, smp.errMsg = true, err.Error()
			out = stepFailed
		}
	}
	e.stats.record(s.endpoint, &smp)
	return out
}
