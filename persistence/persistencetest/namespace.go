package persistencetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func newNamespace(name string) *persistencepb.NamespaceDetail {
	return &persistencepb.NamespaceDetail{
		Info: &namespacepb.NamespaceInfo{
			Id:          newID("nsid"),
			Name:        name,
			State:       enumspb.NAMESPACE_STATE_REGISTERED,
			Description: "conformance",
			Data:        map[string]string{"k": "v"},
		},
		Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(72 * 3600e9)},
		ReplicationConfig: &replicationpb.NamespaceReplicationConfig{
			ActiveClusterName: "active",
			Clusters:          []*replicationpb.ClusterReplicationConfig{{ClusterName: "active"}},
		},
		ConfigVersion:   1,
		FailoverVersion: 1,
	}
}

func testNamespace(t *testing.T, s *persistence.Stores) {
	t.Run("CreateAndGet", func(t *testing.T) {
		ns := newNamespace(newID("name"))
		require.NoError(t, s.Namespace.CreateNamespace(t.Context(), ns))
		got, err := s.Namespace.GetNamespaceByID(t.Context(), ns.Info.Id)
		require.NoError(t, err)
		requireProtoEqual(t, ns, got)
		got, err = s.Namespace.GetNamespaceByName(t.Context(), ns.Info.Name)
		require.NoError(t, err)
		requireProtoEqual(t, ns, got)

		_, err = s.Namespace.GetNamespaceByID(t.Context(), newID("nsid"))
		require.ErrorIs(t, err, persistence.ErrNotFound)
		_, err = s.Namespace.GetNamespaceByName(t.Context(), newID("name"))
		require.ErrorIs(t, err, persistence.ErrNotFound)
	})

	t.Run("NameAndIDAreUnique", func(t *testing.T) {
		ns := newNamespace(newID("name"))
		require.NoError(t, s.Namespace.CreateNamespace(t.Context(), ns))

		sameName := newNamespace(ns.Info.Name)
		require.ErrorIs(t, s.Namespace.CreateNamespace(t.Context(), sameName), persistence.ErrAlreadyExists)
		_, err := s.Namespace.GetNamespaceByID(t.Context(), sameName.Info.Id)
		require.ErrorIs(t, err, persistence.ErrNotFound)

		sameID := newNamespace(newID("name"))
		sameID.Info.Id = ns.Info.Id
		require.ErrorIs(t, s.Namespace.CreateNamespace(t.Context(), sameID), persistence.ErrAlreadyExists)
		_, err = s.Namespace.GetNamespaceByName(t.Context(), sameID.Info.Name)
		require.ErrorIs(t, err, persistence.ErrNotFound)

		got, err := s.Namespace.GetNamespaceByName(t.Context(), ns.Info.Name)
		require.NoError(t, err)
		requireProtoEqual(t, ns, got)
	})

	t.Run("UpdateConditionalOnConfigVersion", func(t *testing.T) {
		ns := newNamespace(newID("name"))
		require.NoError(t, s.Namespace.CreateNamespace(t.Context(), ns))

		v2 := proto.Clone(ns).(*persistencepb.NamespaceDetail)
		v2.ConfigVersion = 2
		v2.Info.Description = "second"
		v2.FailoverVersion = 11
		require.NoError(t, s.Namespace.UpdateNamespace(t.Context(), v2))
		got, err := s.Namespace.GetNamespaceByName(t.Context(), ns.Info.Name)
		require.NoError(t, err)
		requireProtoEqual(t, v2, got)

		for _, version := range []int64{2, 4} {
			bad := proto.Clone(v2).(*persistencepb.NamespaceDetail)
			bad.ConfigVersion = version
			bad.Info.Description = "lost"
			require.ErrorIs(t, s.Namespace.UpdateNamespace(t.Context(), bad), persistence.ErrConditionFailed, "version %d", version)
		}
		got, err = s.Namespace.GetNamespaceByID(t.Context(), ns.Info.Id)
		require.NoError(t, err)
		requireProtoEqual(t, v2, got)

		missing := newNamespace(newID("name"))
		missing.ConfigVersion = 2
		require.Error(t, s.Namespace.UpdateNamespace(t.Context(), missing))
		_, err = s.Namespace.GetNamespaceByID(t.Context(), missing.Info.Id)
		require.ErrorIs(t, err, persistence.ErrNotFound)
	})

	t.Run("ListInNameOrder", func(t *testing.T) {
		prefix := newID("list")
		var mine []string
		// Created out of order.
		for _, suffix := range []string{"c", "a", "e", "b", "d"} {
			ns := newNamespace(prefix + "-" + suffix)
			require.NoError(t, s.Namespace.CreateNamespace(t.Context(), ns))
			mine = append(mine, ns.Info.Name)
		}
		slices.Sort(mine)
		for _, pageSize := range []int{1, 2, 1000} {
			var (
				names []string
				token []byte
			)
			for page := 0; ; page++ {
				require.Less(t, page, 100000, "paging does not end")
				list, next, err := s.Namespace.ListNamespaces(t.Context(), pageSize, token)
				require.NoError(t, err)
				require.LessOrEqual(t, len(list), pageSize)
				for _, ns := range list {
					names = append(names, ns.Info.Name)
				}
				if len(next) == 0 {
					break
				}
				token = next
			}
			require.True(t, slices.IsSorted(names), "page size %d: not in name order: %v", pageSize, names)
			var got []string
			for _, n := range names {
				if strings.HasPrefix(n, prefix) {
					got = append(got, n)
				}
			}
			require.Equal(t, mine, got, "page size %d", pageSize)
		}
	})
}
