package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplab/shoplab/internal/testkit"
)

// crashKill is one SIGKILL of the crash test. It comes once the run has
// confirmed afterOrders orders and, when set, the notification inbox holds
// at least unsent e-mails and the broker at least unconsumed events that
// the inbox has not stored yet.
type crashKill struct {
	name string
	// slowSMTP is how long the mail server takes per e-mail in this run.
	slowSMTP time.Duration
	// stallInbox holds the notification database's write lock from the
	// test, as a stalled disk would, so that the consumer cannot store
	// events and they pile up in the broker.
	stallInbox  bool
	afterOrders int
	unsent      int
	unconsumed  int
}

// TestCrashConsistency streams checkouts through the real binary and
// kills it (SIGKILL: no flush, no commit, no close) four times: mid-stream,
// while the mail server is slow and e-mails wait in the notification
// inbox, right after a restart, and while notification's database is
// stalled and events wait in the broker. Every restart reuses the data
// directory, the embedded broker's log included. Once the stream stops and
// the lab is quiet it is stopped cleanly, and its databases are checked
// against what the clients and the mail server saw: every confirmed order
// stored once, one relayed event per order, one e-mail per event (a further
// copy only across a kill), stock and reservations matching the stored
// orders.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it mid-stream")
	}
	began := time.Now()
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	bin := buildShoplab(t, dir)
	sink := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	env := append(labEnv(t, dir), mailEnv(sink)...)
	// Short enough that the reservations of orders a kill cut short are
	// released while the test waits; long enough for a placement on a
	// loaded machine.
	env = append(env, "ORDERS_RESERVATION_TIMEOUT=3s", "ORDERS_RECONCILE_INTERVAL=250ms")
	api := newShopAPI("http://127.0.0.1:" + envValue(env, "GATEWAY_HTTP_PORT"))

	lab := startLab(t, bin, env)
	seed := api.stock(t)
	// Only well-stocked products, so that the stream never runs out.
	products := productsWithStock(seed, 200)
	if len(products) == 0 {
		t.Fatalf("no product has 200 units in stock: %v", seed)
	}
	stream := startCheckouts(api, api.signUp(t, 8), products, 50*time.Millisecond)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stream.stop()
		}
	})

	plan := []crashKill{
		{name: "mid-stream", afterOrders: 100},
		{name: "SMTP slow", slowSMTP: 500 * time.Millisecond, afterOrders: 40, unsent: 20},
		{name: "right after a restart", afterOrders: 10},
		{name: "inbox stalled", stallInbox: true, afterOrders: 10, unconsumed: 30},
	}
	for i, k := range plan {
		sink.SetDelay(k.slowSMTP)
		release := func() {}
		if k.stallInbox {
			release = stallInbox(t, dataDir)
		}
		from := stream.ackedCount()
		var st shopState
		testkit.WaitFor(t, time.Minute, fmt.Sprintf("kill %d (%s): %+v", i+1, k.name, k), func() bool {
			if stream.ackedCount()-from < k.afterOrders {
				return false
			}
			st = readStateOnce(t, dataDir)
			return st.unsent() >= k.unsent && st.unconsumed() >= k.unconsumed
		})
		at := time.Since(lab.ready)
		lab.kill(t)
		release()
		t.Logf("kill %d (%s): %s after the lab was ready, %d orders confirmed in this run; %d e-mails unsent, %d events unconsumed",
			i+1, k.name, at.Round(time.Millisecond), stream.ackedCount()-from, st.unsent(), st.unconsumed())
		sink.SetDelay(0)
		sink.NextRun(t)
		lab = startLab(t, bin, env)
	}

	from := stream.ackedCount()
	testkit.WaitFor(t, time.Minute, "50 orders after the last restart", func() bool { return stream.ackedCount()-from >= 50 })
	stream.stop()
	stopped = true
	quietSince := time.Now()
	testkit.WaitFor(t, time.Minute, "the shop to go quiet", func() error {
		return readStateOnce(t, dataDir).busy(receivedMails(sink))
	})
	t.Logf("quiet %s after the checkouts stopped", time.Since(quietSince).Round(time.Millisecond))
	lab.stop(t)

	tally := checkCrashInvariants(t, seed, stream, readStateOnce(t, dataDir), receivedMails(sink))
	t.Logf("%d kills; orders: %d confirmed, %d stored (%d stored without a confirmation), %d unanswered requests, refused %v; "+
		"events: %d; e-mails: %d order confirmations, %d duplicates (by kill: %v), %d welcome; %s in all",
		len(plan), tally.acked, tally.stored, tally.storedUnacked, tally.unanswered, tally.refused,
		tally.events, tally.emails, tally.duplicates, tally.duplicatesByKill, tally.welcome, time.Since(began).Round(time.Second))
}

// readStateOnce reads the databases through connections it closes again,
// so that none outlives a run of the lab.
func readStateOnce(t *testing.T, dataDir string) shopState {
	t.Helper()
	dbs := make([]*sql.DB, 3)
	for i, name := range []string{"orders", "catalog", "notification"} {
		dbs[i] = openDB(t, dataDir, name)
		defer dbs[i].Close()
	}
	return readState(t, dbs[0], dbs[1], dbs[2])
}

// envValue is the last value of key in env, as exec uses it.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
