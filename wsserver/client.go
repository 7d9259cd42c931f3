package wsserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// Open connects to url, a ws:// or wss:// URL (QWebSocket::open). The state
// becomes ConnectingState before Open returns; Connected follows on
// success, and on failure ErrorOccurred and Disconnected. An invalid URL or
// scheme fails at once with ErrorOccurred and no state change, as in Qt.
// options, if given, set the subprotocols to offer. Opening a socket that
// is connected drops the old connection without a close frame, as Qt does.
// Safe from any goroutine; the signals are emitted on the socket's loop.
func (ws *WebSocket) Open(rawURL string, options ...WebSocketHandshakeOptions) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil || strings.Contains(rawURL, "\r\n") {
		ws.onLoop(func() { ws.setError(ConnectionRefusedError, "Invalid URL.") })
		return
	}
	ws.OpenRequest(req, options...)
}

// OpenRequest is Open with a request, whose headers are sent with the
// handshake (QWebSocket::open(QNetworkRequest)).
func (ws *WebSocket) OpenRequest(req *http.Request, options ...WebSocketHandshakeOptions) {
	req = req.Clone(context.Background())
	var opts WebSocketHandshakeOptions
	if len(options) > 0 {
		opts = options[0].clone()
	}
	ws.onLoop(func() { ws.open(req, opts) })
}

func (ws *WebSocket) open(req *http.Request, opts WebSocketHandshakeOptions) {
	u := req.URL
	if u == nil || u.Host == "" || strings.Contains(u.String(), "\r\n") {
		ws.setError(ConnectionRefusedError, "Invalid URL.")
		return
	}
	resource := u.EscapedPath()
	if resource == "" {
		resource = "/"
	}
	u.RawQuery = escapeQuery(u.RawQuery) // req is Open's own copy
	if u.RawQuery != "" {
		resource += "?" + u.RawQuery
	}
	if strings.Contains(strings.ToUpper(resource), "%0D%0A") {
		ws.setError(ConnectionRefusedError, "Invalid resource name.")
		return
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		// Qt has stored the request by now: RequestUrl reports it.
		ws.mu.Lock()
		ws.request, ws.resource, ws.options = req, resource, opts
		ws.mu.Unlock()
		ws.setError(UnsupportedSocketOperationError, "Unsupported WebSocket scheme: "+u.Scheme)
		return
	}
	ws.mu.Lock()
	proxy, tlsConf, ignore := ws.proxy, ws.tlsConfig, ws.ignoreSsl
	old := ws.sess
	ws.mu.Unlock()
	if proxy.Type != DefaultProxy && proxy.Type != NoProxy {
		ws.setError(UnsupportedSocketOperationError, "Operation on socket is not supported")
		return
	}
	if old != nil { // Qt drops the old connection silently
		old.finished = true
		old.abort()
	}

	s := newSessionFor(ws, true)
	ws.mu.Lock()
	ws.sess = s
	ws.request, ws.resource, ws.options, ws.subprotocol = req, resource, opts, ""
	ws.peerName = u.Hostname()
	ws.mu.Unlock()
	ws.setState(ConnectingState)

	var protocols []string
	for _, p := range opts.subprotocols {
		if validSubprotocolName(p) {
			protocols = append(protocols, p)
		}
	}
	header := req.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if ws.origin != "" {
		header.Set("Origin", ws.origin)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel // ending the session (Abort, Delete, reopen) stops the dial
	var verifyErrs []SslError
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		s.bc = newBatchConn(c)
		s.fw = s.bc
		return s.bc, nil
	}
	clientConf := clientTLS(tlsConf, u.Hostname(), ignore, &verifyErrs)
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext:       dial,
		// TLS here rather than in the transport, so that the session
		// knows the connection to write its frames to.
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conf := clientConf
			if conf.ServerName == "" {
				conf = conf.Clone()
				conf.ServerName = u.Hostname() // Go sends no SNI for an IP address
			}
			tc := tls.Client(c, conf)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = c.Close()
				return nil, err
			}
			s.fw = tc
			return tc, nil
		},
		TLSClientConfig: clientConf,
	}
	if proxy.Type == DefaultProxy {
		tr.Proxy = http.ProxyFromEnvironment
	}
	dialOpts := &websocket.DialOptions{
		HTTPClient:     &http.Client{Transport: tr},
		HTTPHeader:     header,
		Subprotocols:   protocols,
		OnPongReceived: func(_ context.Context, p []byte) { ws.pongReceived(s, p) },
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c, resp, err := websocket.Dial(ctx, u.String(), dialOpts)
		tr.CloseIdleConnections()
		if resp != nil && resp.Body != nil && err != nil {
			_ = resp.Body.Close()
		}
		ws.post(func() { ws.dialed(s, c, resp, err, verifyErrs) })
		if err == nil {
			// If the socket was deleted or reopened meanwhile, nothing
			// will take the connection: drop it.
			select {
			case <-s.done:
				_ = c.CloseNow()
			default:
			}
		}
	}()
}

// escapeQuery percent-encodes the bytes of a raw query that may not
// appear in a request target: space, the characters QUrl's tolerant mode
// accepts and its FullyEncoded form encodes ("<>\^`{|}), and non-ASCII.
// net/url keeps them as they are, and net/http would send them raw: a
// space breaks the request line. Escapes and everything else are kept.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("\"<>\\^`{|}", rune(c)) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(q)+8), q[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return q
	}
	return string(b)
}

// clientTLS returns the TLS configuration of a dial to host. Verification
// errors (verifyPeer's, in Qt's terms) are collected for PeerVerifyError
// and SslErrors; with ignore they do not fail the handshake. The
// certificate must name ServerName if set, else host (a DNS name or an IP
// address: Go sends no server name for IP hosts, so the host must be
// passed in).
func clientTLS(base *tls.Config, host string, ignore bool, errs *[]SslError) *tls.Config {
	var conf *tls.Config
	if base != nil {
		conf = base.Clone()
		if conf.MinVersion == 0 {
			conf.MinVersion = tls.VersionTLS12
		}
	} else {
		conf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if conf.InsecureSkipVerify {
		return conf
	}
	roots, name := conf.RootCAs, conf.ServerName
	if name == "" {
		name = host
	}
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		found := verifyPeer(cs.PeerCertificates,
			x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, name)
		if len(found) == 0 {
			return nil
		}
		*errs = append(*errs, found...)
		if ignore {
			return nil
		}
		return sslErrorsList(found)[0] // Qt's socket error is the list's first
	}
	return conf
}

// dialed finishes Open on the socket's loop.
func (ws *WebSocket) dialed(s *session, c *websocket.Conn, resp *http.Response, err error, verifyErrs []SslError) {
	ws.mu.Lock()
	live := ws.sess == s && !s.finished
	ws.mu.Unlock()
	if !live {
		if c != nil {
			_ = c.CloseNow()
		}
		return
	}
	emitSslErrors(&ws.PeerVerifyError, &ws.SslErrors, verifyErrs)
	if err != nil {
		ws.dialFailed(s, resp, err)
		return
	}
	s.c = c
	fw := s.fw
	if _, ok := fw.(*tls.Conn); !ok && resp != nil && resp.TLS != nil {
		// TLS made by the transport itself (through a proxy): the session
		// cannot reach the connection above it, so coder/websocket frames.
		fw = nil
	}
	s.setFrameWriter(fw, false) // the client asks for no compression
	s.applyReadLimit()
	local, peer := s.addrs()
	ws.mu.Lock()
	ws.subprotocol = c.Subprotocol()
	ws.local, ws.peer = local, peer
	ws.mu.Unlock()
	ws.setState(ConnectedState)
	ws.Connected.Emit()
	s.startReading()
}

// dialFailed reports a failed Open in Qt's order: a TCP-level failure
// changes the state first (QAbstractSocket emits stateChanged before
// errorOccurred), a failed handshake reports the error first, then
// disconnects.
func (ws *WebSocket) dialFailed(s *session, resp *http.Response, err error) {
	code, msg := classifyDialError(resp, err)
	if resp != nil {
		ws.setError(code, msg)
		ws.finish(s, false)
		return
	}
	s.finished = true
	s.end()
	ws.setState(UnconnectedState)
	ws.Disconnected.Emit()
	ws.setError(code, msg)
}

// splitVersions splits a Sec-WebSocket-Version list ("8, 13").
func splitVersions(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// classifyDialError maps a dial failure to Qt's error and string.
func classifyDialError(resp *http.Response, err error) (SocketError, string) {
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		if resp.StatusCode == http.StatusBadRequest {
			// Qt: a version list without 13 is a version mismatch; any
			// other 400 is an "unknown error condition".
			if v := resp.Header.Get("Sec-WebSocket-Version"); v != "" && !slices.Contains(splitVersions(v), "13") {
				return ConnectionRefusedError, fmt.Sprintf("Handshake: Server requests a version that we don't support: %s.", v)
			}
			return ConnectionRefusedError, "QWebSocketPrivate::processHandshake: Unknown error condition encountered. Aborting connection."
		}
		phrase := strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
		return ConnectionRefusedError, fmt.Sprintf(
			"QWebSocketPrivate::processHandshake: Unhandled http status code: %d (%s).", resp.StatusCode, phrase)
	}
	if resp != nil {
		return ConnectionRefusedError, "Invalid handshake response: " + err.Error()
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var sslErr SslError
	switch {
	case errors.As(err, &sslErr): // the certificate was refused: Qt's text is the first SslErrors entry's
		return SslHandshakeFailedError, sslErr.ErrorString()
	case errors.As(err, &dnsErr):
		return HostNotFoundError, "Host not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectionRefusedError, "Connection refused"
	case errors.As(err, &certErr), strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"),
		errors.Is(err, http.ErrSchemeMismatch): // a plain server answered the ClientHello (Qt: OpenSSL's "wrong version number")
		return SslHandshakeFailedError, "The TLS/SSL connection has been closed: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return SocketTimeoutError, "Connection timed out"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Timeout() {
		return SocketTimeoutError, "Connection timed out"
	}
	return NetworkError, err.Error()
}

// Destruct is run by Delete before the socket's signals are disconnected:
// like ~QWebSocket, a connected socket sends a close frame with
// CloseCodeGoingAway, "Connection closed"; no signal reaches the program
// afterwards. A socket deleted while it closes still sends the close frame
// its Close queued (Qt writes it inside close()). The closing handshake
// runs in the background for at most destructGrace, then the connection is
// dropped, as Qt drops it with the deleted TCP socket.
func (ws *WebSocket) Destruct() {
	ws.mu.Lock()
	s, state := ws.sess, ws.state
	ws.state = UnconnectedState // no signal: the object is being destroyed
	ws.mu.Unlock()
	if s == nil {
		return
	}
	wasFinished := s.finished
	s.finished = true
	if wasFinished || s.c == nil || (state != ConnectedState && state != ClosingState) {
		s.abort()
		return
	}
	if !s.closing {
		s.closing = true
		s.enqueue(outItem{kind: outClose, code: CloseCodeGoingAway, reason: "Connection closed"}, 0)
	}
	s.flushNow()
	s.stopReading() // coder/websocket's Close reads the peer's answer itself
	go func() {
		t := time.AfterFunc(destructGrace, s.closeTCP)
		s.wg.Wait()
		t.Stop()
		s.end()
	}()
}

// destructGrace bounds the closing handshake of a deleted socket (the
// peer may not read, or not answer).
const destructGrace = 5 * time.Second
