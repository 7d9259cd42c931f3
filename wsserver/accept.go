package wsserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// The server's opening handshake, in Qt's order (ws §1.6): the request's
// head is read on the connection's goroutine (at most 819204 bytes); the
// rest runs on the server's loop in one go, as Qt runs it in one slot:
// the pending limit, Qt's validation (handshake.go),
// OriginAuthenticationRequired, the answer, and the upgraded socket queued
// and announced. So the limit counts the sockets queued and not taken,
// exactly as in Qt, however many handshakes arrive at once.

// handshake runs the opening handshake of an accepted connection, on its
// own goroutine. timer, if not nil, is the handshake timer: it closes the
// connection when it fires.
func (srv *WebSocketServer) handshake(c net.Conn, timer *time.Timer) {
	if !srv.track(c) {
		stopTimer(timer)
		_ = c.Close()
		return
	}
	fail := func() {
		stopTimer(timer)
		_ = c.Close()
		srv.forget(c)
	}
	nc := c
	if srv.mode == SecureMode {
		tc := tls.Server(c, srv.serverTLS(srv.SslConfiguration()))
		if err := tc.HandshakeContext(context.Background()); err != nil {
			fail() // Qt drops a failed TLS handshake without a word
			return
		}
		nc = tc
	}
	head, rest, err := wire.ReadRequestHead(nc)
	if errors.Is(err, wire.ErrHeadTooLarge) {
		stopTimer(timer)
		srv.setError(CloseCodeTooMuchData, "Header is too large.")
		lingerClose(c)
		srv.forget(c)
		return
	}
	if err != nil {
		fail()
		return
	}
	r, perr := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if perr == nil {
		r.RemoteAddr = c.RemoteAddr().String()
		if tc, ok := nc.(*tls.Conn); ok {
			st := tc.ConnectionState()
			r.TLS = &st
		}
		srv.mu.Lock()
		pages := srv.pages
		srv.mu.Unlock()
		if pages != nil && !isUpgradeRequest(r) {
			stopTimer(timer)
			srv.forget(c)
			srv.servePage(nc, append(head, rest...))
			return
		}
	}
	srv.post(func() { srv.upgrade(c, nc, r, perr, rest, timer) })
}

// lingerClose closes a connection whose peer is still sending: it ends its
// own stream, then reads and drops what comes for up to a second, so that
// the peer sees an end rather than a reset (Qt has read the bytes into
// its socket's buffer when it closes).
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, c)
	}
	_ = c.Close()
}

// upgrade runs the rest of a handshake on the server's loop: the request r
// came on nc (perr says why it is not HTTP at all; key is the accepted
// connection under nc, as track knows it), rest holds the bytes that
// followed it.
func (srv *WebSocketServer) upgrade(key, nc net.Conn, r *http.Request, perr error, rest []byte, timer *time.Timer) {
	queued := false
	defer func() {
		srv.forget(key)
		if !queued {
			stopTimer(timer)
			_ = nc.Close()
		}
	}()
	srv.mu.Lock()
	_, live := srv.handshaking[key]
	full := len(srv.pending) >= srv.maxPending
	srv.mu.Unlock()
	if !live || srv.IsDeleted() {
		return // Delete has closed the connection
	}
	// 1. The pending limit (Qt: no answer at all).
	if full {
		srv.setError(CloseCodeAbnormalDisconnection, "Too many pending connections.")
		return
	}
	// 2. Qt's validation: an invalid request is closed without an answer.
	if perr != nil {
		return
	}
	req, err := parseHandshake(r, srv.mode == SecureMode)
	if err != nil {
		return
	}
	// 3. The origin, decided by the slots.
	if srv.OriginAuthenticationRequired.IsConnected() {
		auth := NewWebSocketCorsAuthenticator(req.origin)
		srv.OriginAuthenticationRequired.Emit(auth)
		if srv.IsDeleted() {
			return
		}
		if !auth.Allowed() {
			stopTimer(timer)
			_, _ = nc.Write([]byte("HTTP/1.1 403 Access Forbidden\r\n\r\n"))
			srv.setError(CloseCodePolicyViolated, "Access forbidden.")
			return
		}
	}
	if !slices.Contains(req.versions, Version13) {
		stopTimer(timer)
		_, _ = nc.Write([]byte("HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\n"))
		srv.setError(CloseCodeProtocolError, "Unsupported version requested.")
		return
	}

	// 4. The 101, Qt's lines in Qt's order.
	srv.mu.Lock()
	name, protocol, deflate := srv.name, chooseSubprotocol(req.protocols, srv.subprotocols), srv.deflate
	srv.mu.Unlock()
	var ext *wire.Deflate
	var extHeader string
	if deflate {
		extHeader, ext = wire.AcceptDeflate(r.Header.Values("Sec-WebSocket-Extensions"))
	}
	if !stopTimer(timer) {
		return // the timer won the race and closed the connection
	}

	// 5. The socket, queued and announced.
	peer, _ := netip.ParseAddrPort(r.RemoteAddr)
	var local netip.AddrPort
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		local = a.AddrPort()
	}
	hdr := r.Clone(context.Background())
	hdr.URL = req.url
	ws := newWebSocket(nil)
	ws.server, ws.origin, ws.version = true, req.origin, Version13
	s := newSession(ws, false)
	cfg := s.wireConfig()
	cfg.Deflate = ext
	s.c = wire.NewConn(nc, rest, cfg)
	// The 101 goes into the socket's queue, as Qt writes it into the TCP
	// socket's buffer: it leaves at the end of this iteration, counted by
	// BytesToWrite and BytesWritten.
	s.c.WriteRaw(response101(req, name, protocol, extHeader, time.Now()))
	ws.mu.Lock()
	ws.state = ConnectedState
	ws.sess = s
	ws.request, ws.resource = hdr, prettyURL(req.url)
	ws.options.subprotocols = req.protocols
	ws.subprotocol = protocol
	ws.local, ws.peer = local, peer
	ws.peerName = peer.Addr().Unmap().String()
	ws.errString, ws.tcpErrString = "Unknown error", "Unknown error" // Qt copies the TCP socket's into its own
	ws.mu.Unlock()
	srv.mu.Lock()
	srv.pending = append(srv.pending, ws)
	srv.mu.Unlock()
	queued = true
	srv.NewConnection.Emit()
}

// response101 is Qt's 101 answer (QWebSocketHandshakeResponse).
func response101(req handshakeRequest, serverName, protocol, extensions string, now time.Time) []byte {
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Accept: " + acceptKey(req.key) + "\r\n")
	if protocol != "" {
		b.WriteString("Sec-WebSocket-Protocol: " + protocol + "\r\n")
	}
	if extensions != "" {
		b.WriteString("Sec-WebSocket-Extensions: " + extensions + "\r\n")
	}
	if serverName != "" {
		b.WriteString("Server: " + serverName + "\r\n")
	}
	origin := qtTrim(req.origin)
	if origin == "" {
		origin = "*"
	}
	b.WriteString("Access-Control-Allow-Credentials: false\r\nAccess-Control-Allow-Methods: GET\r\n" +
		"Access-Control-Allow-Headers: content-type\r\nAccess-Control-Allow-Origin: " + origin + "\r\n")
	b.WriteString("Date: " + now.UTC().Format("Mon, 02 Jan 2006 15:04:05") + " GMT\r\n\r\n")
	return []byte(b.String())
}

// post queues fn to the server's loop, dropped if the server is deleted
// first (Delete closes the connections of the handshakes under way).
func (srv *WebSocketServer) post(fn func()) { postSocketEvent(srv.AsObject(), fn) }

// track records a connection in its handshake, for Destruct; it reports
// false when the server is being deleted.
func (srv *WebSocketServer) track(c net.Conn) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	select {
	case <-srv.closing:
		return false
	default:
	}
	srv.handshaking[c] = struct{}{}
	return true
}

// forget drops a connection whose handshake is over (queued or closed).
func (srv *WebSocketServer) forget(c net.Conn) {
	srv.mu.Lock()
	delete(srv.handshaking, c)
	srv.mu.Unlock()
}

func stopTimer(t *time.Timer) bool { return t == nil || t.Stop() }

// ServeHTTP runs the opening handshake of r, a request a program's own
// http.Server received (the server mounted on a mux, e.g.
// mux.Handle("/ws", srv)), and queues the upgraded connection for
// NextPendingConnection. The handshake timeout is then that server's. A
// request that does not ask for a WebSocket goes to SetHTTPHandler's
// handler if there is one.
func (srv *WebSocketServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv.mu.Lock()
	pages := srv.pages
	srv.mu.Unlock()
	if pages != nil && !isUpgradeRequest(r) {
		pages.ServeHTTP(w, r)
		return
	}
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "wsserver: the connection cannot be upgraded", http.StatusInternalServerError)
		return
	}
	_ = c.SetDeadline(time.Time{})
	var rest []byte
	if n := brw.Reader.Buffered(); n > 0 {
		rest, _ = brw.Reader.Peek(n)
		rest = bytes.Clone(rest)
	}
	nc := c
	if tc, ok := c.(*net.TCPConn); ok {
		nc = wire.Wrap(tc)
	}
	if !srv.track(nc) {
		_ = nc.Close()
		return
	}
	srv.post(func() { srv.upgrade(nc, nc, r, nil, rest, nil) })
}

// HandleConnection runs the handshake on a connection accepted elsewhere
// (QWebSocketServer::handleConnection). As in Qt, no handshake timeout
// applies. A nil connection is ignored.
func (srv *WebSocketServer) HandleConnection(c net.Conn) {
	if c == nil {
		return
	}
	srv.serving.Add(1)
	go func() {
		defer srv.serving.Done()
		srv.handshake(wire.Wrap(c), nil)
	}()
}

// servePage hands a connection whose request is not a handshake to the
// handler of SetHTTPHandler, through an http.Server of the server's own;
// prefix holds what was read of it. Further requests on the connection
// are that server's; one that asks for a WebSocket comes back to
// ServeHTTP.
func (srv *WebSocketServer) servePage(c net.Conn, prefix []byte) {
	srv.mu.Lock()
	if srv.pagesLn == nil {
		srv.pagesLn = newHandoffListener()
		srv.pagesSrv = &http.Server{
			Handler:           srv,
			ReadHeaderTimeout: srv.handshakeTimeout,
			MaxHeaderBytes:    wire.MaxHeadSize,
			ErrorLog:          log.New(io.Discard, "", 0),
		}
		h, ln := srv.pagesSrv, srv.pagesLn
		srv.serving.Go(func() { _ = h.Serve(ln) })
	}
	ln := srv.pagesLn
	srv.mu.Unlock()
	ln.hand(&replayConn{Conn: c, prefix: prefix})
}

// A replayConn returns prefix before what its connection reads.
type replayConn struct {
	net.Conn
	prefix []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
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
