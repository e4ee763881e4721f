// Command rpcgen writes rpc/adapters_gen.go; see package rpcgen.
//
//	go run ./internal/rpcgen/cmd/rpcgen -o adapters_gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/meridian-dev/meridian/rpc/internal/rpcgen"
)

func main() {
	out := flag.String("o", "adapters_gen.go", "output file")
	flag.Parse()
	src, err := rpcgen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
