// Command protoexport writes the .proto sources of the Temporal API messages
// linked into this binary (go.temporal.io/api, at the version go.mod pins) to
// a directory, so that Meridian's own protos can import Temporal types and be
// compiled with buf. The output is a build input, not committed: `make proto`
// regenerates it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jhump/protoreflect/desc" //nolint:staticcheck // the printer API requires it: protoprint (v1.19) prints only *desc.FileDescriptor, with no entry point for a v2 protoreflect.FileDescriptor
	"github.com/jhump/protoreflect/desc/protoprint"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "go.temporal.io/api/operatorservice/v1"
	_ "go.temporal.io/api/workflowservice/v1"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protoexport OUTDIR")
		os.Exit(2)
	}
	out := os.Args[1]
	var failed error
	n := 0
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		p := fd.Path()
		if !strings.HasPrefix(p, "temporal/api/") && !strings.HasPrefix(p, "google/api/") {
			return true
		}
		d, err := desc.WrapFile(fd)
		if err != nil {
			failed = fmt.Errorf("wrap %s: %w", p, err)
			return false
		}
		var b strings.Builder
		if err := (&protoprint.Printer{}).PrintProtoFile(d, &b); err != nil {
			failed = fmt.Errorf("print %s: %w", p, err)
			return false
		}
		f := filepath.Join(out, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			failed = err
			return false
		}
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			failed = err
			return false
		}
		n++
		return true
	})
	if failed != nil {
		fmt.Fprintln(os.Stderr, "protoexport:", failed)
		os.Exit(1)
	}
	fmt.Printf("protoexport: wrote %d files to %s\n", n, out)
}
