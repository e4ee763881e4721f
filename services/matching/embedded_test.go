package matching

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
)

// The backend-parametrised tests also run against the embedded store, on
// disk and in memory.
func init() {
	storeBackends = append(storeBackends,
		storeBackend{name: "embedded", open: func(t *testing.T) persistence.TaskStore {
			return openEmbedded(t, t.TempDir(), embedded.Options{})
		}},
		storeBackend{name: "embedded-inmemory", open: func(t *testing.T) persistence.TaskStore {
			return openEmbedded(t, "", embedded.Options{InMemory: true})
		}},
	)
}

func openEmbedded(t *testing.T, dir string, opts embedded.Options) persistence.TaskStore {
	t.Helper()
	stores, err := embedded.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stores.Close()) })
	return stores.Task
}
