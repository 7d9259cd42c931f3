package wsserver

import "net/netip"

// WebSocketHandshakeOptions holds the options of a client handshake
// (QWebSocketHandshakeOptions, Qt 6.4): the subprotocols to offer.
type WebSocketHandshakeOptions struct {
	subprotocols []string
}

// Subprotocols returns the subprotocols to offer, in preference order.
func (o WebSocketHandshakeOptions) Subprotocols() []string {
	return append([]string(nil), o.subprotocols...)
}

// SetSubprotocols sets the subprotocols to offer. Invalid names are kept
// here and dropped when the request is sent, as in Qt.
func (o *WebSocketHandshakeOptions) SetSubprotocols(protocols []string) {
	o.subprotocols = append([]string(nil), protocols...)
}

// Equal reports whether o and p hold the same options (operator==).
func (o WebSocketHandshakeOptions) Equal(p WebSocketHandshakeOptions) bool {
	if len(o.subprotocols) != len(p.subprotocols) {
		return false
	}
	for i := range o.subprotocols {
		if o.subprotocols[i] != p.subprotocols[i] {
			return false
		}
	}
	return true
}

func (o WebSocketHandshakeOptions) clone() WebSocketHandshakeOptions {
	return WebSocketHandshakeOptions{subprotocols: o.Subprotocols()}
}

// PauseModes is QAbstractSocket::PauseModes.
type PauseModes int

// Qt's pause modes.
const (
	PauseNever       PauseModes = 0x0
	PauseOnSslErrors PauseModes = 0x1
)

// ProxyType is QNetworkProxy::ProxyType.
type ProxyType int

// Qt's proxy types, with Qt's values.
const (
	DefaultProxy     ProxyType = 0
	Socks5Proxy      ProxyType = 1
	NoProxy          ProxyType = 2
	HttpProxy        ProxyType = 3
	HttpCachingProxy ProxyType = 4
	FtpCachingProxy  ProxyType = 5
)

// NetworkProxy is the part of QNetworkProxy a WebSocket uses: its type.
// Only DefaultProxy and NoProxy are supported; see SetProxy.
type NetworkProxy struct {
	Type ProxyType // QNetworkProxy::type(); the zero value is DefaultProxy
}

// SslPreSharedKeyAuthenticator stands for QSslPreSharedKeyAuthenticator in
// the PreSharedKeyAuthenticationRequired signals, which crypto/tls never
// triggers (it has no TLS-PSK).
type SslPreSharedKeyAuthenticator struct {
	IdentityHint []byte // the server's identity hint
	Identity     []byte // the client's identity
	PreSharedKey []byte // the key
}

// SslAlertLevel is QSsl::AlertLevel, for the never-emitted alert signals.
type SslAlertLevel int

// Qt's alert levels.
const (
	AlertWarning SslAlertLevel = iota
	AlertFatal
	AlertUnknown
)

// SslAlertType is QSsl::AlertType (the TLS alert description code), for the
// never-emitted alert signals.
type SslAlertType int

// CloseNotify is QSsl::AlertType::CloseNotify, the alert a TLS connection
// sends when it closes (the one AlertSent reports).
const CloseNotify SslAlertType = 0

// hostAddressOf returns the address of ap, unmapping IPv4-mapped IPv6 as a
// Qt socket reports a dual-stack peer (Null for the zero AddrPort).
func hostAddressOf(ap netip.AddrPort) HostAddress {
	if !ap.IsValid() {
		return Null
	}
	return hostAddressFrom(ap.Addr().Unmap())
}
