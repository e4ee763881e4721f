package embedded

import (
	"slices"
	"sync"
)

// stripeCount bounds the lock tables. Two keys that share a stripe only
// wait for each other; correctness never depends on the stripe count.
const stripeCount = 1024

// stripedMutex serializes work per key hash.
type stripedMutex struct {
	mu [stripeCount]sync.Mutex
}

// lock locks the stripes of the given hashes (each once, in index order so
// that two callers never deadlock) and returns the unlock function.
func (s *stripedMutex) lock(hashes ...uint64) func() {
	if len(hashes) == 1 {
		m := &s.mu[hashes[0]%stripeCount]
		m.Lock()
		return m.Unlock
	}
	idx := make([]int, 0, len(hashes))
	for _, h := range hashes {
		idx = append(idx, int(h%stripeCount))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		s.mu[i].Lock()
	}
	return func() {
		for j := len(idx) - 1; j >= 0; j-- {
			s.mu[idx[j]].Unlock()
		}
	}
}

// stripedRWMutex is a stripedMutex with shared holders.
type stripedRWMutex struct {
	mu [stripeCount]sync.RWMutex
}

func (s *stripedRWMutex) rlock(h uint64) func() {
	m := &s.mu[h%stripeCount]
	m.RLock()
	return m.RUnlock
}

func (s *stripedRWMutex) lock(h uint64) func() {
	m := &s.mu[h%stripeCount]
	m.Lock()
	return m.Unlock
}

// FNV-1a, written out so that hashing key parts does not allocate.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	// Separator so that ("ab","c") and ("a","bc") differ.
	h ^= 0xff
	h *= fnvPrime
	return h
}

func hashInt(h uint64, v int64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= uint64(byte(v >> (8 * i)))
		h *= fnvPrime
	}
	return h
}

func workflowHash(shardID int32, namespaceID, workflowID string) uint64 {
	return hashString(hashString(hashInt(fnvOffset, int64(shardID)), namespaceID), workflowID)
}

func taskQueueHash(namespaceID, name string, taskType int32) uint64 {
	return hashInt(hashString(hashString(fnvOffset, namespaceID), name), int64(taskType))
}
