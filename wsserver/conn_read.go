package wsserver

// peerEnded reports whether a read (batchConn.Read) has met the end of the
// peer's stream since resetPeerEnded.
//
// coder/websocket returns a fragmented message that the peer's FIN cuts at
// a frame boundary as if it were whole: the next frame header's read gets
// io.EOF, which its message reader passes on as the message's end. A
// message can only be complete if all of it was read without needing the
// bytes after it, so a message that comes back after the stream has ended
// is one that was cut short. (Over TLS a close_notify ends the stream
// above this connection and goes unnoticed here.)
func (c *batchConn) peerEnded() bool { return c != nil && c.eof.Load() }

// resetPeerEnded forgets an end met before the WebSocket reads began
// (net/http's background read during the handshake).
func (c *batchConn) resetPeerEnded() {
	if c != nil {
		c.eof.Store(false)
	}
}
