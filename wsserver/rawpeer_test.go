package wsserver_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
)

// A minimal hand-written WebSocket peer for tests: it speaks the opening
// handshake by hand (as a client or as a server) and then reads and writes
// raw frames, so a test can send what no library would (reserved bits, bad
// opcodes, fragmented control frames, invalid UTF-8, unmasked client
// frames) and see exactly what the socket under test puts on the wire.
//
// Every wait here runs the calling goroutine's event loop (through
// signaltest.WaitFor), so the sockets under test keep working while a test
// waits for the raw peer.

// Frame opcodes (RFC 6455 §5.2).
const (
	opCont   byte = 0x0
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// rawWait bounds every wait of a raw peer.
const rawWait = 5 * time.Second

// wsFrame is one frame as it travels on the wire.
type wsFrame struct {
	Fin     bool
	Rsv     byte // the three RSV bits, RSV1 = 4, RSV2 = 2, RSV3 = 1
	Opcode  byte
	Masked  bool
	Key     [4]byte // used as is when Masked (see randomKey)
	Payload []byte  // unmasked
}

func (f wsFrame) String() string {
	p := f.Payload
	suffix := ""
	if len(p) > 32 {
		p, suffix = p[:32], fmt.Sprintf("…(%d bytes)", len(f.Payload))
	}
	return fmt.Sprintf("{fin=%v rsv=%d op=%#x masked=%v %q%s}", f.Fin, f.Rsv, f.Opcode, f.Masked, p, suffix)
}

// closeCode returns the code and reason of a close frame (1005 and "" for
// an empty payload).
func (f wsFrame) closeCode() (uint16, string) {
	if len(f.Payload) < 2 {
		return 1005, ""
	}
	return binary.BigEndian.Uint16(f.Payload), string(f.Payload[2:])
}

func randomKey() [4]byte {
	var k [4]byte
	for k == [4]byte{} {
		_, _ = rand.Read(k[:])
	}
	return k
}

// encodeFrame encodes f with the shortest length form.
func encodeFrame(f wsFrame) []byte {
	n := len(f.Payload)
	b := make([]byte, 0, 14+n)
	b0 := f.Opcode&0x0F | (f.Rsv&7)<<4
	if f.Fin {
		b0 |= 0x80
	}
	b = append(b, b0)
	var mbit byte
	if f.Masked {
		mbit = 0x80
	}
	switch {
	case n <= 125:
		b = append(b, mbit|byte(n))
	case n <= 0xFFFF:
		b = append(b, mbit|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, mbit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !f.Masked {
		return append(b, f.Payload...)
	}
	b = append(b, f.Key[:]...)
	start := len(b)
	b = append(b, f.Payload...)
	maskBytes(b[start:], f.Key)
	return b
}

// maskBytes XORs p with key (RFC 6455 §5.3), eight bytes at a time where
// it can: the Autobahn tests mask megabytes, under -race.
func maskBytes(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// readFrame reads one frame and unmasks its payload.
func readFrame(r *bufio.Reader) (wsFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wsFrame{}, err
	}
	f := wsFrame{Fin: h[0]&0x80 != 0, Rsv: h[0] >> 4 & 7, Opcode: h[0] & 0x0F, Masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return wsFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return wsFrame{}, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if n > 64<<20 {
		return wsFrame{}, fmt.Errorf("rawpeer: frame of %d bytes", n)
	}
	if f.Masked {
		if _, err := io.ReadFull(r, f.Key[:]); err != nil {
			return wsFrame{}, err
		}
	}
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		return wsFrame{}, err
	}
	if f.Masked {
		maskBytes(f.Payload, f.Key)
	}
	return f, nil
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// rawPeer is one end of a WebSocket connection driven by hand. A background
// goroutine reads frames into a list (unless made with noRead), so the
// peer never blocks the socket under test unless asked to.
type rawPeer struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	mask bool // the peer is a client: the frames it sends are masked

	mu      sync.Mutex
	frames  []wsFrame
	next    int   // first frame not yet returned by nextFrame
	readErr error // why reading stopped (io.EOF: the TCP connection was closed)
	done    chan struct{}
	closed  bool
	wake    func() // called after each frame read and when reading stops (see setWake)
}

func newRawPeer(t testing.TB, c net.Conn, br *bufio.Reader, mask, read bool) *rawPeer {
	p := &rawPeer{t: t, conn: c, br: br, mask: mask, done: make(chan struct{})}
	if read {
		go p.readLoop()
	} else {
		close(p.done)
	}
	return p
}

func (p *rawPeer) readLoop() {
	defer close(p.done)
	for {
		f, err := readFrame(p.br)
		p.mu.Lock()
		wake := p.wake
		if err != nil {
			p.readErr = err
			p.mu.Unlock()
			if wake != nil {
				wake()
			}
			return
		}
		p.frames = append(p.frames, f)
		p.mu.Unlock()
		if wake != nil {
			wake()
		}
	}
}

// setWake makes the reader call wake after each frame it reads and when it
// stops, e.g. a loop's WakeUp, so that a test waiting for frames in
// signaltest.WaitFor sees each one at once rather than at the next 10 ms
// poll (the Autobahn tests make thousands of round trips).
func (p *rawPeer) setWake(wake func()) {
	p.mu.Lock()
	p.wake = wake
	p.mu.Unlock()
	wake() // frames may have come before
}

// close closes the TCP connection and waits for the reader.
func (p *rawPeer) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.conn.Close()
	select {
	case <-p.done:
	case <-time.After(rawWait):
		p.t.Errorf("rawpeer: reader did not stop")
	}
}

// drop closes the TCP connection abruptly (FIN), without a close frame.
func (p *rawPeer) drop() { _ = p.conn.Close() }

// reset closes the TCP connection with an RST (SO_LINGER 0).
func (p *rawPeer) reset() {
	if tc, ok := p.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = p.conn.Close()
}

// writeRaw writes bytes as they are.
func (p *rawPeer) writeRaw(b []byte) error {
	_ = p.conn.SetWriteDeadline(time.Now().Add(rawWait))
	_, err := p.conn.Write(b)
	return err
}

// send writes f; a client peer masks it with a fresh key unless f says
// otherwise (set Masked/Key yourself and use writeRaw(encodeFrame(f))).
func (p *rawPeer) send(f wsFrame) {
	p.t.Helper()
	if p.mask {
		f.Masked, f.Key = true, randomKey()
	}
	if err := p.writeRaw(encodeFrame(f)); err != nil {
		p.t.Errorf("rawpeer: write %v: %v", f, err)
	}
}

func (p *rawPeer) sendText(s string) {
	p.t.Helper()
	p.send(wsFrame{Fin: true, Opcode: opText, Payload: []byte(s)})
}

func (p *rawPeer) sendBinary(b []byte) {
	p.t.Helper()
	p.send(wsFrame{Fin: true, Opcode: opBinary, Payload: b})
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

func (p *rawPeer) sendClose(code uint16, reason string) {
	p.t.Helper()
	p.send(wsFrame{Fin: true, Opcode: opClose, Payload: closePayload(code, reason)})
}

// all returns every frame read so far.
func (p *rawPeer) all() []wsFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wsFrame(nil), p.frames...)
}

// eof reports whether reading has stopped, and why.
func (p *rawPeer) eof() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr != nil, p.readErr
}

// nextFrame waits (running the loop) for the next frame not yet returned.
// ok is false if the connection ended or rawWait passed first.
func (p *rawPeer) nextFrame() (f wsFrame, ok bool) {
	ready := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.next < len(p.frames) || p.readErr != nil
	}
	signaltest.WaitFor(ready, rawWait)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next < len(p.frames) {
		f = p.frames[p.next]
		p.next++
		return f, true
	}
	return wsFrame{}, false
}

// mustFrame is nextFrame that fails the test when no frame comes.
func (p *rawPeer) mustFrame() wsFrame {
	p.t.Helper()
	f, ok := p.nextFrame()
	if !ok {
		_, err := p.eof()
		p.t.Fatalf("rawpeer: no frame (read error %v); frames so far %v", err, p.all())
	}
	return f
}

// expectClose waits for a close frame and checks its code, and its reason
// if checkReason; with echo it answers with a close frame carrying the same
// payload, as a well-behaved peer does.
func (p *rawPeer) expectClose(code uint16, reason string, checkReason, echo bool) wsFrame {
	p.t.Helper()
	f := p.mustFrame()
	if f.Opcode != opClose {
		p.t.Fatalf("rawpeer: got %v; want a close frame", f)
	}
	if !f.Fin {
		p.t.Errorf("rawpeer: close frame without FIN")
	}
	if f.Masked != !p.mask {
		p.t.Errorf("rawpeer: close frame masked=%v; want %v (masked exactly when sent by a client)", f.Masked, !p.mask)
	}
	gotCode, gotReason := f.closeCode()
	if gotCode != code || (checkReason && gotReason != reason) {
		p.t.Errorf("rawpeer: close frame %d %q; want %d %q", gotCode, gotReason, code, reason)
	}
	if echo { // the other side may have dropped TCP already: ignore errors
		e := wsFrame{Fin: true, Opcode: opClose, Payload: f.Payload}
		if p.mask {
			e.Masked, e.Key = true, randomKey()
		}
		_ = p.writeRaw(encodeFrame(e))
	}
	return f
}

// waitEOF waits (running the loop) until the other side has closed the TCP
// connection, and returns the frames that were still to be returned.
func (p *rawPeer) waitEOF() []wsFrame {
	p.t.Helper()
	if !signaltest.WaitFor(func() bool { done, _ := p.eof(); return done }, rawWait) {
		p.t.Fatalf("rawpeer: the connection was not closed; frames %v", p.all())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rest := append([]wsFrame(nil), p.frames[p.next:]...)
	p.next = len(p.frames)
	return rest
}

// dialRawClient connects to addr ("127.0.0.1:port") and runs a client
// handshake by hand for target ("/path?query"); extra are raw header lines.
// The 101 answer is checked, including its accept key.
func dialRawClient(t testing.TB, addr, target string, extra ...string) *rawPeer {
	t.Helper()
	p, resp := dialRawClientResp(t, addr, target, true, extra...)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("rawpeer: handshake answered %s", resp.Status)
	}
	return p
}

// dialRawClientResp is dialRawClient returning the response; read says
// whether the peer reads frames in the background.
func dialRawClientResp(t testing.TB, addr, target string, read bool, extra ...string) (*rawPeer, *http.Response) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, rawWait)
	if err != nil {
		t.Fatalf("rawpeer: dial %s: %v", addr, err)
	}
	br, resp, err := rawHandshakeLooping(c, addr, target, extra...)
	if err != nil {
		_ = c.Close()
		t.Fatalf("rawpeer: %v", err)
	}
	p := newRawPeer(t, c, br, true, read)
	t.Cleanup(p.close)
	return p, resp
}

// rawHandshakeLooping is rawHandshake run while the calling goroutine's
// loop runs: the server answers from its loop, which may be this one.
func rawHandshakeLooping(c net.Conn, host, target string, extra ...string) (*bufio.Reader, *http.Response, error) {
	type result struct {
		br   *bufio.Reader
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		br, resp, err := rawHandshake(c, host, target, extra...)
		done <- result{br, resp, err}
	}()
	res, ok := signaltest.Receive(done, 2*rawWait)
	if !ok {
		return nil, nil, errors.New("no handshake answer")
	}
	return res.br, res.resp, res.err
}

// rawHandshake runs a client handshake by hand on c for target, with host
// in the Host header, and returns the answer. A 101's accept key is
// checked. It does not fail the test, so any goroutine may call it.
func rawHandshake(c net.Conn, host, target string, extra ...string) (*bufio.Reader, *http.Response, error) {
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", target, host, key)
	for _, h := range extra {
		req.WriteString(h + "\r\n")
	}
	req.WriteString("\r\n")
	_ = c.SetDeadline(time.Now().Add(rawWait))
	if _, err := io.WriteString(c, req.String()); err != nil {
		return nil, nil, fmt.Errorf("write handshake: %w", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read handshake answer: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
			return nil, nil, fmt.Errorf("Sec-WebSocket-Accept %q; want %q", got, want)
		}
	}
	return br, resp, nil
}

// rawServer accepts TCP connections on 127.0.0.1 and answers each
// handshake with respond's text (by default a correct 101), then hands the
// connection over as a rawPeer that does not mask.
type rawServer struct {
	t       testing.TB
	ln      net.Listener
	respond func(req *http.Request) string
	read    bool

	mu    sync.Mutex
	peers []*rawPeer
	reqs  []*http.Request
	wg    sync.WaitGroup
}

// respond101 is the answer of a correct server (Qt's header order).
func respond101(req *http.Request) string {
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
}

// newRawServer starts a raw server; respond nil means respond101. If
// respond returns "", no answer is written (the handshake hangs).
func newRawServer(t testing.TB, respond func(req *http.Request) string) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("rawserver: listen: %v", err)
	}
	if respond == nil {
		respond = respond101
	}
	s := &rawServer{t: t, ln: ln, respond: respond, read: true}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handshake(c)
		}()
	}
}

func (s *rawServer) handshake(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(rawWait))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		_ = c.Close()
		return
	}
	if answer := s.respond(req); answer != "" {
		if _, err := io.WriteString(c, answer); err != nil {
			_ = c.Close()
			return
		}
	}
	_ = c.SetDeadline(time.Time{})
	p := newRawPeer(s.t, c, br, false, s.read)
	s.mu.Lock()
	s.peers = append(s.peers, p)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
}

// url returns the server's ws:// URL with path.
func (s *rawServer) url(path string) string { return "ws://" + s.ln.Addr().String() + path }

// peer waits (running the loop) for the i-th connection.
func (s *rawServer) peer(i int) (*rawPeer, *http.Request) {
	s.t.Helper()
	ok := signaltest.WaitFor(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.peers) > i
	}, rawWait)
	if !ok {
		s.t.Fatalf("rawserver: connection %d did not come", i)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peers[i], s.reqs[i]
}

func (s *rawServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	peers := s.peers
	s.mu.Unlock()
	for _, p := range peers {
		p.close()
	}
	s.wg.Wait()
	s.mu.Lock()
	late := s.peers[len(peers):]
	s.mu.Unlock()
	for _, p := range late {
		p.close()
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
