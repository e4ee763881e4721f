package embedded

import (
	"encoding/binary"
	"time"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Table prefixes: the first byte of every key. Values are never reused.
const (
	// [shard i32][kind byte]...: every row that belongs to one history
	// shard, so that a shard's rows are contiguous.
	tableShard byte = 0x01
	// [tree str][branch str][first event id i64][transaction id desc]
	tableHistoryNode byte = 0x02
	// [tree str][branch str]
	tableHistoryBranch byte = 0x03
	// [namespace id str]
	tableNamespaceByID byte = 0x04
	// [namespace name str] -> namespace id
	tableNamespaceByName byte = 0x05
	// [cluster name str]
	tableClusterMetadata byte = 0x06
	// [queue str][message id i64]
	tableQueueMessage byte = 0x07
	// [queue str] -> last issued message id
	tableQueueMeta byte = 0x08
	// [namespace id str][task queue str][task type i32]
	tableTaskQueue byte = 0x09
	// [namespace id str][task queue str][task type i32][task id i64]
	tableTaskQueueTask byte = 0x0a
	// [namespace id str][workflow id str][run id str]
	tableVisibility byte = 0x0b
)

// Row kinds inside tableShard, after the shard ID.
const (
	// (nothing more)
	kindShardInfo byte = 0x01
	// [namespace id str][workflow id str][run id str]
	kindExecution byte = 0x02
	// [namespace id str][workflow id str]
	kindCurrentExecution byte = 0x03
	// [category byte][fire time i64, timer category only][task id i64]
	kindHistoryTask byte = 0x04
)

// appendString appends s in an order-preserving, prefix-free form: 0x00 is
// escaped as 0x00 0xff and the string ends with 0x00 0x01. So
// bytes.Compare(enc(a)+x, enc(b)+y) == strings.Compare(a, b) whenever a != b.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0x00 {
			b = append(b, 0x00, 0xff)
			continue
		}
		b = append(b, s[i])
	}
	return append(b, 0x00, 0x01)
}

// appendInt64 appends v big-endian with the sign bit flipped, so byte order
// equals numeric order.
func appendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

func decodeInt64(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
}

// appendInt64Desc appends v so that byte order is descending numeric order.
func appendInt64Desc(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, ^(uint64(v) ^ (1 << 63)))
}

func decodeInt64Desc(b []byte) int64 {
	return int64(^binary.BigEndian.Uint64(b) ^ (1 << 63))
}

func appendInt32(b []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(v)^(1<<31))
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix (nil when there is none).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// successor returns the smallest key greater than k.
func successor(k []byte) []byte {
	return append(append(make([]byte, 0, len(k)+1), k...), 0x00)
}

func shardPrefix(shardID int32, kind byte) []byte {
	b := make([]byte, 0, 64)
	b = append(b, tableShard)
	b = appendInt32(b, shardID)
	return append(b, kind)
}

func shardInfoKey(shardID int32) []byte {
	return shardPrefix(shardID, kindShardInfo)
}

func executionKey(shardID int32, namespaceID, workflowID, runID string) []byte {
	b := shardPrefix(shardID, kindExecution)
	b = appendString(b, namespaceID)
	b = appendString(b, workflowID)
	return appendString(b, runID)
}

func currentExecutionKey(shardID int32, namespaceID, workflowID string) []byte {
	b := shardPrefix(shardID, kindCurrentExecution)
	b = appendString(b, namespaceID)
	return appendString(b, workflowID)
}

func historyTaskPrefix(shardID int32, c persistencepb.TaskCategory) []byte {
	return append(shardPrefix(shardID, kindHistoryTask), byte(c))
}

// historyTaskKey keys a task of category c: by task ID, or by (fire time,
// task ID) for scheduled categories.
func historyTaskKey(shardID int32, c persistencepb.TaskCategory, fireTime time.Time, taskID int64) []byte {
	b := historyTaskPrefix(shardID, c)
	if persistence.IsScheduledCategory(c) {
		b = appendInt64(b, persistence.FireTimeNanos(fireTime))
	}
	return appendInt64(b, taskID)
}

func historyBranchPrefix(treeID, branchID string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, tableHistoryNode)
	b = appendString(b, treeID)
	return appendString(b, branchID)
}

// historyNodeKey orders nodes by first event ID, then transaction ID
// descending, so the first key seen for a node is its newest write.
func historyNodeKey(prefix []byte, firstEventID, txnID int64) []byte {
	b := make([]byte, 0, len(prefix)+16)
	b = append(b, prefix...)
	b = appendInt64(b, firstEventID)
	return appendInt64Desc(b, txnID)
}

func historyNodeBound(prefix []byte, firstEventID int64) []byte {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	return appendInt64(b, firstEventID)
}

// decodeHistoryNodeKey returns the first event ID and transaction ID of a
// node key (its last 16 bytes).
func decodeHistoryNodeKey(k []byte) (firstEventID, txnID int64) {
	n := len(k)
	return decodeInt64(k[n-16 : n-8]), decodeInt64Desc(k[n-8:])
}

func historyBranchKey(treeID, branchID string) []byte {
	b := []byte{tableHistoryBranch}
	b = appendString(b, treeID)
	return appendString(b, branchID)
}

func namespaceByIDKey(id string) []byte {
	return appendString([]byte{tableNamespaceByID}, id)
}

func namespaceByNameKey(name string) []byte {
	return appendString([]byte{tableNamespaceByName}, name)
}

func clusterMetadataKey(name string) []byte {
	return appendString([]byte{tableClusterMetadata}, name)
}

func queuePrefix(queue string) []byte {
	return appendString([]byte{tableQueueMessage}, queue)
}

func queueMessageKey(queue string, id int64) []byte {
	return appendInt64(queuePrefix(queue), id)
}

func queueMetaKey(queue string) []byte {
	return appendString([]byte{tableQueueMeta}, queue)
}

func taskQueueKey(namespaceID, name string, taskType int32) []byte {
	b := []byte{tableTaskQueue}
	b = appendString(b, namespaceID)
	b = appendString(b, name)
	return appendInt32(b, taskType)
}

func taskQueueTaskPrefix(namespaceID, name string, taskType int32) []byte {
	b := []byte{tableTaskQueueTask}
	b = appendString(b, namespaceID)
	b = appendString(b, name)
	return appendInt32(b, taskType)
}

func taskQueueTaskKey(prefix []byte, taskID int64) []byte {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	return appendInt64(b, taskID)
}

func visibilityPrefix(namespaceID string) []byte {
	return appendString([]byte{tableVisibility}, namespaceID)
}

func visibilityKey(namespaceID, workflowID, runID string) []byte {
	b := visibilityPrefix(namespaceID)
	b = appendString(b, workflowID)
	return appendString(b, runID)
}
