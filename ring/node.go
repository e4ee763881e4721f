package ring

import (
	"maps"
	"slices"
)

// Node is a live (alive or suspect) node of the region as gossip reports it.
type Node struct {
	// Name is the node's unique name (Config.NodeName).
	Name string
	// GossipAddr is the node's memberlist address, host:port: what other
	// nodes list in Config.Seeds.
	GossipAddr string
	// RPCAddresses maps each role the node serves to its RPC address.
	RPCAddresses map[string]string
}

// Roles returns the node's roles, sorted.
func (n Node) Roles() []string { return slices.Sorted(maps.Keys(n.RPCAddresses)) }

func (n Node) clone() Node {
	n.RPCAddresses = maps.Clone(n.RPCAddresses)
	return n
}
