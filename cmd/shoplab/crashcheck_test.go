package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// maxInFlightEmails is how many e-mails the notification service sends at
// once (its default Options.Senders): a kill can leave at most that many
// sent and not recorded.
const maxInFlightEmails = 4

// crashTally is what a crash run produced, for the log.
type crashTally struct {
	acked, stored, storedUnacked, unanswered int
	refused                                  map[int]int
	events, emails, duplicates, welcome      int
	// duplicatesByKill counts the e-mails sent again after each kill,
	// numbered from 1.
	duplicatesByKill map[int]int
}

// busy reports what still keeps the lab busy once the checkouts have
// stopped, or nil when nothing does: every event relayed and e-mailed,
// every pending reservation settled, the inbox empty.
func (st shopState) busy(mails []sunkMail) error {
	var busy []string
	unrelayed := 0
	for _, e := range st.events {
		if !e.sent {
			unrelayed++
		}
	}
	if unrelayed > 0 {
		busy = append(busy, fmt.Sprintf("%d events not relayed", unrelayed))
	}
	if st.pendingNotes > 0 {
		busy = append(busy, fmt.Sprintf("%d pending reservations", st.pendingNotes))
	}
	if n := st.unsent(); n > 0 {
		busy = append(busy, fmt.Sprintf("%d e-mails pending in the inbox", n))
	}
	if n := len(st.notEmailed(mails)); n > 0 {
		busy = append(busy, fmt.Sprintf("%d of %d order events without an e-mail", n, len(st.events)))
	}
	if len(busy) == 0 {
		return nil
	}
	return errors.New(strings.Join(busy, ", "))
}

// unsent counts the e-mails waiting in the notification inbox.
func (st shopState) unsent() int {
	n := 0
	for _, status := range st.inbox {
		if status == "pending" {
			n++
		}
	}
	return n
}

// unconsumed counts the events relayed to Kafka that the notification
// inbox has not stored yet: only the broker holds them.
func (st shopState) unconsumed() int {
	n := 0
	for _, e := range st.events {
		if _, ok := st.inbox[e.id]; e.sent && !ok {
			n++
		}
	}
	return n
}

func (st shopState) notEmailed(mails []sunkMail) []string {
	got := map[string]bool{}
	for _, m := range mails {
		got[m.EventID] = true
	}
	var out []string
	for _, e := range st.events {
		if !got[e.id] {
			out = append(out, e.id)
		}
	}
	return out
}

// checkCrashInvariants checks the state of a lab that was killed, restarted
// and at last stopped cleanly against what its clients and the mail
// server saw.
func checkCrashInvariants(t *testing.T, seed map[int64]int64, s *checkoutStream, st shopState, mails []sunkMail) crashTally {
	t.Helper()
	tally := crashTally{acked: len(s.acked), stored: len(st.orders), unanswered: s.unanswered, refused: s.refused, events: len(st.events)}

	// Every confirmed order is stored, as confirmed. (orders.id is the
	// primary key: an order cannot be stored twice.)
	for id, want := range s.acked {
		if got, ok := st.orders[id]; !ok {
			t.Errorf("order %s was confirmed (201) but is not stored", id)
		} else if !maps.Equal(got, want) {
			t.Errorf("order %s is stored with lines %v, confirmed with %v", id, got, want)
		}
	}
	for id := range st.orders {
		if _, ok := s.acked[id]; !ok {
			tally.storedUnacked++ // committed, then the answer died with the process
		}
	}
	if n := s.refused[-201]; n > 0 {
		t.Errorf("%d answers were 201 without an order in the body", n)
	}

	// Every stored order has exactly one order.placed event, relayed.
	eventsOf := map[string]int{}
	for _, e := range st.events {
		eventsOf[e.orderID]++
		if !e.sent {
			t.Errorf("event %s of order %s was never relayed to Kafka", e.id, e.orderID)
		}
		if _, ok := st.orders[e.orderID]; !ok {
			t.Errorf("event %s names order %s, which is not stored", e.id, e.orderID)
		}
	}
	for id := range st.orders {
		if n := eventsOf[id]; n != 1 {
			t.Errorf("order %s has %d order.placed events, want 1", id, n)
		}
	}

	// Every event produced exactly one e-mail, to the order's customer. A
	// further copy is at-least-once delivery's cost only if a kill came
	// between it and the one before, that is if each copy came from a
	// later run of the lab than the one before: the sender died after the
	// server took the e-mail and before it recorded the send, and the next
	// run sent it again at once. Two kills in a row can do that twice.
	copies := map[string][]sunkMail{}
	dupsAt := map[int]int{} // by the kill that ended the run that sent the copy, from 1
	for _, m := range mails {
		copies[m.EventID] = append(copies[m.EventID], m)
	}
	orderEvents := map[string]bool{}
	for _, e := range st.events {
		orderEvents[e.id] = true
		got := copies[e.id]
		switch {
		case len(got) == 0:
			t.Errorf("order %s: event %s produced no e-mail (lost)", e.orderID, e.id)
			continue
		case len(got) > 1:
			tally.duplicates += len(got) - 1
			for i, m := range got[1:] {
				if m.Run <= got[i].Run {
					t.Errorf("order %s: event %s produced %d e-mails, sent by runs %v of the lab; want one, or one per run with a kill between them", e.orderID, e.id, len(got), sinkRuns(got))
					break
				}
				dupsAt[got[i].Run+1]++
			}
			// A copy must be recognisable as one.
			for _, m := range got[1:] {
				if m.MessageID != got[0].MessageID {
					t.Errorf("order %s: e-mails of event %s have Message-IDs %q and %q, want the same", e.orderID, e.id, got[0].MessageID, m.MessageID)
				}
			}
		}
		tally.emails++
		if got[0].To != st.email[e.orderID] {
			t.Errorf("order %s: e-mail to %q, want the customer %q", e.orderID, got[0].To, st.email[e.orderID])
		}
		if status := st.inbox[e.id]; status != "sent" {
			t.Errorf("order %s: event %s is %q in the notification inbox, want sent", e.orderID, e.id, status)
		}
	}
	for kill, n := range dupsAt {
		if n > maxInFlightEmails {
			t.Errorf("kill %d: %d e-mails sent again, but at most %d can be in flight", kill, n, maxInFlightEmails)
		}
	}
	tally.duplicatesByKill = dupsAt
	for id := range copies {
		if orderEvents[id] {
			continue
		}
		if _, ok := st.inbox[id]; !ok {
			t.Errorf("e-mail of event %q at the sink, which the notification service never received", id)
		}
		tally.welcome++
	}

	// The catalog holds exactly the stock of the stored orders: each
	// product's stock is its seed minus what stored orders took, and no
	// reservation is left for an order that was never stored.
	taken := map[int64]int64{}
	for _, l := range st.orders {
		for p, q := range l {
			taken[p] += q
		}
	}
	for _, p := range slices.Sorted(maps.Keys(seed)) {
		if want := seed[p] - taken[p]; st.stock[p] != want {
			t.Errorf("product %d: stock %d, want %d (seed %d minus %d in stored orders)", p, st.stock[p], want, seed[p], taken[p])
		}
	}
	for id, held := range st.held {
		if want, ok := st.orders[id]; !ok {
			t.Errorf("orphan reservation: order %s holds %v but was never stored", id, held)
		} else if !maps.Equal(held, want) {
			t.Errorf("order %s: reservation holds %v, the order has %v", id, held, want)
		}
	}
	for id := range st.orders {
		if _, ok := st.held[id]; !ok {
			t.Errorf("order %s is stored but its reservation was released", id)
		}
	}
	if st.pendingNotes != 0 {
		t.Errorf("%d pending reservations left after reconciliation", st.pendingNotes)
	}
	return tally
}

func sinkRuns(ms []sunkMail) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Run)
	}
	return out
}
