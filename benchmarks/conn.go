package benchmarks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meridian-dev/meridian/common/clock"
)

// maxMessageSize bounds gRPC messages both ways, as the SDK does.
const maxMessageSize = 128 << 20

// buildTLS returns the client TLS config, or nil when TLS is off.
func buildTLS(c TLSConfig) (*tls.Config, error) {
	if !c.on() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificates in it", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// dial opens a gRPC connection to address with the bench's options.
func dial(address string, tlsCfg *tls.Config, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
	}, opts...)
	conn, err := grpc.NewClient(address, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	return conn, nil
}

// systemInfo asks the target its version, retrying while it does not
// answer until timeout passes (a server that is still starting).
func systemInfo(ctx context.Context, clk clock.Clock, svc workflowservice.WorkflowServiceClient, timeout time.Duration) (*workflowservice.GetSystemInfoResponse, error) {
	deadline := clk.Now().Add(timeout)
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := svc.GetSystemInfo(callCtx, &workflowservice.GetSystemInfoRequest{})
		cancel()
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil || !clk.Now().Before(deadline) {
			return nil, fmt.Errorf("GetSystemInfo: %w", err)
		}
		if err := clock.Sleep(ctx, clk, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// isMeridian reports whether a server version names Meridian.
func isMeridian(version string) bool {
	return strings.HasPrefix(strings.ToLower(version), "meridian")
}

// errNoConn is a broken invariant: a pool with no connections.
var errNoConn = errors.New("benchmarks: connection pool is empty")
