package wsserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// Open connects to url, a ws:// or wss:// URL (QWebSocket::open). The state
// becomes ConnectingState before Open returns; Connected follows on
// success, and on failure ErrorOccurred and Disconnected. An invalid URL or
// scheme fails at once with ErrorOccurred and no state change, as in Qt.
// options, if given, set the subprotocols to offer. Opening a socket that
// is connected drops the old connection without a close frame, as Qt does.
// Safe from any goroutine; the signals are emitted on the socket's loop.
func (ws *WebSocket) Open(rawURL string, options ...WebSocketHandshakeOptions) {
	if i := strings.Index(rawURL, "://"); i >= 0 && strings.Contains(rawURL, "\r\n") {
		// QUrl takes a CR LF in the path or query as %0D%0A (open then
		// refuses the resource name); one in the authority makes the URL
		// invalid.
		rest := rawURL[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if !strings.ContainsAny(rest[:end], "\r\n") {
			rawURL = rawURL[:i+3] + rest[:end] + strings.ReplaceAll(rest[end:], "\r\n", "%0D%0A")
		}
	}
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
	proxy, tlsConf := ws.proxy, ws.tlsConfig
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

	s := newSession(ws, true)
	ws.mu.Lock()
	ws.sess = s
	ws.request, ws.resource, ws.options, ws.subprotocol = req, resource, opts, ""
	ws.peerName = u.Hostname()
	ws.local, ws.peer = netip.AddrPort{}, netip.AddrPort{}
	ws.err, ws.tcpErrString = UnknownSocketError, "Unknown error"
	ws.mu.Unlock()
	ws.setState(ConnectingState)

	secure := u.Scheme == "wss"
	port := u.Port()
	if port == "" {
		port = "80"
		if secure {
			port = "443"
		}
	}
	dc := wire.DialConfig{
		Secure:     secure,
		Addr:       net.JoinHostPort(u.Hostname(), port),
		HostHeader: strings.ToLower(u.Host),
		Resource:   resource,
		Origin:     ws.origin,
		Protocols:  requestedProtocols(opts, req.Header),
		Header:     requestHeaders(req.Header),
		Written: func(n int64) {
			ws.post(func() {
				if ws.current(s) {
					ws.BytesWritten.Emit(n)
				}
			})
		},
	}
	if proxy.Type == DefaultProxy {
		env := &http.Request{URL: &url.URL{Scheme: "http", Host: u.Host}}
		if secure {
			env.URL.Scheme = "https"
		}
		dc.Proxy, _ = http.ProxyFromEnvironment(env)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel // ending the session (Abort, Delete, reopen) stops the dial
	if secure {
		dc.TLS = ws.clientTLS(ctx, s, tlsConf, u.Hostname())
	}
	go func() {
		c, hs, err := wire.Dial(ctx, dc, s.wireConfig())
		ws.post(func() { ws.dialed(s, c, hs, err) })
		if c != nil {
			// If the socket was deleted or reopened meanwhile, nothing
			// will take the connection: drop it.
			select {
			case <-ctx.Done():
				c.Abort()
			default:
			}
		}
	}()
}

// requestedProtocols is Qt's requestedSubProtocols: the options' names,
// then those of a raw Sec-WebSocket-Protocol header not listed yet; names
// Qt finds invalid are dropped with its warning.
func requestedProtocols(opts WebSocketHandshakeOptions, h http.Header) []string {
	var out []string
	add := func(p string) {
		if !validSubprotocolName(p) {
			warn(fmt.Sprintf("Ignoring invalid WebSocket subprotocol name %q", p))
			return
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range opts.subprotocols {
		add(p)
	}
	for _, p := range splitList(h.Values("Sec-WebSocket-Protocol")) {
		add(p)
	}
	return out
}

// requestHeaders are the request's own header lines, sorted by name (a Go
// http.Header keeps no order), without those the handshake writes itself.
func requestHeaders(h http.Header) []wire.HeaderField {
	var out []wire.HeaderField
	for _, name := range slices.Sorted(maps.Keys(h)) {
		switch http.CanonicalHeaderKey(name) {
		case "Sec-Websocket-Protocol", "Host":
			continue
		}
		for _, v := range h[name] {
			out = append(out, wire.HeaderField{Name: name, Value: v})
		}
	}
	return out
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

// clientTLS returns the TLS configuration of a dial to host. The server's
// certificate is verified here rather than by crypto/tls, so that its
// errors reach PeerVerifyError and SslErrors on the socket's loop while
// the handshake waits for the slots: a slot that calls IgnoreSslErrors
// lets it go on, as in Qt. The certificate must name ServerName if set,
// else host (Go sends no server name for an IP address, so it is set
// here for the check).
func (ws *WebSocket) clientTLS(ctx context.Context, s *session, base *tls.Config, host string) *tls.Config {
	var conf *tls.Config
	if base != nil {
		conf = base.Clone()
		if conf.MinVersion == 0 {
			conf.MinVersion = tls.VersionTLS12
		}
	} else {
		conf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if conf.ServerName == "" {
		conf.ServerName = host
	}
	if conf.InsecureSkipVerify {
		return conf
	}
	roots, name := conf.RootCAs, conf.ServerName
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		errs := verifyPeer(cs.PeerCertificates,
			x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, name)
		if len(errs) == 0 {
			return nil
		}
		verdict := make(chan bool, 1)
		ws.post(func() {
			if !ws.current(s) {
				verdict <- false
				return
			}
			emitSslErrors(&ws.PeerVerifyError, &ws.SslErrors, errs)
			ws.mu.Lock()
			ignore := ws.ignoreSsl
			ws.mu.Unlock()
			verdict <- ignore
			if !ignore && ws.current(s) {
				// The handshake fails now, inside the same event, as in
				// Qt: the dial's own report will find the session over.
				ws.dialFailed(s, &wire.TLSError{Err: sslErrorsList(errs)[0]})
			}
		})
		select {
		case ok := <-verdict:
			if ok {
				return nil
			}
			return sslErrorsList(errs)[0] // Qt's socket error is the list's first
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return conf
}

// dialed finishes Open on the socket's loop.
func (ws *WebSocket) dialed(s *session, c *wire.Conn, hs *wire.Handshake, err error) {
	if !ws.current(s) {
		if c != nil {
			c.Abort()
		}
		return
	}
	if err != nil {
		ws.dialFailed(s, err)
		return
	}
	s.c = c
	local, peer := s.addrs()
	ws.mu.Lock()
	ws.subprotocol = hs.Protocol
	ws.local, ws.peer = local, peer
	ws.mu.Unlock()
	ws.setState(ConnectedState)
	ws.Connected.Emit()
	if ws.current(s) {
		s.startReading() // frames that came with the answer are delivered now
	}
}

// dialFailed reports a failed Open in Qt's order. A refused handshake is a
// WebSocket-level error, reported first, then the connection's end as the
// TCP socket reports it; a connection that could not be made changes the
// state first (QAbstractSocket emits stateChanged before errorOccurred).
func (ws *WebSocket) dialFailed(s *session, err error) {
	var he *wire.HandshakeError
	var te *wire.TLSError
	switch {
	case errors.As(err, &te):
		text := "The TLS/SSL connection has been closed"
		var se SslError
		switch {
		case errors.As(te.Err, &se):
			text = se.ErrorString() // the first of SslErrors, as Qt's socket reports it
		case !isRemoteClose(te.Err):
			text = te.Err.Error()
		}
		ws.setSocketError(SslHandshakeFailedError, text)
		ws.finish(s, false)
		if !errors.As(te.Err, &se) {
			ws.AboutToClose.Emit() // QSslSocket closes itself after a failed handshake
		}
		return
	case errors.As(err, &he):
		ws.setError(ConnectionRefusedError, he.Reason)
		if he.PeerClosed { // the TCP socket's own report, the text shadowed
			ws.setSocketError(RemoteHostClosedError, "The remote host closed the connection")
		}
		ws.finish(s, false)
		return
	case isRemoteClose(err):
		ws.setSocketError(RemoteHostClosedError, "The remote host closed the connection")
		ws.finish(s, false)
		return
	}
	code, msg := classifyDialError(err)
	if code == SslHandshakeFailedError {
		ws.setSocketError(code, msg)
		ws.finish(s, false)
		return
	}
	s.finished = true
	s.abort()
	ws.setState(UnconnectedState)
	ws.Disconnected.Emit()
	ws.setSocketError(code, msg)
}

// classifyDialError maps a failure to connect to Qt's error and string.
func classifyDialError(err error) (SocketError, string) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return HostNotFoundError, "Host not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectionRefusedError, "Connection refused"
	case errors.As(err, &certErr), errors.As(err, &recErr), strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return SslHandshakeFailedError, "The TLS/SSL connection has been closed: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return SocketTimeoutError, "Connection timed out"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return SocketTimeoutError, "Connection timed out"
	}
	return NetworkError, err.Error()
}

// Destruct is run by Delete before the socket's signals are disconnected:
// like ~QWebSocket, a connected socket closes with CloseCodeGoingAway,
// "Connection closed", emitting its close sequence to the slots still
// connected (the frame goes out after what is queued, then the connection
// is shut); no signal reaches the program afterwards. A socket deleted
// while it closes finishes that close.
func (ws *WebSocket) Destruct() {
	ws.mu.Lock()
	s, state := ws.sess, ws.state
	ws.mu.Unlock()
	if s != nil && !s.finished && s.c != nil && state == ConnectedState && !s.closing && !s.dropped {
		ws.close(CloseCodeGoingAway, "Connection closed")
	}
	ws.mu.Lock()
	ws.state = UnconnectedState // no signal: the object is being destroyed
	ws.mu.Unlock()
	if s == nil {
		return
	}
	s.finished = true
	if !s.closing {
		s.abort()
	}
}
