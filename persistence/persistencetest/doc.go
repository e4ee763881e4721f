// Package persistencetest is the conformance suite every persistence backend
// must pass (embedded, Cassandra, ...). It uses only the interfaces in
// package persistence, never a backend's internals.
//
// A backend's test calls RunConformance with a factory for its stores:
//
//	func TestConformance(t *testing.T) {
//		persistencetest.RunConformance(t, func(t *testing.T) *persistence.Stores {
//			s, err := embedded.Open(t.TempDir(), embedded.Options{})
//			require.NoError(t, err)
//			t.Cleanup(func() { require.NoError(t, s.Close()) })
//			return s
//		})
//	}
//
// The suite calls the factory once per store group. Every case uses IDs that
// are random per run (shards, namespaces, workflows, queues, clusters), so
// the stores need not be empty and may be shared between calls, e.g. one
// Cassandra keyspace for the whole run. The factory owns cleanup; the suite
// never calls Stores.Close.
//
// What the suite pins down where the contract in package persistence leaves
// room:
//   - ReadHistoryBranchRequest.PageSize counts events: a page holds whole
//     batches while their events fit, and at least one batch.
//   - Reading history returns ReadHistoryBranchResponse.Size equal to the
//     sum of the sizes AppendHistoryNodes returned for the batches read.
//   - The default visibility order breaks start-time ties by run ID
//     ascending.
//
// BenchState is the run every backend's benchmarks write, so that their
// numbers compare.
package persistencetest
