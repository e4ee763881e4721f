package ring

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// The hash functions below define placement. Every node of a region must
// compute them identically, so they are part of the wire contract: changing
// any of them moves keys between members as surely as a membership change.

// hashKey is the position of a placement key: XXH64 (seed 0) of the key's
// bytes.
func hashKey(key string) uint64 { return xxhash.Sum64String(key) }

// hashKeyBytes is hashKey of a key held in a byte slice.
func hashKeyBytes(key []byte) uint64 { return xxhash.Sum64(key) }

// hashName is a member's identity for rendezvous hashing: XXH64 (seed 0) of
// its name.
func hashName(name string) uint64 { return xxhash.Sum64String(name) }

// mix64 is MurmurHash3's 64-bit finalizer (fmix64). It is a bijection with
// full avalanche, so rendezvous scores mix64(hashKey(k) ^ hashName(m)) of
// distinct members never tie and behave as independent random values.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// vnodePoint is the ring position of a member's i-th virtual node:
// XXH64 (seed 0) of name || 0x00 || uint32 big-endian(i).
func vnodePoint(d *xxhash.Digest, name string, i int) uint64 {
	var buf [5]byte
	binary.BigEndian.PutUint32(buf[1:], uint32(i))
	d.Reset()
	_, _ = d.WriteString(name) // never fails
	_, _ = d.Write(buf[:])     // never fails
	return d.Sum64()
}
