// Package cli is the `meridian` command line: `server start-dev`, the
// operator commands (`namespace`, `workflow`) and `version`. Main runs it;
// cmd/meridian is only a main function around Main.
//
// Commands take their dependencies (output streams, environment, the dev
// server entry point) from an App value rather than from package state, so
// tests run commands end to end without a process or a server. The
// `workflow` and `schedule` subcommands are built by clientCommand, which
// validates their flags as usage errors before dialing and closes the
// client after.
package cli
