package rpc

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/ring"
)

type ringsByRole map[string]*ring.Ring

func (r ringsByRole) Ring(role string) *ring.Ring { return r[role] }

func TestRingOwners(t *testing.T) {
	members := []ring.Member{
		{Name: "node-a", Addr: "10.0.0.1:7234"},
		{Name: "node-b", Addr: "10.0.0.2:7234"},
		{Name: "node-c", Addr: "10.0.0.3:7234"},
	}
	hr, err := ring.NewRing(ring.DefaultRingConfig(), members)
	require.NoError(t, err)
	empty, err := ring.NewRing(ring.DefaultRingConfig(), nil)
	require.NoError(t, err)
	src := ringsByRole{"history": hr, "matching": empty}

	owners := NewRingOwners(src, "history")
	for id := int32(1); id <= 64; id++ {
		m, ok := hr.ShardOwner(id)
		require.True(t, ok)
		addr, err := owners.OwnerOf(id)
		require.NoError(t, err)
		require.Equal(t, m.Addr, addr, "shard %d", id)
	}
	key := ring.TaskQueuePartitionKey("ns", "tq", 1, 0)
	m, _ := hr.Lookup(key)
	addr, err := owners.OwnerOfPartition(key)
	require.NoError(t, err)
	require.Equal(t, m.Addr, addr)

	_, err = NewRingOwners(src, "matching").OwnerOfPartition(key)
	require.ErrorIs(t, err, ErrNoOwner)
	_, err = NewRingOwners(src, "worker").OwnerOf(1) // no ring at all
	require.ErrorIs(t, err, ErrNoOwner)
}
