package persistencetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func testClusterMetadata(t *testing.T, s *persistence.Stores) {
	t.Run("SaveConditionalOnVersion", func(t *testing.T) {
		name := newID("cluster")
		_, err := s.ClusterMetadata.GetClusterMetadata(t.Context(), name)
		require.ErrorIs(t, err, persistence.ErrNotFound)

		// The first save must be version 1.
		v2 := &persistencepb.ClusterMetadata{ClusterName: name, ClusterId: "id", HistoryShardCount: 4, Version: 2}
		require.ErrorIs(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), v2), persistence.ErrConditionFailed)
		_, err = s.ClusterMetadata.GetClusterMetadata(t.Context(), name)
		require.ErrorIs(t, err, persistence.ErrNotFound)

		v1 := &persistencepb.ClusterMetadata{
			ClusterName:              name,
			ClusterId:                newID("id"),
			HistoryShardCount:        4,
			InitialFailoverVersion:   1,
			FailoverVersionIncrement: 10,
			Version:                  1,
		}
		require.NoError(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), v1))
		got, err := s.ClusterMetadata.GetClusterMetadata(t.Context(), name)
		require.NoError(t, err)
		requireProtoEqual(t, v1, got)

		// A second "first" save loses.
		again := proto.Clone(v1).(*persistencepb.ClusterMetadata)
		again.HistoryShardCount = 8
		require.ErrorIs(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), again), persistence.ErrConditionFailed)

		v2 = proto.Clone(v1).(*persistencepb.ClusterMetadata)
		v2.IsGlobalNamespaceEnabled = true
		v2.Version = 2
		require.NoError(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), v2))
		stale := proto.Clone(v2).(*persistencepb.ClusterMetadata)
		stale.HistoryShardCount = 16
		require.ErrorIs(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), stale), persistence.ErrConditionFailed)
		got, err = s.ClusterMetadata.GetClusterMetadata(t.Context(), name)
		require.NoError(t, err)
		requireProtoEqual(t, v2, got)
	})

	t.Run("ClustersAreIndependent", func(t *testing.T) {
		a, b := newID("cluster"), newID("cluster")
		require.NoError(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), &persistencepb.ClusterMetadata{ClusterName: a, Version: 1}))
		require.NoError(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), &persistencepb.ClusterMetadata{ClusterName: b, Version: 1, HistoryShardCount: 2}))
		got, err := s.ClusterMetadata.GetClusterMetadata(t.Context(), a)
		require.NoError(t, err)
		require.Equal(t, int32(0), got.HistoryShardCount)
	})
}
