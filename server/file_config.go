package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/meridian-dev/meridian/common/log"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/services/matching"
)

// FileConfig is the YAML file `meridian server start --config FILE` reads.
// deploy/config/*.yaml are working samples.
type FileConfig struct {
	Cluster struct {
		Name                     string `yaml:"name"`
		Shards                   int32  `yaml:"shards"`
		InitialFailoverVersion   int64  `yaml:"initial_failover_version"`
		FailoverVersionIncrement int64  `yaml:"failover_version_increment"`
	} `yaml:"cluster"`
	Frontend struct {
		Address string `yaml:"address"`
	} `yaml:"frontend"`
	Metrics struct {
		Address string `yaml:"address"`
		Pprof   bool   `yaml:"pprof"`
	} `yaml:"metrics"`
	// Membership makes this process one host of a region of many: see
	// MembershipConfig. Absent: every service in this process.
	Membership *struct {
		NodeName         string        `yaml:"node_name"`
		BindAddress      string        `yaml:"bind_address"`
		AdvertiseAddress string        `yaml:"advertise_address"`
		Seeds            []string      `yaml:"seeds"`
		RPCAddress       string        `yaml:"rpc_address"`
		JoinTimeout      time.Duration `yaml:"join_timeout"`
	} `yaml:"membership"`
	// Matching tunes task-queue partitions; every host of a region must
	// use the same values. Absent: one partition per queue.
	Matching struct {
		// Partitions of a normal task queue not named below. Default 1.
		Partitions int `yaml:"partitions"`
		// TaskQueuePartitions: NAME: count, in every namespace.
		TaskQueuePartitions map[string]int `yaml:"task_queue_partitions"`
		// MaxForwardedPolls per non-root partition. Default 1.
		MaxForwardedPolls int `yaml:"max_forwarded_polls"`
	} `yaml:"matching"`
	// Services is --services, not a key of the file: the services this
	// process runs. Nil means AllServices.
	Services []string `yaml:"-"`
	Log      struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
	// Namespaces registered at start when missing. Default [default].
	Namespaces []string `yaml:"namespaces"`
	// SearchAttributes NAME: TYPE registered on those namespaces.
	SearchAttributes map[string]string `yaml:"search_attributes"`
	Persistence      struct {
		Cassandra *struct {
			Hosts             []string      `yaml:"hosts"`
			Port              int           `yaml:"port"`
			Keyspace          string        `yaml:"keyspace"`
			Consistency       string        `yaml:"consistency"`
			SerialConsistency string        `yaml:"serial_consistency"`
			LocalDatacenter   string        `yaml:"local_datacenter"`
			Timeout           time.Duration `yaml:"timeout"`
			ConnectTimeout    time.Duration `yaml:"connect_timeout"`
			NumConns          int           `yaml:"num_conns"`
			Username          string        `yaml:"username"`
			Password          string        `yaml:"password"`
		} `yaml:"cassandra"`
		Embedded *struct {
			DataDir string `yaml:"data_dir"`
		} `yaml:"embedded"`
	} `yaml:"persistence"`
}

// LoadFileConfig reads and validates a config file. Unknown keys are errors,
// so that a typo does not silently fall back to a default.
func LoadFileConfig(path string) (*FileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var fc FileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := fc.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &fc, nil
}

// Validate names the first bad key.
func (fc *FileConfig) Validate() error {
	p := fc.Persistence
	switch {
	case p.Cassandra == nil && p.Embedded == nil:
		return errors.New("persistence: set persistence.cassandra or persistence.embedded")
	case p.Cassandra != nil && p.Embedded != nil:
		return errors.New("persistence: set only one of persistence.cassandra and persistence.embedded")
	case p.Embedded != nil && p.Embedded.DataDir == "":
		return errors.New("persistence.embedded.data_dir: required")
	}
	if p.Cassandra != nil {
		if err := fc.cassandraConfig().Validate(); err != nil {
			return fmt.Errorf("persistence.cassandra: %w", err)
		}
	}
	if _, err := fc.searchAttributes(); err != nil {
		return err
	}
	if err := fc.validateMatching(); err != nil {
		return err
	}
	if _, err := log.ParseFormat(fc.LogConfig().Format); err != nil {
		return fmt.Errorf("log.format: %w", err)
	}
	if _, _, err := log.ParseLevel(fc.LogConfig().Level); err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	rc, err := fc.Region()
	if err != nil {
		return err
	}
	return rc.Validate()
}

func (fc *FileConfig) validateMatching() error {
	m := fc.Matching
	if m.Partitions < 0 || m.Partitions > matching.MaxPartitions {
		return fmt.Errorf("matching.partitions: want 1 to %d, got %d", matching.MaxPartitions, m.Partitions)
	}
	for name, n := range m.TaskQueuePartitions {
		if n < 1 || n > matching.MaxPartitions {
			return fmt.Errorf("matching.task_queue_partitions.%s: want 1 to %d, got %d", name, matching.MaxPartitions, n)
		}
	}
	if m.MaxForwardedPolls < 0 {
		return fmt.Errorf("matching.max_forwarded_polls: must not be negative, got %d", m.MaxForwardedPolls)
	}
	return nil
}

// LogConfig is the logger the file asks for.
func (fc *FileConfig) LogConfig() log.Config {
	c := log.DefaultConfig()
	if fc.Log.Level != "" {
		c.Level = fc.Log.Level
	}
	if fc.Log.Format != "" {
		c.Format = fc.Log.Format
	}
	return c
}

func (fc *FileConfig) searchAttributes() ([]SearchAttribute, error) {
	var out []SearchAttribute
	for name, typ := range fc.SearchAttributes {
		t, err := ParseSearchAttributeType(typ)
		if err != nil {
			return nil, fmt.Errorf("search_attributes.%s: %w", name, err)
		}
		out = append(out, SearchAttribute{Name: name, Type: t})
	}
	return out, nil
}

// Region is the region the file describes.
func (fc *FileConfig) Region() (Config, error) {
	sas, err := fc.searchAttributes()
	if err != nil {
		return Config{}, err
	}
	return Config{
		ClusterName:              fc.Cluster.Name,
		FrontendAddress:          fc.Frontend.Address,
		NumShards:                fc.Cluster.Shards,
		Namespaces:               fc.Namespaces,
		SearchAttributes:         sas,
		MetricsAddress:           fc.Metrics.Address,
		Pprof:                    fc.Metrics.Pprof,
		InitialFailoverVersion:   fc.Cluster.InitialFailoverVersion,
		FailoverVersionIncrement: fc.Cluster.FailoverVersionIncrement,
		Membership:               fc.membership(),
		Services:                 fc.Services,
		Matching:                 fc.matching(),
	}, nil
}

// matching is the matching config the file asks for (nil: the defaults).
func (fc *FileConfig) matching() *matching.Config {
	m := fc.Matching
	if m.Partitions == 0 && len(m.TaskQueuePartitions) == 0 && m.MaxForwardedPolls == 0 {
		return nil
	}
	c := matching.DefaultConfig()
	c.Partitions = m.Partitions
	c.TaskQueuePartitions = m.TaskQueuePartitions
	c.MaxForwardedPolls = m.MaxForwardedPolls
	return &c
}

func (fc *FileConfig) membership() *MembershipConfig {
	m := fc.Membership
	if m == nil {
		return nil
	}
	return &MembershipConfig{
		NodeName: m.NodeName, BindAddress: m.BindAddress, AdvertiseAddress: m.AdvertiseAddress,
		Seeds: m.Seeds, RPCAddress: m.RPCAddress, JoinTimeout: m.JoinTimeout,
	}
}

func (fc *FileConfig) cassandraConfig() cassandra.Config {
	c := fc.Persistence.Cassandra
	return cassandra.Config{
		Hosts: c.Hosts, Port: c.Port, Keyspace: c.Keyspace, Consistency: c.Consistency,
		SerialConsistency: c.SerialConsistency, LocalDatacenter: c.LocalDatacenter, Timeout: c.Timeout,
		ConnectTimeout: c.ConnectTimeout, NumConns: c.NumConns, Username: c.Username, Password: c.Password,
	}
}

// Opener opens the stores the file names.
func (fc *FileConfig) Opener(logger *zap.Logger) StoreOpener {
	if fc.Persistence.Embedded != nil {
		dir := fc.Persistence.Embedded.DataDir
		return func(tally.Scope) (*persistence.Stores, error) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create data dir %s: %w", dir, err)
			}
			return embedded.Open(dir, embedded.Options{Logger: logger})
		}
	}
	cfg := fc.cassandraConfig()
	return func(scope tally.Scope) (*persistence.Stores, error) {
		cfg.Metrics = scope
		return cassandra.Open(cfg, logger)
	}
}
