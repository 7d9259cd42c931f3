package wsserver_test

// SecureMode (qt-websockets-semantics.md §1.11): wss with certificates
// made at test time.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// testPKI holds the certificates of the TLS tests.
type testPKI struct {
	server     tls.Certificate // self-signed, for localhost, 127.0.0.1 and ::1
	serverPool *x509.CertPool  // trusts server
	clientCAs  *x509.CertPool  // trusts client
	client     tls.Certificate // signed by the client CA
	rogue      tls.Certificate // a self-signed client certificate nobody trusts
}

var srvPKI = sync.OnceValues(func() (*testPKI, error) {
	serial := int64(0)
	mk := func(cn string, ca bool, eku []x509.ExtKeyUsage, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (tls.Certificate, *x509.Certificate, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, nil, nil, err
		}
		serial++
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: cn, Organization: []string{"qtgo tests"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature,
			ExtKeyUsage:           eku,
			BasicConstraintsValid: true,
			IsCA:                  ca,
		}
		if ca {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		if cn == "localhost" {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			return tls.Certificate{}, nil, nil, err
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			return tls.Certificate{}, nil, nil, err
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, key, nil
	}
	var p testPKI
	var err error
	var serverLeaf, caLeaf *x509.Certificate
	var caKey *ecdsa.PrivateKey
	if p.server, serverLeaf, _, err = mk("localhost", true, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, nil, nil); err != nil {
		return nil, err
	}
	if _, caLeaf, caKey, err = mk("client CA", true, nil, nil, nil); err != nil {
		return nil, err
	}
	if p.client, _, _, err = mk("client", false, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, caLeaf, caKey); err != nil {
		return nil, err
	}
	if p.rogue, _, _, err = mk("rogue", false, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil); err != nil {
		return nil, err
	}
	p.serverPool = x509.NewCertPool()
	p.serverPool.AddCert(serverLeaf)
	p.clientCAs = x509.NewCertPool()
	p.clientCAs.AddCert(caLeaf)
	return &p, nil
})

func pki(t *testing.T) *testPKI {
	t.Helper()
	p, err := srvPKI()
	if err != nil {
		t.Fatalf("making certificates: %v", err)
	}
	return p
}

// secureServer is a listening SecureMode echo server with conf.
func secureServer(t *testing.T, conf *tls.Config) (*wsserver.WebSocketServer, *serverSpies) {
	t.Helper()
	srv := srvNew(t, "Secure", wsserver.SecureMode)
	srv.SetSslConfiguration(conf)
	sp := spyServer(srv)
	srvListen(t, srv)
	srvEcho(t, srv)
	return srv, sp
}

// clientEvents records a client's signals in order.
type clientEvents struct {
	c      *wsserver.WebSocket
	events []string
	errs   []wsserver.SslError // SslErrors' list
}

func newClientEvents(t *testing.T, conf *tls.Config) *clientEvents {
	c := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	c.SetSslConfiguration(conf)
	ce := &clientEvents{c: c}
	c.Connected.Connect(c, func() { ce.events = append(ce.events, "connected") })
	c.Disconnected.Connect(c, func() { ce.events = append(ce.events, "disconnected") })
	c.PeerVerifyError.Connect(c, func(wsserver.SslError) { ce.events = append(ce.events, "peerVerifyError") })
	c.SslErrors.Connect(c, func(errs []wsserver.SslError) {
		ce.events = append(ce.events, "sslErrors")
		ce.errs = errs
	})
	c.ErrorOccurred.Connect(c, func(e wsserver.SocketError) { ce.events = append(ce.events, "error:"+e.String()) })
	return ce
}

// open opens url and runs the loop until the client has connected or
// disconnected.
func (ce *clientEvents) open(t *testing.T, url string) {
	t.Helper()
	ce.c.Open(url)
	if !signaltest.WaitFor(func() bool {
		return ce.has("connected") || ce.has("disconnected")
	}, srvWait) {
		t.Fatalf("client neither connected nor disconnected: %q", ce.events)
	}
}

func (ce *clientEvents) has(e string) bool {
	for _, x := range ce.events {
		if x == e {
			return true
		}
	}
	return false
}

func (ce *clientEvents) index(e string) int {
	for i, x := range ce.events {
		if x == e {
			return i
		}
	}
	return -1
}

func TestServerSecureModeEcho(t *testing.T) {
	t.Parallel()
	p := pki(t)
	conf := &tls.Config{Certificates: []tls.Certificate{p.server}}
	srv, sp := secureServer(t, conf)
	if got := srv.SslConfiguration(); got != conf {
		t.Errorf("SslConfiguration() = %p; want the configuration set (%p)", got, conf)
	}
	want := fmt.Sprintf("wss://127.0.0.1:%d", srv.ServerPort())
	if u := srv.ServerUrl(); u == nil || u.String() != want {
		t.Fatalf("ServerUrl() = %v; want %s", u, want)
	}
	ce := newClientEvents(t, &tls.Config{RootCAs: p.serverPool})
	ce.open(t, want+"/secure")
	if !ce.has("connected") || ce.has("sslErrors") || ce.has("peerVerifyError") {
		t.Fatalf("client events %q (%s); want connected without TLS errors", ce.events, ce.c.ErrorString())
	}
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	srvRoundTrip(t, ce.c, "over TLS")
	if sp.errs.Count()+sp.sslErrs.Count()+sp.peerErrs.Count() != 0 {
		t.Errorf("server ServerError %d, SslErrors %d, PeerVerifyError %d; want none",
			sp.errs.Count(), sp.sslErrs.Count(), sp.peerErrs.Count())
	}
}

// The server-side socket's URL has the wss scheme (tst_scheme).
func TestServerSecureModeRequestUrl(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv := srvNew(t, "", wsserver.SecureMode)
	srv.SetSslConfiguration(&tls.Config{Certificates: []tls.Certificate{p.server}})
	sp := spyServer(srv)
	srvListen(t, srv)
	ce := newClientEvents(t, &tls.Config{RootCAs: p.serverPool})
	ce.open(t, srv.ServerUrl().String()+"/path")
	waitCount(t, sp.newConn.Count, 1, "NewConnection")
	ws := srv.NextPendingConnection()
	t.Cleanup(ws.Delete)
	want := fmt.Sprintf("wss://127.0.0.1:%d/path", srv.ServerPort())
	if u := ws.RequestUrl(); u == nil || u.String() != want {
		t.Errorf("server-side RequestUrl() = %v; want %s", u, want)
	}
}

// A client that does not trust the certificate gets PeerVerifyError and
// SslErrors, then ErrorOccurred(SslHandshakeFailedError), and never
// connects.
func TestServerSecureModeUntrustedCertificate(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, sp := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	ce := newClientEvents(t, &tls.Config{RootCAs: x509.NewCertPool()}) // trusts nothing
	ce.open(t, srv.ServerUrl().String())
	signaltest.Wait(20 * time.Millisecond)
	if ce.has("connected") {
		t.Fatalf("client connected to an untrusted server: %q", ce.events)
	}
	pv, se, er := ce.index("peerVerifyError"), ce.index("sslErrors"), ce.index("error:SslHandshakeFailedError")
	if pv < 0 || se < 0 || er < 0 || !(pv < se && se < er) {
		t.Errorf("client events %q; want peerVerifyError, sslErrors, then error:SslHandshakeFailedError", ce.events)
	}
	if len(ce.errs) == 0 {
		t.Error("SslErrors with an empty list")
	}
	if s := ce.c.State(); s != wsserver.UnconnectedState {
		t.Errorf("client state %v", s)
	}
	if sp.newConn.Count()+sp.errs.Count()+sp.sslErrs.Count() != 0 {
		t.Errorf("server NewConnection %d, ServerError %d, SslErrors %d; want none (Qt's server is silent)",
			sp.newConn.Count(), sp.errs.Count(), sp.sslErrs.Count())
	}
}

// IgnoreSslErrors connects anyway and still reports the errors.
func TestServerSecureModeIgnoreSslErrors(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, _ := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	ce := newClientEvents(t, &tls.Config{RootCAs: x509.NewCertPool()})
	ce.c.IgnoreSslErrors()
	ce.open(t, srv.ServerUrl().String())
	se, co := ce.index("sslErrors"), ce.index("connected")
	if co < 0 || se < 0 || se > co {
		t.Fatalf("client events %q; want sslErrors then connected", ce.events)
	}
	srvRoundTrip(t, ce.c, "ignored")
}

// A server that requires client certificates reports a refused one with
// PeerVerifyError and SslErrors (forwarded from QSslServer), and a missing
// one too (QSslError::NoPeerCertificate).
func TestServerSecureModeClientCertificates(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, sp := secureServer(t, &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.clientCAs,
	})
	refused := func(name string, cert *tls.Certificate, n int) {
		t.Helper()
		conf := &tls.Config{RootCAs: p.serverPool}
		if cert != nil {
			// Sent even though the server names other CAs (Go's client
			// would otherwise send none).
			conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		ce := newClientEvents(t, conf)
		ce.open(t, srv.ServerUrl().String())
		if ce.has("connected") {
			t.Fatalf("%s: client connected: %q", name, ce.events)
		}
		if !signaltest.WaitFor(func() bool { return ce.has("disconnected") }, srvWait) {
			t.Errorf("%s: client events %q; want a disconnection", name, ce.events)
		}
		waitCount(t, sp.peerErrs.Count, n, name+": server PeerVerifyError")
		waitCount(t, sp.sslErrs.Count, n, name+": server SslErrors")
		if errs := sp.sslErrs.At(n - 1); len(errs) != 1 || !errs[0].Equal(sp.peerErrs.At(n-1)) {
			t.Errorf("%s: SslErrors(%v); want [the PeerVerifyError %v]", name, errs, sp.peerErrs.At(n-1))
		}
	}
	refused("untrusted certificate", &p.rogue, 1)
	if e := sp.peerErrs.At(0); e.Code() != wsserver.SelfSignedCertificate || e.Certificate() == nil ||
		e.Certificate().Subject.CommonName != "rogue" {
		t.Errorf("PeerVerifyError for an untrusted certificate: %v (%v, %v); want Qt's SelfSignedCertificate for it",
			e, e.Code(), e.Certificate())
	}
	refused("no certificate", nil, 2)
	if e := sp.peerErrs.At(1); e.Code() != wsserver.NoPeerCertificate || e.Error() != "The peer did not present any certificate" {
		t.Errorf("PeerVerifyError for a missing certificate: %v (%v); want Qt's NoPeerCertificate, \"The peer did not present any certificate\"", e, e.Code())
	}

	ce := newClientEvents(t, &tls.Config{RootCAs: p.serverPool, Certificates: []tls.Certificate{p.client}})
	ce.open(t, srv.ServerUrl().String())
	if !ce.has("connected") {
		t.Fatalf("trusted client certificate: events %q (%s)", ce.events, ce.c.ErrorString())
	}
	srvRoundTrip(t, ce.c, "mutual TLS")
	if sp.newConn.Count() != 1 || sp.peerErrs.Count() != 2 || sp.errs.Count() != 0 {
		t.Errorf("server NewConnection %d, PeerVerifyError %d, ServerError %d; want 1, 2, 0",
			sp.newConn.Count(), sp.peerErrs.Count(), sp.errs.Count())
	}
}

// A plain ws client cannot talk to a wss server. (Qt drops it without a
// byte; net/http answers a plain HTTP request with a 400 first.)
func TestServerSecureModePlainClient(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, sp := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	ce := newClientEvents(t, nil)
	ce.open(t, fmt.Sprintf("ws://127.0.0.1:%d", srv.ServerPort()))
	if ce.has("connected") || !ce.has("disconnected") || !slices.ContainsFunc(ce.events, func(e string) bool { return strings.HasPrefix(e, "error:") }) {
		t.Errorf("plain client events %q; want an error and a disconnection", ce.events)
	}
	raw := srvDial(t, srvAddr(srv))
	raw.send(t, srvRequest("/"))
	r := raw.readToEnd(time.Now())
	if len(r.data) >= 12 && string(r.data[:12]) == "HTTP/1.1 101" || !r.closedByPeer() {
		t.Errorf("plain raw client: read %q, %v; want no upgrade and a close", r.data, r.err)
	}
	signaltest.Wait(20 * time.Millisecond)
	if sp.newConn.Count()+sp.errs.Count()+sp.sslErrs.Count()+sp.peerErrs.Count() != 0 {
		t.Error("the server reported a plain client")
	}
}

// SetSslConfiguration is ignored in NonSecureMode (Qt: the getter returns
// the default configuration; here nil) and kept in SecureMode, also across
// Close.
func TestServerSslConfiguration(t *testing.T) {
	t.Parallel()
	conf := &tls.Config{MinVersion: tls.VersionTLS13}
	plain := srvNew(t, "", wsserver.NonSecureMode)
	plain.SetSslConfiguration(conf)
	if c := plain.SslConfiguration(); c != nil {
		t.Errorf("NonSecureMode SslConfiguration() = %v; want nil", c)
	}
	srvListen(t, plain)
	if u := plain.ServerUrl(); u.Scheme != "ws" {
		t.Errorf("NonSecureMode ServerUrl() = %v", u)
	}
	sec := srvNew(t, "", wsserver.SecureMode)
	sec.SetSslConfiguration(conf)
	srvListen(t, sec)
	sec.Close()
	if c := sec.SslConfiguration(); c != conf {
		t.Errorf("SecureMode SslConfiguration() = %v after Close; want the one set", c)
	}
}

// The default minimum is TLS 1.2; a configured MinVersion is kept.
func TestServerSecureModeTLSVersions(t *testing.T) {
	t.Parallel()
	p := pki(t)
	dial := func(srv *wsserver.WebSocketServer, lo, hi uint16) error {
		d := &net.Dialer{Timeout: srvWait}
		c, err := tls.DialWithDialer(d, "tcp", srvAddr(srv), &tls.Config{
			RootCAs: p.serverPool, MinVersion: lo, MaxVersion: hi,
		})
		if err == nil {
			c.Close()
		}
		return err
	}
	def, _ := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	if err := dial(def, tls.VersionTLS10, tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 client was accepted; the default minimum is TLS 1.2")
	}
	if err := dial(def, tls.VersionTLS12, tls.VersionTLS12); err != nil {
		t.Errorf("a TLS 1.2 client was refused: %v", err)
	}
	strict, _ := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS13})
	if err := dial(strict, tls.VersionTLS12, tls.VersionTLS12); err == nil {
		t.Error("a TLS 1.2 client was accepted with MinVersion TLS 1.3")
	}
	if err := dial(strict, tls.VersionTLS13, tls.VersionTLS13); err != nil {
		t.Errorf("a TLS 1.3 client was refused: %v", err)
	}
}

// The handshake timeout covers the TLS handshake and the HTTP request
// (Qt runs one timer for each phase, so up to twice the timeout).
func TestServerSecureModeHandshakeTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	p := pki(t)
	srv := srvNew(t, "", wsserver.SecureMode)
	srv.SetSslConfiguration(&tls.Config{Certificates: []tls.Certificate{p.server}})
	srv.SetHandshakeTimeout(timeout)
	sp := spyServer(srv)
	srvListen(t, srv)

	start := time.Now()
	silent := srvDial(t, srvAddr(srv)) // no ClientHello
	tc := tls.Client(srvDial(t, srvAddr(srv)).Conn, &tls.Config{RootCAs: p.serverPool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil { // TLS done, no HTTP request
		t.Fatalf("TLS handshake: %v", err)
	}
	silentEnd := srvGo(func() closeResult { return silent.readToEndRaw(start) })
	tlsEnd := srvGo(func() closeResult {
		_, err := tc.Read(make([]byte, 1))
		return closeResult{err: err, elapsed: time.Since(start)}
	})
	for name, ch := range map[string]<-chan closeResult{"silent TCP": silentEnd, "silent TLS": tlsEnd} {
		r := srvAwait(t, ch, srvWait, name+" client's close")
		if !r.closedByPeer() || len(r.data) != 0 {
			t.Errorf("%s client: read %q, %v; want a close", name, r.data, r.err)
		}
		if r.elapsed < timeout-20*time.Millisecond || r.elapsed > 2*timeout+2*time.Second {
			t.Errorf("%s client closed after %v; want about %v", name, r.elapsed, timeout)
		}
	}
	if sp.newConn.Count()+sp.errs.Count()+sp.sslErrs.Count() != 0 {
		t.Error("the server reported a timed-out handshake")
	}
}

// A plain HTTPS request is not a handshake: 400 (Qt: closed silently) and
// no signal.
func TestServerSecureModeHTTPSRequestRefused(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, sp := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	status := srvAwait(t, srvGo(func() int {
		cl := &http.Client{Timeout: srvWait, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.serverPool}}}
		defer cl.CloseIdleConnections()
		resp, err := cl.Get("https://127.0.0.1:" + fmt.Sprint(srv.ServerPort()) + "/")
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}), 2*srvWait, "the HTTPS response")
	if status != -1 {
		t.Errorf("a plain HTTPS GET got %d; want the connection closed without an answer, as Qt closes an invalid request", status)
	}
	signaltest.Wait(20 * time.Millisecond)
	if sp.errs.Count()+sp.newConn.Count() != 0 {
		t.Error("the server reported a plain HTTPS request")
	}
}
