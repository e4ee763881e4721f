// Package rpc carries Meridian's internal service calls between processes
// (DESIGN.md §2): services call each other through the generated *Server
// interfaces of api/historyservice and api/matchingservice, and this
// package makes those interfaces work across hosts, so that a caller
// cannot tell a remote service from an in-process one.
//
// It owns:
//
//   - client adapters (NewHistoryClient, NewMatchingClient): the
//     in-process interface over one gRPC connection;
//   - routers (HistoryRouter, MatchingRouter): the in-process interface
//     over a region of many hosts, sending each request to the owner of
//     its history shard or task-queue partition and retrying transparently
//     when the owner moved (the matching router also picks the partition
//     of Adds and Polls of a partitioned task queue);
//   - Server: the gRPC server that hosts a service implementation, with
//     error conversion, panic recovery, gzip, keepalive and health;
//   - Pool: one connection per remote address;
//   - the wire form of errors (errors.go) and NotOwnedError.
//
// The per-method code of adapters and routers (adapters_gen.go) is
// generated from the service descriptors by internal/rpcgen; run
// `go generate ./rpc/` after changing a service proto (after `make
// proto`). A test fails while the committed file is stale.
//
// # Invariants
//
//   - Errors round-trip. A handler's serviceerror reaches the caller as
//     the same serviceerror type with its details; the api packages'
//     sentinels come back as the same sentinel; see errors.go.
//   - A router retries only NotOwnedError, whose sender promises it did
//     nothing. Every other answer, Unavailable from an unreachable host
//     included, goes back to the caller unchanged: the request may have
//     run, and only the caller knows whether it is safe to repeat.
//   - Retries are bounded by RouterConfig.MaxRetryDuration and by the
//     caller's deadline; deadlines cross the wire unchanged.
//   - Dependencies point one way: services import rpc; rpc imports the
//     api packages, ring, persistence (for its error values) and common,
//     never services. So the shard function is injected
//     (HistoryRouterDeps.ShardOf), not imported from services/history.
package rpc

//go:generate go run ./internal/rpcgen/cmd/rpcgen -o adapters_gen.go
