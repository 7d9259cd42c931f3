package wsserver

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/signals"
)

// A WebSocketServer accepts WebSocket connections (QWebSocketServer). Each
// upgraded connection becomes a server-side WebSocket that lives on the
// server's loop; NewConnection announces it and NextPendingConnection hands
// it out. The handshake runs on its own goroutine, but every signal is
// emitted on the server's loop, and OriginAuthenticationRequired's slot
// decides while the handshake waits.
//
// Every method may be called from any goroutine. The server is also an
// http.Handler (ServeHTTP), so it can be mounted on an http.ServeMux next
// to other pages.
type WebSocketServer struct {
	signals.Object

	// AcceptError is emitted when accepting a connection fails, with
	// SocketResourceError when the process is out of file descriptors;
	// accepting then backs off and resumes by itself.
	AcceptError signals.Signal[SocketError]
	// Closed is emitted (queued) after Close.
	Closed signals.Signal0
	// NewConnection is emitted each time a connection has been upgraded and
	// queued for NextPendingConnection.
	NewConnection signals.Signal0
	// OriginAuthenticationRequired is emitted for each valid handshake with
	// an authenticator whose Allowed starts true; the slot may refuse the
	// origin with SetAllowed(false), which answers 403. It is emitted on the
	// server's loop inside the handshake, as Qt emits it, so the slot must
	// decide before it returns. With no slot every origin passes.
	OriginAuthenticationRequired signals.Signal[*WebSocketCorsAuthenticator]
	// PeerVerifyError is emitted in SecureMode for each client certificate
	// verification error.
	PeerVerifyError signals.Signal[SslError]
	// SslErrors is emitted in SecureMode with the client certificate
	// verification errors of a refused TLS handshake.
	SslErrors signals.Signal[[]SslError]
	// ServerError is emitted when Error and ErrorString change.
	ServerError signals.Signal[CloseCode]
	// PreSharedKeyAuthenticationRequired exists for API compatibility and
	// is never emitted: crypto/tls has no TLS-PSK.
	PreSharedKeyAuthenticationRequired signals.Signal[*SslPreSharedKeyAuthenticator]
	// AlertSent exists for API compatibility and is never emitted.
	AlertSent signals.Signal3[SslAlertLevel, SslAlertType, string]
	// AlertReceived exists for API compatibility and is never emitted.
	AlertReceived signals.Signal3[SslAlertLevel, SslAlertType, string]
	// HandshakeInterruptedOnError exists for API compatibility and is never
	// emitted.
	HandshakeInterruptedOnError signals.Signal[SslError]

	mode SslMode

	mu               sync.Mutex
	name             string
	maxPending       int
	handshakeTimeout time.Duration
	subprotocols     []string
	proxy            NetworkProxy
	tlsConfig        *tls.Config
	deflate          bool
	pages            http.Handler // SetHTTPHandler
	errCode          CloseCode
	errString        string
	pending          []*WebSocket
	handshaking      map[net.Conn]struct{} // accepted, handshake under way
	address          HostAddress
	ln               *listener
	pagesLn          *handoffListener // SetHTTPHandler's connections
	pagesSrv         *http.Server
	paused           bool
	closing          chan struct{} // closed by Close and Delete: stops waiting handshakes
	serving          sync.WaitGroup
}

// Qt's defaults.
const (
	defaultMaxPendingConnections = 30
	defaultHandshakeTimeout      = 10 * time.Second
)

// NewWebSocketServer returns a server (QWebSocketServer). serverName is sent
// in the Server header of the handshake response; mode selects ws
// (NonSecureMode) or wss (SecureMode, with SetSslConfiguration's
// certificate).
func NewWebSocketServer(serverName string, mode SslMode, parent signals.AnyObject) *WebSocketServer {
	srv := &WebSocketServer{
		mode:             mode,
		maxPending:       defaultMaxPendingConnections,
		handshakeTimeout: defaultHandshakeTimeout,
		errCode:          CloseCodeNormal,
		closing:          make(chan struct{}),
		handshaking:      map[net.Conn]struct{}{},
	}
	srv.SetServerName(serverName)
	signals.Init(srv, parent)
	return srv
}

// Listen starts listening on address and port (0 picks a free port) and
// reports whether it could. On failure Error becomes
// CloseCodeAbnormalDisconnection with the system's reason, as in Qt. The
// default address is Any. Listening again while listening fails.
func (srv *WebSocketServer) Listen(address HostAddress, port uint16) bool {
	network, addr, ok := address.listenAddr(port)
	if !ok {
		srv.setError(CloseCodeAbnormalDisconnection, "The address is not available")
		return false
	}
	srv.mu.Lock()
	proxy := srv.proxy
	listening := srv.ln != nil
	srv.mu.Unlock()
	if listening {
		warn("QTcpServer::listen() called when already listening")
		return false
	}
	if proxy.Type != DefaultProxy && proxy.Type != NoProxy {
		srv.setError(CloseCodeAbnormalDisconnection, "Operation on socket is not supported")
		return false
	}
	inner, err := net.Listen(network, addr)
	if err != nil {
		srv.setError(CloseCodeAbnormalDisconnection, listenErrorString(err))
		return false
	}
	srv.serve(inner, address)
	return true
}

// listenErrorString gives QtNetwork's text for a failed listen.
func listenErrorString(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "The bound address is already in use"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "The address is not available"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "The address is protected"
	}
	return err.Error()
}

// serve starts serving inner.
func (srv *WebSocketServer) serve(inner net.Listener, address HostAddress) {
	srv.serveListener(newListener(inner, srv), address)
}

func (srv *WebSocketServer) serveListener(ln *listener, address HostAddress) {
	srv.mu.Lock()
	srv.ln, srv.address = ln, address
	if srv.paused {
		ln.setPaused(true)
	}
	srv.mu.Unlock()
	srv.serving.Go(func() { srv.acceptLoop(ln) })
}

// Close stops listening (QWebSocketServer::close). Connections queued and
// not yet taken get a close frame with CloseCodeGoingAway, "Server closed."
// and are deleted; sockets already handed out and handshakes under way are
// not touched. Closed is emitted later, queued, even if the server was not
// listening. The settings survive for a later Listen.
func (srv *WebSocketServer) Close() {
	srv.stopListening()
	srv.onLoop(func() {
		srv.closePending()
		signals.InvokeMethod(srv, srv.Closed.Emit, signals.QueuedConnection)
	})
}

func (srv *WebSocketServer) stopListening() {
	srv.mu.Lock()
	ln := srv.ln
	pages, pagesLn := srv.pagesSrv, srv.pagesLn
	srv.ln, srv.address = nil, Null
	srv.pagesSrv, srv.pagesLn = nil, nil
	srv.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if pagesLn != nil { // the pages' connections came from the listener
		_ = pagesLn.Close()
		_ = pages.Close()
	}
}

// closePending closes and deletes the queued sockets; loop only. Each is
// deleted once its closing handshake is over, so that its close frame
// reaches the peer (Qt's deleteLater leaves the TCP socket, a child of the
// QTcpServer, to flush it).
func (srv *WebSocketServer) closePending() {
	srv.mu.Lock()
	pending := srv.pending
	srv.pending = nil
	srv.mu.Unlock()
	for _, ws := range pending {
		if ws.State() == UnconnectedState {
			ws.DeleteLater()
			continue
		}
		ws.Disconnected.Connect(ws, ws.DeleteLater)
		ws.close(CloseCodeGoingAway, "Server closed.")
	}
}

// Destruct runs when the server is deleted (~QWebSocketServer): like
// Close, without Closed, and handshakes under way are dropped.
func (srv *WebSocketServer) Destruct() {
	srv.stopListening()
	srv.closePending()
	srv.mu.Lock()
	select {
	case <-srv.closing:
	default:
		close(srv.closing)
	}
	handshaking := srv.handshaking
	srv.handshaking = map[net.Conn]struct{}{}
	srv.mu.Unlock()
	for c := range handshaking { // nobody will take them
		_ = c.Close()
	}
	srv.serving.Wait()
}

// IsListening reports whether the server is listening.
func (srv *WebSocketServer) IsListening() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.ln != nil
}

// ServerAddress returns the address the server listens on (Null when not
// listening; Any after listening on Any, as in Qt).
func (srv *WebSocketServer) ServerAddress() HostAddress {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.ln == nil {
		return Null
	}
	if srv.address.Equal(Any) {
		return Any
	}
	if a, ok := srv.ln.Addr().(*net.TCPAddr); ok {
		return hostAddressFrom(a.AddrPort().Addr())
	}
	return srv.address
}

// ServerPort returns the port the server listens on, or 0.
func (srv *WebSocketServer) ServerPort() uint16 {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.ln == nil {
		return 0
	}
	if a, ok := srv.ln.Addr().(*net.TCPAddr); ok {
		return uint16(a.Port)
	}
	return 0
}

// ServerUrl returns the ws:// or wss:// URL of the server, with 127.0.0.1
// for Any as in Qt, or nil when not listening.
func (srv *WebSocketServer) ServerUrl() *url.URL {
	port := srv.ServerPort()
	addr := srv.ServerAddress()
	if port == 0 && addr.IsNull() {
		return nil
	}
	scheme := "ws"
	if srv.mode == SecureMode {
		scheme = "wss"
	}
	return &url.URL{Scheme: scheme, Host: addr.urlHost() + ":" + strconv.Itoa(int(port))}
}

// SecureMode returns the mode chosen at construction.
func (srv *WebSocketServer) SecureMode() SslMode { return srv.mode }

// SetSocketDescriptor makes the server listen on fd, a socket already
// bound and listening, and reports whether it could. As in Qt, a failure
// sets no error, and on success the server owns fd: SocketDescriptor
// returns it and Close closes it, so nothing else may close it (not even
// the *os.File it came from: keep that File reachable, or pass a
// descriptor of its own, e.g. from syscall.Dup). A descriptor that is
// refused is closed.
func (srv *WebSocketServer) SetSocketDescriptor(fd int) bool {
	if fd < 0 || srv.IsListening() {
		return false
	}
	f := os.NewFile(uintptr(fd), "listener")
	if f == nil {
		return false
	}
	inner, err := net.FileListener(f) // listens on a duplicate of fd
	if err != nil {
		_ = f.Close()
		return false
	}
	ln := newListener(inner, srv)
	ln.file, ln.fd = f, fd
	srv.serveListener(ln, Null)
	return true
}

// SocketDescriptor returns the listening socket's descriptor, or -1.
func (srv *WebSocketServer) SocketDescriptor() int {
	srv.mu.Lock()
	ln := srv.ln
	srv.mu.Unlock()
	if ln == nil {
		return -1
	}
	if ln.file != nil {
		return ln.fd
	}
	sc, ok := ln.inner.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = raw.Control(func(p uintptr) { fd = int(p) })
	return fd
}

// PauseAccepting stops accepting new connections; they wait in the
// kernel's backlog. Handshakes under way and sockets are not affected.
func (srv *WebSocketServer) PauseAccepting() { srv.setPaused(true) }

// ResumeAccepting accepts connections again after PauseAccepting.
func (srv *WebSocketServer) ResumeAccepting() { srv.setPaused(false) }

func (srv *WebSocketServer) setPaused(p bool) {
	srv.mu.Lock()
	srv.paused = p
	ln := srv.ln
	srv.mu.Unlock()
	if ln != nil {
		ln.setPaused(p)
	}
}

// HasPendingConnections reports whether upgraded connections wait for
// NextPendingConnection.
func (srv *WebSocketServer) HasPendingConnections() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.pending) > 0
}

// NextPendingConnection returns the oldest upgraded connection, or nil. The
// caller owns it (it has no parent; Delete or DeleteLater it when done). Its
// state is ConnectedState; it starts reading now, so no message is lost
// before the caller has connected its slots.
func (srv *WebSocketServer) NextPendingConnection() *WebSocket {
	srv.mu.Lock()
	if len(srv.pending) == 0 {
		srv.mu.Unlock()
		return nil
	}
	ws := srv.pending[0]
	srv.pending[0] = nil
	srv.pending = srv.pending[1:]
	srv.mu.Unlock()
	ws.mu.Lock()
	s := ws.sess
	ws.mu.Unlock()
	if s != nil {
		ws.onLoop(s.startReading)
	}
	return ws
}

// MaxPendingConnections returns the limit on queued connections (default 30).
func (srv *WebSocketServer) MaxPendingConnections() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.maxPending
}

// SetMaxPendingConnections sets the limit on connections upgraded but not
// yet taken. A handshake whose request is complete while that many wait is
// refused, as in Qt: the connection is closed without an answer and Error
// becomes CloseCodeAbnormalDisconnection, "Too many pending connections.".
func (srv *WebSocketServer) SetMaxPendingConnections(n int) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.maxPending = n
}

// HandshakeTimeout returns the time a connection has to complete its
// handshake (default 10 s).
func (srv *WebSocketServer) HandshakeTimeout() time.Duration {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.handshakeTimeout
}

// SetHandshakeTimeout sets the handshake timeout for connections accepted
// from now on; a negative value disables it. A connection that has not
// completed its handshake in time is closed without an answer or a signal,
// as in Qt.
func (srv *WebSocketServer) SetHandshakeTimeout(d time.Duration) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.handshakeTimeout = d
}

// ServerName returns the name sent in the Server header.
func (srv *WebSocketServer) ServerName() string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.name
}

// SetServerName sets the name sent in the Server header of later
// handshakes ("" sends none). A name containing CR or LF is refused with a
// warning: Qt sends it and corrupts its response.
func (srv *WebSocketServer) SetServerName(name string) {
	if strings.ContainsAny(name, "\r\n") {
		warn("QWebSocketServer::setServerName: refusing a name that contains a newline")
		return
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.name = name
}

// SupportedSubprotocols returns the subprotocols the server accepts.
func (srv *WebSocketServer) SupportedSubprotocols() []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]string(nil), srv.subprotocols...)
}

// SetSupportedSubprotocols sets the subprotocols the server accepts. A
// handshake gets the first protocol in the client's order that is in this
// list (case-sensitive), as in Qt; none if there is none.
func (srv *WebSocketServer) SetSupportedSubprotocols(protocols []string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.subprotocols = append([]string(nil), protocols...)
}

// SupportedVersions returns the protocol versions the server speaks:
// [Version13].
func (srv *WebSocketServer) SupportedVersions() []Version { return []Version{Version13} }

// Proxy returns the proxy setting (DefaultProxy unless set).
func (srv *WebSocketServer) Proxy() NetworkProxy {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.proxy
}

// SetProxy sets the proxy for Listen. A server listens directly, so
// DefaultProxy and NoProxy behave alike; any other type makes Listen fail
// with "Operation on socket is not supported".
func (srv *WebSocketServer) SetProxy(p NetworkProxy) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.proxy = p
}

// SslConfiguration returns the TLS configuration of SecureMode (nil in
// NonSecureMode, where it is ignored as in Qt).
func (srv *WebSocketServer) SslConfiguration() *tls.Config {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.tlsConfig
}

// SetSslConfiguration sets the TLS configuration (certificates, client
// authentication) for connections accepted from now on. It is ignored in
// NonSecureMode, as in Qt.
func (srv *WebSocketServer) SetSslConfiguration(c *tls.Config) {
	if srv.mode != SecureMode {
		return
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.tlsConfig = c
}

// SetPerMessageDeflate switches permessage-deflate compression on or off
// for later handshakes (a Go extra; Qt has no compression).
func (srv *WebSocketServer) SetPerMessageDeflate(on bool) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.deflate = on
}

// Error returns the last error's code (CloseCodeNormal if none). Errors
// are sticky: a later success does not clear them.
func (srv *WebSocketServer) Error() CloseCode {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.errCode
}

// ErrorString returns the last error's description, or "".
func (srv *WebSocketServer) ErrorString() string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.errString
}

// setError records an error and emits ServerError if the code or text
// changed (Qt's setError); the emission happens on the server's loop.
func (srv *WebSocketServer) setError(code CloseCode, s string) {
	srv.mu.Lock()
	changed := srv.errCode != code || srv.errString != s
	srv.errCode, srv.errString = code, s
	srv.mu.Unlock()
	if changed {
		srv.onLoop(func() { srv.ServerError.Emit(code) })
	}
}

// acceptFailed reports an accept error on the server's loop.
func (srv *WebSocketServer) acceptFailed(e SocketError) {
	srv.onLoop(func() { srv.AcceptError.Emit(e) })
}

// onLoop runs fn on the server's loop, now if the caller is on it.
func (srv *WebSocketServer) onLoop(fn func()) { runOnLoop(srv.AsObject(), fn) }

// warn reports a misuse through the handler of signals.InstallMessageHandler,
// as Qt prints a qWarning.
func warn(msg string) { signals.Warning(msg) }
