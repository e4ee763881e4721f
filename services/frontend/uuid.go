package frontend

import (
	"crypto/rand"
	"encoding/hex"
)

// newUUID returns a random (version 4) UUID in canonical form. IDs must be
// unique across processes and restarts, so they come from crypto/rand, not
// from a seeded generator; tests replace Service.newID to get fixed IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// isUUID reports whether s is a UUID in the canonical 8-4-4-4-12 form
// (either case) or as 32 bare hex digits, the forms Temporal accepts for
// run IDs. Version and variant bits are not checked.
func isUUID(s string) bool {
	switch len(s) {
	case 32:
		return isHex(s)
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return false
		}
		return isHex(s[0:8]) && isHex(s[9:13]) && isHex(s[14:18]) && isHex(s[19:23]) && isHex(s[24:])
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
