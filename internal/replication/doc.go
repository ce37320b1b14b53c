// Package replication holds the scale-out test of the shop (it has no
// code of its own): three replicas each of orders and notification, as
// separate processes, on one PostgreSQL server and a three-node embedded
// Kafka cluster, with one replica of each killed (SIGKILL) and one broker
// node removed while checkouts stream in. Afterwards every accepted
// order has exactly one outbox event and one e-mail, and the catalog's
// stock is exact.
//
// It is a package of its own, not a case of internal/labharness: the
// harness runs the lab (one instance of each service in one process, as
// a learner does), while this test needs several instances of two
// services sharing their databases, in processes it can kill, and a
// broker cluster it can take a node from. The replicas are this test
// binary run again (TestMain), so the test needs no other build.
//
// It needs PostgreSQL (testkit.PostgresSource): without one it skips on
// a developer's machine and fails under CI=true.
package replication
