package ring

import (
	"github.com/hashicorp/memberlist"
	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"
)

// delegate adapts memberlist's callbacks to the tracker. memberlist calls
// the event methods with its node lock held, so they only decode and record;
// the tracker rebuilds rings on its own goroutine.
type delegate struct {
	meta    []byte // this node's metadata, validated to fit MetaMaxSize
	tracker *tracker
	logger  *zap.Logger
	metrics tally.Scope
}

var (
	_ memberlist.Delegate      = (*delegate)(nil)
	_ memberlist.EventDelegate = (*delegate)(nil)
)

// NodeMeta returns this node's metadata. Config.validate guarantees it fits;
// should the limit ever shrink, gossip without metadata beats memberlist's
// panic on oversized metadata.
func (d *delegate) NodeMeta(limit int) []byte {
	if len(d.meta) > limit {
		d.logger.Error("node metadata exceeds memberlist's limit; advertising none",
			zap.Int("size", len(d.meta)), zap.Int("limit", limit))
		return nil
	}
	return d.meta
}

// The ring gossips nothing beyond node metadata.

func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.tracker.upsert(d.node(n)) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.tracker.upsert(d.node(n)) }
func (d *delegate) NotifyLeave(n *memberlist.Node)  { d.tracker.remove(n.Name) }

// node copies what the ring needs out of memberlist's node, which memberlist
// may change after the callback returns. A node whose metadata cannot be
// decoded is kept as a node with no roles: it is in no ring.
func (d *delegate) node(n *memberlist.Node) Node {
	roles, err := decodeMeta(n.Meta)
	if err != nil {
		d.metrics.Counter(metricMetadataErrors).Inc(1)
		d.logger.Warn("peer metadata is invalid; peer is in no ring",
			zap.String("node", n.Name), zap.String("address", n.Address()), zap.Error(err))
		roles = nil
	}
	return Node{Name: n.Name, GossipAddr: n.Address(), RPCAddresses: roles}
}
