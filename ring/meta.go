package ring

import (
	"encoding/json"
	"fmt"
)

// Node metadata is what each node gossips about itself beside its name and
// gossip address: its roles and their RPC addresses, as compact JSON
//
//	{"v":1,"r":{"frontend":"10.0.0.1:7233","history":"10.0.0.1:7234"}}
//
// JSON keeps it readable in memberlist debugging and lets later versions add
// fields that older nodes ignore; encoding/json sorts map keys, so a node's
// metadata is byte-for-byte stable. It must fit memberlist.MetaMaxSize (512
// bytes), which Config.Validate checks.

// metaVersion is the metadata format version this package writes. A node
// ignores (and counts) peers whose version it does not know.
const metaVersion = 1

type nodeMeta struct {
	Version int               `json:"v"`
	Roles   map[string]string `json:"r,omitempty"` // role -> RPC address
}

func encodeMeta(roles map[string]string) ([]byte, error) {
	b, err := json.Marshal(nodeMeta{Version: metaVersion, Roles: roles})
	if err != nil {
		return nil, fmt.Errorf("ring: encode node metadata: %w", err)
	}
	return b, nil
}

// decodeMeta returns the role -> RPC address map of a peer's metadata.
func decodeMeta(b []byte) (map[string]string, error) {
	var m nodeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ring: decode node metadata: %w", err)
	}
	if m.Version != metaVersion {
		return nil, fmt.Errorf("ring: node metadata version %d is not supported (want %d)", m.Version, metaVersion)
	}
	for role := range m.Roles {
		if role == "" {
			return nil, fmt.Errorf("ring: node metadata has an empty role")
		}
	}
	return m.Roles, nil
}
