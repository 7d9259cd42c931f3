package wsserver_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// Wire-level behaviour (ws §2.7–§2.9), checked against a raw peer.

// closeSeq is the local close sequence a protocol error runs (ws §2.6:
// "the same signal sequence as a local close", no errorOccurred).
var closeSeq = []string{evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished}

// serverWithRawClient returns a server-side socket, its log and a raw
// client peer.
func serverWithRawClient(t *testing.T) (*wsserver.WebSocket, *sigLog, *rawPeer) {
	t.Helper()
	srv := newServer(t)
	peer := dialRawClient(t, serverAddr(srv), "/")
	server := nextConn(t, srv)
	return server, recordSignals(t, server), peer
}

// clientWithRawServer returns a client socket, its log and a raw server
// peer.
func clientWithRawServer(t *testing.T) (*wsserver.WebSocket, *sigLog, *rawPeer) {
	t.Helper()
	rs := newRawServer(t, nil)
	client := newClient(t)
	log := recordSignals(t, client)
	peer := connectRaw(t, rs, client)
	return client, log, peer
}

// expectProtocolClose waits for the socket to close itself because of a
// bad frame and checks Qt's outcome: CloseCode/CloseReason are the error,
// the peer receives a close frame with the code, the local close sequence
// runs after the messages logged before (from), and no errorOccurred.
func expectProtocolClose(t *testing.T, ws *wsserver.WebSocket, log *sigLog, peer *rawPeer, from int,
	code wsserver.CloseCode, reason string, wireReason bool) {
	t.Helper()
	peer.expectClose(uint16(code), reason, wireReason, true)
	log.waitFor(evReadFinished)
	log.expectSince("protocol error", from, closeSeq...)
	if ws.CloseCode() != code || ws.CloseReason() != reason {
		t.Errorf("CloseCode/Reason = %v %q; want %v %q", ws.CloseCode(), ws.CloseReason(), code, reason)
	}
	if ws.Error() != wsserver.UnknownSocketError || ws.ErrorString() != "Unknown error" {
		t.Errorf("Error = %v %q; Qt emits no error for a protocol error", ws.Error(), ws.ErrorString())
	}
}

// TestProtocolInvalidUTF8: a text message that is not UTF-8 closes with
// 1007 "Invalid UTF-8 code encountered." and is not delivered; Unicode
// non-characters are accepted, as in Qt.
func TestProtocolInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"\xff", "ab\xc0\x80", "\xed\xa0\x80", "trunc\xe2\x82", "\xf8\x88\x80\x80\x80"} {
		t.Run("server "+strings.ToValidUTF8(bad, "?"), func(t *testing.T) {
			t.Parallel()
			server, log, peer := serverWithRawClient(t)
			peer.sendText("ok \uFFFE\U0010FFFF")
			peer.sendText(bad)
			peer.sendText("after") // never delivered
			log.waitFor(evReadFinished)
			expectProtocolClose(t, server, log, peer, 2, wsserver.CloseCodeWrongDatatype, "Invalid UTF-8 code encountered.", true)
			ok := short("ok \uFFFE\U0010FFFF")
			log.expect("whole", append([]string{"TextFrameReceived(" + ok + ",true)", "TextMessageReceived(" + ok + ")"}, closeSeq...)...)
		})
	}
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		client, log, peer := clientWithRawServer(t)
		from := len(log.events())
		peer.sendText("\xfe\xff")
		expectProtocolClose(t, client, log, peer, from, wsserver.CloseCodeWrongDatatype, "Invalid UTF-8 code encountered.", true)
	})
	t.Run("fragmented", func(t *testing.T) {
		t.Parallel()
		// Invalid UTF-8 in a later fragment.
		server, log, peer := serverWithRawClient(t)
		peer.send(wsFrame{Opcode: opText, Payload: []byte("fine ")})
		log.waitFor(textFrame("fine ", false)) // Qt delivers each frame as it comes
		peer.send(wsFrame{Fin: true, Opcode: opCont, Payload: []byte("\xc3\x28")})
		expectProtocolClose(t, server, log, peer, 1, wsserver.CloseCodeWrongDatatype, "Invalid UTF-8 code encountered.", true)
	})
	t.Run("binary is not checked", func(t *testing.T) {
		t.Parallel()
		_, log, peer := serverWithRawClient(t)
		peer.sendBinary([]byte("\xff\xfe"))
		log.waitFor(`BinaryMessageReceived("\xff\xfe")`)
	})
}

// TestProtocolMessageTooBig: a message over SetMaxAllowedIncomingMessageSize
// closes with 1009; a message of exactly the limit passes.
func TestProtocolMessageTooBig(t *testing.T) {
	t.Parallel()
	t.Run("raw single frame", func(t *testing.T) {
		t.Parallel()
		server, log, peer := serverWithRawClient(t)
		server.SetMaxAllowedIncomingMessageSize(100)
		peer.sendBinary(bytes.Repeat([]byte("a"), 100))
		log.waitFor("BinaryMessageReceived(<100 bytes>)")
		peer.sendBinary(bytes.Repeat([]byte("b"), 101))
		expectProtocolClose(t, server, log, peer, 2, wsserver.CloseCodeTooMuchData, "Received message is too big.", true)
	})
	t.Run("raw fragments", func(t *testing.T) {
		t.Parallel()
		server, log, peer := serverWithRawClient(t)
		server.SetMaxAllowedIncomingMessageSize(100)
		peer.send(wsFrame{Opcode: opText, Payload: bytes.Repeat([]byte("a"), 60)})
		log.waitFor(textFrame(strings.Repeat("a", 60), false))
		peer.send(wsFrame{Fin: true, Opcode: opCont, Payload: bytes.Repeat([]byte("a"), 60)})
		expectProtocolClose(t, server, log, peer, 1, wsserver.CloseCodeTooMuchData, "Received message is too big.", true)
	})
	t.Run("raw frame limit", func(t *testing.T) {
		t.Parallel()
		server, log, peer := serverWithRawClient(t)
		server.SetMaxAllowedIncomingFrameSize(50)
		peer.sendBinary(bytes.Repeat([]byte("a"), 50))
		log.waitFor("BinaryMessageReceived(<50 bytes>)")
		peer.sendBinary(bytes.Repeat([]byte("a"), 51))
		peer.expectClose(1009, "Maximum framesize exceeded.", true, true)
		log.waitFor(evReadFinished)
		if server.CloseCode() != wsserver.CloseCodeTooMuchData {
			t.Errorf("CloseCode = %v; want 1009", server.CloseCode())
		}
	})
	t.Run("go client is the sender", func(t *testing.T) {
		t.Parallel()
		// Qt's test: the sender's closeCode() is 1009 after its
		// disconnected().
		srv := newServer(t)
		client, server := connectPair(t, srv)
		server.SetMaxAllowedIncomingMessageSize(100)
		clog, slog := recordSignals(t, client), recordSignals(t, server)
		client.SendTextMessage(strings.Repeat("x", 100))
		slog.waitFor("TextMessageReceived(<100 bytes>)")
		client.SendTextMessage(strings.Repeat("x", 101))
		clog.waitFor(evDisconnected)
		if client.CloseCode() != wsserver.CloseCodeTooMuchData {
			t.Errorf("sender CloseCode = %v; want 1009", client.CloseCode())
		}
		slog.waitFor(evReadFinished)
		if server.CloseCode() != wsserver.CloseCodeTooMuchData || server.CloseReason() != "Received message is too big." {
			t.Errorf("receiver CloseCode = %v %q", server.CloseCode(), server.CloseReason())
		}
		clog.expect("sender", closeSeq...)
		slog.expect("receiver", append([]string{`TextFrameReceived(<100 bytes>,true)`, `TextMessageReceived(<100 bytes>)`}, closeSeq...)...)
	})
	t.Run("limit raised while connected", func(t *testing.T) {
		t.Parallel()
		server, log, peer := serverWithRawClient(t)
		server.SetMaxAllowedIncomingMessageSize(10)
		server.SetMaxAllowedIncomingMessageSize(1000)
		peer.sendBinary(bytes.Repeat([]byte("a"), 500))
		log.waitFor("BinaryMessageReceived(<500 bytes>)")
	})
}

// TestProtocolBadFrames: frames Qt's parser refuses close the socket with
// 1002 and Qt's reason, without errorOccurred; the peer gets a 1002 close
// frame with the same reason.
func TestProtocolBadFrames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		frames []wsFrame
		reason string
		before []string // the frame signals Qt emits before the bad frame
	}{
		{"rsv1", []wsFrame{{Fin: true, Rsv: 4, Opcode: opText, Payload: []byte("x")}}, "Rsv field is non-zero", nil},
		{"rsv2", []wsFrame{{Fin: true, Rsv: 2, Opcode: opBinary, Payload: []byte("x")}}, "Rsv field is non-zero", nil},
		{"rsv3 on ping", []wsFrame{{Fin: true, Rsv: 1, Opcode: opPing}}, "Rsv field is non-zero", nil},
		{"opcode 3", []wsFrame{{Fin: true, Opcode: 3, Payload: []byte("x")}}, "Used reserved opcode", nil},
		{"opcode 0xB", []wsFrame{{Fin: true, Opcode: 0xB}}, "Used reserved opcode", nil},
		{"long ping", []wsFrame{{Fin: true, Opcode: opPing, Payload: bytes.Repeat([]byte("p"), 126)}}, "Control frame is larger than 125 bytes", nil},
		{"fragmented ping", []wsFrame{{Opcode: opPing, Payload: []byte("p")}}, "Control frames cannot be fragmented", nil},
		{"lone continuation", []wsFrame{{Fin: true, Opcode: opCont, Payload: []byte("x")}},
			"Received Continuation frame, while there is nothing to continue.", nil},
		{"data inside fragmented", []wsFrame{{Opcode: opText, Payload: []byte("a")}, {Fin: true, Opcode: opText, Payload: []byte("b")}},
			"All data frames after the initial data frame must have opcode 0 (continuation).", []string{textFrame("a", false)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			server, log, peer := serverWithRawClient(t)
			for _, f := range c.frames {
				peer.send(f)
			}
			expectProtocolClose(t, server, log, peer, len(c.before), wsserver.CloseCodeProtocolError, c.reason, true)
			log.expect("frames", append(c.before, closeSeq...)...)
		})
	}
	t.Run("client side rsv", func(t *testing.T) {
		t.Parallel()
		client, log, peer := clientWithRawServer(t)
		from := len(log.events())
		peer.send(wsFrame{Fin: true, Rsv: 7, Opcode: opText, Payload: []byte("x")})
		expectProtocolClose(t, client, log, peer, from, wsserver.CloseCodeProtocolError, "Rsv field is non-zero", false)
	})
	t.Run("unmasked client frame", func(t *testing.T) {
		t.Parallel()
		// Qt accepts unmasked client frames; this port refuses them
		// (RFC 6455 §5.1). Documented deviation: 1002.
		server, log, peer := serverWithRawClient(t)
		_ = peer.writeRaw(encodeFrame(wsFrame{Fin: true, Opcode: opText, Payload: []byte("plain")}))
		peer.expectClose(1002, "Frame from a client is not masked.", true, true)
		log.waitFor(evReadFinished)
		log.expect("unmasked", closeSeq...)
		if server.CloseCode() != wsserver.CloseCodeProtocolError {
			t.Errorf("CloseCode = %v; want 1002", server.CloseCode())
		}
	})
}

// TestProtocolPeerCloseFrames: the close payload rules of ws §2.8. Qt
// answers a refused payload with its own code and reason, which it echoes.
func TestProtocolPeerCloseFrames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		payload []byte
		code    wsserver.CloseCode
		reason  string
	}{
		{"one byte", []byte{3}, wsserver.CloseCodeProtocolError, "Payload of close frame is too small."},
		{"code 999", closePayload(999, ""), wsserver.CloseCodeProtocolError, "Invalid close code 1002 detected."},
		{"code 1005", closePayload(1005, "x"), wsserver.CloseCodeProtocolError, "Invalid close code 1002 detected."},
		{"code 1012", closePayload(1012, ""), wsserver.CloseCodeProtocolError, "Invalid close code 1002 detected."},
		{"code 5000", closePayload(5000, ""), wsserver.CloseCodeProtocolError, "Invalid close code 1002 detected."},
		{"bad utf8 reason", closePayload(1000, "\xff"), wsserver.CloseCodeWrongDatatype, "Invalid UTF-8 code encountered."},
		{"code 1011", closePayload(1011, "oops"), wsserver.CloseCodeBadOperation, "oops"},
		{"bom", closePayload(4000, "\uFEFFbom"), wsserver.CloseCode(4000), "bom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			server, log, peer := serverWithRawClient(t)
			peer.send(wsFrame{Fin: true, Opcode: opClose, Payload: c.payload})
			f := peer.mustFrame()
			if f.Opcode != opClose {
				t.Errorf("answer %v; want a close frame", f)
			}
			log.waitFor(evReadFinished)
			log.expect("peer close", closeSeq...)
			if server.CloseCode() != c.code || server.CloseReason() != c.reason {
				t.Errorf("CloseCode/Reason = %v %q; want %v %q", server.CloseCode(), server.CloseReason(), c.code, c.reason)
			}
			if server.Error() != wsserver.UnknownSocketError {
				t.Errorf("Error = %v; want none", server.Error())
			}
		})
	}
}

// TestProtocolFragmentedIncoming: a fragmented message emits one frame
// signal per wire frame, then the message, as Qt does, and control frames
// between its fragments are handled at once.
func TestProtocolFragmentedIncoming(t *testing.T) {
	t.Parallel()
	server, log, peer := serverWithRawClient(t)
	peer.send(wsFrame{Opcode: opText, Payload: []byte("Hel")})
	peer.send(wsFrame{Fin: true, Opcode: opPing, Payload: []byte("mid")})
	peer.send(wsFrame{Opcode: opCont, Payload: []byte("lo, ")})
	peer.send(wsFrame{Fin: true, Opcode: opCont, Payload: []byte("wörld")})
	peer.send(wsFrame{Opcode: opBinary, Payload: []byte{1}})
	peer.send(wsFrame{Fin: true, Opcode: opCont, Payload: []byte{2}})
	pong := peer.mustFrame()
	if pong.Opcode != opPong || string(pong.Payload) != "mid" || pong.Masked || !pong.Fin {
		t.Errorf("answer to the ping %v; want an unmasked pong \"mid\"", pong)
	}
	log.waitFor(`BinaryMessageReceived("\x01\x02")`)
	log.expect("fragmented",
		textFrame("Hel", false), textFrame("lo, ", false), textFrame("wörld", true), `TextMessageReceived("Hello, wörld")`,
		binaryFrame("\x01", false), binaryFrame("\x02", true), `BinaryMessageReceived("\x01\x02")`)
	_ = server
}

// TestProtocolMaskedServerFrame: a Qt client unmasks a (non-conforming)
// masked frame from a server and delivers it, data and control frames
// alike (ws §2.8: masking direction is not enforced on the client).
func TestProtocolMaskedServerFrame(t *testing.T) {
	t.Parallel()
	_, log, peer := clientWithRawServer(t)
	key := [4]byte{1, 2, 3, 4}
	_ = peer.writeRaw(encodeFrame(wsFrame{Fin: true, Opcode: opBinary, Masked: true, Key: key, Payload: []byte("abcd")}))
	_ = peer.writeRaw(encodeFrame(wsFrame{Fin: true, Opcode: opPing, Masked: true, Key: key, Payload: []byte("ping")}))
	log.waitFor(`BinaryMessageReceived("abcd")`)
	if f := peer.mustFrame(); f.Opcode != opPong || string(f.Payload) != "ping" {
		t.Errorf("pong %v; want \"ping\"", f)
	}
}

// TestProtocolOutgoingFrames: a message longer than OutgoingFrameSize goes
// out in frames of that size, Text/Binary then Continuation, FIN on the
// last data frame, as Qt does.
func TestProtocolOutgoingFrames(t *testing.T) {
	t.Parallel()
	server, _, peer := serverWithRawClient(t)
	server.SetOutgoingFrameSize(100)
	msg := strings.Repeat("0123456789", 25) // 250 bytes
	server.SendTextMessage(msg)
	var frames []wsFrame
	var got []byte
	for {
		f := peer.mustFrame()
		frames = append(frames, f)
		got = append(got, f.Payload...)
		if f.Fin {
			break
		}
	}
	if string(got) != msg {
		t.Errorf("reassembled %q", got)
	}
	wantLens := []int{100, 100, 50}
	if len(frames) != len(wantLens) {
		t.Fatalf("frames %v; want %d", frames, len(wantLens))
	}
	for i, f := range frames {
		op := opCont
		if i == 0 {
			op = opText
		}
		if f.Opcode != op || len(f.Payload) != wantLens[i] || f.Fin != (i == len(frames)-1) || f.Masked || f.Rsv != 0 {
			t.Errorf("frame %d = %v; want op %#x, %d bytes, fin %v, unmasked", i, f, op, wantLens[i], i == len(frames)-1)
		}
	}

	// At or below the frame size: one frame; an empty message is one empty
	// FIN frame.
	server.SendBinaryMessage(bytes.Repeat([]byte("b"), 100))
	server.SendBinaryMessage(nil)
	for _, n := range []int{100, 0} {
		f := peer.mustFrame()
		if f.Opcode != opBinary || !f.Fin || len(f.Payload) != n {
			t.Errorf("frame %v; want one FIN binary frame of %d bytes", f, n)
		}
	}
}

// TestProtocolClientMasking: a client masks every frame, data and control,
// with a non-zero key, fresh per frame.
func TestProtocolClientMasking(t *testing.T) {
	t.Parallel()
	client, _, peer := clientWithRawServer(t)
	client.SetOutgoingFrameSize(10)
	client.SendTextMessage("short")
	client.SendBinaryMessage(bytes.Repeat([]byte("z"), 25))
	client.Ping([]byte("pp"))
	client.Close(wsserver.CloseCodeNormal, "")
	keys := map[[4]byte]bool{}
	for {
		f := peer.mustFrame()
		if !f.Masked || f.Key == [4]byte{} {
			t.Errorf("frame %v key %v; want masked with a non-zero key", f, f.Key)
		}
		keys[f.Key] = true
		if f.Opcode == opClose {
			break
		}
	}
	if len(keys) < 5 {
		t.Errorf("only %d distinct mask keys; want a fresh key per frame", len(keys))
	}
}

// TestProtocolPing: Ping(payload) sends a ping with that payload (cut to
// 125 bytes, masked from a client); the pong is reported with the time
// since the last Ping and its payload. Incoming pings are answered with
// the same payload and no signal; unsolicited pongs are reported.
func TestProtocolPing(t *testing.T) {
	t.Parallel()
	t.Run("raw server", func(t *testing.T) {
		t.Parallel()
		client, log, peer := clientWithRawServer(t)
		from := len(log.events())
		client.Ping([]byte("abc"))
		f := peer.mustFrame()
		if f.Opcode != opPing || string(f.Payload) != "abc" || !f.Masked || !f.Fin {
			t.Errorf("ping %v; want a masked FIN ping \"abc\"", f)
		}
		peer.send(wsFrame{Fin: true, Opcode: opPong, Payload: f.Payload})
		log.waitFor(`Pong("abc")`)

		long := bytes.Repeat([]byte("0123456789"), 20)
		client.Ping(long)
		f = peer.mustFrame()
		if f.Opcode != opPing || !bytes.Equal(f.Payload, long[:125]) {
			t.Errorf("long ping %v; want the first 125 bytes", f)
		}
		client.Ping(nil)
		if f = peer.mustFrame(); f.Opcode != opPing || len(f.Payload) != 0 {
			t.Errorf("empty ping %v", f)
		}

		// Unsolicited pong: reported too.
		peer.send(wsFrame{Fin: true, Opcode: opPong, Payload: []byte("zzz")})
		log.waitFor(`Pong("zzz")`)

		// Incoming ping: answered with the same payload, masked, no signal.
		peer.send(wsFrame{Fin: true, Opcode: opPing, Payload: []byte("xyz")})
		f = peer.mustFrame()
		if f.Opcode != opPong || string(f.Payload) != "xyz" || !f.Masked {
			t.Errorf("answer %v; want a masked pong \"xyz\"", f)
		}
		peer.sendText("sync")
		log.waitFor(`TextMessageReceived("sync")`)
		log.expectSince("ping", from, `Pong("abc")`, `Pong("zzz")`, `TextFrameReceived("sync",true)`, `TextMessageReceived("sync")`)
		log.mu.Lock()
		for i, e := range log.elapsed {
			if e <= 0 {
				t.Errorf("pong %d elapsed %v; want > 0", i, e)
			}
		}
		log.mu.Unlock()
	})
	t.Run("go pair", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		client, server := connectPair(t, srv)
		clog, slog := recordSignals(t, client), recordSignals(t, server)
		start := time.Now()
		client.Ping([]byte("hello"))
		server.Ping(bytes.Repeat([]byte("s"), 200))
		clog.waitFor(`Pong("hello")`)
		slog.waitFor("Pong(<125 bytes>)")
		clog.mu.Lock()
		if e := clog.elapsed[0]; e <= 0 || e > time.Since(start) {
			t.Errorf("elapsed %v; want in (0, %v]", e, time.Since(start))
		}
		clog.mu.Unlock()
		clog.expect("client", `Pong("hello")`)
		slog.expect("server", "Pong(<125 bytes>)")
	})
	t.Run("not connected", func(t *testing.T) {
		t.Parallel()
		client := newClient(t)
		log := recordSignals(t, client)
		client.Ping([]byte("nobody")) // restarts the timer, writes nothing
		signaltest.Wait(10 * time.Millisecond)
		log.expect("ping unconnected")
	})
}
