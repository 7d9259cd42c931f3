package wsserver_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// wait bounds every wait for a signal in these tests.
const wait = 5 * time.Second

// ---------------------------------------------------------------------------
// Helpers shared by the socket_*_test.go files.

// sigLog records every signal of one socket, in emission order, in a single
// log ("StateChanged(ConnectingState)", "Connected", "AboutToClose",
// "ErrorOccurred(ConnectionRefusedError)", "TextMessageReceived(\"hi\")",
// …), so a test can compare a whole sequence. BytesWritten is kept apart
// (its count depends on how writes are batched), as are Pong's elapsed
// times. Each slot also checks that it runs on the socket's loop.
type sigLog struct {
	t  testing.TB
	ws *wsserver.WebSocket

	mu      sync.Mutex
	ev      []string
	off     []string // signals emitted off the socket's loop
	written []int64
	elapsed []time.Duration
	pongs   [][]byte
	texts   []string
	binary  [][]byte
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("<%d bytes>", len(s))
	}
	return strconv.Quote(s)
}

// textFrame and binaryFrame are the log's lines for a frame signal.
func textFrame(s string, last bool) string {
	return fmt.Sprintf("TextFrameReceived(%s,%v)", short(s), last)
}

func binaryFrame(s string, last bool) string {
	return fmt.Sprintf("BinaryFrameReceived(%s,%v)", short(s), last)
}

func recordSignals(t testing.TB, ws *wsserver.WebSocket) *sigLog {
	l := &sigLog{t: t, ws: ws}
	loop := ws.Loop()
	add := func(e string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !loop.IsCurrent() {
			l.off = append(l.off, e)
		}
		l.ev = append(l.ev, e)
	}
	d := signals.DirectConnection
	ws.StateChanged.Connect(nil, func(s wsserver.SocketState) { add("StateChanged(" + s.String() + ")") }, d)
	ws.Connected.Connect(nil, func() { add("Connected") }, d)
	ws.Disconnected.Connect(nil, func() { add("Disconnected") }, d)
	ws.AboutToClose.Connect(nil, func() { add("AboutToClose") }, d)
	ws.ReadChannelFinished.Connect(nil, func() { add("ReadChannelFinished") }, d)
	ws.ErrorOccurred.Connect(nil, func(e wsserver.SocketError) { add("ErrorOccurred(" + e.String() + ")") }, d)
	ws.TextFrameReceived.Connect(nil, func(s string, last bool) {
		add(textFrame(s, last))
	}, d)
	ws.BinaryFrameReceived.Connect(nil, func(b []byte, last bool) {
		add(binaryFrame(string(b), last))
	}, d)
	ws.TextMessageReceived.Connect(nil, func(s string) {
		l.mu.Lock()
		l.texts = append(l.texts, s)
		l.mu.Unlock()
		add("TextMessageReceived(" + short(s) + ")")
	}, d)
	ws.BinaryMessageReceived.Connect(nil, func(b []byte) {
		l.mu.Lock()
		l.binary = append(l.binary, b)
		l.mu.Unlock()
		add("BinaryMessageReceived(" + short(string(b)) + ")")
	}, d)
	ws.Pong.Connect(nil, func(e time.Duration, p []byte) {
		l.mu.Lock()
		l.elapsed = append(l.elapsed, e)
		l.pongs = append(l.pongs, append([]byte(nil), p...))
		l.mu.Unlock()
		add("Pong(" + short(string(p)) + ")")
	}, d)
	ws.BytesWritten.Connect(nil, func(n int64) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !loop.IsCurrent() {
			l.off = append(l.off, "BytesWritten")
		}
		l.written = append(l.written, n)
	}, d)
	ws.SslErrors.Connect(nil, func(errs []wsserver.SslError) { add(fmt.Sprintf("SslErrors(%d)", len(errs))) }, d)
	ws.PeerVerifyError.Connect(nil, func(wsserver.SslError) { add("PeerVerifyError") }, d)
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.off) > 0 {
			t.Errorf("signals emitted off the socket's loop: %v", l.off)
		}
	})
	return l
}

// events returns the log so far.
func (l *sigLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ev)
}

func (l *sigLog) count(ev string) int {
	n := 0
	for _, e := range l.events() {
		if e == ev {
			n++
		}
	}
	return n
}

// waitCount runs the loop until ev has been logged n times.
func (l *sigLog) waitCount(ev string, n int) {
	l.t.Helper()
	if !signaltest.WaitFor(func() bool { return l.count(ev) >= n }, wait) {
		l.t.Fatalf("%s not seen %d times; log %q (state %v, error %q)", ev, n, l.events(), l.ws.State(), l.ws.ErrorString())
	}
}

// waitFor runs the loop until ev has been logged.
func (l *sigLog) waitFor(ev string) {
	l.t.Helper()
	l.waitCount(ev, 1)
}

// expect compares the whole log with want.
func (l *sigLog) expect(what string, want ...string) {
	l.t.Helper()
	if got := l.events(); !slices.Equal(got, want) {
		l.t.Errorf("%s: signals\n got  %q\n want %q", what, got, want)
	}
}

// expectSince compares the log from index from on with want.
func (l *sigLog) expectSince(what string, from int, want ...string) {
	l.t.Helper()
	got := l.events()
	if from > len(got) {
		from = len(got)
	}
	if !slices.Equal(got[from:], want) {
		l.t.Errorf("%s: signals\n got  %q\n want %q\n (whole log %q)", what, got[from:], want, got)
	}
}

func (l *sigLog) bytesWritten() (sum int64, counts []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.written {
		sum += n
	}
	return sum, slices.Clone(l.written)
}

// Signal names, to keep the expected sequences readable.
func st(s wsserver.SocketState) string    { return "StateChanged(" + s.String() + ")" }
func errEv(e wsserver.SocketError) string { return "ErrorOccurred(" + e.String() + ")" }

const (
	evConnected    = "Connected"
	evDisconnected = "Disconnected"
	evAboutToClose = "AboutToClose"
	evReadFinished = "ReadChannelFinished"
)

var (
	evConnecting  = st(wsserver.ConnectingState)
	evStConnected = st(wsserver.ConnectedState)
	evClosing     = st(wsserver.ClosingState)
	evUnconnected = st(wsserver.UnconnectedState)
)

// newServer starts a server on 127.0.0.1 (deleted at the end of the test).
func newServer(t testing.TB) *wsserver.WebSocketServer {
	t.Helper()
	srv := wsserver.NewWebSocketServer("Test", wsserver.NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	if !srv.Listen(wsserver.LocalHost, 0) {
		t.Fatalf("Listen: %s", srv.ErrorString())
	}
	return srv
}

func serverAddr(srv *wsserver.WebSocketServer) string { return srv.ServerUrl().Host }

// nextConn waits for the server's next connection and takes it (deleted at
// the end of the test).
func nextConn(t testing.TB, srv *wsserver.WebSocketServer) *wsserver.WebSocket {
	t.Helper()
	if !signaltest.WaitFor(srv.HasPendingConnections, wait) {
		t.Fatalf("no pending connection (server error %q)", srv.ErrorString())
	}
	ws := srv.NextPendingConnection()
	t.Cleanup(ws.Delete)
	return ws
}

// newClient returns a client socket deleted at the end of the test.
func newClient(t testing.TB) *wsserver.WebSocket {
	t.Helper()
	ws := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	t.Cleanup(ws.Delete)
	return ws
}

// waitState runs the loop until ws is in state s.
func waitState(t testing.TB, ws *wsserver.WebSocket, s wsserver.SocketState) {
	t.Helper()
	if !signaltest.WaitFor(func() bool { return ws.State() == s }, wait) {
		t.Fatalf("state %v; want %v (error %q)", ws.State(), s, ws.ErrorString())
	}
}

// connectPair connects a new client to srv and returns both ends.
func connectPair(t testing.TB, srv *wsserver.WebSocketServer) (client, server *wsserver.WebSocket) {
	t.Helper()
	client = newClient(t)
	client.Open(srv.ServerUrl().String() + "/")
	waitState(t, client, wsserver.ConnectedState)
	return client, nextConn(t, srv)
}

// connectRaw opens a client socket on a raw server and returns the peer.
func connectRaw(t testing.TB, rs *rawServer, client *wsserver.WebSocket) *rawPeer {
	t.Helper()
	n := len(rs.peersSoFar())
	client.Open(rs.url("/"))
	p, _ := rs.peer(n)
	waitState(t, client, wsserver.ConnectedState)
	return p
}

func (s *rawServer) peersSoFar() []*rawPeer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.peers)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// ---------------------------------------------------------------------------
// Defaults, properties, limits.

// TestSocketDefaults checks a fresh socket against Qt's defaults (ws §2.4),
// with this package's documented Default* limits in place of Qt's 2 GiB.
func TestSocketDefaults(t *testing.T) {
	t.Parallel()
	ws := newClient(t)
	checks := []struct {
		name      string
		got, want any
	}{
		{"State", ws.State(), wsserver.UnconnectedState},
		{"IsValid", ws.IsValid(), false},
		{"Error", ws.Error(), wsserver.UnknownSocketError},
		{"ErrorString", ws.ErrorString(), ""},
		{"CloseCode", ws.CloseCode(), wsserver.CloseCodeNormal},
		{"CloseReason", ws.CloseReason(), ""},
		{"Version", ws.Version(), wsserver.VersionLatest},
		{"Origin", ws.Origin(), ""},
		{"ResourceName", ws.ResourceName(), ""},
		{"RequestUrl==nil", ws.RequestUrl() == nil, true},
		{"Request==nil", ws.Request() == nil, true},
		{"Subprotocol", ws.Subprotocol(), ""},
		{"HandshakeOptions", len(ws.HandshakeOptions().Subprotocols()), 0},
		{"LocalAddress", ws.LocalAddress(), wsserver.Null},
		{"LocalPort", ws.LocalPort(), uint16(0)},
		{"PeerAddress", ws.PeerAddress(), wsserver.Null},
		{"PeerPort", ws.PeerPort(), uint16(0)},
		{"PeerName", ws.PeerName(), ""},
		{"ReadBufferSize", ws.ReadBufferSize(), int64(0)},
		{"PauseMode", ws.PauseMode(), wsserver.PauseNever},
		{"Proxy", ws.Proxy().Type, wsserver.DefaultProxy},
		{"OutgoingFrameSize", ws.OutgoingFrameSize(), uint64(524288)},
		{"DefaultOutgoingFrameSize", uint64(wsserver.DefaultOutgoingFrameSize), uint64(524288)},
		{"MaxAllowedIncomingFrameSize", ws.MaxAllowedIncomingFrameSize(), uint64(wsserver.DefaultMaxAllowedIncomingFrameSize)},
		{"MaxAllowedIncomingMessageSize", ws.MaxAllowedIncomingMessageSize(), uint64(wsserver.DefaultMaxAllowedIncomingMessageSize)},
		{"MaxBytesToWrite", ws.MaxBytesToWrite(), int64(wsserver.DefaultMaxBytesToWrite)},
		{"BytesToWrite", ws.BytesToWrite(), int64(0)},
		{"MaxIncomingMessageSize", wsserver.MaxIncomingMessageSize(), uint64(2147483646)},
		{"MaxIncomingFrameSize", wsserver.MaxIncomingFrameSize(), uint64(2147483646)},
		{"MaxOutgoingFrameSize", wsserver.MaxOutgoingFrameSize(), uint64(2147483646)},
		// Qt: flush() returns true when there is no TCP socket yet.
		{"Flush", ws.Flush(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	ws2 := wsserver.NewWebSocket("http://example.org", wsserver.Version7, nil)
	defer ws2.Delete()
	if ws2.Origin() != "http://example.org" || ws2.Version() != wsserver.Version7 {
		t.Errorf("Origin, Version = %q, %v; want the constructor's", ws2.Origin(), ws2.Version())
	}
}

// TestSocketSizeSetters checks Qt's setter rules: values above the static
// maxima are ignored, the maxima themselves are accepted, and (unlike Qt,
// which then divides by zero) an outgoing frame size of 0 is ignored.
func TestSocketSizeSetters(t *testing.T) {
	t.Parallel()
	ws := newClient(t)
	maxIn := wsserver.MaxIncomingMessageSize()

	ws.SetMaxAllowedIncomingMessageSize(1000)
	ws.SetMaxAllowedIncomingMessageSize(maxIn + 1)
	if got := ws.MaxAllowedIncomingMessageSize(); got != 1000 {
		t.Errorf("message size after setting max+1 = %d; want 1000 (ignored)", got)
	}
	ws.SetMaxAllowedIncomingMessageSize(maxIn)
	if got := ws.MaxAllowedIncomingMessageSize(); got != maxIn {
		t.Errorf("message size = %d; want %d", got, maxIn)
	}

	ws.SetMaxAllowedIncomingFrameSize(2000)
	ws.SetMaxAllowedIncomingFrameSize(wsserver.MaxIncomingFrameSize() + 1)
	if got := ws.MaxAllowedIncomingFrameSize(); got != 2000 {
		t.Errorf("frame size after setting max+1 = %d; want 2000 (ignored)", got)
	}
	ws.SetMaxAllowedIncomingFrameSize(wsserver.MaxIncomingFrameSize())
	if got := ws.MaxAllowedIncomingFrameSize(); got != wsserver.MaxIncomingFrameSize() {
		t.Errorf("frame size = %d; want the max", got)
	}

	ws.SetOutgoingFrameSize(300)
	ws.SetOutgoingFrameSize(0)
	if got := ws.OutgoingFrameSize(); got != 300 {
		t.Errorf("outgoing frame size after 0 = %d; want 300 (ignored)", got)
	}
	ws.SetOutgoingFrameSize(wsserver.MaxOutgoingFrameSize() + 1)
	if got := ws.OutgoingFrameSize(); got != 300 {
		t.Errorf("outgoing frame size after max+1 = %d; want 300 (ignored)", got)
	}
	ws.SetOutgoingFrameSize(wsserver.MaxOutgoingFrameSize())
	if got := ws.OutgoingFrameSize(); got != wsserver.MaxOutgoingFrameSize() {
		t.Errorf("outgoing frame size = %d; want the max", got)
	}

	// Stored without validation, as in Qt (its test stores -1).
	ws.SetReadBufferSize(-1)
	if got := ws.ReadBufferSize(); got != -1 {
		t.Errorf("ReadBufferSize = %d; want -1", got)
	}
	ws.SetPauseMode(wsserver.PauseOnSslErrors)
	if got := ws.PauseMode(); got != wsserver.PauseOnSslErrors {
		t.Errorf("PauseMode = %v", got)
	}
	ws.SetMaxBytesToWrite(12345)
	if got := ws.MaxBytesToWrite(); got != 12345 {
		t.Errorf("MaxBytesToWrite = %d", got)
	}
}

// TestSocketIDUnique checks that every socket, client or server side, has
// its own stable id.
func TestSocketIDUnique(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c1, s1 := connectPair(t, srv)
	c2, s2 := connectPair(t, srv)
	c3 := newClient(t)
	seen := map[string]bool{}
	for _, ws := range []*wsserver.WebSocket{c1, s1, c2, s2, c3} {
		id := ws.ID()
		if id != ws.ID() {
			t.Errorf("ID changed between calls")
		}
		if seen[id.String()] {
			t.Errorf("duplicate ID %v", id)
		}
		seen[id.String()] = true
	}
}

// TestSocketServerSideProperties checks what a server-side socket reports
// (ws §1.6 step 10, §2.2) and what the client reports after connecting.
func TestSocketServerSideProperties(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.SetSupportedSubprotocols([]string{"superchat", "chat"})
	client := wsserver.NewWebSocket("http://example.org", wsserver.Version7, nil)
	t.Cleanup(client.Delete)
	var opts wsserver.WebSocketHandshakeOptions
	opts.SetSubprotocols([]string{"foo", "chat", "superchat"})
	target := srv.ServerUrl().String() + "/some/path?x=1&y=%20z"
	client.Open(target, opts)
	waitState(t, client, wsserver.ConnectedState)
	server := nextConn(t, srv)

	port := srv.ServerPort()
	if got := server.Origin(); got != "http://example.org" {
		t.Errorf("server Origin = %q", got)
	}
	if got := server.Version(); got != wsserver.Version13 {
		t.Errorf("server Version = %v; want Version13", got)
	}
	if u := server.RequestUrl(); u == nil || u.String() != target {
		t.Errorf("server RequestUrl = %v; want %s", u, target)
	}
	if want := strings.Replace(target, "%20", " ", 1); server.ResourceName() != want {
		t.Errorf("server ResourceName = %q; want the full URL, decoded as QUrl::toString() does: %q (Qt's quirk)", server.ResourceName(), want)
	}
	if got := client.ResourceName(); got != "/some/path?x=1&y=%20z" {
		t.Errorf("client ResourceName = %q; want path and query", got)
	}
	if u := client.RequestUrl(); u == nil || u.String() != target {
		t.Errorf("client RequestUrl = %v; want %s", u, target)
	}
	if got := server.HandshakeOptions().Subprotocols(); !slices.Equal(got, []string{"foo", "chat", "superchat"}) {
		t.Errorf("server HandshakeOptions().Subprotocols() = %q; want the client's list", got)
	}
	if !client.HandshakeOptions().Equal(opts) {
		t.Errorf("client HandshakeOptions = %q; want %q", client.HandshakeOptions().Subprotocols(), opts.Subprotocols())
	}
	// Qt picks the first of the client's protocols the server supports.
	if got := server.Subprotocol(); got != "chat" {
		t.Errorf("server Subprotocol = %q; want chat", got)
	}
	if got := client.Subprotocol(); got != "chat" {
		t.Errorf("client Subprotocol = %q; want chat", got)
	}
	if !server.PeerAddress().Equal(wsserver.LocalHost) || !client.PeerAddress().Equal(wsserver.LocalHost) {
		t.Errorf("PeerAddress = %v, %v; want 127.0.0.1", server.PeerAddress(), client.PeerAddress())
	}
	if !server.LocalAddress().Equal(wsserver.LocalHost) || !client.LocalAddress().Equal(wsserver.LocalHost) {
		t.Errorf("LocalAddress = %v, %v; want 127.0.0.1", server.LocalAddress(), client.LocalAddress())
	}
	if server.LocalPort() != port || client.PeerPort() != port {
		t.Errorf("server LocalPort %d, client PeerPort %d; want %d", server.LocalPort(), client.PeerPort(), port)
	}
	if server.PeerPort() == 0 || server.PeerPort() != client.LocalPort() {
		t.Errorf("server PeerPort %d, client LocalPort %d; want equal and non-zero", server.PeerPort(), client.LocalPort())
	}
	if got := client.PeerName(); got != "127.0.0.1" {
		t.Errorf("client PeerName = %q", got)
	}
	if server.State() != wsserver.ConnectedState || !server.IsValid() || !client.IsValid() {
		t.Errorf("state %v/%v valid %v/%v; want connected", server.State(), client.State(), server.IsValid(), client.IsValid())
	}
	// The handshake always speaks version 13, whatever Version says.
	req := server.Request()
	if req == nil {
		t.Fatal("server Request() = nil")
	}
	if got := req.Header.Get("Sec-WebSocket-Version"); got != "13" {
		t.Errorf("Sec-WebSocket-Version sent = %q; want 13", got)
	}
	if got := req.Header.Get("Origin"); got != "http://example.org" {
		t.Errorf("Origin header = %q", got)
	}
	if client.Version() != wsserver.Version7 {
		t.Errorf("client Version = %v; want the constructor's Version7", client.Version())
	}
}

// TestSocketIPv6 checks the addresses over ::1 (skipped without IPv6).
func TestSocketIPv6(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		_ = ln.Close()
	}
	srv := wsserver.NewWebSocketServer("", wsserver.NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	if !srv.Listen(wsserver.LocalHostIPv6, 0) {
		t.Fatalf("Listen ::1: %s", srv.ErrorString())
	}
	client, server := connectPair(t, srv)
	if !server.PeerAddress().Equal(wsserver.LocalHostIPv6) || !client.PeerAddress().Equal(wsserver.LocalHostIPv6) {
		t.Errorf("PeerAddress = %v, %v; want ::1", server.PeerAddress(), client.PeerAddress())
	}
	if client.PeerPort() != srv.ServerPort() || server.PeerPort() != client.LocalPort() {
		t.Errorf("ports: client peer %d local %d, server peer %d", client.PeerPort(), client.LocalPort(), server.PeerPort())
	}
	if n := client.SendTextMessage("v6"); n != 2 {
		t.Errorf("SendTextMessage = %d", n)
	}
	log := recordSignals(t, server)
	log.waitFor(`TextMessageReceived("v6")`)
}

// ---------------------------------------------------------------------------
// Sending and receiving.

// TestSocketSendReturnValues checks the return values of the send methods
// (ws §2.2, §2.7): UTF-8 length for text, length for binary, 0 unless
// Connected (before Open, while Closing, after the close), and that an
// empty message is delivered as one.
func TestSocketSendReturnValues(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t)
	if n := client.SendTextMessage("early"); n != 0 {
		t.Errorf("SendTextMessage before Open = %d; want 0", n)
	}
	if n := client.SendBinaryMessage([]byte("early")); n != 0 {
		t.Errorf("SendBinaryMessage before Open = %d; want 0", n)
	}
	client.Open(srv.ServerUrl().String())
	if n := client.SendTextMessage("connecting"); n != 0 {
		t.Errorf("SendTextMessage while connecting = %d; want 0", n)
	}
	waitState(t, client, wsserver.ConnectedState)
	server := nextConn(t, srv)
	slog := recordSignals(t, server)

	text := "héllo wörld €𝄞" // 2-, 3- and 4-byte sequences
	if n := client.SendTextMessage(text); n != int64(len(text)) {
		t.Errorf("SendTextMessage(%q) = %d; want %d (UTF-8 bytes, not runes)", text, n, len(text))
	}
	bin := []byte{0, 1, 2, 0xFF, 0xFE}
	if n := client.SendBinaryMessage(bin); n != 5 {
		t.Errorf("SendBinaryMessage = %d; want 5", n)
	}
	if n := client.SendTextMessage(""); n != 0 {
		t.Errorf("SendTextMessage(\"\") = %d; want 0", n)
	}
	if n := client.SendBinaryMessage(nil); n != 0 {
		t.Errorf("SendBinaryMessage(nil) = %d; want 0", n)
	}
	bin[0] = 42 // the socket sent its own copy
	slog.waitFor(`BinaryMessageReceived("")`)
	slog.expect("messages",
		`TextFrameReceived("héllo wörld €𝄞",true)`, `TextMessageReceived("héllo wörld €𝄞")`,
		`BinaryFrameReceived("\x00\x01\x02\xff\xfe",true)`, `BinaryMessageReceived("\x00\x01\x02\xff\xfe")`,
		`TextFrameReceived("",true)`, `TextMessageReceived("")`,
		`BinaryFrameReceived("",true)`, `BinaryMessageReceived("")`)

	client.StateChanged.Connect(client, func(s wsserver.SocketState) {
		if s != wsserver.ClosingState {
			return
		}
		if n := client.SendTextMessage("closing"); n != 0 {
			t.Errorf("SendTextMessage while closing = %d; want 0", n)
		}
		if n := client.SendBinaryMessage([]byte("closing")); n != 0 {
			t.Errorf("SendBinaryMessage while closing = %d; want 0", n)
		}
	})
	client.Close(wsserver.CloseCodeNormal, "")
	if client.State() != wsserver.UnconnectedState {
		t.Fatalf("state after Close = %v; want UnconnectedState (Qt's close completes inside the call)", client.State())
	}
	waitState(t, client, wsserver.UnconnectedState)
	if n := client.SendTextMessage("closed"); n != 0 {
		t.Errorf("SendTextMessage after close = %d; want 0", n)
	}
	if n := client.SendBinaryMessage([]byte("closed")); n != 0 {
		t.Errorf("SendBinaryMessage after close = %d; want 0", n)
	}
	slog.waitFor(evDisconnected)
	if got := slog.count(`TextMessageReceived("closing")`) + slog.count(`TextMessageReceived("closed")`); got != 0 {
		t.Errorf("messages sent while not connected arrived: %q", slog.events())
	}
}

// TestSocketMessagesInOrder sends a few hundred mixed messages each way,
// some from the loop and some from another goroutine, and checks each side
// receives them all, once, in order.
func TestSocketMessagesInOrder(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client, server := connectPair(t, srv)
	clog, slog := recordSignals(t, client), recordSignals(t, server)
	const n = 300
	var want []string
	for i := range n {
		m := "m" + strconv.Itoa(i)
		if i%3 == 0 {
			client.SendBinaryMessage([]byte(m))
			server.SendBinaryMessage([]byte(m))
			want = append(want, `BinaryFrameReceived("`+m+`",true)`, `BinaryMessageReceived("`+m+`")`)
		} else {
			client.SendTextMessage(m)
			server.SendTextMessage(m)
			want = append(want, `TextFrameReceived("`+m+`",true)`, `TextMessageReceived("`+m+`")`)
		}
		if i%50 == 0 {
			signaltest.Wait(0) // let some go out in their own batch
		}
	}
	last := want[len(want)-1]
	slog.waitFor(last)
	clog.waitFor(last)
	slog.expect("server side", want...)
	clog.expect("client side", want...)
}

// TestSocketLargeRoundTrip sends 1 MiB binary and text messages (more than
// two default outgoing frames) to an echoing server-side socket.
func TestSocketLargeRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client, server := connectPair(t, srv)
	server.BinaryMessageReceived.Connect(server, func(b []byte) { server.SendBinaryMessage(b) })
	server.TextMessageReceived.Connect(server, func(s string) { server.SendTextMessage(s) })
	clog := recordSignals(t, client)

	bin := randomBytes(1 << 20)
	if n := client.SendBinaryMessage(bin); n != 1<<20 {
		t.Fatalf("SendBinaryMessage = %d", n)
	}
	text := strings.Repeat("añb€", 1<<18) // 1.75 MiB of UTF-8
	if n := client.SendTextMessage(text); n != int64(len(text)) {
		t.Fatalf("SendTextMessage = %d", n)
	}
	clog.waitFor("TextMessageReceived(<" + strconv.Itoa(len(text)) + " bytes>)")
	clog.mu.Lock()
	defer clog.mu.Unlock()
	if len(clog.binary) != 1 || !bytes.Equal(clog.binary[0], bin) {
		t.Errorf("binary echo differs (%d messages)", len(clog.binary))
	}
	if len(clog.texts) != 1 || clog.texts[0] != text {
		t.Errorf("text echo differs (%d messages)", len(clog.texts))
	}
}

// TestSocketBytesWritten checks BytesWritten (positive counts covering at
// least the payloads, frame headers included) and BytesToWrite (above the
// payload right after a send, 0 once written), ws §2.2/§2.3.
func TestSocketBytesWritten(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client, server := connectPair(t, srv)
	clog, slog := recordSignals(t, client), recordSignals(t, server)

	payload := randomBytes(3000)
	client.SendTextMessage("hello")
	client.SendBinaryMessage(payload)
	if got := client.BytesToWrite(); got <= 3005 {
		t.Errorf("BytesToWrite right after sending = %d; want more than the 3005 payload bytes", got)
	}
	slog.waitFor("BinaryMessageReceived(<3000 bytes>)")
	// Frames: 2+4+5 and 4+4+3000 bytes (clients mask).
	if !signaltest.WaitFor(func() bool { s, _ := clog.bytesWritten(); return s >= 3019 }, wait) {
		s, c := clog.bytesWritten()
		t.Fatalf("BytesWritten sum %d (%v); want at least 3019", s, c)
	}
	sum, counts := clog.bytesWritten()
	for _, n := range counts {
		if n <= 0 {
			t.Errorf("BytesWritten(%d); want positive counts (%v)", n, counts)
		}
	}
	if sum != 3019 { // the frames' bytes, not the handshake's
		t.Errorf("BytesWritten total %d in %v; want 3019, the two client frames", sum, counts)
	}
	if got := client.BytesToWrite(); got != 0 {
		t.Errorf("BytesToWrite after BytesWritten = %d; want 0", got)
	}

	// The server side does not mask: 2+2 bytes.
	server.SendTextMessage("ok")
	if !server.Flush() {
		t.Errorf("Flush with a queued message = false; want true")
	}
	clog.waitFor(`TextMessageReceived("ok")`)
	if !signaltest.WaitFor(func() bool { s, _ := slog.bytesWritten(); return s >= 4 }, wait) {
		t.Fatal("no BytesWritten on the server side")
	}
	if got := server.BytesToWrite(); got != 0 {
		t.Errorf("server BytesToWrite = %d; want 0", got)
	}
}

// TestSocketCrossGoroutine calls every method from plain goroutines while
// the test goroutine runs the loop: the calls work and every signal is
// still emitted on the socket's loop (sigLog checks IsCurrent in each slot).
func TestSocketCrossGoroutine(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t)
	clog := recordSignals(t, client)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	run := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}

	run(func() { client.Open(srv.ServerUrl().String()) })
	clog.waitFor(evConnected)
	server := nextConn(t, srv)
	slog := recordSignals(t, server)

	sent := make(chan int64, 3)
	run(func() {
		sent <- client.SendTextMessage("from a goroutine")
		sent <- client.SendBinaryMessage([]byte("bytes"))
		client.Ping([]byte("p"))
		_ = client.BytesToWrite()
		_ = client.Flush()
	})
	run(func() { sent <- server.SendTextMessage("back") })
	slog.waitFor(`BinaryMessageReceived("bytes")`)
	clog.waitFor(`TextMessageReceived("back")`)
	clog.waitFor(`Pong("p")`)
	wg.Wait()
	close(sent)
	var got []int64
	for n := range sent {
		got = append(got, n)
	}
	slices.Sort(got)
	if !slices.Equal(got, []int64{4, 5, 16}) {
		t.Errorf("send results %v; want [4 5 16]", got)
	}

	run(func() { client.Close(wsserver.CloseCode(4000), "from a goroutine") })
	clog.waitFor(evReadFinished)
	slog.waitFor(evReadFinished)
	if client.CloseCode() != 4000 || server.CloseCode() != 4000 || server.CloseReason() != "from a goroutine" {
		t.Errorf("close codes %v/%v %q", client.CloseCode(), server.CloseCode(), server.CloseReason())
	}
	// The pong and the server's message race each other; the rest is Qt's
	// order.
	ev := clog.events()
	if len(ev) != 12 {
		t.Fatalf("client log %q; want 12 signals", ev)
	}
	if !slices.Equal(ev[:3], []string{evConnecting, evStConnected, evConnected}) ||
		!slices.Equal(ev[6:], []string{evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected, evReadFinished}) {
		t.Errorf("client log %q", ev)
	}
	mid := slices.Clone(ev[3:6])
	slices.Sort(mid)
	if !slices.Equal(mid, []string{`Pong("p")`, `TextFrameReceived("back",true)`, `TextMessageReceived("back")`}) {
		t.Errorf("client messages %q", ev[3:6])
	}

	// Open again from a goroutine, then Abort from another one.
	run(func() { client.Open(srv.ServerUrl().String()) })
	clog.waitCount(evConnected, 2)
	nextConn(t, srv)
	run(client.Abort)
	clog.waitCount(evReadFinished, 2)
	if client.State() != wsserver.UnconnectedState {
		t.Errorf("state after Abort = %v", client.State())
	}
}

// TestSocketDeleteWhileConnected checks ~QWebSocket: the peer receives a
// close frame 1001 "Connection closed" and no signal reaches the program
// after Delete.
func TestSocketDeleteWhileConnected(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, nil)
	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	clog := recordSignals(t, client)
	peer := connectRaw(t, rs, client)
	before := len(clog.events())
	client.Delete()
	peer.expectClose(1001, "Connection closed", true, true)
	peer.waitEOF()
	signaltest.Wait(50 * time.Millisecond)
	clog.expectSince("after Delete", before, closeSeq...) // ~QWebSocket's close, to the slots still connected
	if client.State() != wsserver.UnconnectedState {
		t.Errorf("state after Delete = %v; want UnconnectedState", client.State())
	}
	if n := client.SendTextMessage("x"); n != 0 {
		t.Errorf("SendTextMessage after Delete = %d; want 0", n)
	}

	// The server side of the same rule, with a Go client as the peer.
	srv := newServer(t)
	c2, s2 := connectPair(t, srv)
	c2log := recordSignals(t, c2)
	s2.Delete()
	c2log.waitFor(evReadFinished)
	if c2.CloseCode() != wsserver.CloseCodeGoingAway || c2.CloseReason() != "Connection closed" {
		t.Errorf("peer close code %v %q; want 1001 \"Connection closed\"", c2.CloseCode(), c2.CloseReason())
	}
	// Delete of a socket that never connected, and of a closed one.
	c3 := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	c3.Delete()
	c2.Delete()
}

// TestSocketDeleteWhileClosing: Qt's close() writes the close frame at
// once, so deleting the socket right after Close still sends it (here
// the frame is queued, and Delete must not discard it).
func TestSocketDeleteWhileClosing(t *testing.T) {
	t.Parallel()
	rs := newRawServer(t, nil)
	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	peer := connectRaw(t, rs, client)
	client.SendTextMessage("last words")
	client.Close(wsserver.CloseCode(4000), "closing then deleted")
	client.Delete()
	if f := peer.mustFrame(); f.Opcode != opText || string(f.Payload) != "last words" {
		t.Errorf("frame %v; want the message sent before Close", f)
	}
	peer.expectClose(4000, "closing then deleted", true, true)
	peer.waitEOF()
}

// TestSocketDeleteWithUndeliveredMessages deletes a socket whose reader
// is waiting for the loop to take messages it has read ahead: the close
// handshake still runs and no goroutine is left behind (TestMain's goleak
// check fails otherwise).
func TestSocketDeleteWithUndeliveredMessages(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	peer := dialRawClient(t, serverAddr(srv), "/")
	server := nextConn(t, srv)
	got := 0
	server.TextMessageReceived.Connect(server, func(string) {
		got++
		if got == 1 {
			// Give the reader time to read ahead and wait for the loop
			// (unobservable from outside, hence the sleep), then delete
			// the socket with its read-ahead messages undelivered.
			time.Sleep(100 * time.Millisecond)
			server.Delete()
		}
	})
	for i := range 100 {
		peer.sendText("m" + strconv.Itoa(i))
	}
	if !signaltest.WaitFor(func() bool { return got > 0 }, wait) {
		t.Fatal("no message delivered")
	}
	if got != 1 {
		t.Errorf("%d messages delivered; want 1 (nothing after Delete)", got)
	}
	peer.expectClose(1001, "Connection closed", true, true)
	peer.waitEOF()
}
