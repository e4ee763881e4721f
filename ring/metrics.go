package ring

// Metric names of the ring package. Every per-role metric carries the
// metricRoleTag tag.
const (
	// metricMembershipChanges counts rebuilt rings that differ from the
	// previous one (one per debounced change event), per role.
	metricMembershipChanges = "ring_membership_changes"
	// metricMembers is the number of members of a role's ring.
	metricMembers = "ring_members"
	// metricJoinRetries counts join attempts that reached no other node and
	// were retried.
	metricJoinRetries = "ring_join_retries"
	// metricMetadataErrors counts peers whose node metadata could not be
	// decoded; such a peer is in no ring.
	metricMetadataErrors = "ring_metadata_errors"

	// metricRoleTag is the role a per-role metric describes.
	metricRoleTag = "role"
)
