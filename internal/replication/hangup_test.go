package replication

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/shoplab/shoplab/internal/broker"
	"github.com/shoplab/shoplab/internal/testkit"
	"github.com/shoplab/shoplab/internal/topology"
	shopv1 "github.com/shoplab/shoplab/proto/shop/v1"
)

// TestClientsHangingUpMidCheckoutLeaveTheStockExact: clients that give up
// on a checkout at any moment (a deadline of a few milliseconds) leave
// the stock at its initial level minus what the stored orders bought. A
// cancellation that lands while the order's transaction commits makes the
// outcome unknown to orders: the order may be stored, and releasing its
// stock then would sell it twice.
func TestClientsHangingUpMidCheckoutLeaveTheStockExact(t *testing.T) {
	ordersDB := testkit.PostgresSource(t)
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	catalogAddr := startCatalog(t, b.Addrs())
	products := newCatalogClient(t, catalogAddr)
	initial := stock(t, products)
	r := startReplica(t, topology.Orders, "orders-0", map[string]string{
		"KAFKA_BROKERS": strings.Join(b.Addrs(), ","), "SHOPLAB_FAULTS": "off", "OTEL_TRACES_EXPORTER": "none",
		"ORDERS_DATABASE_URL": ordersDB.URL, "CATALOG_ADDR": catalogAddr,
		"ORDERS_RESERVATION_TIMEOUT": "15s", "ORDERS_RECONCILE_INTERVAL": "1s",
	})
	conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := shopv1.NewOrdersServiceClient(conn)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				// Deadlines from 1 to 200 ms, in half-millisecond steps:
				// some land before the reservation, some during it, some
				// during the commit.
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1000+i*2000+w*500)*time.Microsecond)
				client.PlaceOrder(ctx, &shopv1.PlaceOrderRequest{UserId: fmt.Sprint("u", w), Email: "u@example.com",
					Lines: []*shopv1.StockLine{{ProductId: int64(1 + (i+w)%12), Quantity: 1}}})
				cancel()
			}
		})
	}
	wg.Wait()
	orders := openPostgres(t, ordersDB.URL)
	t.Logf("%d units sold by stored orders", waitStockMatchesOrders(t, orders, products, initial))
}
