package benchmarks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/meridian-dev/meridian/common/clock"
)

// testPKI is a CA with a server certificate for "bench.test" and a client
// certificate, written as PEM files.
type testPKI struct {
	dir                   string
	caFile                string
	serverCert            tls.Certificate
	clientCert, clientKey string
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(caCert)
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", caDER)

	issue := func(serial int64, usage x509.ExtKeyUsage, dns []string) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "bench"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: dns, KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		require.NoError(t, err)
		return der, key
	}
	der, key := issue(2, x509.ExtKeyUsageServerAuth, []string{"bench.test"})
	p.serverCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	der, key = issue(3, x509.ExtKeyUsageClientAuth, nil)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	p.clientCert = p.write(t, "client.pem", "CERTIFICATE", der)
	p.clientKey = p.write(t, "client-key.pem", "EC PRIVATE KEY", keyDER)
	return p
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

// versionServer answers GetSystemInfo only.
type versionServer struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (versionServer) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "meridian-test"}, nil
}

// serveTLS serves versionServer with the PKI's server certificate,
// requiring a client certificate when mutual is set.
func serveTLS(t *testing.T, p *testPKI, mutual bool) string {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{p.serverCert}, MinVersion: tls.VersionTLS12}
	if mutual {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	workflowservice.RegisterWorkflowServiceServer(srv, versionServer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// version dials address with c and asks the server's version.
func version(t *testing.T, address string, c TLSConfig) (string, error) {
	t.Helper()
	tlsCfg, err := buildTLS(c)
	if err != nil {
		return "", err
	}
	conn, err := dial(address, tlsCfg)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	info, err := systemInfo(context.Background(), clock.Real(), workflowservice.NewWorkflowServiceClient(conn), 0)
	if err != nil {
		return "", err
	}
	return info.GetServerVersion(), nil
}

func TestTLS(t *testing.T) {
	p := newTestPKI(t)
	addr := serveTLS(t, p, false)
	v, err := version(t, addr, TLSConfig{CAFile: p.caFile, ServerName: "bench.test"})
	require.NoError(t, err)
	require.Equal(t, "meridian-test", v)

	_, err = version(t, addr, TLSConfig{Enabled: true, ServerName: "bench.test"})
	require.Error(t, err, "the system roots do not trust the test CA")
	_, err = version(t, addr, TLSConfig{})
	require.Error(t, err, "plaintext to a TLS server")

	mutual := serveTLS(t, p, true)
	_, err = version(t, mutual, TLSConfig{CAFile: p.caFile, ServerName: "bench.test"})
	require.Error(t, err, "no client certificate")
	v, err = version(t, mutual, TLSConfig{CAFile: p.caFile, ServerName: "bench.test", CertFile: p.clientCert, KeyFile: p.clientKey})
	require.NoError(t, err)
	require.Equal(t, "meridian-test", v)
}

func TestBuildTLSErrorsNameTheFlag(t *testing.T) {
	cfg, err := buildTLS(TLSConfig{})
	require.NoError(t, err)
	require.Nil(t, cfg, "TLS is off by default")

	_, err = buildTLS(TLSConfig{CAFile: filepath.Join(t.TempDir(), "missing.pem")})
	require.ErrorContains(t, err, "--tls-ca")
	junk := filepath.Join(t.TempDir(), "junk.pem")
	require.NoError(t, os.WriteFile(junk, []byte("not pem"), 0o600))
	_, err = buildTLS(TLSConfig{CAFile: junk})
	require.ErrorContains(t, err, "no PEM certificates")
	_, err = buildTLS(TLSConfig{CertFile: junk, KeyFile: junk})
	require.ErrorContains(t, err, "--tls-cert")
}
