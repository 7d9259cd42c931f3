package wsserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// SslTestCert is a certificate made for a test, with its key. The
// certificate tests of both test packages make theirs with
// NewSslTestCert.
type SslTestCert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

var sslTestSerial atomic.Int64

// NewSslTestCert makes a certificate named cn, issued by parent (nil:
// self-signed), valid from an hour ago for a day. A CA may sign
// certificates; any other certificate is for localhost and 127.0.0.1, may
// sign, and is for TLS servers and clients. edit, if given, changes the
// template before it is signed.
func NewSslTestCert(t testing.TB, cn string, parent *SslTestCert, ca bool, edit ...func(*x509.Certificate)) *SslTestCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(sslTestSerial.Add(1)),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"qtgo tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	for _, e := range edit {
		e(tmpl)
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &SslTestCert{Cert: c, Key: key}
}

// SslTestChain is the tls.Certificate that presents chain, its first
// certificate's key with it.
func SslTestChain(chain ...*SslTestCert) tls.Certificate {
	tc := tls.Certificate{PrivateKey: chain[0].Key, Leaf: chain[0].Cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Cert.Raw)
	}
	return tc
}

// SslTestPool is a pool that trusts certs (none: an empty pool, which
// trusts nothing, unlike a nil one).
func SslTestPool(certs ...*SslTestCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c.Cert)
	}
	return p
}

// Template edits for NewSslTestCert.
var (
	SslTestExpired = func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	}
	SslTestNotYet = func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
	}
	SslTestOtherHost  = func(c *x509.Certificate) { c.DNSNames, c.IPAddresses = []string{"other.example"}, nil }
	SslTestClientOnly = func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }
	SslTestServerOnly = func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }
)
