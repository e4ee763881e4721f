package ring

import (
	"fmt"
	"slices"
	"strings"
)

// Strategy names a placement algorithm. Every node of a region must use the
// same one (and the same VirtualNodes), like the shard count.
type Strategy string

const (
	// StrategyRendezvous is rendezvous (highest-random-weight) hashing: a
	// key belongs to the member with the highest score
	// mix64(hashKey(key) ^ hashName(member)). The default; see doc.go.
	StrategyRendezvous Strategy = "rendezvous"
	// StrategyVirtualNodes is a consistent-hash ring with VirtualNodes
	// points per member: a key belongs to the member owning the first point
	// at or after hashKey(key), wrapping around.
	StrategyVirtualNodes Strategy = "vnodes"
)

// DefaultVirtualNodes is the number of points per member on a
// StrategyVirtualNodes ring.
const DefaultVirtualNodes = 128

// RingConfig selects how a Ring places keys. The zero value means
// DefaultRingConfig.
type RingConfig struct {
	// Strategy is the placement algorithm. Empty means StrategyRendezvous,
	// chosen by measurement (doc.go).
	Strategy Strategy
	// VirtualNodes is the number of points per member when Strategy is
	// StrategyVirtualNodes; ignored otherwise. Zero means
	// DefaultVirtualNodes (128), enough for a max/mean load under ~1.2 with
	// up to 10 members.
	VirtualNodes int
}

// DefaultRingConfig is rendezvous hashing.
func DefaultRingConfig() RingConfig {
	return RingConfig{Strategy: StrategyRendezvous, VirtualNodes: DefaultVirtualNodes}
}

// withDefaults fills zero fields from DefaultRingConfig.
func (c RingConfig) withDefaults() RingConfig {
	d := DefaultRingConfig()
	if c.Strategy == "" {
		c.Strategy = d.Strategy
	}
	if c.VirtualNodes == 0 {
		c.VirtualNodes = d.VirtualNodes
	}
	return c
}

// maxVirtualNodes bounds VirtualNodes so that a ring of a few hundred
// members stays a few MiB.
const maxVirtualNodes = 4096

// Validate returns an error naming the first bad field, or nil.
func (c RingConfig) Validate() error {
	switch c.Strategy {
	case "", StrategyRendezvous, StrategyVirtualNodes:
	default:
		return fmt.Errorf("ring config: Strategy %q is unknown: valid strategies are %s, %s",
			c.Strategy, StrategyRendezvous, StrategyVirtualNodes)
	}
	if c.VirtualNodes < 0 || c.VirtualNodes > maxVirtualNodes {
		return fmt.Errorf("ring config: VirtualNodes must be between 1 and %d (0 means %d), got %d",
			maxVirtualNodes, DefaultVirtualNodes, c.VirtualNodes)
	}
	return nil
}

// Member is one host serving a role: the unit that keys are placed on.
type Member struct {
	// Name identifies the member (its memberlist node name). Placement
	// hashes Name only, so a member that comes back under the same name at
	// a new address gets the same keys back.
	Name string
	// Addr is the member's RPC address (host:port) for the ring's role.
	Addr string
}

// Ring is an immutable snapshot of one role's members that maps keys to
// members. It does no I/O and reads no clock; equal member sets (by Name)
// and equal RingConfigs place every key identically on every node. A Ring is
// safe for concurrent use. The zero Ring is not valid; use NewRing.
type Ring struct {
	cfg     RingConfig
	members []Member // sorted by Name, names unique

	// Rendezvous: nameHash[i] = hashName(members[i].Name).
	nameHash []uint64
	// Virtual nodes: points sorted ascending, pointOwner[j] indexes members.
	points     []uint64
	pointOwner []int32
}

// NewRing builds a ring of members under cfg. Members may come in any order;
// a member's Name must be non-empty and unique. An empty member list gives a
// ring whose lookups report no owner.
func NewRing(cfg RingConfig, members []Member) (*Ring, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	for i, m := range ms {
		if m.Name == "" {
			return nil, fmt.Errorf("ring: member with address %q has an empty Name", m.Addr)
		}
		if i > 0 && ms[i-1].Name == m.Name {
			return nil, fmt.Errorf("ring: member %q appears twice", m.Name)
		}
	}
	r := &Ring{cfg: cfg, members: ms}
	switch cfg.Strategy {
	case StrategyRendezvous:
		r.buildRendezvous()
	case StrategyVirtualNodes:
		r.buildVirtualNodes()
	default:
		panic("ring: Validate accepted unknown strategy " + string(cfg.Strategy))
	}
	return r, nil
}

// emptyRing is a ring with no members under cfg.
func emptyRing(cfg RingConfig) *Ring {
	r, err := NewRing(cfg, nil)
	if err != nil {
		panic("ring: invalid RingConfig passed validation: " + err.Error())
	}
	return r
}

// Config is the ring's configuration, with defaults filled in.
func (r *Ring) Config() RingConfig { return r.cfg }

// Len is the number of members.
func (r *Ring) Len() int { return len(r.members) }

// Members returns the members sorted by Name. The caller owns the slice.
func (r *Ring) Members() []Member { return slices.Clone(r.members) }

// Member returns the member called name, if it is on the ring.
func (r *Ring) Member(name string) (Member, bool) {
	i, ok := r.index(name)
	if !ok {
		return Member{}, false
	}
	return r.members[i], true
}

func (r *Ring) index(name string) (int, bool) {
	return slices.BinarySearchFunc(r.members, name, func(m Member, n string) int { return strings.Compare(m.Name, n) })
}

// Lookup returns the member that owns key, or false if the ring is empty.
// It does not allocate.
func (r *Ring) Lookup(key string) (Member, bool) {
	if len(r.members) == 0 {
		return Member{}, false
	}
	return r.members[r.locate(hashKey(key))], true
}

// locate returns the index of the member owning the key hash h; the ring
// must not be empty.
func (r *Ring) locate(h uint64) int {
	if r.cfg.Strategy == StrategyVirtualNodes {
		return r.locateVirtualNodes(h)
	}
	return r.locateRendezvous(h)
}

// Equal reports whether r and o have the same configuration and the same
// members with the same addresses. Equal rings place every key identically.
func (r *Ring) Equal(o *Ring) bool {
	return r.cfg == o.cfg && slices.Equal(r.members, o.members)
}

// String lists the member names, for logs.
func (r *Ring) String() string {
	names := make([]string, len(r.members))
	for i, m := range r.members {
		names[i] = m.Name
	}
	return "[" + strings.Join(names, " ") + "]"
}

// Diff compares two rings of the same role by member Name: added are in to
// but not from, removed are in from but not to, updated are in both with a
// different Addr (reported with the new Addr). Each list is sorted by Name.
func Diff(from, to *Ring) (added, removed, updated []Member) {
	a, b := from.members, to.members
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Name < b[j].Name):
			removed = append(removed, a[i])
			i++
		case i == len(a) || b[j].Name < a[i].Name:
			added = append(added, b[j])
			j++
		default:
			if a[i].Addr != b[j].Addr {
				updated = append(updated, b[j])
			}
			i++
			j++
		}
	}
	return added, removed, updated
}
