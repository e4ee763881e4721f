package rpc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPool(t *testing.T) {
	p := newTestPool(t, ClientConfig{})
	a1, err := p.Conn("127.0.0.1:7001")
	require.NoError(t, err)
	a2, err := p.Conn("127.0.0.1:7001")
	require.NoError(t, err)
	require.Same(t, a1, a2, "one connection per address")
	b, err := p.Conn("127.0.0.1:7002")
	require.NoError(t, err)
	require.NotSame(t, a1, b)

	p.Forget("127.0.0.1:7001")
	a3, err := p.Conn("127.0.0.1:7001")
	require.NoError(t, err)
	require.NotSame(t, a1, a3, "a forgotten address is dialed again")
	p.Forget("127.0.0.1:9999") // unknown: no-op

	require.NoError(t, p.Close())
	_, err = p.Conn("127.0.0.1:7001")
	require.ErrorIs(t, err, ErrPoolClosed)
}

func TestPoolRejectsBadConfig(t *testing.T) {
	_, err := NewPool(ClientConfig{KeepAliveTime: -1})
	require.ErrorContains(t, err, "KeepAliveTime")
}
