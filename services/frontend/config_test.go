package frontend

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	d := DefaultConfig()
	require.Equal(t, 2<<20, d.BlobSizeLimitError)
	require.Equal(t, 1000, d.MaxIDLength)
	require.Equal(t, 128<<20, d.MaxMessageSize)
	require.Equal(t, 24*time.Hour, d.DefaultNamespaceRetention)
	require.NoError(t, d.Validate())
	require.Equal(t, d, Config{}.withDefaults(), "zero means default")
	require.NoError(t, Config{}.Validate())
	// Explicit values survive.
	c := Config{MaxIDLength: 10}.withDefaults()
	require.Equal(t, 10, c.MaxIDLength)
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{BlobSizeLimitError: -1}, "frontend config: BlobSizeLimitError must not be negative, got -1"},
		{Config{MaxIDLength: -5}, "MaxIDLength must not be negative"},
		{Config{KeepAliveMinTime: -time.Second}, "KeepAliveMinTime must not be negative"},
		{Config{MinNamespaceRetention: -time.Hour}, "MinNamespaceRetention must not be negative"},
		{Config{InitialFailoverVersion: -1}, "InitialFailoverVersion must not be negative"},
		{Config{BlobSizeLimitWarn: 3 << 20}, "BlobSizeLimitWarn (3145728) must not exceed BlobSizeLimitError (2097152)"},
		{Config{MemoSizeLimitWarn: 3 << 20}, "MemoSizeLimitWarn"},
		{Config{DefaultVisibilityPageSize: 5000}, "DefaultVisibilityPageSize (5000) must not exceed MaxVisibilityPageSize (1000)"},
		{Config{DefaultNamespacePageSize: 5000}, "DefaultNamespacePageSize"},
		{Config{MinNamespaceRetention: 48 * time.Hour}, "MinNamespaceRetention (48h0m0s) must not exceed DefaultNamespaceRetention (24h0m0s)"},
		{Config{BlobSizeLimitError: 200 << 20, BlobSizeLimitWarn: 1}, "BlobSizeLimitError (209715200) must not exceed MaxMessageSize (134217728)"},
	} {
		err := c.cfg.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), c.want)
	}
}
