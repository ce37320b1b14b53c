package traceview

import (
	"cmp"
	"slices"
	"time"
)

// node is a span in the trace's tree.
type node struct {
	*Span
	parent   *node
	kids     []*node
	async    bool
	critical bool
}

// Analyze lays t out.
func Analyze(t *Trace) *View {
	if len(t.Spans) == 0 {
		return &View{Schema: Schema, TraceID: t.TraceID, Partial: t.Partial, PartialMessage: t.PartialMessage, Warnings: t.Warnings}
	}
	nodes := make(map[string]*node, len(t.Spans))
	all := make([]*node, 0, len(t.Spans))
	for _, s := range t.Spans {
		n := &node{Span: s}
		nodes[s.SpanID] = n
		all = append(all, n)
	}
	slices.SortStableFunc(all, byStart)
	for _, n := range all {
		if p := nodes[n.ParentID]; p != nil {
			n.parent = p
			p.kids = append(p.kids, n)
		}
	}
	roots := treeRoots(all)
	root := roots[0]
	first, last := all[0].Start, all[0].End
	for _, n := range all {
		first, last = earliest(first, n.Start), latest(last, n.End)
	}
	v := &View{
		Schema: Schema, TraceID: t.TraceID, Start: first, Root: root.Name,
		ResponseMS: ms(root.Duration()), DurationMS: ms(last.Sub(first)),
		SpanCount: len(all), Partial: t.Partial, PartialMessage: t.PartialMessage, Warnings: t.Warnings,
	}

	// Asynchronous: a hand-off through Kafka (a producer or consumer
	// span), anything that starts once the response is sent, and all
	// that follows from them.
	var markAsync func(n *node, inherited bool)
	markAsync = func(n *node, inherited bool) {
		n.async = inherited || n.Kind == "producer" || n.Kind == "consumer" || (n != root && !n.Start.Before(root.End))
		for _, k := range n.kids {
			markAsync(k, n.async)
		}
	}
	for _, r := range roots {
		markAsync(r, false)
	}
	var syncRoots, asyncTops []*node
	for _, r := range roots {
		if r.async {
			asyncTops = append(asyncTops, r)
		} else {
			syncRoots = append(syncRoots, r)
			asyncTops = append(asyncTops, asyncBelow(r)...)
		}
	}
	slices.SortStableFunc(asyncTops, byStart)

	markCritical(root)
	if len(asyncTops) > 0 {
		lastTop := asyncTops[0]
		for _, a := range asyncTops {
			if subtreeEnd(a).After(subtreeEnd(lastTop)) {
				lastTop = a
			}
		}
		markCritical(lastTop)
	}

	services := map[string]bool{}
	add := func(n *node, depth int) {
		services[n.Service] = true
		if n.Failed() {
			v.Errors++
		}
		v.Spans = append(v.Spans, viewSpan(n, depth, first, n != root && n.parent == nil && n.ParentID != ""))
	}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		add(n, depth)
		for _, k := range n.kids {
			if k.async == n.async {
				walk(k, depth+1)
			}
		}
	}
	for _, r := range syncRoots {
		walk(r, 0)
	}
	for _, a := range asyncTops {
		walk(a, 0)
	}
	for s := range services {
		v.Services = append(v.Services, s)
	}
	slices.Sort(v.Services)
	for _, l := range t.Logs {
		v.UnattachedLogs = append(v.UnattachedLogs, viewLog(l, first))
	}
	if len(asyncTops) > 0 {
		v.Async = asyncSummary(v, root, asyncTops, first)
	}
	return v
}

// treeRoots returns the spans without a parent in the trace, in start
// order. Spans that reach no such span (parent links in a cycle: broken
// data) have their parent link cut and become roots too, so that every
// span is shown once.
func treeRoots(all []*node) []*node {
	seen := make(map[*node]bool, len(all))
	var visit func(n *node)
	visit = func(n *node) {
		seen[n] = true
		for _, k := range n.kids {
			if !seen[k] {
				visit(k)
			}
		}
	}
	var roots []*node
	for _, n := range all {
		if n.parent == nil {
			roots = append(roots, n)
			visit(n)
		}
	}
	for _, n := range all {
		if seen[n] {
			continue
		}
		n.parent.kids = slices.DeleteFunc(n.parent.kids, func(k *node) bool { return k == n })
		n.parent = nil
		roots = append(roots, n)
		visit(n)
	}
	slices.SortStableFunc(roots, byStart)
	return roots
}

func byStart(a, b *node) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	if c := a.End.Compare(b.End); c != 0 {
		return -c
	}
	return cmp.Compare(a.SpanID, b.SpanID)
}

// asyncBelow returns the highest asynchronous spans under the synchronous
// span n.
func asyncBelow(n *node) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.async {
			out = append(out, k)
		} else {
			out = append(out, asyncBelow(k)...)
		}
	}
	return out
}

func subtreeEnd(n *node) time.Time {
	end := n.End
	for _, k := range n.kids {
		end = latest(end, subtreeEnd(k))
	}
	return end
}

// markCritical marks n and, walking back from its end, the children it
// waited for: the last child to finish, then the last to finish before
// that one started, and so on (the critical path as Jaeger computes it).
// A child of the other part (synchronous or asynchronous) is not waited
// for.
func markCritical(n *node) {
	n.critical = true
	kids := make([]*node, 0, len(n.kids))
	for _, k := range n.kids {
		if k.async == n.async {
			kids = append(kids, k)
		}
	}
	slices.SortStableFunc(kids, func(a, b *node) int {
		if c := b.End.Compare(a.End); c != 0 {
			return c
		}
		return byStart(a, b)
	})
	// The last child to finish is waited for even when it ends after n:
	// in the asynchronous part, work goes on after its parent ended.
	var cursor time.Time
	for i, k := range kids {
		if i == 0 || k.Start.Before(cursor) {
			markCritical(k)
			cursor = k.Start
		}
	}
}

func viewSpan(n *node, depth int, first time.Time, parentMissing bool) ViewSpan {
	status := n.Status
	if status == "" {
		status = "unset"
	}
	vs := ViewSpan{
		SpanID: n.SpanID, ParentID: n.ParentID, Depth: depth, Service: n.Service, Name: n.Name, Kind: n.Kind,
		OffsetMS: ms(n.Start.Sub(first)), DurationMS: ms(n.Duration()),
		Status: status, StatusMessage: n.StatusMessage, Critical: n.critical, Async: n.async,
		ParentMissing: parentMissing, Attributes: n.Attributes, Wait: waitOf(n),
	}
	for _, e := range n.Events {
		vs.Events = append(vs.Events, ViewEvent{OffsetMS: ms(e.Time.Sub(first)), Name: e.Name, Attributes: e.Attributes})
	}
	for _, l := range n.Logs {
		vs.Logs = append(vs.Logs, viewLog(l, first))
	}
	return vs
}

// waitOf is the time n waited after its parent ended: the hand-offs of
// the outbox (producer), Kafka (consumer) and the e-mail queue.
func waitOf(n *node) *Wait {
	if n.parent == nil {
		return nil
	}
	gap := max(n.Start.Sub(n.parent.End), 0)
	switch {
	case n.Kind == "producer":
		return &Wait{Where: "outbox", MS: ms(gap)}
	case n.Kind == "consumer":
		return &Wait{Where: "kafka", MS: ms(gap)}
	case gap > 0:
		return &Wait{Where: "queue", MS: ms(gap)}
	}
	return nil
}

func viewLog(l LogLine, first time.Time) ViewLog {
	vl := ViewLog{Time: l.Time, Level: l.Level, Msg: l.Msg, Service: l.Service, SpanID: l.SpanID, Fields: l.Fields}
	if !l.Time.IsZero() {
		vl.OffsetMS = ms(l.Time.Sub(first))
	}
	return vl
}

func asyncSummary(v *View, root *node, tops []*node, first time.Time) *Async {
	a := &Async{}
	if p := tops[0].parent; p != nil {
		a.Continues = p.SpanID
	}
	var firstConsumer *ViewSpan
	firstAsync := -1
	for i := range v.Spans {
		s := &v.Spans[i]
		if !s.Async {
			continue
		}
		if firstAsync < 0 || s.OffsetMS < v.Spans[firstAsync].OffsetMS {
			firstAsync = i
		}
		a.EndMS = max(a.EndMS, s.OffsetMS+s.DurationMS)
		if s.Wait == nil {
			continue
		}
		wait := s.Wait.MS
		switch s.Wait.Where {
		case "outbox":
			if a.OutboxMS == nil {
				a.OutboxMS = &wait
			}
		case "kafka":
			if firstConsumer == nil || s.OffsetMS < firstConsumer.OffsetMS {
				firstConsumer = s
				a.KafkaMS = &wait
			}
		}
	}
	from := v.Spans[firstAsync].OffsetMS
	if firstConsumer != nil {
		from = firstConsumer.OffsetMS
	}
	a.AfterResponseMS = max(from-ms(root.End.Sub(first)), 0)
	return a
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond).Microseconds()) / 1000
}
