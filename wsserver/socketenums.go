package wsserver

import "strconv"

// SocketState is QAbstractSocket::SocketState. QWebSocket::state() uses it
// for its own WebSocket-level state, which is tracked apart from the TCP
// socket's.
type SocketState int

// QAbstractSocket's socket states, with Qt's names and values.
const (
	UnconnectedState SocketState = iota // not connected
	HostLookupState                     // looking up the host name
	ConnectingState                     // connecting or in the opening handshake
	ConnectedState                      // connection established
	BoundState                          // bound to an address and port
	ListeningState                      // for internal use only
	ClosingState                        // about to close
)

var socketStateNames = [...]string{
	"UnconnectedState", "HostLookupState", "ConnectingState", "ConnectedState",
	"BoundState", "ListeningState", "ClosingState",
}

// String returns the Qt name of the state, or "SocketState(N)".
func (s SocketState) String() string {
	if s >= 0 && int(s) < len(socketStateNames) {
		return socketStateNames[s]
	}
	return "SocketState(" + strconv.Itoa(int(s)) + ")"
}

// SocketError is QAbstractSocket::SocketError, the type of
// QWebSocket::error() and of QWebSocketServer's acceptError signal.
type SocketError int

// QAbstractSocket's socket errors, with Qt's names and values
// (qabstractsocket.h; TemporaryError is 22, UnknownSocketError -1).
const (
	ConnectionRefusedError           SocketError = iota // peer refused the connection (or the handshake failed)
	RemoteHostClosedError                               // peer closed the connection
	HostNotFoundError                                   // host address not found
	SocketAccessError                                   // missing privileges
	SocketResourceError                                 // out of resources (e.g. too many sockets)
	SocketTimeoutError                                  // operation timed out
	DatagramTooLargeError                               // datagram above the OS limit
	NetworkError                                        // network error (e.g. cable unplugged)
	AddressInUseError                                   // address already in use
	SocketAddressNotAvailableError                      // address not on this host
	UnsupportedSocketOperationError                     // operation unsupported by the OS
	UnfinishedSocketOperationError                      // used by QAbstractSocketEngine only
	ProxyAuthenticationRequiredError                    // proxy requires authentication
	SslHandshakeFailedError                             // TLS handshake failed
	ProxyConnectionRefusedError                         // proxy refused the connection
	ProxyConnectionClosedError                          // proxy closed the connection unexpectedly
	ProxyConnectionTimeoutError                         // proxy timed out
	ProxyNotFoundError                                  // proxy address not found
	ProxyProtocolError                                  // proxy response not understood
	OperationError                                      // operation not allowed in the current state
	SslInternalError                                    // TLS library internal error
	SslInvalidUserDataError                             // invalid TLS data supplied
	TemporaryError                                      // transient error (e.g. EAGAIN)

	UnknownSocketError SocketError = -1 // unidentified error
)

var socketErrorNames = [...]string{
	"ConnectionRefusedError", "RemoteHostClosedError", "HostNotFoundError",
	"SocketAccessError", "SocketResourceError", "SocketTimeoutError",
	"DatagramTooLargeError", "NetworkError", "AddressInUseError",
	"SocketAddressNotAvailableError", "UnsupportedSocketOperationError",
	"UnfinishedSocketOperationError", "ProxyAuthenticationRequiredError",
	"SslHandshakeFailedError", "ProxyConnectionRefusedError",
	"ProxyConnectionClosedError", "ProxyConnectionTimeoutError",
	"ProxyNotFoundError", "ProxyProtocolError", "OperationError",
	"SslInternalError", "SslInvalidUserDataError", "TemporaryError",
}

// String returns the Qt name of the error, or "SocketError(N)".
func (e SocketError) String() string {
	if e == UnknownSocketError {
		return "UnknownSocketError"
	}
	if e >= 0 && int(e) < len(socketErrorNames) {
		return socketErrorNames[e]
	}
	return "SocketError(" + strconv.Itoa(int(e)) + ")"
}

// SslMode is QWebSocketServer::SslMode: whether a server speaks wss (TLS)
// or plain ws.
type SslMode int

// QWebSocketServer's modes, with Qt's values.
const (
	SecureMode    SslMode = 0 // wss: TLS on every connection
	NonSecureMode SslMode = 1 // ws: plain TCP
)

// String returns the Qt name of the mode, or "SslMode(N)".
func (m SslMode) String() string {
	switch m {
	case SecureMode:
		return "SecureMode"
	case NonSecureMode:
		return "NonSecureMode"
	}
	return "SslMode(" + strconv.Itoa(int(m)) + ")"
}
