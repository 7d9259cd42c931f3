package wsserver

import (
	"time"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// This file holds what runs on the socket's loop: sending, closing, and
// the end of a connection. Every signal order here is Qt's (ws §2.6).

// SendTextMessage queues message for sending and returns its size in bytes
// (UTF-8), or 0 if the socket is not connected (QWebSocket::sendTextMessage).
func (ws *WebSocket) SendTextMessage(message string) int64 {
	s, limit, frame, ok := ws.sendState()
	if !ok {
		return 0
	}
	if !s.c.SendText(message, frame, limit) {
		ws.onLoop(func() { ws.overflow(s) })
		return 0
	}
	return int64(len(message))
}

// SendBinaryMessage queues data for sending and returns its size, or 0 if
// the socket is not connected. The socket keeps its own copy.
func (ws *WebSocket) SendBinaryMessage(data []byte) int64 {
	s, limit, frame, ok := ws.sendState()
	if !ok {
		return 0
	}
	if !s.c.SendBinary(data, frame, limit) {
		ws.onLoop(func() { ws.overflow(s) })
		return 0
	}
	return int64(len(data))
}

func (ws *WebSocket) sendState() (s *session, limit int64, frame int, ok bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	s = ws.sess
	ok = ws.state == ConnectedState && s != nil && s.c != nil
	return s, ws.maxToWrite, int(ws.outFrame), ok
}

// overflow aborts a socket whose peer does not read what it is sent.
func (ws *WebSocket) overflow(s *session) {
	if !ws.current(s) {
		return
	}
	ws.mu.Lock()
	ws.err = SocketResourceError // a Go extra: both Error and ErrorString tell
	ws.mu.Unlock()
	ws.setError(SocketResourceError,
		"Outgoing queue limit exceeded: the peer does not read fast enough (see SetMaxBytesToWrite).")
	ws.abortSession(s)
}

// Ping sends a ping with payload (cut to 125 bytes) and restarts the timer
// Pong reports; the pong arrives through Pong. Like Qt's, it restarts the
// timer even when the socket is not connected.
func (ws *WebSocket) Ping(payload []byte) {
	ws.mu.Lock()
	ws.pingStart = time.Now()
	s := ws.sess
	ok := ws.state == ConnectedState && s != nil && s.c != nil
	ws.mu.Unlock()
	if ok {
		s.c.Ping(payload)
	}
}

// Close closes the socket with code and reason (cut to 123 bytes), as
// QWebSocket::close does: the close frame goes out after the queued
// messages, then the TCP connection is shut. The signals come inside the
// call, in Qt's order: AboutToClose twice, StateChanged(ClosingState),
// then, once everything queued is written (at once unless the peer lags),
// StateChanged(UnconnectedState), Disconnected and ReadChannelFinished.
// The peer's answer is not waited for, as in Qt. Closing a socket that is
// still connecting aborts it. Called from another goroutine, it runs on
// the socket's loop.
func (ws *WebSocket) Close(code CloseCode, reason string) {
	ws.onLoop(func() { ws.close(code, reason) })
}

// close is QWebSocketPrivate::close, on the loop.
func (ws *WebSocket) close(code CloseCode, reason string) {
	ws.mu.Lock()
	s, state := ws.sess, ws.state
	ws.mu.Unlock()
	switch {
	case s == nil || state == UnconnectedState || s.finished:
		return
	case state == ConnectingState || s.c == nil:
		ws.abortSession(s)
		return
	case s.closing:
		return
	}
	s.closing = true
	reason = truncateReason(reason)
	ws.mu.Lock()
	ws.closeCode, ws.closeReason = code, reason
	ws.mu.Unlock()
	done := s.c.Close(uint16(code), reason)
	ws.AboutToClose.Emit() // the close frame is written
	if s.c.IsTLS() {
		s.tlsTail = true // QSslSocket's close reports itself after the rest (finish)
	} else {
		ws.AboutToClose.Emit() // the TCP socket's close
	}
	if !ws.current(s) {
		return // a slot reopened or deleted the socket
	}
	ws.setState(ClosingState)
	if done {
		ws.finish(s, true)
	}
}

// Abort drops the connection at once, without a close frame, discarding
// what is queued (QWebSocket::abort). The close code is left unchanged.
func (ws *WebSocket) Abort() {
	ws.onLoop(func() {
		ws.mu.Lock()
		s := ws.sess
		ws.mu.Unlock()
		if s != nil && !s.finished {
			ws.abortSession(s)
		}
	})
}

// abortSession is Qt's abort: AboutToClose, Unconnected (skipping
// Closing), Disconnected, ReadChannelFinished.
func (ws *WebSocket) abortSession(s *session) {
	s.abort()
	ws.AboutToClose.Emit()
	ws.finish(s, false)
}

// finish emits the end of a connection once: ClosingState if wanted and
// not yet reached, then UnconnectedState, Disconnected, ReadChannelFinished.
func (ws *WebSocket) finish(s *session, viaClosing bool) {
	if s.finished {
		return
	}
	s.finished = true
	if s.c == nil || !s.closing {
		s.abort() // the connection is over: its descriptor goes now
	}
	ws.mu.Lock()
	wasConnected := ws.state == ConnectedState
	ws.mu.Unlock()
	if viaClosing && wasConnected {
		ws.setState(ClosingState)
	}
	ws.setState(UnconnectedState)
	ws.Disconnected.Emit()
	ws.ReadChannelFinished.Emit()
	if s.tlsTail {
		// Qt's QSslSocket: the close_notify alert, then the device's
		// aboutToClose, once the rest is over.
		ws.AlertSent.Emit(AlertWarning, CloseNotify, "close notify")
		ws.AboutToClose.Emit()
	}
}

// current reports whether s is the socket's live session.
func (ws *WebSocket) current(s *session) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.sess == s && !s.finished
}

// setState changes the state and emits StateChanged; loop goroutine only.
func (ws *WebSocket) setState(s SocketState) {
	ws.mu.Lock()
	changed := ws.state != s
	ws.state = s
	ws.mu.Unlock()
	if changed {
		ws.StateChanged.Emit(s)
	}
}

// setError records a WebSocket-level error (QWebSocketPrivate's own error
// string, which Error does not report) and emits ErrorOccurred.
func (ws *WebSocket) setError(e SocketError, text string) {
	ws.mu.Lock()
	ws.errString = text
	ws.mu.Unlock()
	ws.ErrorOccurred.Emit(e)
}

// setSocketError records an error of the connection itself (what Qt's TCP
// socket reports: Error returns it, ErrorString unless a WebSocket-level
// string shadows it) and emits ErrorOccurred.
func (ws *WebSocket) setSocketError(e SocketError, text string) {
	ws.mu.Lock()
	ws.err, ws.tcpErrString = e, text
	ws.mu.Unlock()
	ws.ErrorOccurred.Emit(e)
}

var _ wire.Handler = (*session)(nil)
