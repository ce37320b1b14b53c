package replication

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/config"
	"github.com/shoplab/shoplab/internal/events"
	"github.com/shoplab/shoplab/internal/server"
	"github.com/shoplab/shoplab/internal/telemetry"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
	"github.com/shoplab/shoplab/services/catalog"
)

// Timeouts are generous: six race-instrumented processes, a broker
// cluster and PostgreSQL share a loaded 2-core machine. None is a
// measure of speed.
const (
	startTimeout = 2 * time.Minute
	stepTimeout  = 4 * time.Minute
	// settleTimeout covers the e-mails a killed notification replica had
	// claimed: their lease (send timeout 30 s + 1 min) runs out before
	// another replica sends them.
	settleTimeout = 6 * time.Minute
)

const (
	replicas = 3
	// The load: the orders after which a replica of each service is
	// killed, after which a broker node leaves, and in all.
	killAfter, removeBrokerAfter, totalOrders = 25, 50, 90
	workers                                   = 4
)

// TestReplicasSurviveAKilledReplicaAndALostBroker: three replicas each of
// orders and notification share one PostgreSQL database per service and
// a three-node Kafka cluster. While checkouts stream in, one replica of
// each is killed (SIGKILL: no drain, no leaving the group) and the node
// coordinating notification's consumer group leaves the cluster. When the
// dust settles every order the database accepted has exactly one outbox
// event and exactly one e-mail (one row in notification's store, one
// message at the mail server, unless a killed replica's send was cut
// after the server took it: then the copy carries the same Message-ID),
// every order a client saw accepted is among them, and the catalog's
// stock is its initial stock minus what these orders bought.
func TestReplicasSurviveAKilledReplicaAndALostBroker(t *testing.T) {
	ordersDB := testkit.PostgresSource(t)
	notificationDB := testkit.PostgresSource(t)
	b, err := broker.Start(broker.Options{Nodes: 3, Partitions: replicas})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	sink := testkit.StartSMTP(t, testkit.SMTPBehaviour{})
	catalogAddr := startCatalog(t, b.Addrs())
	products := newCatalogClient(t, catalogAddr)
	initial := stock(t, products)

	common := map[string]string{
		"KAFKA_BROKERS": strings.Join(b.Addrs(), ","), "KAFKA_PARTITIONS": strconv.Itoa(replicas),
		"SHOPLAB_FAULTS": "off", "OTEL_TRACES_EXPORTER": "none", "SHOPLAB_SHUTDOWN_TIMEOUT": "5s",
	}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for _, m := range []map[string]string{common, extra} {
			for k, v := range m {
				env[k] = v
			}
		}
		return env
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(sink.Addr())
	var ordersReplicas, notificationReplicas []*replica
	for i := range replicas {
		ordersReplicas = append(ordersReplicas, startReplica(t, topology.Orders, fmt.Sprintf("orders-%d", i), with(map[string]string{
			"ORDERS_DATABASE_URL": ordersDB.URL, "CATALOG_ADDR": catalogAddr,
			// Short, so that the stock a killed replica had reserved for
			// an order it never stored comes back within the test.
			"ORDERS_RESERVATION_TIMEOUT": "15s", "ORDERS_RECONCILE_INTERVAL": "1s",
		})))
		notificationReplicas = append(notificationReplicas, startReplica(t, topology.Notification, fmt.Sprintf("notification-%d", i), with(map[string]string{
			"NOTIFICATION_DATABASE_URL": notificationDB.URL, "SMTP_HOST": smtpHost, "SMTP_PORT": smtpPort,
			// The envelope sender says which replica sent an e-mail.
			"SMTP_FROM": fmt.Sprintf("ShopEase <notification-%d@shopease.test>", i),
		})))
	}
	ctx, cancel := context.WithTimeout(t.Context(), stepTimeout)
	err = b.WaitGroupMembers(ctx, "notification", replicas)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	// Each service uses the shared database, not a file of its own.
	orders := openPostgres(t, ordersDB.URL)
	notifications := openPostgres(t, notificationDB.URL)
	for db, table := range map[*sql.DB]string{orders: "orders", notifications: "processed_events"} {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("the replicas' shared PostgreSQL database has no %s table (%v): the service does not keep its state in its <SERVICE>_DATABASE_URL", table, err)
		}
	}

	load := startLoad(t, ordersReplicas)
	waitPlaced(t, load, killAfter)
	ordersReplicas[0].kill()
	load.drop(ordersReplicas[0].grpcAddr)
	notificationReplicas[0].kill()
	t.Logf("killed %s and %s after %d orders", ordersReplicas[0].name, notificationReplicas[0].name, load.placed.Load())

	waitPlaced(t, load, removeBrokerAfter)
	node := b.Coordinator("notification")
	if err := b.RemoveNode(node); err != nil {
		t.Fatal(err)
	}
	t.Logf("removed broker node %d (notification's group coordinator) after %d orders", node, load.placed.Load())
	waitPlaced(t, load, totalOrders)
	acceptedByClient := load.stop()

	// The orders the database accepted: a killed replica may have stored
	// an order whose answer never reached the client.
	accepted := queryStrings(t, orders, `SELECT id FROM orders`)
	acceptedSet := map[string]bool{}
	for _, id := range accepted {
		acceptedSet[id] = true
	}
	for _, id := range acceptedByClient {
		if !acceptedSet[id] {
			t.Errorf("order %s was confirmed to the client but is not stored", id)
		}
	}
	t.Logf("%d orders stored, %d confirmed to clients, %d checkouts failed", len(accepted), len(acceptedByClient), load.failed.Load())

	// Exactly one outbox event per accepted order, and none for others.
	eventOf := map[string]string{} // order ID -> event ID
	for _, payload := range queryStrings(t, orders, `SELECT payload FROM outbox WHERE topic = '`+events.TopicOrderPlaced+`'`) {
		env, err := events.DecodeEnvelope([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		var d events.OrderPlaced
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		if prev, ok := eventOf[d.OrderID]; ok {
			t.Errorf("order %s has two outbox events: %s and %s", d.OrderID, prev, env.ID)
		}
		eventOf[d.OrderID] = env.ID
	}
	for _, id := range accepted {
		if _, ok := eventOf[id]; !ok {
			t.Errorf("order %s has no outbox event", id)
		}
	}
	if len(eventOf) != len(accepted) {
		t.Errorf("%d outbox events for %d orders", len(eventOf), len(accepted))
	}

	// Every event's e-mail is sent, once, by the replicas left.
	testkit.WaitFor(t, settleTimeout, "every order's e-mail sent", func() error {
		sent := map[string]bool{}
		for _, id := range queryStrings(t, notifications, `SELECT event_id FROM processed_events WHERE status = 'sent'`) {
			sent[id] = true
		}
		missing := 0
		for _, ev := range eventOf {
			if !sent[ev] {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d order e-mails not sent yet", missing, len(eventOf))
		}
		return nil
	})
	var rows int
	if err := notifications.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM processed_events WHERE topic = $1`, events.TopicOrderPlaced).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(eventOf) {
		t.Errorf("notification's store has %d order e-mails, want %d: one per event", rows, len(eventOf))
	}
	checkMailbox(t, sink, eventOf, notificationReplicas[0])
	checkConsumerSignals(t, notificationReplicas[1:])

	// The stock: what the stored orders bought is gone, the rest (stock a
	// killed replica reserved for an order it never stored) is back.
	waitStockMatchesOrders(t, orders, products, initial)
}

// waitStockMatchesOrders waits until the catalog's stock is initial minus
// what the orders stored in orders bought, and returns the units sold.
func waitStockMatchesOrders(t *testing.T, orders *sql.DB, products shopv1.CatalogServiceClient, initial map[int64]int64) int64 {
	t.Helper()
	sold := map[int64]int64{}
	var total int64
	lines, err := orders.QueryContext(t.Context(), `SELECT product_id, quantity FROM order_lines`)
	if err != nil {
		t.Fatal(err)
	}
	defer lines.Close()
	for lines.Next() {
		var p, q int64
		if err := lines.Scan(&p, &q); err != nil {
			t.Fatal(err)
		}
		sold[p] += q
		total += q
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, stepTimeout, "the stock at its initial level minus what was sold", func() error {
		now := stock(t, products)
		for id, s := range initial {
			if want := s - sold[id]; now[id] != want {
				return fmt.Errorf("product %d: stock %d, want %d - %d = %d", id, now[id], s, sold[id], want)
			}
		}
		return nil
	})
	return total
}

// checkMailbox: each order's e-mail reached the mail server, and only once
// unless the killed replica's send was cut after the server took it and
// before the replica recorded it; the copy then has the same Message-ID,
// which mail clients fold into one.
func checkMailbox(t *testing.T, sink *testkit.SMTPServer, eventOf map[string]string, killed *replica) {
	t.Helper()
	killedFrom := killed.name + "@shopease.test"
	byEvent := map[string][]received{}
	for _, m := range mails(sink) {
		byEvent[m.eventID] = append(byEvent[m.eventID], m)
	}
	dups := 0
	for order, ev := range eventOf {
		got := byEvent[ev]
		switch {
		case len(got) == 0:
			t.Errorf("order %s: no e-mail at the mail server", order)
		case len(got) > 1:
			dups++
			fromKilled := false
			for _, m := range got {
				fromKilled = fromKilled || m.from == killedFrom
				if m.messageID != got[0].messageID {
					t.Errorf("order %s: copies with Message-IDs %s and %s", order, got[0].messageID, m.messageID)
				}
			}
			if !fromKilled || len(got) > 2 {
				t.Errorf("order %s: %d e-mails, from %v; a second copy is only allowed after the killed replica's cut send", order, len(got), got)
			}
		}
	}
	t.Logf("mail server: %d e-mails for %d orders (%d resent after the kill)", len(mails(sink)), len(eventOf), dups)
}

// checkConsumerSignals: on every surviving notification replica the lag
// of each of order.placed's partitions comes back to 0 (every replica
// reports every partition of the group), and the rebalances and
// redeliveries the kill and the lost broker caused are counted.
func checkConsumerSignals(t *testing.T, survivors []*replica) {
	t.Helper()
	group := map[string]string{"group": "notification"}
	var rebalances, duplicates float64
	for _, r := range survivors {
		metrics := testkit.Scrape("http://" + r.httpAddr + "/metrics")
		testkit.WaitFor(t, stepTimeout, r.name+"'s lag back to 0 on each partition", func() error {
			series := testkit.MetricSeries(t, metrics, "shoplab_kafka_consumer_lag", map[string]string{"group": "notification", "topic": events.TopicOrderPlaced})
			lag := map[string]float64{}
			for _, m := range series {
				for _, l := range m.GetLabel() {
					if l.GetName() == "partition" {
						lag[l.GetValue()] = m.GetGauge().GetValue()
					}
				}
			}
			if len(lag) != replicas || lag["0"]+lag["1"]+lag["2"] != 0 {
				return fmt.Errorf("lag by partition %v", lag)
			}
			return nil
		})
		rebalances += testkit.MetricValue(t, metrics, "shoplab_kafka_consumer_rebalances_total", group)
		duplicates += testkit.MetricValue(t, metrics, "shoplab_notification_duplicates_total", nil)
	}
	if rebalances < float64(len(survivors)) {
		t.Errorf("the survivors counted %v rebalances; the kill alone made one each", rebalances)
	}
	t.Logf("surviving notification replicas: %v rebalances, %v duplicate deliveries absorbed", rebalances, duplicates)
}

// load places orders on the live orders replicas from a few workers.
type load struct {
	placed, failed atomic.Int64
	mu             sync.Mutex
	live           []shopv1.OrdersServiceClient
	addrs          []string
	ids            []string
	stopped        atomic.Bool
	wg             sync.WaitGroup
}

func startLoad(t *testing.T, rs []*replica) *load {
	t.Helper()
	l := &load{}
	for _, r := range rs {
		conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		l.live = append(l.live, shopv1.NewOrdersServiceClient(conn))
		l.addrs = append(l.addrs, r.grpcAddr)
	}
	for w := range workers {
		l.wg.Go(func() { l.work(w) })
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// work places orders until the load stops. A stop lets the checkout in
// progress finish: cancelling it would test what a client that hangs up
// mid-checkout does to the stock, which is not this test's subject.
func (l *load) work(w int) {
	rng := rand.New(rand.NewPCG(uint64(w), 19))
	for n := 0; !l.stopped.Load(); n++ {
		l.mu.Lock()
		c := l.live[(w+n)%len(l.live)]
		l.mu.Unlock()
		req := &shopv1.PlaceOrderRequest{
			UserId: fmt.Sprintf("user-%d", w), Email: fmt.Sprintf("user-%d@example.com", w),
			Lines: []*shopv1.StockLine{{ProductId: 1 + rng.Int64N(12), Quantity: 1 + rng.Int64N(2)}},
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		o, err := c.PlaceOrder(ctx, req)
		cancel()
		if err != nil {
			l.failed.Add(1)
			continue
		}
		l.mu.Lock()
		l.ids = append(l.ids, o.GetId())
		l.mu.Unlock()
		l.placed.Add(1)
	}
}

// drop takes the replica at addr out of the rotation.
func (l *load) drop(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, a := range l.addrs {
		if a == addr {
			l.addrs = append(l.addrs[:i:i], l.addrs[i+1:]...)
			l.live = append(l.live[:i:i], l.live[i+1:]...)
			return
		}
	}
}

// stop ends the load and returns the IDs of the orders confirmed to it.
func (l *load) stop() []string {
	l.stopped.Store(true)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

func waitPlaced(t *testing.T, l *load, n int64) {
	t.Helper()
	testkit.WaitFor(t, stepTimeout, fmt.Sprintf("%d orders placed", n), func() error {
		if got := l.placed.Load(); got < n {
			return fmt.Errorf("%d placed, %d failed", got, l.failed.Load())
		}
		return nil
	})
}

// startCatalog runs one catalog, on SQLite: the test is about the
// replicated services.
func startCatalog(t *testing.T, brokers []string) string {
	t.Helper()
	env := map[string]string{"SHOPLAB_DATA_DIR": t.TempDir(), "SHOPLAB_FAULTS": "off"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: topology.Catalog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := catalog.Build(t.Context(), server.Deps{Config: cfg, Telemetry: tel, HTTP: httpLn, GRPC: grpcLn, Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := u.Run(ctx); err != nil {
			t.Errorf("catalog: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return grpcLn.Addr().String()
}

func newCatalogClient(t *testing.T, addr string) shopv1.CatalogServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return shopv1.NewCatalogServiceClient(conn)
}

// stock returns every product's stock by ID.
func stock(t *testing.T, c shopv1.CatalogServiceClient) map[int64]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := c.ListProducts(ctx, &shopv1.ListProductsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, p := range res.GetProducts() {
		out[p.GetId()] = p.GetStock()
	}
	if len(out) == 0 {
		t.Fatal("the catalog lists no products")
	}
	return out
}

func openPostgres(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queryStrings runs a query of one text column.
func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v (does the service use its <SERVICE>_DATABASE_URL?)", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
