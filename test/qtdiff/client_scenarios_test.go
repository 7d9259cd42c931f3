package qtdiff

import (
	"io"
	"strings"
	"time"

	"github.com/qtgo/qtgo/test/qtdiff/twin/common"
)

// cl is the client program's arguments: open url (relative to the peer's
// port), then the actions.
func cl(path string, actions ...string) []string {
	return append([]string{"--url", "ws://127.0.0.1:{port}" + path}, actions...)
}

// connectThen is the usual client script: open, wait until connected, the
// actions, then wait until the socket has finished.
func connectThen(actions ...string) []string {
	a := append([]string{"open", "wait connected"}, actions...)
	return cl("/", append(a, "wait readChannelFinished")...)
}

// failing is the script of a client whose opening handshake fails.
// It ends with the last signal Qt emits then, so that nothing races with
// the runner's end of input.
var failing = cl("/", "open", "wait disconnected", "get state", "get error", "get errorString", "get closeCode", "wait readChannelFinished 3000")

// refusing is the script of a client that should refuse what the server
// sends: if it does not, the wait times out and its close ends the
// connection the same deterministic way.
var refusing = cl("/", "open", "wait connected", "wait disconnected 3000", "get closeCode", "get closeReason", "close", "wait readChannelFinished")

// sf and the others are unmasked server frames.
func sf(op byte, s string) frame { return serverFrame(op, []byte(s)) }

// serveThen is a raw server that completes the handshake, sends the
// frames in one write and reads until the close handshake or the end.
func serveThen(fs ...frame) func(p *peer) {
	return func(p *peer) {
		if p.serve() && p.sendFrames(fs...) {
			p.readUntilClose()
		}
	}
}

// answerWait bounds how long a raw server waits for a client to leave
// after a failed handshake: Qt 6.4.2 does not disconnect then (6.4.3 does,
// "Disconnect when handshake fails"), so the server ends it.
const answerWait = 2 * time.Second

// answer is a raw server that reads the request, sends resp and reads
// until the end (at most answerWait).
func answer(resp string) func(p *peer) {
	return func(p *peer) {
		if p.accept() && p.readRequest(false) && p.sendString(resp) {
			p.readEndWithin(answerWait)
		}
	}
}

// answer101 is answer with a 101 whose lines are given (the accept value
// {accept} is filled in).
func answer101(lines ...string) func(p *peer) {
	return func(p *peer) {
		if !p.accept() || !p.readRequest(false) {
			return
		}
		p.mu.Lock()
		accept := acceptFor(p.key)
		p.mu.Unlock()
		resp := strings.ReplaceAll(strings.Join(lines, "\r\n"), "{accept}", accept) + "\r\n\r\n"
		if p.sendString(resp) {
			p.readEndWithin(answerWait)
		}
	}
}

func clientScenarios() []scenario {
	var all []scenario
	all = append(all, clientHandshakeScenarios()...)
	all = append(all, clientFrameScenarios()...)
	all = append(all, clientQtServerScenarios()...)
	return all
}

func clientHandshakeScenarios() []scenario {
	return []scenario{
		{
			name:   "client/open/refused",
			client: []string{"--url", "ws://127.0.0.1:1/", "get state", "get errorString", "open", "wait disconnected", "wait errorOccurred", "get state", "get error", "get errorString"},
			raw:    func(p *peer) {},
			qtHas:  []string{`client errorOccurred ConnectionRefusedError "Connection refused"`},
		},
		{
			name:   "client/open/invalid-url",
			client: []string{"--url", "ws://myhacky\\r\\nserver/", "open", "get state", "get requestUrl", "get errorString"},
			raw:    func(p *peer) {},
		},
		{
			name:   "client/open/bad-resource",
			client: []string{"--url", "ws://127.0.0.1:1/tricky\\r\\npath", "open", "get state", "get requestUrl", "get errorString"},
			raw:    func(p *peer) {},
		},
		{
			name:   "client/open/unsupported-scheme",
			client: []string{"--url", "http://127.0.0.1:{port}/", "open", "get state", "get error", "get errorString"},
			raw:    func(p *peer) {},
		},
		{
			name:   "client/open/request-lines",
			client: connectThen("close"),
			raw: func(p *peer) {
				if p.accept() && p.readRequest(true) && p.respond101() {
					p.readUntilClose()
				}
			},
		},
		{
			name: "client/open/request-options",
			client: append([]string{"--origin", "http://o.example", "--protocol", "chat", "--protocol", "bad name", "--protocol", "superchat",
				"--header", "X-Custom: one", "--header", "authorization: Bearer x"}, connectThen("get subprotocol", "close")...),
			raw: func(p *peer) {
				if p.accept() && p.readRequest(true) && p.respond101("Sec-WebSocket-Protocol: superchat") {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/open/request-path-query",
			client: cl("/some/path?a=1&b=two%20words", "open", "wait connected", "get resourceName", "get requestUrl", "close", "wait readChannelFinished"),
			raw: func(p *peer) {
				if p.accept() && p.readRequest(false) && p.respond101() {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/open/request-no-path",
			client: cl("", "open", "wait connected", "get resourceName", "get requestUrl", "close", "wait readChannelFinished"),
			raw: func(p *peer) {
				if p.accept() && p.readRequest(false) && p.respond101() {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/open/connect-and-close",
			client: connectThen("get state", "get isValid", "get subprotocol", "get errorString", "close 1000 bye", "get closeCode", "get closeReason"),
			raw:    serveThen(),
		},
		{
			name:   "client/open/reopen",
			client: cl("/", "open", "wait connected", "close", "wait readChannelFinished", "open", "wait connected", "send-text again", "close", "wait readChannelFinished"),
			raw: func(p *peer) {
				for range 2 {
					if !p.serve() {
						return
					}
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/open/send-while-connecting",
			client: cl("/", "open", "send-text too early", "get bytesToWrite", "wait connected", "close", "wait readChannelFinished"),
			raw:    serveThen(),
		},
		{name: "client/handshake/wrong-accept", client: failing, raw: answer101("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=")},
		{name: "client/handshake/missing-accept", client: failing, raw: answer101("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade")},
		{name: "client/handshake/unrequested-protocol", client: failing, raw: answer101("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}", "Sec-WebSocket-Protocol: chat")},
		{name: "client/handshake/http10-101", client: failing, raw: answer101("HTTP/1.0 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}")},
		{name: "client/handshake/no-upgrade-header", client: failing, raw: answer101("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Sec-WebSocket-Accept: {accept}")},
		{name: "client/handshake/connection-list", client: failing, raw: answer101("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade, keep-alive", "Sec-WebSocket-Accept: {accept}")},
		{name: "client/handshake/status-403", client: failing, raw: answer("HTTP/1.1 403 Access Forbidden\r\n\r\n")},
		{name: "client/handshake/status-400-version", client: failing, raw: answer("HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 8\r\n\r\n")},
		{name: "client/handshake/status-400", client: failing, raw: answer("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")},
		{name: "client/handshake/status-404", client: failing, raw: answer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")},
		{name: "client/handshake/status-200", client: failing, raw: answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")},
		{name: "client/handshake/not-http", client: failing, raw: answer("SSH-2.0-OpenSSH_9.2\r\n\r\n")},
		{
			name:   "client/handshake/close-without-answer",
			client: failing,
			raw: func(p *peer) {
				if p.accept() && p.readRequest(false) {
					p.closeConn()
				}
			},
		},
		{
			name:   "client/handshake/reset-without-answer",
			client: failing,
			raw: func(p *peer) {
				if p.accept() && p.readRequest(false) {
					p.reset()
				}
			},
		},
		{
			name:   "client/handshake/header-too-large",
			client: cl("/", "open", "wait errorOccurred", "get state", "get errorString", "abort", "wait disconnected"),
			raw: func(p *peer) {
				if !p.accept() || !p.readRequest(false) {
					return
				}
				_, _ = p.conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nX-Big: " + strings.Repeat("a", 830000)))
				p.readEnd()
			},
		},
		{
			name:   "client/handshake/message-in-101-packet",
			client: connectThen("wait textMessageReceived", "close"),
			raw: func(p *peer) {
				if !p.accept() || !p.readRequest(false) {
					return
				}
				p.mu.Lock()
				accept := acceptFor(p.key)
				p.mu.Unlock()
				resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n"
				if p.send(append([]byte(resp), sf(opText, "right away").bytes()...)) {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/handshake/wss",
			client: []string{"--url", "wss://localhost:{port}/", "--ca", "{ca}", "open", "wait connected", "send-text over tls", "close", "wait readChannelFinished"},
			tls:    true,
			raw:    serveThen(),
		},
		{
			name:   "client/handshake/wss-to-plain-server",
			client: []string{"--url", "wss://127.0.0.1:{port}/", "open", "wait disconnected", "get state", "get error", "wait errorOccurred 2000", "wait aboutToClose 1000"},
			raw: func(p *peer) {
				if !p.accept() {
					return
				}
				// A plain HTTP server reads the ClientHello as a bad request.
				var rec [5]byte
				_ = p.conn.SetReadDeadline(time.Now().Add(p.timeout))
				if _, err := io.ReadFull(p.br, rec[:]); err != nil {
					p.log("%s", errText(err))
					return
				}
				p.log("got a TLS record of type %d", rec[0])
				p.sendString("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
				p.closeConn()
			},
		},
	}
}

func clientFrameScenarios() []scenario {
	return []scenario{
		{name: "client/frame/text", client: connectThen("wait textMessageReceived", "close"), raw: serveThen(sf(opText, "hello"))},
		{name: "client/frame/binary", client: connectThen("wait binaryMessageReceived", "close"), raw: serveThen(sf(opBinary, "\x00\xff"))},
		{name: "client/frame/large", client: connectThen("wait binaryMessageReceived", "close"), raw: serveThen(serverFrame(opBinary, common.PatternBinary(1<<20)))},
		{
			name:   "client/frame/fragmented",
			client: connectThen("wait textMessageReceived", "close"),
			raw:    serveThen(frame{op: opText, payload: []byte("frag")}, frame{op: opCont, payload: []byte("men")}, frame{fin: true, op: opCont, payload: []byte("ted")}),
		},
		{
			name:   "client/frame/masked-from-server",
			client: connectThen("wait textMessageReceived", "close"),
			raw:    serveThen(frame{fin: true, op: opText, masked: true, payload: []byte("masked")}),
		},
		{name: "client/frame/server-ping", client: connectThen("wait textMessageReceived", "close"), raw: serveThen(sf(opPing, "are you there"), sf(opText, "after ping"))},
		{name: "client/frame/unsolicited-pong", client: connectThen("wait pong", "close"), raw: serveThen(sf(opPong, "unasked"))},
		{
			name:   "client/frame/server-close",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get closeReason", "wait readChannelFinished"),
			raw:    serveThen(serverFrame(opClose, closePayload(1000, "server bye"))),
		},
		{
			name:   "client/frame/server-close-empty",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get closeReason", "wait readChannelFinished"),
			raw:    serveThen(serverFrame(opClose, nil)),
		},
		{
			name:   "client/frame/server-close-1005",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get closeReason", "wait readChannelFinished"),
			raw:    serveThen(serverFrame(opClose, closePayload(1005, ""))),
		},
		{
			name:   "client/frame/server-close-4000",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get closeReason", "wait readChannelFinished"),
			raw:    serveThen(serverFrame(opClose, closePayload(4000, "app"))),
		},
		{
			name:   "client/frame/rsv1",
			client: refusing,
			raw:    serveThen(frame{fin: true, rsv: 4, op: opText, payload: []byte("x")}),
		},
		{
			name:   "client/frame/invalid-utf8",
			client: refusing,
			raw:    serveThen(sf(opText, "\xff")),
		},
		{
			name:   "client/frame/length-16-small",
			client: refusing,
			raw:    serveThen(frame{fin: true, op: opText, payload: []byte("hi"), lenForm: 16}),
		},
		{
			name:   "client/frame/server-drop",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get error", "wait readChannelFinished"),
			raw: func(p *peer) {
				if p.serve() {
					p.closeConn()
				}
			},
		},
		{
			name:   "client/frame/server-reset",
			client: cl("/", "open", "wait connected", "wait disconnected", "get closeCode", "get error", "wait readChannelFinished"),
			raw: func(p *peer) {
				if p.serve() {
					p.reset()
				}
			},
		},
		{
			name:   "client/frame/stall-half-frame",
			client: cl("/", "open", "wait connected", "wait disconnected 9000", "get closeCode", "get closeReason", "wait readChannelFinished"),
			raw: func(p *peer) {
				if !p.serve() {
					return
				}
				b := sf(opText, "hello world").bytes()
				if p.send(b[:len(b)-3]) {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/send/messages",
			client: connectThen("send-text hi", "send-binary \\x00\\x7f", "send-text", "wait textMessageReceived", "close"),
			raw: func(p *peer) {
				if !p.serve() {
					return
				}
				for range 3 {
					if _, ok := p.readFrame(); !ok {
						return
					}
				}
				if p.sendFrames(sf(opText, "got 3")) {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/send/ping",
			client: connectThen("ping abc", "wait pong", "ping "+strings.Repeat("z", 130), "wait pong", "close"),
			raw:    serveThen(),
		},
		{
			name:   "client/send/close-long-reason",
			client: connectThen("close 4002 "+strings.Repeat("y", 200), "get closeReason"),
			raw:    serveThen(),
		},
		{
			name:   "client/send/abort",
			client: connectThen("abort", "get closeCode", "send-text after abort"),
			raw:    serveThen(),
		},
		{
			name:   "client/send/large",
			client: connectThen("send-binary-n 1048576", "wait textMessageReceived", "close"),
			raw: func(p *peer) {
				if !p.serve() {
					return
				}
				for range 2 {
					if _, ok := p.readFrame(); !ok {
						return
					}
				}
				if p.sendFrames(sf(opText, "got it")) {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/send/outgoing-frame-size",
			client: connectThen("set outgoingFrameSize 100", "send-binary-n 250", "wait textMessageReceived", "close"),
			raw: func(p *peer) {
				if !p.serve() {
					return
				}
				for range 3 {
					if _, ok := p.readFrame(); !ok {
						return
					}
				}
				if p.sendFrames(sf(opText, "got it")) {
					p.readUntilClose()
				}
			},
		},
		{
			name:   "client/send/delete",
			client: cl("/", "open", "wait connected", "delete"),
			raw:    serveThen(),
		},
	}
}

// clientQtServerScenarios use Qt's server program as the peer of both
// clients.
func clientQtServerScenarios() []scenario {
	echoPeer := []string{"--echo", "--each", "wait readChannelFinished", "wait done"}
	return []scenario{
		{
			name:   "client/qtserver/echo",
			client: connectThen("send-text hello", "send-binary \\x01", "send-text-n 100000", "wait textMessageReceived", "wait binaryMessageReceived", "wait textMessageReceived", "close"),
			qtPeer: echoPeer,
		},
		{
			name:   "client/qtserver/ping",
			client: connectThen("ping abc", "wait pong", "close"),
			qtPeer: echoPeer,
		},
		{
			name:   "client/qtserver/server-closes",
			client: cl("/", "open", "wait connected", "send-text close me", "wait disconnected", "get closeCode", "get closeReason", "wait readChannelFinished"),
			qtPeer: []string{"--each", "wait textMessageReceived", "--each", "close 4001 bye from Qt", "--each", "wait readChannelFinished", "wait done"},
		},
		{
			name:   "client/qtserver/subprotocol",
			client: append([]string{"--protocol", "superchat", "--protocol", "chat"}, connectThen("get subprotocol", "close")...),
			qtPeer: []string{"--protocol", "chat", "--protocol", "superchat", "--each", "wait readChannelFinished", "wait done"},
		},
		{
			name:   "client/qtserver/origin-refused",
			client: append([]string{"--origin", "http://evil.example"}, failing...),
			qtPeer: []string{"--refuse-origin", "http://evil.example", "wait serverError"},
		},
		{
			name:   "client/qtserver/wss-echo",
			client: []string{"--url", "wss://localhost:{port}/", "--ca", "{ca}", "open", "wait connected", "send-text secure", "wait textMessageReceived", "close", "wait readChannelFinished"},
			qtPeer: append(append([]string(nil), secure...), echoPeer...),
		},
		{
			name:   "client/qtserver/wss-untrusted",
			client: []string{"--url", "wss://localhost:{port}/", "open", "wait disconnected", "get state", "get error", "wait errorOccurred 2000"},
			qtPeer: secure,
		},
		{
			name:   "client/qtserver/wss-ignore-errors",
			client: []string{"--url", "wss://localhost:{port}/", "--ignore-ssl-errors", "open", "wait connected", "send-text trusted anyway", "wait textMessageReceived", "close", "wait readChannelFinished"},
			qtPeer: append(append([]string(nil), secure...), echoPeer...),
		},
	}
}
