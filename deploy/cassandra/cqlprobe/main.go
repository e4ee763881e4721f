// Command cqlprobe is a smoke test for a Cassandra node started by
// deploy/cassandra/cassandra.sh: it connects over CQL, creates a keyspace and
// a table, writes a row, and checks that lightweight transactions (Paxos)
// work, which Meridian's persistence relies on.
//
//	go run ./deploy/cassandra/cqlprobe -addr 127.0.0.1:9042
//
// It exits non-zero on the first failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9042", "host:port of the node's CQL endpoint")
	keyspace := flag.String("keyspace", "meridian_probe", "keyspace to create (replication factor 1)")
	keep := flag.Bool("keep", false, "keep the keyspace instead of dropping it at the end")
	timeout := flag.Duration("timeout", 20*time.Second, "per-request timeout")
	flag.Parse()

	if err := run(*addr, *keyspace, *keep, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "cqlprobe %s: FAIL: %v\n", *addr, err)
		os.Exit(1)
	}
}

func run(addr, keyspace string, keep bool, timeout time.Duration) error {
	host, portStr, ok := strings.Cut(addr, ":")
	if !ok {
		return fmt.Errorf("-addr must be host:port, got %q", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("bad port in %q: %w", addr, err)
	}

	cluster := gocql.NewCluster(host)
	cluster.Port = port
	cluster.Timeout = timeout
	cluster.ConnectTimeout = timeout
	cluster.Consistency = gocql.LocalQuorum
	cluster.SerialConsistency = gocql.LocalSerial
	// Single node on a non-default port: do not try to discover peers.
	cluster.DisableInitialHostLookup = true

	start := time.Now()
	session, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer session.Close()

	var release, clusterName string
	if err := session.Query(`SELECT release_version, cluster_name FROM system.local`).
		Scan(&release, &clusterName); err != nil {
		return fmt.Errorf("read system.local: %w", err)
	}
	fmt.Printf("cqlprobe %s: connected to cluster %q, Cassandra %s\n", addr, clusterName, release)

	stmts := []string{
		fmt.Sprintf(`CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`, keyspace),
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s.probe (id text PRIMARY KEY, value text, version int)`, keyspace),
		fmt.Sprintf(`TRUNCATE %s.probe`, keyspace),
	}
	for _, s := range stmts {
		if err := session.Query(s).Exec(); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}

	// Plain write + read.
	if err := session.Query(fmt.Sprintf(`INSERT INTO %s.probe (id, value, version) VALUES (?, ?, ?)`, keyspace),
		"plain", "hello", 1).Exec(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	var value string
	if err := session.Query(fmt.Sprintf(`SELECT value FROM %s.probe WHERE id = ?`, keyspace), "plain").Scan(&value); err != nil {
		return fmt.Errorf("select: %w", err)
	}
	if value != "hello" {
		return fmt.Errorf("select: got %q, want %q", value, "hello")
	}

	// Lightweight transactions: first INSERT IF NOT EXISTS applies, the second
	// must not, and a conditional UPDATE applies only on the right version.
	insertLWT := fmt.Sprintf(`INSERT INTO %s.probe (id, value, version) VALUES (?, ?, ?) IF NOT EXISTS`, keyspace)
	applied, err := session.Query(insertLWT, "lwt", "first", 1).MapScanCAS(map[string]interface{}{})
	if err != nil {
		return fmt.Errorf("LWT insert: %w", err)
	}
	if !applied {
		return errors.New("LWT insert IF NOT EXISTS on a fresh row was not applied")
	}
	existing := map[string]interface{}{}
	applied, err = session.Query(insertLWT, "lwt", "second", 2).MapScanCAS(existing)
	if err != nil {
		return fmt.Errorf("second LWT insert: %w", err)
	}
	if applied {
		return errors.New("second LWT insert IF NOT EXISTS was applied; Paxos is broken")
	}
	if existing["value"] != "first" {
		return fmt.Errorf("second LWT insert returned existing row %v, want value=first", existing)
	}
	updateLWT := fmt.Sprintf(`UPDATE %s.probe SET value = ?, version = ? WHERE id = ? IF version = ?`, keyspace)
	if applied, err = session.Query(updateLWT, "stale", 3, "lwt", 7).MapScanCAS(map[string]interface{}{}); err != nil {
		return fmt.Errorf("LWT update (stale): %w", err)
	} else if applied {
		return errors.New("LWT update with a wrong expected version was applied")
	}
	if applied, err = session.Query(updateLWT, "updated", 2, "lwt", 1).MapScanCAS(map[string]interface{}{}); err != nil {
		return fmt.Errorf("LWT update: %w", err)
	} else if !applied {
		return errors.New("LWT update with the right expected version was not applied")
	}
	var version int
	if err := session.Query(fmt.Sprintf(`SELECT value, version FROM %s.probe WHERE id = ?`, keyspace), "lwt").
		Consistency(gocql.Consistency(gocql.Serial)).Scan(&value, &version); err != nil {
		return fmt.Errorf("serial read: %w", err)
	}
	if value != "updated" || version != 2 {
		return fmt.Errorf("serial read: got (%q, %d), want (\"updated\", 2)", value, version)
	}

	if !keep {
		if err := session.Query(fmt.Sprintf(`DROP KEYSPACE %s`, keyspace)).Exec(); err != nil {
			return fmt.Errorf("drop keyspace: %w", err)
		}
	}
	fmt.Printf("cqlprobe %s: OK (keyspace, table, write, read, LWT insert/update, serial read) in %s\n",
		addr, time.Since(start).Round(time.Millisecond))
	return nil
}
