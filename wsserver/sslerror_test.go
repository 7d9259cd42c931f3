package wsserver_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// QSslError::SslError's values are Qt's, its names Qt's.
func TestSslErrorCodes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code wsserver.SslErrorCode
		n    int
		name string
	}{
		{wsserver.NoError, 0, "NoError"},
		{wsserver.UnableToGetIssuerCertificate, 1, "UnableToGetIssuerCertificate"},
		{wsserver.CertificateSignatureFailed, 4, "CertificateSignatureFailed"},
		{wsserver.CertificateNotYetValid, 5, "CertificateNotYetValid"},
		{wsserver.CertificateExpired, 6, "CertificateExpired"},
		{wsserver.SelfSignedCertificate, 9, "SelfSignedCertificate"},
		{wsserver.SelfSignedCertificateInChain, 10, "SelfSignedCertificateInChain"},
		{wsserver.UnableToGetLocalIssuerCertificate, 11, "UnableToGetLocalIssuerCertificate"},
		{wsserver.UnableToVerifyFirstCertificate, 12, "UnableToVerifyFirstCertificate"},
		{wsserver.CertificateRevoked, 13, "CertificateRevoked"},
		{wsserver.InvalidCaCertificate, 14, "InvalidCaCertificate"},
		{wsserver.PathLengthExceeded, 15, "PathLengthExceeded"},
		{wsserver.InvalidPurpose, 16, "InvalidPurpose"},
		{wsserver.AuthorityIssuerSerialNumberMismatch, 20, "AuthorityIssuerSerialNumberMismatch"},
		{wsserver.NoPeerCertificate, 21, "NoPeerCertificate"},
		{wsserver.HostNameMismatch, 22, "HostNameMismatch"},
		{wsserver.NoSslSupport, 23, "NoSslSupport"},
		{wsserver.CertificateBlacklisted, 24, "CertificateBlacklisted"},
		{wsserver.CertificateStatusUnknown, 25, "CertificateStatusUnknown"},
		{wsserver.OcspNoResponseFound, 26, "OcspNoResponseFound"},
		{wsserver.OcspSigRequred, 31, "OcspSigRequred"},
		{wsserver.OcspStatusUnknown, 36, "OcspStatusUnknown"},
		{wsserver.UnspecifiedError, -1, "UnspecifiedError"},
		{wsserver.SslErrorCode(37), 37, "SslErrorCode(37)"},
		{wsserver.SslErrorCode(-2), -2, "SslErrorCode(-2)"},
	} {
		if int(c.code) != c.n || c.code.String() != c.name {
			t.Errorf("%s = %d (%v); want %d, %q", c.name, int(c.code), c.code, c.n, c.name)
		}
	}
}

// ErrorString is what Qt 6.4.2's QSslError::errorString() printed for each
// value from -1 to 37.
func TestSslErrorString(t *testing.T) {
	t.Parallel()
	qt := []string{
		"Unknown error", // -1
		"No error",
		"The issuer certificate could not be found",
		"The certificate signature could not be decrypted",
		"The public key in the certificate could not be read",
		"The signature of the certificate is invalid",
		"The certificate is not yet valid",
		"The certificate has expired",
		"The certificate's notBefore field contains an invalid time",
		"The certificate's notAfter field contains an invalid time",
		"The certificate is self-signed, and untrusted",
		"The root certificate of the certificate chain is self-signed, and untrusted",
		"The issuer certificate of a locally looked up certificate could not be found",
		"No certificates could be verified",
		"Unknown error", // CertificateRevoked: Qt 6.4 has no text
		"One of the CA certificates is invalid",
		"The basicConstraints path length parameter has been exceeded",
		"The supplied certificate is unsuitable for this purpose",
		"The root CA certificate is not trusted for this purpose",
		"The root CA certificate is marked to reject the specified purpose",
		"The current candidate issuer certificate was rejected because its subject name did not match the issuer name of the current certificate",
		"The current candidate issuer certificate was rejected because its issuer name and serial number was present and did not match the authority key identifier of the current certificate",
		"The peer did not present any certificate",
		"The host name did not match any of the valid hosts for this certificate",
		"", // NoSslSupport
		"The peer certificate is blacklisted",
		"Unknown error", // CertificateStatusUnknown
		"No OCSP status response found",
		"The OCSP status request had invalid syntax",
		"OCSP response contains an unexpected number of SingleResponse structures",
		"OCSP responder reached an inconsistent internal state",
		"OCSP responder was unable to return a status for the requested certificate",
		"The server requires the client to sign the OCSP request in order to construct a response",
		"The client is not authorized to request OCSP status from this server",
		"OCSP responder's identity cannot be verified",
		"The identity of a certificate in an OCSP response cannot be established",
		"The certificate status response has expired",
		"The certificate's status is unknown",
		"Unknown error", // 37
	}
	for i, want := range qt {
		code := wsserver.SslErrorCode(i - 1)
		e := wsserver.NewSslError(code)
		if e.ErrorString() != want || e.Error() != want {
			t.Errorf("%v: ErrorString() %q, Error() %q; want Qt's %q", code, e.ErrorString(), e.Error(), want)
		}
	}
	if got := fmt.Sprint(wsserver.NewSslError(wsserver.SelfSignedCertificate)); got != "The certificate is self-signed, and untrusted" {
		t.Errorf("printed as %q; want Qt's text", got)
	}
}

// The zero SslError is QSslError(); NewSslError is QSslError(error) and
// QSslError(error, certificate); Equal is operator==.
func TestSslErrorValue(t *testing.T) {
	t.Parallel()
	var zero wsserver.SslError
	if zero.Code() != wsserver.NoError || zero.Certificate() != nil || zero.Unwrap() != nil || zero.Error() != "No error" {
		t.Errorf("zero SslError: %v, %v, %v, %q; want QSslError()", zero.Code(), zero.Certificate(), zero.Unwrap(), zero.Error())
	}
	a := wsserver.NewSslTestCert(t, "a", nil, false)
	b := wsserver.NewSslTestCert(t, "b", nil, false)
	aAgain, err := x509.ParseCertificate(a.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	e := wsserver.NewSslError(wsserver.CertificateExpired, a.Cert)
	if e.Code() != wsserver.CertificateExpired || e.Certificate() != a.Cert || e.Unwrap() != nil {
		t.Errorf("NewSslError(CertificateExpired, a) = %v, %v, %v", e.Code(), e.Certificate(), e.Unwrap())
	}
	for _, c := range []struct {
		x, y wsserver.SslError
		want bool
	}{
		{zero, wsserver.NewSslError(wsserver.NoError), true},
		{zero, wsserver.NewSslError(wsserver.NoError, nil), true},
		{e, wsserver.NewSslError(wsserver.CertificateExpired, aAgain), true}, // the same certificate, parsed again
		{e, wsserver.NewSslError(wsserver.CertificateExpired, b.Cert), false},
		{e, wsserver.NewSslError(wsserver.CertificateExpired), false},
		{wsserver.NewSslError(wsserver.CertificateExpired), e, false},
		{e, wsserver.NewSslError(wsserver.CertificateNotYetValid, a.Cert), false},
	} {
		if got := c.x.Equal(c.y); got != c.want {
			t.Errorf("(%v, %v).Equal(%v, %v) = %v; want %v", c.x.Code(), c.x.Certificate() != nil,
				c.y.Code(), c.y.Certificate() != nil, got, c.want)
		}
	}
	var target wsserver.SslError
	if wrapped := fmt.Errorf("dial: %w", e); !errors.As(wrapped, &target) || !target.Equal(e) {
		t.Errorf("errors.As through a wrap: %v", target)
	}
}

// sslClient records a wss client's signals in order, with the errors.
type sslClient struct {
	c      *wsserver.WebSocket
	events []string
	peer   []wsserver.SslError   // PeerVerifyError's, in order
	lists  [][]wsserver.SslError // SslErrors'
}

func newSslClient(t *testing.T, roots *x509.CertPool, cert *tls.Certificate) *sslClient {
	t.Helper()
	c := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(c.Delete)
	conf := &tls.Config{RootCAs: roots}
	if cert != nil {
		// Sent whatever CAs the server names.
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	c.SetSslConfiguration(conf)
	sc := &sslClient{c: c}
	c.Connected.Connect(c, func() { sc.events = append(sc.events, "connected") })
	c.Disconnected.Connect(c, func() { sc.events = append(sc.events, "disconnected") })
	c.PeerVerifyError.Connect(c, func(e wsserver.SslError) {
		sc.events = append(sc.events, "peerVerifyError")
		sc.peer = append(sc.peer, e)
	})
	c.SslErrors.Connect(c, func(errs []wsserver.SslError) {
		sc.events = append(sc.events, "sslErrors")
		sc.lists = append(sc.lists, errs)
	})
	c.ErrorOccurred.Connect(c, func(e wsserver.SocketError) { sc.events = append(sc.events, "error:"+e.String()) })
	return sc
}

// open opens url and runs the loop until the client has connected or
// disconnected.
func (sc *sslClient) open(t *testing.T, url string) {
	t.Helper()
	sc.c.Open(url)
	done := func() bool {
		for _, e := range sc.events {
			if e == "connected" || e == "disconnected" {
				return true
			}
		}
		return false
	}
	if !signaltest.WaitFor(done, srvWait) {
		t.Fatalf("client neither connected nor disconnected: %q", sc.events)
	}
}

// codes writes errs' codes and certificates' names, "null" for none.
func codes(errs []wsserver.SslError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		name := "null"
		if c := e.Certificate(); c != nil {
			name = c.Subject.CommonName
		}
		parts[i] = fmt.Sprintf("%v(%s)", e.Code(), name)
	}
	return strings.Join(parts, " ")
}

// A wss client reports the server's certificate as Qt's QWebSocket does:
// one PeerVerifyError per error, then SslErrors with the list in Qt's
// order, then ErrorOccurred(SslHandshakeFailedError) with the list's first
// text as ErrorString, and Disconnected. The codes are those a Qt 6.4.2
// QSslSocket reported for the same chains (sslverify.go). (QSslSocket
// emits errorOccurred before disconnected; the order of those two is the
// transport's, dialFailed's, and not checked here.)
func TestSslErrorsClientHandshake(t *testing.T) {
	t.Parallel()
	root := wsserver.NewSslTestCert(t, "Root", nil, true)
	self := wsserver.NewSslTestCert(t, "Self", nil, false)
	leaf := wsserver.NewSslTestCert(t, "Leaf", root, false)
	expired := wsserver.NewSslTestCert(t, "Expired", root, false, wsserver.SslTestExpired)
	notYet := wsserver.NewSslTestCert(t, "NotYet", root, false, wsserver.SslTestNotYet)
	other := wsserver.NewSslTestCert(t, "Other", root, false, wsserver.SslTestOtherHost)
	expOther := wsserver.NewSslTestCert(t, "ExpOther", root, false, wsserver.SslTestExpired, wsserver.SslTestOtherHost)
	clientOnly := wsserver.NewSslTestCert(t, "ClientOnly", root, false, wsserver.SslTestClientOnly)
	trustRoot, trustNothing := wsserver.SslTestPool(root), wsserver.SslTestPool()

	for _, c := range []struct {
		name     string
		chain    []*wsserver.SslTestCert
		roots    *x509.CertPool
		want     string // PeerVerifyError's, in order
		wantList string // SslErrors', if not want
	}{
		{"trusted", []*wsserver.SslTestCert{leaf}, trustRoot, "", ""},
		{"self-signed", []*wsserver.SslTestCert{self}, trustNothing, "SelfSignedCertificate(Self)", ""},
		{"root in the chain, untrusted", []*wsserver.SslTestCert{leaf, root}, trustNothing, "SelfSignedCertificateInChain(Root)", ""},
		{"issuer unknown", []*wsserver.SslTestCert{leaf}, trustNothing,
			"UnableToGetLocalIssuerCertificate(Leaf) UnableToVerifyFirstCertificate(Leaf)", ""},
		{"expired", []*wsserver.SslTestCert{expired}, trustRoot, "CertificateExpired(Expired)", ""},
		{"not yet valid", []*wsserver.SslTestCert{notYet}, trustRoot, "CertificateNotYetValid(NotYet)", ""},
		{"another host", []*wsserver.SslTestCert{other}, trustRoot, "HostNameMismatch(Other)", ""},
		{"expired, another host", []*wsserver.SslTestCert{expOther}, trustRoot,
			"CertificateExpired(ExpOther) HostNameMismatch(ExpOther)", "HostNameMismatch(ExpOther) CertificateExpired(ExpOther)"},
		{"for TLS clients only", []*wsserver.SslTestCert{clientOnly}, trustRoot, "InvalidPurpose(ClientOnly)", ""},
	} {
		srv, sp := secureServer(t, &tls.Config{Certificates: []tls.Certificate{wsserver.SslTestChain(c.chain...)}})
		sc := newSslClient(t, c.roots, nil)
		sc.open(t, srv.ServerUrl().String())
		if c.want == "" {
			if got := strings.Join(sc.events, " "); got != "connected" {
				t.Errorf("%s: events %q; want connected", c.name, got)
			}
			continue
		}
		n := strings.Count(c.want, "(")
		want := strings.Repeat("peerVerifyError ", n) + "sslErrors"
		rest := sc.events[min(n+1, len(sc.events)):]
		if got := strings.Join(sc.events[:len(sc.events)-len(rest)], " "); got != want || len(rest) != 2 ||
			!slices.Contains(rest, "error:SslHandshakeFailedError") || !slices.Contains(rest, "disconnected") {
			t.Errorf("%s: events %q; want %q, then error:SslHandshakeFailedError and disconnected", c.name, sc.events, want)
		}
		if got := codes(sc.peer); got != c.want {
			t.Errorf("%s: PeerVerifyError %s; want Qt's %s", c.name, got, c.want)
		}
		wantList := c.wantList
		if wantList == "" {
			wantList = c.want
		}
		if len(sc.lists) != 1 {
			t.Fatalf("%s: SslErrors emitted %d times; want once", c.name, len(sc.lists))
		}
		if got := codes(sc.lists[0]); got != wantList {
			t.Errorf("%s: SslErrors %s; want Qt's %s", c.name, got, wantList)
		}
		if got, want := sc.c.ErrorString(), sc.lists[0][0].ErrorString(); got != want {
			t.Errorf("%s: ErrorString %q; want the first SslErrors entry's, %q (Qt's)", c.name, got, want)
		}
		if sp.newConn.Count()+sp.sslErrs.Count()+sp.peerErrs.Count() != 0 {
			t.Errorf("%s: server NewConnection %d, SslErrors %d, PeerVerifyError %d; want none",
				c.name, sp.newConn.Count(), sp.sslErrs.Count(), sp.peerErrs.Count())
		}
	}
}

// IgnoreSslErrors connects in spite of the errors, which are still
// reported, in the same order, before Connected.
func TestSslErrorsClientIgnored(t *testing.T) {
	t.Parallel()
	root := wsserver.NewSslTestCert(t, "Root", nil, true)
	expOther := wsserver.NewSslTestCert(t, "ExpOther", root, false, wsserver.SslTestExpired, wsserver.SslTestOtherHost)
	srv, _ := secureServer(t, &tls.Config{Certificates: []tls.Certificate{wsserver.SslTestChain(expOther)}})
	sc := newSslClient(t, wsserver.SslTestPool(root), nil)
	sc.c.IgnoreSslErrors()
	sc.open(t, srv.ServerUrl().String())
	if got := strings.Join(sc.events, " "); got != "peerVerifyError peerVerifyError sslErrors connected" {
		t.Fatalf("events %q; want two peerVerifyError, sslErrors, connected", got)
	}
	if got := codes(sc.lists[0]); got != "HostNameMismatch(ExpOther) CertificateExpired(ExpOther)" {
		t.Errorf("SslErrors %s", got)
	}
	var host x509.HostnameError
	if !errors.As(sc.lists[0][0], &host) {
		t.Errorf("HostNameMismatch wraps %v; want an x509.HostnameError", sc.lists[0][0].Unwrap())
	}
	srvRoundTrip(t, sc.c, "ignored")
}

// A server that verifies client certificates reports them on its
// PeerVerifyError and SslErrors as Qt's QWebSocketServer forwards
// QSslServer's; the client sees only a failed handshake.
func TestSslErrorsServerHandshake(t *testing.T) {
	t.Parallel()
	serverRoot := wsserver.NewSslTestCert(t, "ServerRoot", nil, true)
	server := wsserver.NewSslTestCert(t, "Server", serverRoot, false)
	clientRoot := wsserver.NewSslTestCert(t, "ClientRoot", nil, true)
	otherRoot := wsserver.NewSslTestCert(t, "OtherRoot", nil, true)
	client := wsserver.NewSslTestCert(t, "Client", clientRoot, false, wsserver.SslTestOtherHost) // no host name check
	self := wsserver.NewSslTestCert(t, "Self", nil, false)
	stranger := wsserver.NewSslTestCert(t, "Stranger", otherRoot, false)
	expired := wsserver.NewSslTestCert(t, "Expired", clientRoot, false, wsserver.SslTestExpired)
	serverOnly := wsserver.NewSslTestCert(t, "ServerOnly", clientRoot, false, wsserver.SslTestServerOnly)

	srv, sp := secureServer(t, &tls.Config{
		Certificates: []tls.Certificate{wsserver.SslTestChain(server)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    wsserver.SslTestPool(clientRoot),
	})
	refused, peerErrs := 0, 0 // the server's SslErrors and PeerVerifyError so far
	for _, c := range []struct {
		name  string
		chain []*wsserver.SslTestCert // none: no certificate
		want  string
	}{
		{"trusted", []*wsserver.SslTestCert{client}, ""},
		{"no certificate", nil, "NoPeerCertificate(null)"},
		{"self-signed", []*wsserver.SslTestCert{self}, "SelfSignedCertificate(Self)"},
		{"another CA's, with its root", []*wsserver.SslTestCert{stranger, otherRoot}, "SelfSignedCertificateInChain(OtherRoot)"},
		{"another CA's", []*wsserver.SslTestCert{stranger}, "UnableToGetLocalIssuerCertificate(Stranger) UnableToVerifyFirstCertificate(Stranger)"},
		{"expired", []*wsserver.SslTestCert{expired}, "CertificateExpired(Expired)"},
		{"for TLS servers only", []*wsserver.SslTestCert{serverOnly}, "InvalidPurpose(ServerOnly)"},
	} {
		var cert *tls.Certificate
		if c.chain != nil {
			tc := wsserver.SslTestChain(c.chain...)
			cert = &tc
		}
		sc := newSslClient(t, wsserver.SslTestPool(serverRoot), cert)
		sc.open(t, srv.ServerUrl().String())
		if c.want == "" {
			if got := strings.Join(sc.events, " "); got != "connected" {
				t.Errorf("%s: client events %q; want connected", c.name, got)
			}
			srvRoundTrip(t, sc.c, "trusted client")
			continue
		}
		if slices.Contains(sc.events, "connected") || len(sc.peer)+len(sc.lists) != 0 {
			t.Errorf("%s: client events %q; want a failure without the client's own TLS errors", c.name, sc.events)
		}
		n := strings.Count(c.want, "(")
		before := peerErrs
		peerErrs += n
		refused++
		waitCount(t, sp.sslErrs.Count, refused, c.name+": server SslErrors")
		waitCount(t, sp.peerErrs.Count, peerErrs, c.name+": server PeerVerifyError")
		var peer []wsserver.SslError
		for i := before; i < before+n; i++ {
			peer = append(peer, sp.peerErrs.At(i))
		}
		if got := codes(peer); got != c.want {
			t.Errorf("%s: server PeerVerifyError %s; want Qt's %s", c.name, got, c.want)
		}
		if got := codes(sp.sslErrs.At(refused - 1)); got != c.want {
			t.Errorf("%s: server SslErrors %s; want Qt's %s", c.name, got, c.want)
		}
	}
	if sp.newConn.Count() != 1 || sp.errs.Count() != 0 {
		t.Errorf("server NewConnection %d, ServerError %d; want 1, 0", sp.newConn.Count(), sp.errs.Count())
	}
}
