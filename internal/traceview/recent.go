package traceview

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoplab/shoplab/internal/telemetry"
)

// Summary is one trace in a list of recent ones: the request that started
// it.
type Summary struct {
	TraceID string
	// Service and Name are the trace's entry span: the first server span
	// whose parent the store does not have (the caller's, or none).
	Service, Name string
	Start         time.Time
	// DurationMS is the entry span's duration: how long the caller waited.
	DurationMS float64
	// Failed is set when a span the store returned failed. Compose cannot
	// tell from Tempo's search answer and leaves it false.
	Failed bool
}

// Lister lists a store's newest traces; Local and Compose are Listers.
type Lister interface {
	Recent(ctx context.Context, n int) ([]Summary, error)
}

// RecentOf merges the newest traces of stores, newest first, at most n.
// A store that fails is left out; only when all fail is it an error.
func RecentOf(ctx context.Context, n int, stores ...Lister) ([]Summary, error) {
	var all []Summary
	var errs []error
	for _, s := range stores {
		got, err := s.Recent(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, got...)
	}
	if len(errs) == len(stores) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newest(all, n), nil
}

// newest sorts summaries newest first, drops repeated traces and keeps n.
func newest(all []Summary, n int) []Summary {
	slices.SortStableFunc(all, func(a, b Summary) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.TraceID, b.TraceID)
	})
	seen := map[string]bool{}
	out := all[:0]
	for _, s := range all {
		if !seen[s.TraceID] && len(out) < n {
			seen[s.TraceID] = true
			out = append(out, s)
		}
	}
	return out
}

// recentTail is how much of the end of each span file Recent reads: the
// newest spans are there, and reading whole files (up to
// telemetry.SpanFileMaxBytes each) every few seconds would cost too much.
const recentTail = 1 << 20

// Recent lists the newest n requests' traces in the span files. Only the
// end of each current file is read, so a trace whose entry span is older
// is not listed; traces with no server span (background work such as
// reconciliation) are not requests and are left out too.
func (l *Local) Recent(ctx context.Context, n int) ([]Summary, error) {
	dir := telemetry.SpanDirOf(l.LogDir)
	files, err := filepath.Glob(filepath.Join(dir, "*"+telemetry.SpanFileExt))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no span files in %s yet", ErrUnavailable, dir)
	}
	byTrace := map[string][]*Span{}
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readTail(p, recentTail)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("span file: %w", err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			var req otlpTrace
			// The first line may be cut by the tail and the last one
			// still being written: neither decodes, both are skipped.
			if json.Unmarshal([]byte(line), &req) != nil {
				continue
			}
			req.each(func(traceID string, s *Span) { byTrace[traceID] = append(byTrace[traceID], s) })
		}
	}
	var out []Summary
	for id, spans := range byTrace {
		if s, ok := summarize(id, spans); ok {
			out = append(out, s)
		}
	}
	return newest(out, n), nil
}

// readTail reads at most n bytes from the end of the file at path.
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if off := fi.Size() - n; off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(io.LimitReader(f, n))
}

// each calls fn with every span of t and its trace ID.
func (t otlpTrace) each(fn func(traceID string, s *Span)) {
	for _, rs := range append(t.ResourceSpans, t.Batches...) {
		service := attrMap(rs.Resource.Attributes)["service.name"]
		for _, ss := range append(rs.ScopeSpans, rs.InstrumentationLibrarySpans...) {
			for _, s := range ss.Spans {
				fn(otlpID(s.TraceID), s.toSpan(service))
			}
		}
	}
}

// summarize finds a trace's entry span; ok is false when it has none.
func summarize(traceID string, spans []*Span) (Summary, bool) {
	ids := make(map[string]bool, len(spans))
	failed := false
	for _, s := range spans {
		ids[s.SpanID] = true
		failed = failed || s.Failed()
	}
	var entry *Span
	for _, s := range spans {
		if s.Kind == "server" && !ids[s.ParentID] && (entry == nil || s.Start.Before(entry.Start)) {
			entry = s
		}
	}
	if entry == nil {
		return Summary{}, false
	}
	return Summary{
		TraceID: traceID, Service: entry.Service, Name: entry.Name, Start: entry.Start,
		DurationMS: ms(entry.Duration()), Failed: failed,
	}, true
}

// recentQuery asks Tempo for traces with a server span, the newest first:
// the most_recent hint (Tempo 2.7 and later) makes Tempo search until it
// has them, where a plain search returns the first it finds.
const recentQuery = `{ kind = server } with (most_recent=true)`

// recentWindow is how far back Compose.Recent looks.
const recentWindow = 15 * time.Minute

// tempoSearch is Tempo's search answer (GET /api/search,
// tempopb.SearchResponse in JSON). Tempo 2.2 and later list a trace's
// matching spans in spanSets, earlier ones in spanSet.
type tempoSearch struct {
	Traces []struct {
		TraceID           string          `json:"traceID"`
		RootServiceName   string          `json:"rootServiceName"`
		RootTraceName     string          `json:"rootTraceName"`
		StartTimeUnixNano json.RawMessage `json:"startTimeUnixNano"`
		DurationMs        float64         `json:"durationMs"`
		SpanSet           *tempoSpanSet   `json:"spanSet"`
		SpanSets          []tempoSpanSet  `json:"spanSets"`
	} `json:"traces"`
}

type tempoSpanSet struct {
	Spans []struct {
		SpanID            string          `json:"spanID"`
		Name              string          `json:"name"`
		StartTimeUnixNano json.RawMessage `json:"startTimeUnixNano"`
		DurationNanos     json.RawMessage `json:"durationNanos"`
		Attributes        []otlpKeyValue  `json:"attributes"`
	} `json:"spans"`
}

// Recent asks Tempo's search API for the newest n traces with a server
// span in the last recentWindow. A trace's entry is its first matching
// span; Tempo's root span is no use here, since a request from the load
// generator names a parent Tempo never receives.
func (c *Compose) Recent(ctx context.Context, n int) ([]Summary, error) {
	now := time.Now()
	code, body, err := c.get(ctx, "Tempo", c.TempoURL, "/api/search", url.Values{
		"q": {recentQuery}, "limit": {strconv.Itoa(n)}, "spss": {"10"},
		"start": {strconv.FormatInt(now.Add(-recentWindow).Unix(), 10)}, "end": {strconv.FormatInt(now.Unix(), 10)},
	})
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, statusError("Tempo", c.TempoURL, code, body)
	}
	var a tempoSearch
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("Tempo at %s: decode search: %w", c.TempoURL, err)
	}
	var out []Summary
	for _, t := range a.Traces {
		s := Summary{
			TraceID: searchTraceID(t.TraceID), Service: t.RootServiceName, Name: t.RootTraceName,
			Start: time.Unix(0, jsonInt(t.StartTimeUnixNano)).UTC(), DurationMS: t.DurationMs,
		}
		sets := t.SpanSets
		if t.SpanSet != nil {
			sets = append(sets, *t.SpanSet)
		}
		first := int64(-1)
		for _, set := range sets {
			for _, sp := range set.Spans {
				at := jsonInt(sp.StartTimeUnixNano)
				if first >= 0 && at >= first {
					continue
				}
				first = at
				s.Start, s.DurationMS = time.Unix(0, at).UTC(), ms(time.Duration(jsonInt(sp.DurationNanos)))
				s.Name = cmp.Or(sp.Name, t.RootTraceName)
				s.Service = cmp.Or(attrMap(sp.Attributes)["service.name"], t.RootServiceName)
			}
		}
		out = append(out, s)
	}
	return newest(out, n), nil
}

// searchTraceID restores the leading zeros Tempo's search answer drops
// from a trace ID ("7a1d…" for "007a1d…").
func searchTraceID(id string) string {
	if len(id) < 32 && strings.Trim(strings.ToLower(id), "0123456789abcdef") == "" {
		return strings.Repeat("0", 32-len(id)) + strings.ToLower(id)
	}
	return otlpID(id)
}
