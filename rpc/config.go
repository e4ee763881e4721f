package rpc

import (
	"fmt"
	"time"
)

// ClientConfig configures the connections a Pool dials. Zero values mean
// the DefaultClientConfig value.
type ClientConfig struct {
	// MaxMessageSize bounds messages sent and received. Default 128 MiB,
	// the frontend's own limit, so that whatever the public API accepts
	// can cross to history and matching.
	MaxMessageSize int
	// KeepAliveTime is how long a connection may be idle before the client
	// pings the server, and KeepAliveTimeout how long it waits for the ack
	// before closing the connection. Defaults 30s and 10s: a host that
	// vanished without closing its sockets (a killed VM, a partition) is
	// noticed within 40s even on an idle connection. Servers built by
	// NewServer allow pings every ServerConfig.KeepAliveMinTime (10s).
	KeepAliveTime    time.Duration
	KeepAliveTimeout time.Duration
	// Compress gzips requests. Default false: hosts of a region share a
	// fast network, and gzip costs more CPU than it saves there. Servers
	// always accept gzip.
	Compress bool
}

// DefaultClientConfig returns the defaults documented on ClientConfig.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		MaxMessageSize:   128 << 20,
		KeepAliveTime:    30 * time.Second,
		KeepAliveTimeout: 10 * time.Second,
	}
}

func (c ClientConfig) withDefaults() ClientConfig {
	d := DefaultClientConfig()
	setInt(&c.MaxMessageSize, d.MaxMessageSize)
	setDur(&c.KeepAliveTime, d.KeepAliveTime)
	setDur(&c.KeepAliveTimeout, d.KeepAliveTimeout)
	return c
}

// Validate returns an error naming the first bad field, or nil. Zero
// values are valid (they mean the default).
func (c ClientConfig) Validate() error {
	c = c.withDefaults()
	return nonNegative("rpc client config", []field{
		{"MaxMessageSize", int64(c.MaxMessageSize)},
		{"KeepAliveTime", int64(c.KeepAliveTime)},
		{"KeepAliveTimeout", int64(c.KeepAliveTimeout)},
	})
}

// ServerConfig configures a Server. Zero values mean the
// DefaultServerConfig value.
type ServerConfig struct {
	// MaxMessageSize bounds messages received and sent. Default 128 MiB.
	MaxMessageSize int
	// KeepAliveMinTime is the shortest interval between client pings the
	// server tolerates, with or without active calls; faster pings get
	// GOAWAY too_many_pings. Default 10s, below ClientConfig's 30s.
	KeepAliveMinTime time.Duration
	// KeepAliveTime and KeepAliveTimeout make the server ping a client
	// that has been idle that long and close the connection if the ack
	// does not come back in time. Defaults 60s and 20s.
	KeepAliveTime    time.Duration
	KeepAliveTimeout time.Duration
}

// DefaultServerConfig returns the defaults documented on ServerConfig.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		MaxMessageSize:   128 << 20,
		KeepAliveMinTime: 10 * time.Second,
		KeepAliveTime:    60 * time.Second,
		KeepAliveTimeout: 20 * time.Second,
	}
}

func (c ServerConfig) withDefaults() ServerConfig {
	d := DefaultServerConfig()
	setInt(&c.MaxMessageSize, d.MaxMessageSize)
	setDur(&c.KeepAliveMinTime, d.KeepAliveMinTime)
	setDur(&c.KeepAliveTime, d.KeepAliveTime)
	setDur(&c.KeepAliveTimeout, d.KeepAliveTimeout)
	return c
}

// Validate returns an error naming the first bad field, or nil.
func (c ServerConfig) Validate() error {
	c = c.withDefaults()
	return nonNegative("rpc server config", []field{
		{"MaxMessageSize", int64(c.MaxMessageSize)},
		{"KeepAliveMinTime", int64(c.KeepAliveMinTime)},
		{"KeepAliveTime", int64(c.KeepAliveTime)},
		{"KeepAliveTimeout", int64(c.KeepAliveTimeout)},
	})
}

// RouterConfig configures how a HistoryRouter or MatchingRouter retries a
// request whose owner moved. Zero values mean the DefaultRouterConfig value.
type RouterConfig struct {
	// MaxRetryDuration bounds the time spent retrying one request after
	// its first NotOwned answer (or after finding no owner), and the
	// caller's deadline bounds it too. Default 5s: a clean move (the ring
	// changes, the old host releases the shard, the new one acquires it)
	// completes well within it, and a caller that still gets the error
	// sees Unavailable, which the SDKs retry.
	MaxRetryDuration time.Duration
	// InitialBackoff is the wait before the first retry to an unchanged
	// owner; each further wait doubles, up to MaxBackoff. A retry to an
	// owner that differs from the one that just refused does not wait
	// (but the one after it does, so retries stay bounded by time).
	// Defaults 10ms and 500ms.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// DefaultRouterConfig returns the defaults documented on RouterConfig.
func DefaultRouterConfig() RouterConfig {
	return RouterConfig{
		MaxRetryDuration: 5 * time.Second,
		InitialBackoff:   10 * time.Millisecond,
		MaxBackoff:       500 * time.Millisecond,
	}
}

func (c RouterConfig) withDefaults() RouterConfig {
	d := DefaultRouterConfig()
	setDur(&c.MaxRetryDuration, d.MaxRetryDuration)
	setDur(&c.InitialBackoff, d.InitialBackoff)
	setDur(&c.MaxBackoff, d.MaxBackoff)
	return c
}

// Validate returns an error naming the first bad field, or nil.
func (c RouterConfig) Validate() error {
	c = c.withDefaults()
	if err := nonNegative("rpc router config", []field{
		{"MaxRetryDuration", int64(c.MaxRetryDuration)},
		{"InitialBackoff", int64(c.InitialBackoff)},
		{"MaxBackoff", int64(c.MaxBackoff)},
	}); err != nil {
		return err
	}
	if c.InitialBackoff > c.MaxBackoff {
		return fmt.Errorf("rpc router config: InitialBackoff (%v) must not exceed MaxBackoff (%v)", c.InitialBackoff, c.MaxBackoff)
	}
	return nil
}

type field struct {
	name string
	v    int64
}

func nonNegative(what string, fs []field) error {
	for _, f := range fs {
		if f.v < 0 {
			return fmt.Errorf("%s: %s must not be negative, got %d", what, f.name, f.v)
		}
	}
	return nil
}

func setInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func setDur(v *time.Duration, def time.Duration) {
	if *v == 0 {
		*v = def
	}
}
