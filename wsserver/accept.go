package wsserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/coder/websocket"
)

// ServeHTTP runs the opening handshake of r, in Qt's order (ws §1.6), and
// queues the upgraded connection for NextPendingConnection. The server's
// own listener sends every connection here; a program may also mount the
// server on its own mux, e.g. mux.Handle("/ws", srv). Mounted that way, the
// connection comes from the program's http.Server, so the handshake timeout
// is that server's and writes are not batched.
func (srv *WebSocketServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv.mu.Lock()
	pages := srv.pages
	srv.mu.Unlock()
	if pages != nil && !isUpgradeRequest(r) {
		pages.ServeHTTP(w, r)
		return
	}
	// 1. The pending limit, before anything else (Qt: no answer at all).
	// Like Qt, it counts the sockets queued and not yet taken; handshakes
	// still under way on other goroutines do not count (in Qt, single-
	// threaded, a finished handshake is queued and taken before the next
	// one is checked). Those that pass here while the loop is busy are
	// checked again when they are queued (step 5), so the queue never
	// exceeds the limit.
	srv.mu.Lock()
	full := len(srv.pending) >= srv.maxPending
	srv.mu.Unlock()
	if full {
		srv.setError(CloseCodeAbnormalDisconnection, "Too many pending connections.")
		dropConnection(w)
		return
	}
	// 2. Qt's validation; Qt closes silently, we answer 400 (docs/porting.md)
	// and close as Qt does.
	req, err := parseHandshake(r, srv.mode == SecureMode)
	if err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !slices.Contains(req.versions, Version13) {
		srv.setError(CloseCodeProtocolError, "Unsupported version requested.")
		reject(w, "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n")
		return
	}

	// 3. The origin, decided by the slots on the server's loop.
	allowed, decided := srv.originAllowed(r, req.origin)
	if !decided {
		return // the client has gone, or the server was deleted: no verdict, no error
	}
	if !allowed {
		srv.setError(CloseCodePolicyViolated, "Access forbidden.")
		reject(w, "HTTP/1.1 403 Access Forbidden\r\n\r\n")
		return
	}

	// 4. The 101 response: Qt's headers, then coder/websocket's.
	srv.mu.Lock()
	name, protocol := srv.name, chooseSubprotocol(req.protocols, srv.subprotocols)
	compression := websocket.CompressionDisabled
	if srv.deflate {
		compression = websocket.CompressionContextTakeover
	}
	srv.mu.Unlock()
	h := w.Header()
	if name != "" {
		h.Set("Server", name)
	}
	allowOrigin := req.origin
	if allowOrigin == "" {
		allowOrigin = "*"
	}
	h.Set("Access-Control-Allow-Credentials", "false")
	h.Set("Access-Control-Allow-Methods", "GET")
	h.Set("Access-Control-Allow-Headers", "content-type")
	h.Set("Access-Control-Allow-Origin", allowOrigin)
	// coder/websocket wants version 13 alone and one 16-byte key; Qt takes
	// lists such as "8, 13" and any non-empty key (its first one), so the
	// request is normalised and the accept value computed from the real
	// key. The socket's Request keeps the headers as received.
	versions, keys := r.Header.Values("Sec-WebSocket-Version"), r.Header.Values("Sec-WebSocket-Key")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")
	ownConn, _ := batchConnOf(r.Context())
	accepting := &acceptWriter{ResponseWriter: w, accept: acceptKey(req.key), ownConn: ownConn != nil}
	var protocols []string
	if protocol != "" {
		protocols = []string{protocol}
	}
	var sess atomic.Pointer[session]
	c, err := websocket.Accept(accepting, r, &websocket.AcceptOptions{
		Subprotocols:       protocols,
		InsecureSkipVerify: true, // the origin was decided above
		CompressionMode:    compression,
		OnPongReceived: func(_ context.Context, p []byte) {
			if s := sess.Load(); s != nil {
				s.ws.pongReceived(s, p)
			}
		},
	})
	r.Header["Sec-Websocket-Version"], r.Header["Sec-Websocket-Key"] = versions, keys
	if err != nil {
		return // coder/websocket has answered
	}
	if !stopHandshakeTimer(r.Context()) {
		_ = c.CloseNow() // the timer won the race and closed the connection
		return
	}
	bc, fw := batchConnOf(r.Context())
	compressed := deflateNegotiated(w.Header())

	// 5. The socket, made on the server's loop, queued, announced. Until it
	// is queued, Delete closes the connection (Qt's destructor aborts it).
	srv.mu.Lock()
	select {
	case <-srv.closing:
		srv.mu.Unlock()
		_ = c.CloseNow()
		return
	default:
	}
	srv.upgrading[c] = struct{}{}
	srv.mu.Unlock()
	peer, _ := netip.ParseAddrPort(r.RemoteAddr)
	var local netip.AddrPort
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := a.(*net.TCPAddr); ok {
			local = ta.AddrPort()
		}
	}
	hdr := r.Clone(context.Background())
	hdr.URL = req.url
	srv.onLoop(func() {
		// On the loop, as Delete is: nothing can close the server meanwhile.
		srv.mu.Lock()
		_, live := srv.upgrading[c]
		delete(srv.upgrading, c)
		full := len(srv.pending) >= srv.maxPending
		srv.mu.Unlock()
		if !live { // Delete has closed the connection
			return
		}
		if full {
			// Handshakes that passed step 1 while the loop was busy find
			// the queue full: the limit holds all the same, and the
			// connection is closed without a word, as Qt closes one it
			// refuses (here after the 101).
			_ = c.CloseNow()
			srv.setError(CloseCodeAbnormalDisconnection, "Too many pending connections.")
			return
		}
		ws := newWebSocket(nil)
		ws.server, ws.origin, ws.version = true, req.origin, Version13
		s := newSession(ws, c, bc, fw, compressed, false)
		ws.mu.Lock()
		ws.state = ConnectedState
		ws.sess = s
		ws.request, ws.resource = hdr, req.url.String()
		ws.options.subprotocols = req.protocols
		ws.subprotocol = protocol // not c.Subprotocol(): acceptWriter respells its header
		ws.local, ws.peer = local, peer
		ws.peerName = peer.Addr().Unmap().String()
		ws.mu.Unlock()
		sess.Store(s)
		srv.mu.Lock()
		srv.pending = append(srv.pending, ws)
		srv.mu.Unlock()
		srv.NewConnection.Emit()
	})
}

// originAllowed emits OriginAuthenticationRequired on the server's loop and
// waits for the verdict. Without slots every origin passes. decided is
// false when the wait ended without a verdict: the client went away or the
// server was deleted.
func (srv *WebSocketServer) originAllowed(r *http.Request, origin string) (allowed, decided bool) {
	if !srv.OriginAuthenticationRequired.IsConnected() {
		return true, true
	}
	auth := NewWebSocketCorsAuthenticator(origin)
	if srv.Loop().IsCurrent() { // ServeHTTP called on the loop itself
		srv.OriginAuthenticationRequired.Emit(auth)
		return auth.Allowed(), true
	}
	verdict := make(chan bool, 1)
	o := srv.AsObject()
	srv.Loop().PostSocketEvent(o, func() {
		if o.IsDeleted() || r.Context().Err() != nil {
			return // nobody waits for this verdict any more
		}
		srv.OriginAuthenticationRequired.Emit(auth)
		verdict <- auth.Allowed()
	})
	select {
	case ok := <-verdict:
		return ok, true
	case <-r.Context().Done():
		return false, false
	case <-srv.closing:
		return false, false
	}
}

// acceptWriter gives the 101 the Sec-WebSocket-Accept of the client's own
// key (see ServeHTTP); coder/websocket hijacks the connection underneath.
type acceptWriter struct {
	http.ResponseWriter
	accept  string
	ownConn bool // the server's own listener accepted the connection
}

func (w *acceptWriter) WriteHeader(code int) {
	if code == http.StatusSwitchingProtocols {
		h := w.Header()
		h.Set("Sec-WebSocket-Accept", w.accept)
		// RFC 6455's (and Qt's) spelling on the wire, not net/http's
		// canonical "Sec-Websocket-Accept".
		for _, name := range []string{"Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
			if v, ok := h[http.CanonicalHeaderKey(name)]; ok {
				delete(h, http.CanonicalHeaderKey(name))
				h[name] = v
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's Hijacker.
func (w *acceptWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// controlBufferSize is the write buffer coder/websocket gets when the
// session frames the data itself: it writes only control frames (at most
// 131 bytes) through it.
const controlBufferSize = 256

// Hijack hands the connection to coder/websocket. net/http gives a 4 KiB
// write buffer with it; on the server's own connections without
// compression the session frames messages itself and coder/websocket
// writes only control frames, so a small buffer does, and an idle socket
// holds 3.8 KiB less.
func (w *acceptWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.ownConn && !deflateNegotiated(w.Header()) {
		brw.Writer = bufio.NewWriterSize(c, controlBufferSize)
	}
	return c, brw, err
}

// reject writes Qt's exact refusal (response, status line and headers as
// Qt sends them, no body) and closes the connection, as Qt does after a
// 400 or 403.
func reject(w http.ResponseWriter, response string) {
	if c, brw, err := http.NewResponseController(w).Hijack(); err == nil {
		_, _ = brw.WriteString(response)
		_ = brw.Flush()
		_ = c.Close()
		return
	}
	// Not hijackable (HTTP/2): the same status through net/http.
	code, _ := strconv.Atoi(response[len("HTTP/1.1 "):len("HTTP/1.1 xxx")])
	w.Header().Set("Connection", "close")
	if code == http.StatusBadRequest {
		w.Header().Set("Sec-WebSocket-Version", "13")
	}
	w.WriteHeader(code)
}

// dropConnection closes the connection without an answer, as Qt does when
// the pending queue is full.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	http.Error(w, "Too many pending connections.", http.StatusServiceUnavailable)
}

// HandleConnection runs the handshake on a connection accepted elsewhere
// (QWebSocketServer::handleConnection). As in Qt, no handshake timeout
// applies. A nil connection is ignored.
func (srv *WebSocketServer) HandleConnection(c net.Conn) {
	if c == nil {
		return
	}
	srv.mu.Lock()
	if srv.handoff == nil {
		srv.handoff = newHandoffListener(srv)
		h, ln := srv.httpServerLocked(), srv.handoff
		srv.serving.Go(func() { _ = h.Serve(ln) })
	}
	ln := srv.handoff
	srv.mu.Unlock()
	select {
	case ln.handoff <- srv.wrapConn(c, false):
	case <-ln.done:
		_ = c.Close()
	}
}

// serverTLS returns the TLS configuration for one accepted connection:
// base, with client certificates verified here instead of in crypto/tls,
// so that verification errors (verifyPeer's, in Qt's terms) reach
// PeerVerifyError and SslErrors.
func (srv *WebSocketServer) serverTLS(base *tls.Config) *tls.Config {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		conf = base.Clone()
		if conf.MinVersion == 0 {
			conf.MinVersion = tls.VersionTLS12
		}
	}
	mode, pool := conf.ClientAuth, conf.ClientCAs
	if mode != tls.VerifyClientCertIfGiven && mode != tls.RequireAndVerifyClientCert {
		return conf
	}
	conf.ClientAuth = tls.RequestClientCert
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 && mode != tls.RequireAndVerifyClientCert {
			return nil
		}
		// No certificate gives Qt's QSslError::NoPeerCertificate.
		found := verifyPeer(cs.PeerCertificates,
			x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, "")
		if len(found) == 0 {
			return nil
		}
		srv.onLoop(func() { emitSslErrors(&srv.PeerVerifyError, &srv.SslErrors, found) })
		return errors.Join(errors.New("wsserver: client certificate refused"), sslErrorsList(found)[0])
	}
	return conf
}

// isUpgradeRequest reports whether r asks for a WebSocket (its Upgrade
// header names websocket), as opposed to a page.
func isUpgradeRequest(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "websocket") {
				return true
			}
		}
	}
	return false
}

// SetHTTPHandler makes the server answer plain HTTP requests on its port
// with h, so one port serves a web page and its WebSocket (a Go extra: the
// Qt examples ship their HTML client as a separate file). Requests that ask
// for a WebSocket upgrade still get the handshake. nil restores the
// default: every request is treated as a handshake.
func (srv *WebSocketServer) SetHTTPHandler(h http.Handler) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.pages = h
}

// deflateNegotiated reports whether a 101's headers accept
// permessage-deflate (acceptWriter has respelt the header's name).
func deflateNegotiated(h http.Header) bool {
	for name, v := range h {
		if strings.EqualFold(name, "Sec-WebSocket-Extensions") &&
			strings.Contains(strings.Join(v, ","), "permessage-deflate") {
			return true
		}
	}
	return false
}
