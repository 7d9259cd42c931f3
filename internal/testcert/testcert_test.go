package testcert

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCopyMatchesTestdata: the embedded copy is the canonical one in
// testdata/ (go generate refreshes it).
func TestCopyMatchesTestdata(t *testing.T) {
	for name, embedded := range map[string][]byte{"localhost.cert": certPEM, "localhost.key": keyPEM} {
		canonical, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(embedded, canonical) {
			t.Errorf("internal/testcert/%s differs from testdata/%s; run go generate ./internal/testcert", name, name)
		}
	}
}

func leaf(t *testing.T) *x509.Certificate {
	t.Helper()
	c := Certificate()
	if c.Leaf == nil {
		t.Fatal("Certificate().Leaf is nil")
	}
	return c.Leaf
}

// TestCertificate checks what testdata/README.md promises.
func TestCertificate(t *testing.T) {
	l := leaf(t)
	want := "CN=localhost,OU=WebSockets,O=The Qt Project,L=Oslo,ST=Oslo,C=NO"
	if got := l.Subject.String(); got != want {
		t.Errorf("subject %q; want %q", got, want)
	}
	if l.Issuer.String() != l.Subject.String() {
		t.Errorf("issuer %q; want self-signed", l.Issuer)
	}
	if !slices.Equal(l.DNSNames, []string{"localhost"}) {
		t.Errorf("DNS SANs %q; want [localhost]", l.DNSNames)
	}
	if len(l.IPAddresses) != 1 || !l.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("IP SANs %v; want [127.0.0.1]", l.IPAddresses)
	}
	key, ok := l.PublicKey.(*rsa.PublicKey)
	if !ok || key.N.BitLen() != 2048 {
		t.Errorf("public key %T; want RSA 2048", l.PublicKey)
	}
	if l.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature %v; want SHA256-RSA", l.SignatureAlgorithm)
	}
	now := time.Now()
	if now.Before(l.NotBefore) {
		t.Errorf("not valid before %v", l.NotBefore)
	}
	// A year's warning before the tests start failing on expiry.
	if now.AddDate(1, 0, 0).After(l.NotAfter) {
		t.Errorf("expires %v; regenerate it as testdata/README.md says", l.NotAfter)
	}
}

// TestVerifies: a client trusting CertPool accepts the certificate for both
// names the examples use, and for nothing else.
func TestVerifies(t *testing.T) {
	l := leaf(t)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		_, err := l.Verify(x509.VerifyOptions{Roots: CertPool(), DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			t.Errorf("Verify(%s): %v", name, err)
		}
	}
	for _, name := range []string{"example.com", "127.0.0.2", "::1"} {
		if _, err := l.Verify(x509.VerifyOptions{Roots: CertPool(), DNSName: name}); err == nil {
			t.Errorf("Verify(%s) succeeded; want a name mismatch", name)
		}
	}
	if _, err := l.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), DNSName: "localhost"}); err == nil {
		t.Error("Verify without the pool succeeded; want an unknown authority")
	}
}

// TestHandshake runs a TLS handshake with the server's and the client's
// configurations as the examples build them.
func TestHandshake(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	_ = a.SetDeadline(time.Now().Add(10 * time.Second))
	_ = b.SetDeadline(time.Now().Add(10 * time.Second))
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{Certificate()}})
	cli := tls.Client(b, &tls.Config{RootCAs: CertPool(), ServerName: "localhost"})
	errs := make(chan error, 1)
	go func() { errs <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}

// TestCopies: the PEM accessors return copies.
func TestCopies(t *testing.T) {
	c, k := CertPEM(), KeyPEM()
	if !bytes.Equal(c, certPEM) || !bytes.Equal(k, keyPEM) {
		t.Fatal("accessors differ from the embedded files")
	}
	c[0], k[0] = 'x', 'x'
	if certPEM[0] == 'x' || keyPEM[0] == 'x' {
		t.Error("changing a returned slice changed the embedded file")
	}
	if _, err := tls.X509KeyPair(CertPEM(), KeyPEM()); err != nil {
		t.Errorf("X509KeyPair(CertPEM(), KeyPEM()): %v", err)
	}
}
