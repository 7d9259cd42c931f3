// Package testcert holds the self-signed certificate for localhost that the
// sslechoserver and sslechoclient examples embed, as Qt's embed
// localhost.cert and localhost.key as resources (:/localhost.cert,
// :/localhost.key).
//
// The canonical files are testdata/localhost.cert and testdata/localhost.key
// at the module root; testdata/README.md gives the openssl command that made
// them. go:embed cannot reach outside the package directory, so this
// package holds a copy, refreshed by go generate; its tests fail if the
// copy and testdata/ differ.
//
// The key is public: the certificate is for examples and tests on the
// loopback interface only, as Qt's is. Never use it to protect anything.
package testcert

//go:generate cp ../../testdata/localhost.cert ../../testdata/localhost.key .

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"sync"
)

//go:embed localhost.cert
var certPEM []byte

//go:embed localhost.key
var keyPEM []byte

// CertPEM returns the certificate, PEM encoded (Qt's :/localhost.cert).
func CertPEM() []byte { return append([]byte(nil), certPEM...) }

// KeyPEM returns the certificate's private key (RSA, PKCS #8, PEM
// encoded; Qt's :/localhost.key).
func KeyPEM() []byte { return append([]byte(nil), keyPEM...) }

var keyPair = sync.OnceValue(func() tls.Certificate {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		panic("testcert: the embedded certificate does not load: " + err.Error())
	}
	return c
})

// Certificate returns the certificate and its key, for a server's
// tls.Config.Certificates (Qt: setLocalCertificate and setPrivateKey).
// It panics if the embedded files are broken, which the package's tests
// rule out.
func Certificate() tls.Certificate { return keyPair() }

// CertPool returns a new pool holding the certificate as a trusted root,
// for a client's tls.Config.RootCAs (Qt: addCaCertificate). It panics if
// the embedded certificate is broken, which the package's tests rule out.
func CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		panic("testcert: the embedded certificate is not PEM")
	}
	return pool
}
