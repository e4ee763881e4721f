package ring

import (
	"cmp"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Virtual nodes: each member puts VirtualNodes points on a 64-bit circle at
// vnodePoint(name, 0..VirtualNodes-1); key k belongs to the member owning the
// first point at or after hashKey(k), wrapping past the top. Adding or
// removing a member only changes the arcs that end at its own points. A
// lookup is a binary search over Len()*VirtualNodes points.

func (r *Ring) buildVirtualNodes() {
	type point struct {
		pos   uint64
		owner int32
	}
	n := len(r.members) * r.cfg.VirtualNodes
	pts := make([]point, 0, n)
	var d xxhash.Digest
	for i, m := range r.members {
		for v := range r.cfg.VirtualNodes {
			pts = append(pts, point{pos: vnodePoint(&d, m.Name, v), owner: int32(i)})
		}
	}
	// Members are sorted by Name, so on a (vanishingly rare) position
	// collision the first member by Name owns the point: deterministic.
	slices.SortFunc(pts, func(a, b point) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return cmp.Compare(a.owner, b.owner)
	})
	r.points = make([]uint64, n)
	r.pointOwner = make([]int32, n)
	for j, p := range pts {
		r.points[j] = p.pos
		r.pointOwner[j] = p.owner
	}
}

// locateVirtualNodes returns the owner of the first point at or after h,
// wrapping to the first point.
func (r *Ring) locateVirtualNodes(h uint64) int {
	lo, hi := 0, len(r.points)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.points[mid] < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(r.points) {
		lo = 0
	}
	return int(r.pointOwner[lo])
}
