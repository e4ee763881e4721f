// Command meridian is Meridian's single binary: the servers (`server
// start-dev`), the operator tools (`namespace`, `workflow`) and `version`.
// See tools/cli for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/meridian-dev/meridian/tools/cli"
)

func main() {
	// The first Ctrl-C or SIGTERM cancels ctx so a running command stops
	// cleanly; once it has, the default handlers are restored so that a
	// second Ctrl-C kills the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
