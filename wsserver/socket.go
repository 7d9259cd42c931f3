package wsserver

import (
	"crypto/tls"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/qtgo/qtgo/signals"
)

// Limits of Qt's QWebSocket (maxIncomingMessageSize and friends): the
// largest values the setters accept.
const (
	maxQtSize = 2147483646 // INT_MAX - 1
)

// Defaults this package uses where Qt's defaults are unsafe on a network.
const (
	// DefaultMaxAllowedIncomingMessageSize is the default limit on one
	// incoming message (Qt: 2147483646). A larger message closes the
	// socket with CloseCodeTooMuchData, as Qt does at its limit.
	DefaultMaxAllowedIncomingMessageSize = 16 << 20
	// DefaultMaxAllowedIncomingFrameSize is the default frame limit.
	DefaultMaxAllowedIncomingFrameSize = 16 << 20
	// DefaultOutgoingFrameSize is Qt's default outgoing frame size (512 KiB).
	DefaultOutgoingFrameSize = 512 << 10
	// DefaultMaxBytesToWrite is the default limit on bytes queued for
	// sending; a socket that exceeds it is aborted with SocketResourceError
	// (Qt buffers without limit).
	DefaultMaxBytesToWrite = 64 << 20
)

// MaxIncomingMessageSize returns the largest value SetMaxAllowedIncomingMessageSize accepts.
func MaxIncomingMessageSize() uint64 { return maxQtSize }

// MaxIncomingFrameSize returns the largest value SetMaxAllowedIncomingFrameSize accepts.
func MaxIncomingFrameSize() uint64 { return maxQtSize }

// MaxOutgoingFrameSize returns the largest value SetOutgoingFrameSize accepts.
func MaxOutgoingFrameSize() uint64 { return maxQtSize }

// A WebSocket is one WebSocket connection, client or server side
// (QWebSocket). Its signals are emitted on the loop of the goroutine that
// created it (or its parent's), like any object's.
//
// Unlike a QWebSocket, every method may be called from any goroutine.
// Sending never blocks: messages go to an outgoing queue that a writer
// goroutine drains, and messages queued in the same loop iteration leave in
// one write. Receiving is back-pressured: the socket reads at most a few
// messages ahead of the loop, so a slow slot slows the peer down through TCP
// instead of growing memory.
type WebSocket struct {
	signals.Object

	// AboutToClose is emitted when the socket starts closing. A local or
	// peer-initiated close emits it twice, as Qt does (once for the close
	// frame, once for the TCP close).
	AboutToClose signals.Signal0
	// Connected is emitted when a client's handshake has succeeded.
	Connected signals.Signal0
	// Disconnected is emitted when the connection has ended, also after a
	// failed connection attempt.
	Disconnected signals.Signal0
	// StateChanged is emitted with the new state on every change.
	StateChanged signals.Signal[SocketState]
	// TextFrameReceived is emitted with each text frame and whether it was
	// the message's last, before TextMessageReceived for the last one. The
	// text is the frame's whole characters: one split between two frames
	// goes with the second (Qt fails such a message; see docs/porting.md).
	TextFrameReceived signals.Signal2[string, bool]
	// BinaryFrameReceived is TextFrameReceived for binary messages.
	BinaryFrameReceived signals.Signal2[[]byte, bool]
	// TextMessageReceived is emitted with each complete text message.
	TextMessageReceived signals.Signal[string]
	// BinaryMessageReceived is emitted with each complete binary message.
	BinaryMessageReceived signals.Signal[[]byte]
	// Pong is emitted when a pong arrives, with the time since the last Ping
	// call and the pong's payload.
	Pong signals.Signal2[time.Duration, []byte]
	// BytesWritten is emitted with the number of bytes (frames included)
	// the socket has written to the network.
	BytesWritten signals.Signal[int64]
	// ErrorOccurred is emitted with the error when one occurs; ErrorString
	// then describes it.
	ErrorOccurred signals.Signal[SocketError]
	// ReadChannelFinished is emitted after Disconnected, when nothing more
	// can be read.
	ReadChannelFinished signals.Signal0
	// SslErrors is emitted with the certificate verification errors of a
	// wss handshake, in Qt's order (HostNameMismatch first).
	SslErrors signals.Signal[[]SslError]
	// PeerVerifyError is emitted for each certificate verification error,
	// before SslErrors.
	PeerVerifyError signals.Signal[SslError]
	// PreSharedKeyAuthenticationRequired exists for API compatibility and
	// is never emitted: crypto/tls has no TLS-PSK.
	PreSharedKeyAuthenticationRequired signals.Signal[*SslPreSharedKeyAuthenticator]
	// AlertSent is emitted for the close_notify alert a wss socket sends
	// when it closes, as Qt's is; crypto/tls reports no other alert.
	AlertSent signals.Signal3[SslAlertLevel, SslAlertType, string]
	// AlertReceived exists for API compatibility and is never emitted.
	AlertReceived signals.Signal3[SslAlertLevel, SslAlertType, string]
	// HandshakeInterruptedOnError exists for API compatibility and is never
	// emitted.
	HandshakeInterruptedOnError signals.Signal[SslError]

	id      uuid.UUID
	origin  string
	version Version
	server  bool

	mu           sync.Mutex
	state        SocketState
	err          SocketError // the connection's error (Qt: the TCP socket's)
	errString    string      // the WebSocket-level error string, never cleared
	tcpErrString string      // the connection's error string; "" before Open
	closeCode    CloseCode
	closeReason  string
	request      *http.Request
	resource     string
	options      WebSocketHandshakeOptions
	subprotocol  string
	local, peer  netip.AddrPort
	peerName     string
	maxFrame     uint64
	maxMessage   uint64
	outFrame     uint64
	maxToWrite   int64
	readBuffer   int64
	pauseMode    PauseModes
	proxy        NetworkProxy
	tlsConfig    *tls.Config
	ignoreSsl    bool
	pingStart    time.Time
	sess         *session
}

// NewWebSocket returns an unconnected client socket (QWebSocket). origin is
// sent as the Origin header when not empty; version is reported by Version
// (the handshake always speaks version 13, as Qt's does).
func NewWebSocket(origin string, version Version, parent signals.AnyObject) *WebSocket {
	ws := newWebSocket(parent)
	ws.origin, ws.version = origin, version
	return ws
}

func newWebSocket(parent signals.AnyObject) *WebSocket {
	ws := &WebSocket{
		id:         uuid.New(),
		version:    VersionLatest,
		closeCode:  CloseCodeNormal,
		err:        UnknownSocketError,
		maxFrame:   DefaultMaxAllowedIncomingFrameSize,
		maxMessage: DefaultMaxAllowedIncomingMessageSize,
		outFrame:   DefaultOutgoingFrameSize,
		maxToWrite: DefaultMaxBytesToWrite,
		pingStart:  time.Now(),
	}
	signals.Init(ws, parent)
	return ws
}

// ID returns the socket's unique id, for logs and maps where Qt code uses
// the object's address.
func (ws *WebSocket) ID() uuid.UUID { return ws.id }

// State returns the socket's state.
func (ws *WebSocket) State() SocketState {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.state
}

// IsValid reports whether the socket is connected.
func (ws *WebSocket) IsValid() bool { return ws.State() == ConnectedState }

// Error returns the type of the connection's last error
// (UnknownSocketError if none), as Qt returns its TCP socket's: errors of
// the WebSocket layer (a refused handshake, an invalid URL) are reported
// by ErrorOccurred and ErrorString only.
func (ws *WebSocket) Error() SocketError {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.err
}

// ErrorString returns a description of the last error, as Qt's does: the
// WebSocket-level text if one was set (it is never cleared, and shadows
// later connection errors), else the connection's ("Unknown error" while
// there has been none), or "" on a client never opened.
func (ws *WebSocket) ErrorString() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.errString != "" {
		return ws.errString
	}
	return ws.tcpErrString
}

// CloseCode returns the code of the close: the one this side sent, or the
// peer's when the peer closed first. It is CloseCodeNormal until then, and
// a TCP drop does not change it (Qt never reports 1006 locally).
func (ws *WebSocket) CloseCode() CloseCode {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.closeCode
}

// CloseReason returns the reason that goes with CloseCode.
func (ws *WebSocket) CloseReason() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.closeReason
}

// Origin returns the origin given to NewWebSocket, or on a server-side
// socket the request's Origin header.
func (ws *WebSocket) Origin() string { return ws.origin }

// Version returns the protocol version given to NewWebSocket (Version13 on
// a server-side socket).
func (ws *WebSocket) Version() Version { return ws.version }

// ResourceName returns the request's path and query on a client, and the
// full request URL on a server-side socket, as Qt does.
func (ws *WebSocket) ResourceName() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.resource
}

// RequestUrl returns the URL of the handshake request, or nil before Open.
func (ws *WebSocket) RequestUrl() *url.URL {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.request == nil {
		return nil
	}
	u := *ws.request.URL
	return &u
}

// Request returns a copy of the handshake request: the one given to Open on
// a client, the received one on a server-side socket; nil before Open.
func (ws *WebSocket) Request() *http.Request {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.request == nil {
		return nil
	}
	return ws.request.Clone(ws.request.Context())
}

// HandshakeOptions returns the options given to Open, or on a server-side
// socket the subprotocols the client asked for.
func (ws *WebSocket) HandshakeOptions() WebSocketHandshakeOptions {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.options.clone()
}

// Subprotocol returns the negotiated subprotocol, or "".
func (ws *WebSocket) Subprotocol() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.subprotocol
}

// LocalAddress returns the local address of the connection (Null when
// unconnected).
func (ws *WebSocket) LocalAddress() HostAddress {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return hostAddressOf(ws.local)
}

// LocalPort returns the local port of the connection, or 0.
func (ws *WebSocket) LocalPort() uint16 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.local.Port()
}

// PeerAddress returns the peer's address (Null when unconnected).
func (ws *WebSocket) PeerAddress() HostAddress {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return hostAddressOf(ws.peer)
}

// PeerPort returns the peer's port, or 0.
func (ws *WebSocket) PeerPort() uint16 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.peer.Port()
}

// PeerName returns the host name given to Open, or the peer's address on a
// server-side socket.
func (ws *WebSocket) PeerName() string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.peerName
}

// MaxAllowedIncomingFrameSize returns the frame size limit.
func (ws *WebSocket) MaxAllowedIncomingFrameSize() uint64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.maxFrame
}

// SetMaxAllowedIncomingFrameSize sets the frame size limit: a larger frame
// closes the socket with CloseCodeTooMuchData, "Maximum framesize
// exceeded.", as soon as its header arrives. Values above
// MaxIncomingFrameSize are ignored, as in Qt.
func (ws *WebSocket) SetMaxAllowedIncomingFrameSize(n uint64) {
	if n > maxQtSize {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.maxFrame = n
}

// MaxAllowedIncomingMessageSize returns the message size limit.
func (ws *WebSocket) MaxAllowedIncomingMessageSize() uint64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.maxMessage
}

// SetMaxAllowedIncomingMessageSize sets the message size limit; a larger
// message closes the socket with CloseCodeTooMuchData. Values above
// MaxIncomingMessageSize are ignored, as in Qt.
func (ws *WebSocket) SetMaxAllowedIncomingMessageSize(n uint64) {
	if n > maxQtSize {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.maxMessage = n
}

// OutgoingFrameSize returns the size messages are split into frames at.
func (ws *WebSocket) OutgoingFrameSize() uint64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.outFrame
}

// SetOutgoingFrameSize sets the frame size for sending. Values above
// MaxOutgoingFrameSize are ignored, as in Qt, and so is 0 (which crashes
// Qt). A longer message goes out in frames of this size, the last one
// marked final (FIN), as in Qt. With permessage-deflate (see
// WebSocketServer.SetPerMessageDeflate) a compressed message is one frame.
func (ws *WebSocket) SetOutgoingFrameSize(n uint64) {
	if n == 0 || n > maxQtSize {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.outFrame = n
}

// MaxBytesToWrite returns the outgoing queue limit (a Go extra).
func (ws *WebSocket) MaxBytesToWrite() int64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.maxToWrite
}

// SetMaxBytesToWrite sets the outgoing queue limit: when the bytes waiting
// to be written exceed it, the peer is not reading fast enough and the
// socket is aborted with SocketResourceError instead of growing without
// bound. n <= 0 removes the limit (Qt's behaviour).
func (ws *WebSocket) SetMaxBytesToWrite(n int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.maxToWrite = n
}

// BytesToWrite returns the number of bytes (frame headers included)
// waiting to be written.
func (ws *WebSocket) BytesToWrite() int64 {
	ws.mu.Lock()
	s := ws.sess
	ws.mu.Unlock()
	if s == nil || s.c == nil {
		return 0
	}
	return s.c.BytesToWrite()
}

// Flush starts writing queued messages now instead of at the end of the
// loop iteration. It reports whether anything was queued, or true if the
// socket was never opened (as Qt's flush() without a TCP socket).
func (ws *WebSocket) Flush() bool {
	ws.mu.Lock()
	s := ws.sess
	ws.mu.Unlock()
	if s == nil {
		return true
	}
	if s.c == nil {
		return false
	}
	return s.c.Flush()
}

// ReadBufferSize returns the value set by SetReadBufferSize (default 0).
func (ws *WebSocket) ReadBufferSize() int64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.readBuffer
}

// SetReadBufferSize stores a read buffer size, as Qt does. Reading is
// bounded by message count here (see the type's documentation), so the
// value has no other effect.
func (ws *WebSocket) SetReadBufferSize(n int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.readBuffer = n
}

// PauseMode returns the pause mode (PauseNever unless set).
func (ws *WebSocket) PauseMode() PauseModes {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.pauseMode
}

// SetPauseMode stores the pause mode. crypto/tls verifies certificates
// before the handshake completes, so there is no pause point and the mode
// has no effect (see docs/porting.md).
func (ws *WebSocket) SetPauseMode(m PauseModes) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.pauseMode = m
}

// Resume does nothing: a socket never pauses (see SetPauseMode).
func (ws *WebSocket) Resume() {}

// Proxy returns the proxy setting (DefaultProxy unless set).
func (ws *WebSocket) Proxy() NetworkProxy {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.proxy
}

// SetProxy sets the proxy used by the next Open. DefaultProxy uses the
// environment's proxy settings (HTTP_PROXY and friends) as net/http does;
// NoProxy connects directly; other types make Open fail with
// UnsupportedSocketOperationError.
func (ws *WebSocket) SetProxy(p NetworkProxy) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.proxy = p
}

// SslConfiguration returns the TLS configuration used by wss Opens (nil
// means Go's defaults).
func (ws *WebSocket) SslConfiguration() *tls.Config {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.tlsConfig
}

// SetSslConfiguration sets the TLS configuration for the next wss Open.
func (ws *WebSocket) SetSslConfiguration(c *tls.Config) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.tlsConfig = c
}

// IgnoreSslErrors makes the next wss Open accept the server's certificate
// whatever its verification errors, as calling QWebSocket::ignoreSslErrors()
// from a slot connected to SslErrors does. The errors are still reported
// through SslErrors and PeerVerifyError.
func (ws *WebSocket) IgnoreSslErrors() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.ignoreSsl = true
}

// ContinueInterruptedHandshake does nothing: the handshake is never
// interrupted (see HandshakeInterruptedOnError).
func (ws *WebSocket) ContinueInterruptedHandshake() {}

// onLoop runs fn on the socket's loop: now if the caller is on it, else as
// a queued socket event (dropped if the socket is deleted first).
func (ws *WebSocket) onLoop(fn func()) { runOnLoop(ws.AsObject(), fn) }

// post queues fn to the socket's loop as a socket event.
func (ws *WebSocket) post(fn func()) { postSocketEvent(ws.AsObject(), fn) }

// runOnLoop runs fn on o's loop: now if the caller is on it, else queued.
func runOnLoop(o *signals.Object, fn func()) {
	if o.Loop().IsCurrent() {
		fn()
		return
	}
	postSocketEvent(o, fn)
}

// postSocketEvent queues fn to o's loop as a socket event, dropped if o is
// deleted before it runs.
func postSocketEvent(o *signals.Object, fn func()) {
	o.Loop().PostSocketEvent(o, func() {
		if !o.IsDeleted() {
			fn()
		}
	})
}
