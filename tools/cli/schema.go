package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gocql/gocql"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

// envCassandraPassword supplies --password without putting it on the
// command line.
const envCassandraPassword = "MERIDIAN_CASSANDRA_PASSWORD"

// defaultSchemaTimeout bounds each request of a schema command. Schema
// changes also wait up to a minute for every node to agree on the schema.
const defaultSchemaTimeout = 30 * time.Second

// schemaFlags are the connection flags of every schema command.
type schemaFlags struct {
	hosts    []string
	port     int
	keyspace string
	timeout  time.Duration
	username string
	password string
}

func (f *schemaFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.hosts, "hosts", []string{"127.0.0.1"}, "Cassandra contact points, comma-separated")
	fs.IntVar(&f.port, "port", 9042, "CQL port of the nodes")
	fs.StringVar(&f.keyspace, "keyspace", schema.DefaultKeyspace, "keyspace holding Meridian's tables")
	fs.DurationVar(&f.timeout, "timeout", defaultSchemaTimeout, "timeout of each request and of connecting")
	fs.StringVar(&f.username, "username", "", "user for PasswordAuthenticator (optional)")
	fs.StringVar(&f.password, "password", "", "password for --username (default $"+envCassandraPassword+")")
}

// config validates the flags and returns the backend config they describe.
func (f *schemaFlags) config(a *App) (cassandra.Config, error) {
	if err := schema.ValidateKeyspaceName(f.keyspace); err != nil {
		return cassandra.Config{}, fmt.Errorf("--keyspace: %w", err)
	}
	if f.timeout <= 0 {
		return cassandra.Config{}, fmt.Errorf("--timeout %v: must be positive", f.timeout)
	}
	// Flags have explicit defaults, so a zero here was typed: Config would
	// take it as "default".
	if f.port < 1 || f.port > 65535 {
		return cassandra.Config{}, fmt.Errorf("--port: %d is not a TCP port", f.port)
	}
	if len(f.hosts) == 0 {
		return cassandra.Config{}, errors.New("--hosts: at least one host is needed")
	}
	password := f.password
	if password == "" {
		password = a.Getenv(envCassandraPassword)
	}
	cfg := cassandra.Config{
		Hosts:          f.hosts,
		Port:           f.port,
		Keyspace:       f.keyspace,
		Timeout:        f.timeout,
		ConnectTimeout: f.timeout,
		Username:       f.username,
		Password:       password,
	}
	if err := cfg.Validate(); err != nil {
		// Name the flag, not the Go field.
		msg := strings.TrimPrefix(err.Error(), "cassandra: ")
		for field, flag := range map[string]string{
			"Config.Hosts": "--hosts", "Config.Port": "--port",
			"Config.Username and Config.Password": "--username and --password",
		} {
			msg = strings.Replace(msg, field, flag, 1)
		}
		return cassandra.Config{}, errors.New(msg)
	}
	return cfg, nil
}

// connect opens a session; keyspace "" connects without one.
func connectSchema(cfg cassandra.Config, keyspace string, logger *zap.Logger) (*gocql.Session, error) {
	cl, err := cfg.ClusterConfig()
	if err != nil {
		return nil, err
	}
	cl.Keyspace = keyspace
	cl.Logger = zapStdLogger{logger}
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("connect to Cassandra at %s port %d: %w", strings.Join(cfg.Hosts, ","), cfg.Port, err)
	}
	return s, nil
}

// schemaAdmin makes a logger and connects an admin session (without a
// keyspace) to cfg's cluster; call the returned func when done.
func (a *App) schemaAdmin(cfg cassandra.Config) (*gocql.Session, *zap.Logger, func(), error) {
	logger, err := a.newLogger()
	if err != nil {
		return nil, nil, nil, err
	}
	admin, err := connectSchema(cfg, "", logger)
	if err != nil {
		_ = logger.Sync()
		return nil, nil, nil, err
	}
	return admin, logger, func() {
		admin.Close()
		_ = logger.Sync()
	}, nil
}

func (a *App) newSchemaCommand() *cobra.Command {
	f := &schemaFlags{}
	c := &cobra.Command{
		Use:   "schema",
		Short: "Create and upgrade the Cassandra schema",
		Long: "Create and upgrade the schema of Meridian's Cassandra keyspace. The schema is a\n" +
			"series of numbered migrations compiled into this binary; each one applied is\n" +
			"recorded in the keyspace's schema_version table.",
	}
	f.register(c.PersistentFlags())
	c.AddCommand(
		a.newSchemaSetupCommand(f),
		a.newSchemaUpdateCommand(f),
		a.newSchemaVersionCommand(f),
	)
	return c
}

func (a *App) newSchemaSetupCommand(f *schemaFlags) *cobra.Command {
	var (
		strategy string
		rf       int
		dcs      string
	)
	c := &cobra.Command{
		Use:   "setup",
		Short: "Create the keyspace (if missing) and apply every migration",
		Long: "Create the keyspace if it does not exist (an existing keyspace's replication is\n" +
			"left alone) and apply every migration it lacks. Safe to run again.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := f.config(a)
			if err != nil {
				return usage(c, err)
			}
			ks := schema.KeyspaceOptions{Name: f.keyspace, ReplicationStrategy: strategy, ReplicationFactor: rf}
			if ks.DatacenterReplication, err = schema.ParseDatacenterReplication(dcs); err != nil {
				return usage(c, fmt.Errorf("--datacenter-replication: %w", err))
			}
			if strategy == schema.NetworkTopologyStrategy && c.Flags().Changed("replication-factor") {
				return usage(c, errors.New("--replication-factor is for SimpleStrategy; with NetworkTopologyStrategy use --datacenter-replication (dc:rf list)"))
			}
			if strategy == schema.NetworkTopologyStrategy {
				ks.ReplicationFactor = 0
			} else if rf < 1 {
				// KeyspaceOptions would take 0 as "default".
				return usage(c, fmt.Errorf("--replication-factor: %d, must be at least 1", rf))
			}
			if err := ks.Validate(); err != nil {
				return usage(c, schemaFlagError(err))
			}
			admin, logger, done, err := a.schemaAdmin(cfg)
			if err != nil {
				return err
			}
			defer done()
			existed, err := schema.CreateKeyspace(c.Context(), admin, ks)
			if err != nil {
				return err
			}
			if existed {
				a.printf("keyspace %s exists; its replication is left unchanged\n", f.keyspace)
			} else {
				a.printf("created keyspace %s (%s)\n", f.keyspace, describeReplication(ks))
			}
			return a.applyMigrations(c, cfg, logger)
		},
	}
	c.Flags().StringVar(&strategy, "replication-strategy", schema.SimpleStrategy,
		"SimpleStrategy (one data center) or NetworkTopologyStrategy")
	c.Flags().IntVar(&rf, "replication-factor", 1, "replicas with SimpleStrategy")
	c.Flags().StringVar(&dcs, "datacenter-replication", "",
		"replicas per data center with NetworkTopologyStrategy: dc1:3,dc2:3")
	return c
}

func (a *App) newSchemaUpdateCommand(f *schemaFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "update",
		Short: "Apply the migrations the keyspace lacks",
		Long: "Apply, in order, the migrations of this binary that the keyspace lacks. Run it\n" +
			"before rolling out a Meridian version that needs a newer schema. Safe to run again.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := f.config(a)
			if err != nil {
				return usage(c, err)
			}
			admin, logger, done, err := a.schemaAdmin(cfg)
			if err != nil {
				return err
			}
			defer done()
			ok, err := schema.KeyspaceExists(c.Context(), admin, f.keyspace)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("keyspace %s does not exist: create it with 'meridian schema setup --hosts %s --port %d --keyspace %s'",
					f.keyspace, strings.Join(cfg.Hosts, ","), cfg.Port, f.keyspace)
			}
			return a.applyMigrations(c, cfg, logger)
		},
	}
}

// applyMigrations runs schema.Update on the keyspace and reports what it did.
func (a *App) applyMigrations(c *cobra.Command, cfg cassandra.Config, logger *zap.Logger) error {
	s, err := connectSchema(cfg, cfg.Keyspace, logger)
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := schema.Update(c.Context(), s, clock.Real(), logger)
	for _, m := range applied {
		a.printf("applied %s (version %d)\n", m.File, m.Version)
	}
	if err != nil {
		return err
	}
	version, err := schema.Version(c.Context(), s, cfg.Keyspace)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		a.printf("keyspace %s is up to date at schema version %d\n", cfg.Keyspace, version)
	} else {
		a.printf("keyspace %s is at schema version %d\n", cfg.Keyspace, version)
	}
	return nil
}

// printf reports progress on standard output. A progress line that cannot
// be written is not worth failing a schema change for.
func (a *App) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(a.Stdout, format, args...)
}

func (a *App) newSchemaVersionCommand(f *schemaFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the keyspace's applied migrations and the version this binary needs",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := f.config(a)
			if err != nil {
				return usage(c, err)
			}
			admin, _, done, err := a.schemaAdmin(cfg)
			if err != nil {
				return err
			}
			defer done()
			applied, err := schema.Applied(c.Context(), admin, f.keyspace)
			if err != nil {
				return err
			}
			latest, err := schema.LatestVersion()
			if err != nil {
				return err
			}
			return writeSchemaVersion(a.Stdout, f.keyspace, applied, latest)
		},
	}
}

func writeSchemaVersion(out io.Writer, keyspace string, applied []schema.AppliedMigration, latest int) error {
	have := 0
	if n := len(applied); n > 0 {
		have = applied[n-1].Version
	}
	// Everything goes to a buffer (writes to it cannot fail), then out.
	w := &bytes.Buffer{}
	table := func(rows [][]string) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range rows {
			_, _ = io.WriteString(tw, strings.Join(r, "\t")+"\n")
		}
		return tw.Flush()
	}
	if err := table([][]string{
		{"keyspace", keyspace},
		{"schema version", strconv.Itoa(have)},
		{"required by this binary", strconv.Itoa(cassandra.RequiredSchemaVersion)},
		{"latest in this binary", strconv.Itoa(latest)},
	}); err != nil {
		return err
	}
	if len(applied) > 0 {
		rows := [][]string{{"VERSION", "NAME", "APPLIED", "CHECKSUM"}}
		for _, m := range applied {
			rows = append(rows, []string{strconv.Itoa(m.Version), m.Name, m.AppliedAt.UTC().Format(time.RFC3339), m.Checksum[:min(12, len(m.Checksum))]})
		}
		w.WriteString("\n")
		if err := table(rows); err != nil {
			return err
		}
	}
	switch {
	case have == 0:
		fmt.Fprintf(w, "\nno Meridian schema: run 'meridian schema setup --keyspace %s'\n", keyspace)
	case have < cassandra.RequiredSchemaVersion:
		fmt.Fprintf(w, "\nolder than this binary needs: run 'meridian schema update --keyspace %s'\n", keyspace)
	}
	_, err := out.Write(w.Bytes())
	return err
}

// describeReplication is the replication of ks for people.
func describeReplication(ks schema.KeyspaceOptions) string {
	if ks.ReplicationStrategy == schema.NetworkTopologyStrategy {
		parts := make([]string, 0, len(ks.DatacenterReplication))
		for _, dc := range slices.Sorted(maps.Keys(ks.DatacenterReplication)) {
			parts = append(parts, fmt.Sprintf("%s:%d", dc, ks.DatacenterReplication[dc]))
		}
		return "NetworkTopologyStrategy, " + strings.Join(parts, ",")
	}
	return fmt.Sprintf("SimpleStrategy, replication factor %d", ks.ReplicationFactor)
}

// schemaFlagError renames KeyspaceOptions fields to their flags.
func schemaFlagError(err error) error {
	msg := err.Error()
	for field, flag := range map[string]string{
		"KeyspaceOptions.Name":                  "--keyspace",
		"KeyspaceOptions.ReplicationStrategy":   "--replication-strategy",
		"KeyspaceOptions.ReplicationFactor":     "--replication-factor",
		"KeyspaceOptions.DatacenterReplication": "--datacenter-replication",
	} {
		msg = strings.Replace(msg, field, flag, 1)
	}
	return errors.New(msg)
}

// zapStdLogger sends the Cassandra driver's log lines to zap.
type zapStdLogger struct{ l *zap.Logger }

func (z zapStdLogger) Print(v ...any) {
	z.l.Debug("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprint(v...))))
}

func (z zapStdLogger) Printf(format string, v ...any) {
	z.l.Debug("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprintf(format, v...))))
}

func (z zapStdLogger) Println(v ...any) {
	z.l.Debug("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprintln(v...))))
}
