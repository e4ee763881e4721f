package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/common/log"
	"github.com/meridian-dev/meridian/services/history"
)

// DefaultNamespace is registered by the dev server on every start.
const DefaultNamespace = "default"

// Dev server defaults.
const (
	// DefaultDevIP binds to loopback only: a dev server is not for the
	// network.
	DefaultDevIP = "127.0.0.1"
	// DefaultDevPort is the Temporal frontend's well-known port, where SDKs
	// connect by default.
	DefaultDevPort = 7233
	// DefaultDevShards is the history shard count of a new dev data dir:
	// enough to exercise sharding, few enough to start fast.
	DefaultDevShards = 4
	// MaxShards bounds the history shard count.
	MaxShards = 16384
	// maxNamespaceLen bounds a namespace name.
	maxNamespaceLen = 255
)

// SearchAttribute is a custom search attribute to register at start.
type SearchAttribute struct {
	Name string
	Type enumspb.IndexedValueType
}

// DevConfig configures RunDev. Each field corresponds to a flag of
// `meridian server start-dev`, and Validate's errors name that flag.
type DevConfig struct {
	// IP is the address the frontend, and the metrics endpoint, bind to
	// (--ip). Default DefaultDevIP.
	IP string
	// Port is the frontend gRPC port (--port). Default DefaultDevPort.
	Port int
	// Namespaces are registered at start if missing, in addition to
	// DefaultNamespace, which always is (--namespace). Default none.
	Namespaces []string
	// DataDir is the embedded store's directory, created if missing
	// (--data-dir, --db-filename). Required; the command line fills in a
	// per-user default.
	DataDir string
	// NumShards is the history shard count (--shards). It is fixed when
	// DataDir is first created; a later start with a different count must
	// fail rather than remap workflows. Default DefaultDevShards.
	NumShards int32
	// SearchAttributes are registered on every namespace at start
	// (--search-attribute NAME=TYPE). Default none.
	SearchAttributes []SearchAttribute
	// DynamicConfig holds the --dynamic-config-value KEY=VALUE pairs, VALUE
	// as written (Temporal's convention: JSON). The dev server acts on none
	// of them yet; they are accepted so that harnesses written for
	// `temporal server start-dev` work unchanged. Default none.
	DynamicConfig map[string]string
	// Log is the logger configuration (--log-level, --log-format).
	Log log.Config
	// MetricsPort serves Prometheus /metrics on IP:MetricsPort
	// (--metrics-port). Zero, the default, disables the endpoint.
	MetricsPort int
	// Pprof also serves /debug/pprof/ on the metrics endpoint (--pprof).
	// Default false.
	Pprof bool
	// History, when non-nil, replaces history.DefaultConfig() for the
	// history service; its zero fields still mean the default. It has no
	// flag: tests and embedders use it, for example to lower the history
	// count limit. Its NumShards is ignored: NumShards above decides.
	// Default nil.
	History *history.Config
}

// DefaultDevConfig returns the defaults documented on DevConfig, with
// DataDir empty.
func DefaultDevConfig() DevConfig {
	return DevConfig{
		IP:        DefaultDevIP,
		Port:      DefaultDevPort,
		NumShards: DefaultDevShards,
		Log:       log.DefaultConfig(),
	}
}

// FrontendAddress is the host:port the frontend listens on.
func (c DevConfig) FrontendAddress() string {
	return net.JoinHostPort(c.IP, strconv.Itoa(c.Port))
}

// MetricsAddress is the host:port of the metrics endpoint, or "" when it is
// off.
func (c DevConfig) MetricsAddress() string {
	if c.MetricsPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.IP, strconv.Itoa(c.MetricsPort))
}

// AllNamespaces is DefaultNamespace followed by Namespaces, without
// duplicates.
func (c DevConfig) AllNamespaces() []string {
	out := []string{DefaultNamespace}
	seen := map[string]bool{DefaultNamespace: true}
	for _, ns := range c.Namespaces {
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return out
}

// Validate returns an error naming the first bad flag.
func (c DevConfig) Validate() error {
	if c.IP != "localhost" && net.ParseIP(c.IP) == nil {
		return fmt.Errorf("--ip %q: want an IP address such as 127.0.0.1 or 0.0.0.0", c.IP)
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("--port %d: want a port from 1 to 65535", c.Port)
	}
	for _, ns := range c.Namespaces {
		if err := ValidateNamespaceName(ns); err != nil {
			return fmt.Errorf("--namespace: %w", err)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("--data-dir (or --db-filename): a data directory is required")
	}
	if c.NumShards < 1 || c.NumShards > MaxShards {
		return fmt.Errorf("--shards %d: want a shard count from 1 to %d", c.NumShards, MaxShards)
	}
	types := make(map[string]enumspb.IndexedValueType, len(c.SearchAttributes))
	for _, sa := range c.SearchAttributes {
		if err := validateSearchAttributeName(sa.Name); err != nil {
			return fmt.Errorf("--search-attribute: %w", err)
		}
		if _, ok := enumspb.IndexedValueType_name[int32(sa.Type)]; !ok || sa.Type == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return fmt.Errorf("--search-attribute %s: type %d is not valid: valid types are %s",
				sa.Name, sa.Type, strings.Join(SearchAttributeTypeNames(), ", "))
		}
		if prev, ok := types[sa.Name]; ok && prev != sa.Type {
			return fmt.Errorf("--search-attribute %s: given twice with different types (%s and %s)", sa.Name, prev, sa.Type)
		}
		types[sa.Name] = sa.Type
	}
	for key := range c.DynamicConfig {
		if strings.TrimSpace(key) == "" {
			return errors.New("--dynamic-config-value: key must not be empty")
		}
	}
	if _, _, err := log.ParseLevel(c.Log.Level); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if _, err := log.ParseFormat(c.Log.Format); err != nil {
		return fmt.Errorf("--log-format: %w", err)
	}
	if c.MetricsPort < 0 || c.MetricsPort > 65535 {
		return fmt.Errorf("--metrics-port %d: want 0 (off) or a port from 1 to 65535", c.MetricsPort)
	}
	if c.MetricsPort != 0 && c.MetricsPort == c.Port {
		return fmt.Errorf("--metrics-port %d: the frontend already uses this port (--port)", c.MetricsPort)
	}
	if c.Pprof && c.MetricsPort == 0 {
		return errors.New("--pprof: pprof is served on the metrics endpoint; set --metrics-port too")
	}
	if c.History != nil {
		if err := c.History.Validate(); err != nil {
			return fmt.Errorf("history config: %w", err)
		}
	}
	return nil
}

// ValidateNamespaceName checks a namespace name: 1 to 255 characters, none
// of them spaces or control characters.
func ValidateNamespaceName(name string) error {
	if name == "" {
		return errors.New("namespace name must not be empty")
	}
	if len(name) > maxNamespaceLen {
		return fmt.Errorf("namespace name is %d bytes long; the limit is %d", len(name), maxNamespaceLen)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fmt.Errorf("namespace name %q contains a space or control character", name)
	}
	return nil
}

func validateSearchAttributeName(name string) error {
	if name == "" {
		return errors.New("search attribute name must not be empty")
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '='
	}); i >= 0 {
		return fmt.Errorf("search attribute name %q contains a space, control character or '='", name)
	}
	return nil
}

// searchAttributeTypes lists the registrable types in the order help text
// shows them.
var searchAttributeTypes = []enumspb.IndexedValueType{
	enumspb.INDEXED_VALUE_TYPE_TEXT,
	enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	enumspb.INDEXED_VALUE_TYPE_INT,
	enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	enumspb.INDEXED_VALUE_TYPE_BOOL,
	enumspb.INDEXED_VALUE_TYPE_DATETIME,
	enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// SearchAttributeTypeNames returns the type names --search-attribute
// accepts: Text, Keyword, Int, Double, Bool, Datetime, KeywordList.
func SearchAttributeTypeNames() []string {
	out := make([]string, len(searchAttributeTypes))
	for i, t := range searchAttributeTypes {
		out[i] = t.String()
	}
	return out
}

// ParseSearchAttributeType parses a type name case-insensitively, as the
// SDKs print it (KeywordList), in snake case (keyword_list) or as the proto
// enum name (INDEXED_VALUE_TYPE_KEYWORD_LIST).
func ParseSearchAttributeType(s string) (enumspb.IndexedValueType, error) {
	norm := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(strings.ToUpper(s), "INDEXED_VALUE_TYPE_"), "_", ""))
	for _, t := range searchAttributeTypes {
		if strings.ToLower(t.String()) == norm {
			return t, nil
		}
	}
	return enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED, fmt.Errorf("type %q is not valid: valid types are %s",
		s, strings.Join(SearchAttributeTypeNames(), ", "))
}
