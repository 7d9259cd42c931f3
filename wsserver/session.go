package wsserver

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// A session is one connection of a WebSocket: its wire.Conn, and the
// handler of the Conn's events, which turns them into the socket's
// signals in Qt's order (socket_events.go). Opening again replaces the
// session; the events of an old one are ignored. Its fields belong to the
// socket's loop once the session is the socket's.
type session struct {
	ws     *WebSocket
	c      *wire.Conn // nil while a client still dials
	client bool
	cancel func() // stops a client's dial; may be nil

	closing  bool // a close frame was sent or received: state Closing
	tlsTail  bool // a TLS close: AlertSent and the second AboutToClose come last
	dropped  bool // the connection is gone (ReadEnded, WriteFailed): nothing to close
	finished bool // the final signals were emitted
	reading  bool // Start was called
}

func newSession(ws *WebSocket, client bool) *session {
	return &session{ws: ws, client: client}
}

// loopRunner runs a socket's wire events on its loop (wire.Runner); what
// is posted is dropped once the socket is deleted.
type loopRunner struct{ o *signals.Object }

func (r loopRunner) IsCurrent() bool   { return r.o.Loop().IsCurrent() }
func (r loopRunner) Post(fn func())    { postSocketEvent(r.o, fn) }
func (r loopRunner) PostLow(fn func()) { r.o.Loop().PostEvent(r.o, fn, eventloop.LowEventPriority) }

// wireConfig is the wire.Config of the session's connection.
func (s *session) wireConfig() wire.Config {
	ws := s.ws
	return wire.Config{
		Server:       ws.server,
		Runner:       loopRunner{ws.AsObject()},
		Handler:      s,
		FrameLimit:   ws.MaxAllowedIncomingFrameSize,
		MessageLimit: ws.MaxAllowedIncomingMessageSize,
	}
}

// startReading starts delivering the connection's events once.
func (s *session) startReading() {
	if s.reading || s.c == nil {
		return
	}
	s.reading = true
	s.c.Start()
}

// abort drops the connection without a close frame and stops a dial.
func (s *session) abort() {
	if s == nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.c != nil {
		s.c.Abort()
	}
}

func (s *session) addrs() (local, peer netip.AddrPort) {
	if a, ok := s.c.LocalAddr().(*net.TCPAddr); ok {
		local = a.AddrPort()
	}
	if a, ok := s.c.RemoteAddr().(*net.TCPAddr); ok {
		peer = a.AddrPort()
	}
	return local, peer
}

// The wire.Handler of a session: each event is Qt's reaction to it.

// Frame emits a received frame's signal, then, for the last frame, its
// message's. Nothing is delivered once this side has closed: Qt's close()
// closes the TCP socket, so what the peer sent afterwards is never read.
func (s *session) Frame(ev *wire.Event) {
	ws := s.ws
	if !ws.current(s) || s.closing {
		return
	}
	if ev.Op == wire.OpText {
		ws.TextFrameReceived.Emit(ev.Text, ev.Fin)
		if ev.Fin && ws.current(s) && !s.closing {
			ws.TextMessageReceived.Emit(ev.MessageText)
		}
		return
	}
	frame := ev.Data
	if ev.Fin && len(frame) == len(ev.MessageData) && len(frame) > 0 &&
		ws.BinaryFrameReceived.IsConnected() && ws.BinaryMessageReceived.IsConnected() {
		frame = append([]byte(nil), frame...) // one buffer per signal, as Qt's QByteArrays are
	}
	ws.BinaryFrameReceived.Emit(frame, ev.Fin)
	if ev.Fin && ws.current(s) && !s.closing {
		ws.BinaryMessageReceived.Emit(ev.MessageData)
	}
}

// Pong emits Pong with the time since the last Ping.
func (s *session) Pong(payload []byte) {
	ws := s.ws
	if !ws.current(s) || s.closing {
		return
	}
	ws.mu.Lock()
	elapsed := time.Since(ws.pingStart)
	ws.mu.Unlock()
	ws.Pong.Emit(elapsed, payload)
}

// CloseReceived is Qt's closeReceived: the peer's code and reason (or the
// ones Qt puts in place of a refused payload) become this side's, and the
// socket closes with them, echoing them to the peer.
func (s *session) CloseReceived(payload []byte) {
	if !s.ws.current(s) || s.closing {
		return
	}
	code, reason, _ := parseClosePayload(payload)
	s.ws.close(code, reason)
}

// ProtocolError is Qt's errorEncountered: the socket closes with the
// fault's code and reason, without ErrorOccurred.
func (s *session) ProtocolError(e *wire.ProtocolError) {
	if !s.ws.current(s) || s.closing {
		return
	}
	s.ws.close(CloseCode(e.Code), e.Reason)
}

// ReadEnded: the peer dropped the connection without a close frame.
// Qt's order: ErrorOccurred(RemoteHostClosedError), Closing, Unconnected,
// Disconnected, ReadChannelFinished; the descriptor is closed at once.
func (s *session) ReadEnded(err error) {
	ws := s.ws
	if !ws.current(s) || s.closing {
		return
	}
	s.dropped = true
	if errors.Is(err, wire.ErrWriteStalled) {
		// Qt would buffer what the peer does not read without end; like
		// the outgoing limit, this is an error and an abort.
		ws.setError(SocketTimeoutError, "Writing to the socket timed out: the peer does not read what it is sent.")
		ws.abortSession(s)
		return
	}
	s.c.Abort()
	if isRemoteClose(err) {
		ws.setSocketError(RemoteHostClosedError, "The remote host closed the connection")
	} else {
		ws.setSocketError(NetworkError, err.Error())
	}
	ws.finish(s, true)
}

// BytesWritten emits BytesWritten.
func (s *session) BytesWritten(n int64) {
	ws := s.ws
	ws.mu.Lock()
	live := ws.sess == s
	ws.mu.Unlock()
	if live && (!s.finished || s.closing) {
		ws.BytesWritten.Emit(n)
	}
}

// WriteFailed: the connection is gone.
func (s *session) WriteFailed(err error) {
	ws := s.ws
	if !ws.current(s) || s.closing {
		return
	}
	s.dropped = true
	if isRemoteClose(err) {
		ws.setSocketError(RemoteHostClosedError, "The remote host closed the connection")
	} else {
		ws.setSocketError(NetworkError, "Error writing bytes to socket: "+err.Error()+".")
	}
	s.c.Abort()
	ws.finish(s, true)
}

// Closed: a close whose bytes could not all be written inside Close has
// finished.
func (s *session) Closed() {
	if s.ws.current(s) {
		s.ws.finish(s, true)
	}
}

// isRemoteClose reports whether err means the peer dropped the TCP
// connection.
func isRemoteClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, wire.ErrNoAnswer)
}
