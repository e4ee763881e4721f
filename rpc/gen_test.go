package rpc

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/rpc/internal/rpcgen"
)

// The committed adapters_gen.go is what the generator writes from the
// current service descriptors; run `go generate ./rpc/` when this fails.
func TestGeneratedAdaptersAreCurrent(t *testing.T) {
	want, err := rpcgen.Generate()
	require.NoError(t, err)
	got, err := os.ReadFile("adapters_gen.go")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "adapters_gen.go is stale: run go generate ./rpc/")
}
