package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time:
//
//	go build -ldflags "-X github.com/meridian-dev/meridian/tools/cli.version=v0.1.0"
var version = "dev"

// Version is the build's version string ("dev" when not set at build time).
func Version() string { return version }

// versionInfo is what `meridian version` reports.
type versionInfo struct {
	Version     string `json:"version"`
	GoVersion   string `json:"go_version"`
	Platform    string `json:"platform"`
	TemporalAPI string `json:"temporal_api,omitempty"`
	TemporalSDK string `json:"temporal_sdk,omitempty"`
	Revision    string `json:"revision,omitempty"`
}

func buildVersionInfo() versionInfo {
	v := versionInfo{
		Version:   Version(),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, dep := range bi.Deps {
		switch dep.Path {
		case "go.temporal.io/api":
			v.TemporalAPI = dep.Version
		case "go.temporal.io/sdk":
			v.TemporalSDK = dep.Version
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v.Revision = s.Value
		}
	}
	return v
}

func (a *App) newVersionCommand() *cobra.Command {
	var out outputFlag
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return usage(c, err)
			}
			v := buildVersionInfo()
			if out.json() {
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "meridian %s (%s %s)\n", v.Version, v.GoVersion, v.Platform)
			if v.TemporalAPI != "" {
				fmt.Fprintf(&b, "temporal api %s\n", v.TemporalAPI)
			}
			if v.Revision != "" {
				fmt.Fprintf(&b, "revision %s\n", v.Revision)
			}
			_, err := io.WriteString(a.Stdout, b.String())
			return err
		},
	}
	out.register(c.Flags())
	return c
}
