package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/server"
)

// defaultRetention is how long closed workflows are kept when `namespace
// register` is not given --retention; Temporal's CLI uses the same.
const defaultRetention = 72 * time.Hour

func (a *App) newNamespaceCommand() *cobra.Command {
	f := &clientFlags{}
	c := &cobra.Command{
		Use:     "namespace",
		Aliases: []string{"ns"},
		Short:   "Register, describe, list and update namespaces",
	}
	f.register(c.PersistentFlags())
	c.AddCommand(
		a.newNamespaceRegisterCommand(f),
		a.newNamespaceDescribeCommand(f),
		a.newNamespaceListCommand(f),
		a.newNamespaceUpdateCommand(f),
	)
	return c
}

// namespaceArg takes the namespace name from the single positional
// argument or from --namespace/-n.
type namespaceArg struct{ flag string }

func (n *namespaceArg) register(c *cobra.Command) {
	c.Flags().StringVarP(&n.flag, "namespace", "n", "", "namespace name (or pass it as the argument)")
	c.Args = maxOneArg
}

func (n *namespaceArg) name(args []string) (string, error) {
	name := n.flag
	if len(args) == 1 {
		if name != "" && name != args[0] {
			return "", fmt.Errorf("namespace given twice (%q and --namespace %q)", args[0], name)
		}
		name = args[0]
	}
	if name == "" {
		return "", errors.New("namespace name required: pass it as the argument or with --namespace")
	}
	if err := server.ValidateNamespaceName(name); err != nil {
		return "", fmt.Errorf("--namespace: %w", err)
	}
	return name, nil
}

// namespaceSession validates the client flags and connects a namespace
// client for name; call the returned func when done.
func (a *App) namespaceSession(c *cobra.Command, f *clientFlags, name string) (*clientSession, client.NamespaceClient, func(), error) {
	s, done, err := a.session(c, f, name)
	if err != nil {
		return nil, nil, nil, err
	}
	nc, err := s.namespaceClient()
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return s, nc, func() { nc.Close(); done() }, nil
}

// namespaceSettings are the flags of the settings `namespace register`
// sets and `namespace update` changes.
type namespaceSettings struct {
	retention   time.Duration
	description string
	ownerEmail  string
}

func (n *namespaceSettings) register(c *cobra.Command) {
	c.Flags().Var(durationFlag{&n.retention}, "retention", "how long closed workflows are kept, e.g. 72h or 30d")
	c.Flags().StringVar(&n.description, "description", "", "free-form description")
	c.Flags().StringVar(&n.ownerEmail, "owner-email", "", "owner's email address")
}

func (a *App) newNamespaceRegisterCommand(f *clientFlags) *cobra.Command {
	var (
		ns       namespaceArg
		settings = namespaceSettings{retention: defaultRetention}
	)
	c := &cobra.Command{
		Use:   "register NAME",
		Short: "Register a namespace",
		RunE: func(c *cobra.Command, args []string) error {
			name, err := ns.name(args)
			if err != nil {
				return usage(c, err)
			}
			if settings.retention <= 0 {
				return usage(c, fmt.Errorf("--retention %v: must be positive", settings.retention))
			}
			s, nc, done, err := a.namespaceSession(c, f, name)
			if err != nil {
				return err
			}
			defer done()
			err = nc.Register(s.ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        name,
				Description:                      settings.description,
				OwnerEmail:                       settings.ownerEmail,
				WorkflowExecutionRetentionPeriod: durationpb.New(settings.retention),
			})
			if err != nil {
				return fmt.Errorf("register namespace %s: %w", name, err)
			}
			return a.printNamespaceChange(s, name, "registered")
		},
	}
	ns.register(c)
	settings.register(c)
	return c
}

func (a *App) newNamespaceUpdateCommand(f *clientFlags) *cobra.Command {
	var (
		ns       namespaceArg
		settings namespaceSettings
	)
	c := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a namespace's retention, description or owner",
		RunE: func(c *cobra.Command, args []string) error {
			name, err := ns.name(args)
			if err != nil {
				return usage(c, err)
			}
			fl := c.Flags()
			if !fl.Changed("retention") && !fl.Changed("description") && !fl.Changed("owner-email") {
				return usage(c, errors.New("nothing to update: pass --retention, --description or --owner-email"))
			}
			if fl.Changed("retention") && settings.retention <= 0 {
				return usage(c, fmt.Errorf("--retention %v: must be positive", settings.retention))
			}
			s, nc, done, err := a.namespaceSession(c, f, name)
			if err != nil {
				return err
			}
			defer done()
			// Send whole UpdateInfo and Config messages built from the
			// current values, so the result is the same whether the server
			// replaces these messages or merges their non-empty fields.
			cur, err := nc.Describe(s.ctx, name)
			if err != nil {
				return fmt.Errorf("describe namespace %s: %w", name, err)
			}
			req := &workflowservice.UpdateNamespaceRequest{Namespace: name}
			if fl.Changed("description") || fl.Changed("owner-email") {
				req.UpdateInfo = &namespacepb.UpdateNamespaceInfo{
					Description: cur.GetNamespaceInfo().GetDescription(),
					OwnerEmail:  cur.GetNamespaceInfo().GetOwnerEmail(),
					Data:        cur.GetNamespaceInfo().GetData(),
				}
				if fl.Changed("description") {
					req.UpdateInfo.Description = settings.description
				}
				if fl.Changed("owner-email") {
					req.UpdateInfo.OwnerEmail = settings.ownerEmail
				}
			}
			if fl.Changed("retention") {
				req.Config = &namespacepb.NamespaceConfig{}
				if cur.GetConfig() != nil {
					req.Config = proto.CloneOf(cur.GetConfig())
				}
				req.Config.WorkflowExecutionRetentionTtl = durationpb.New(settings.retention)
			}
			if err := nc.Update(s.ctx, req); err != nil {
				return fmt.Errorf("update namespace %s: %w", name, err)
			}
			return a.printNamespaceChange(s, name, "updated")
		},
	}
	ns.register(c)
	settings.register(c)
	return c
}

func (a *App) printNamespaceChange(s *clientSession, name, what string) error {
	if s.out.json() {
		return json.NewEncoder(a.Stdout).Encode(map[string]string{"namespace": name, "result": what})
	}
	_, err := fmt.Fprintf(a.Stdout, "Namespace %s %s.\n", name, what)
	return err
}

func (a *App) newNamespaceDescribeCommand(f *clientFlags) *cobra.Command {
	var ns namespaceArg
	c := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a namespace's settings",
		RunE: func(c *cobra.Command, args []string) error {
			name, err := ns.name(args)
			if err != nil {
				return usage(c, err)
			}
			s, nc, done, err := a.namespaceSession(c, f, name)
			if err != nil {
				return err
			}
			defer done()
			resp, err := nc.Describe(s.ctx, name)
			if err != nil {
				return fmt.Errorf("describe namespace %s: %w", name, err)
			}
			if s.out.json() {
				return writeProtoJSON(a.Stdout, resp)
			}
			return printNamespace(a, resp)
		},
	}
	ns.register(c)
	return c
}

func printNamespace(a *App, ns *workflowservice.DescribeNamespaceResponse) error {
	info, cfg, repl := ns.GetNamespaceInfo(), ns.GetConfig(), ns.GetReplicationConfig()
	var clusters []string
	for _, cl := range repl.GetClusters() {
		clusters = append(clusters, cl.GetClusterName())
	}
	t := newTable()
	t.field("Name", info.GetName())
	t.field("ID", info.GetId())
	t.field("State", enumName(info.GetState()))
	t.field("Description", info.GetDescription())
	t.field("Owner email", info.GetOwnerEmail())
	t.field("Retention", formatDuration(cfg.GetWorkflowExecutionRetentionTtl()))
	t.field("Global", fmt.Sprint(ns.GetIsGlobalNamespace()))
	t.field("Active cluster", repl.GetActiveClusterName())
	t.field("Clusters", strings.Join(clusters, ", "))
	t.field("Failover version", fmt.Sprint(ns.GetFailoverVersion()))
	return t.writeTo(a.Stdout)
}

func (a *App) newNamespaceListCommand(f *clientFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List namespaces",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, done, err := a.session(c, f, "")
			if err != nil {
				return err
			}
			defer done()
			cl, err := s.dial()
			if err != nil {
				return err
			}
			defer cl.Close()
			var all []*workflowservice.DescribeNamespaceResponse
			var token []byte
			for {
				resp, err := cl.WorkflowService().ListNamespaces(s.ctx, &workflowservice.ListNamespacesRequest{
					PageSize:      100,
					NextPageToken: token,
				})
				if err != nil {
					return fmt.Errorf("list namespaces: %w", err)
				}
				all = append(all, resp.GetNamespaces()...)
				token = resp.GetNextPageToken()
				if len(token) == 0 {
					break
				}
			}
			if s.out.json() {
				return writeProtoJSONList(a.Stdout, all)
			}
			t := newTable("NAME", "STATE", "RETENTION", "ACTIVE CLUSTER", "DESCRIPTION")
			for _, ns := range all {
				t.row(
					ns.GetNamespaceInfo().GetName(),
					enumName(ns.GetNamespaceInfo().GetState()),
					formatDuration(ns.GetConfig().GetWorkflowExecutionRetentionTtl()),
					ns.GetReplicationConfig().GetActiveClusterName(),
					ns.GetNamespaceInfo().GetDescription())
			}
			return t.writeTo(a.Stdout)
		},
	}
	return c
}
