package rpc

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dependencies point one way: services import rpc, rpc never imports
// services (its other imports are leaves that never do either).
func TestDoesNotImportServices(t *testing.T) {
	for _, dir := range []string{".", "internal/rpcgen", "internal/rpcgen/cmd/rpcgen"} {
		pkg, err := build.ImportDir(dir, 0)
		require.NoError(t, err)
		for _, imp := range pkg.Imports {
			require.False(t, strings.HasPrefix(imp, "github.com/meridian-dev/meridian/services"),
				"%s imports %s", dir, imp)
		}
	}
}
