package wsserver

// WebSocketCorsAuthenticator is QWebSocketCorsAuthenticator: it carries the
// Origin of an opening handshake to the server's originAuthenticationRequired
// signal, whose slot decides whether that origin may connect. An allowed
// request is upgraded; a refused one gets Qt's bare "403 Access Forbidden"
// and the server reports CloseCodePolicyViolated.
//
// The server creates one per valid handshake request and delivers it to the
// slot on the server's own event loop, where it is read back as soon as the
// slot returns; so the slot must be a direct (same-loop) connection, as in
// Qt, and must not keep the pointer. It is not safe for concurrent use.
//
// Copying the struct copies origin and decision independently, as Qt's copy
// constructor does. The zero value is an authenticator for an empty origin
// that allows it.
type WebSocketCorsAuthenticator struct {
	origin string
	denied bool // stored inverted so that the zero value allows, as Qt starts
}

// NewWebSocketCorsAuthenticator returns an authenticator for origin, which
// starts out allowed.
func NewWebSocketCorsAuthenticator(origin string) *WebSocketCorsAuthenticator {
	return &WebSocketCorsAuthenticator{origin: origin}
}

// Origin returns the Origin header of the request being authenticated (""
// when the client sent none).
func (a *WebSocketCorsAuthenticator) Origin() string { return a.origin }

// SetAllowed records whether the origin may connect.
func (a *WebSocketCorsAuthenticator) SetAllowed(allowed bool) { a.denied = !allowed }

// Allowed reports whether the origin may connect. It is true until
// SetAllowed(false) is called.
func (a *WebSocketCorsAuthenticator) Allowed() bool { return !a.denied }
