package rpc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	require.NoError(t, ClientConfig{}.Validate())
	require.NoError(t, ServerConfig{}.Validate())
	require.NoError(t, RouterConfig{}.Validate())
	require.NoError(t, DefaultRouterConfig().Validate())

	for _, tc := range []struct {
		err   error
		field string
	}{
		{ClientConfig{MaxMessageSize: -1}.Validate(), "MaxMessageSize"},
		{ClientConfig{KeepAliveTimeout: -time.Second}.Validate(), "KeepAliveTimeout"},
		{ServerConfig{KeepAliveMinTime: -time.Second}.Validate(), "KeepAliveMinTime"},
		{ServerConfig{KeepAliveTime: -time.Second}.Validate(), "KeepAliveTime"},
		{RouterConfig{MaxRetryDuration: -time.Second}.Validate(), "MaxRetryDuration"},
		{RouterConfig{InitialBackoff: time.Second}.Validate(), "InitialBackoff"}, // above the 500ms MaxBackoff
	} {
		require.ErrorContains(t, tc.err, tc.field)
	}
}
