package ring

import "strconv"

// Placement keys. Every service that places or routes a thing must build its
// key with the same function, so the functions live here, beside the ring.

// ShardKey is the placement key of history shard shardID (1-based): its
// decimal form.
func ShardKey(shardID int32) string { return strconv.FormatInt(int64(shardID), 10) }

// TaskQueuePartitionKey is the placement key of one partition of a task
// queue on the matching ring: namespaceID/taskType/partition/taskQueue.
// taskQueue is last, so a name containing '/' cannot make two partitions
// share a key.
func TaskQueuePartitionKey(namespaceID, taskQueue string, taskType, partition int32) string {
	b := make([]byte, 0, len(namespaceID)+len(taskQueue)+16)
	b = append(b, namespaceID...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(taskType), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(partition), 10)
	b = append(b, '/')
	b = append(b, taskQueue...)
	return string(b)
}

// ShardOwner returns the member that owns history shard shardID, or false if
// the ring is empty.
func (r *Ring) ShardOwner(shardID int32) (Member, bool) {
	return r.Lookup(ShardKey(shardID))
}

// OwnedShards returns, in increasing order, the shards among 1..numShards
// that the member called name owns. It is empty if name is not on the ring.
func (r *Ring) OwnedShards(name string, numShards int32) []int32 {
	self, ok := r.index(name)
	if !ok {
		return nil
	}
	var buf [11]byte
	var owned []int32
	for id := int32(1); id <= numShards; id++ {
		key := strconv.AppendInt(buf[:0], int64(id), 10)
		if r.locate(hashKeyBytes(key)) == self {
			owned = append(owned, id)
		}
	}
	return owned
}
