package qtdiff

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/test/qtdiff/twin/common"
)

// A peer is the runner's raw end of a connection: a client for server
// scenarios, a server for client scenarios. It writes bytes as they are
// given (malformed ones included) and prints what it receives as "peer"
// lines. Its methods never fail the test: a failure is a line too, so that
// it shows in the diff.
type peer struct {
	port    int          // the subject's port (server scenarios)
	tlsConf *tls.Config  // TLS for the connection, or nil
	ln      net.Listener // client scenarios: where the subject connects
	subject *program     // server scenarios: the subject, whose lines waitSubject reads
	timeout time.Duration

	mu    sync.Mutex
	lines []string
	conns []net.Conn // every connection, closed when the scenario ends
	key   string     // the key of the last request read (client scenarios)

	conn net.Conn
	br   *bufio.Reader
}

// clientKey is the Sec-WebSocket-Key of the raw client's requests.
const clientKey = "dGhlIHNhbXBsZSBub25jZQ=="

// maskKey masks the raw client's frames.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func (p *peer) log(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, "peer "+fmt.Sprintf(format, args...))
}

func (p *peer) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// closeAll ends every connection of the peer.
func (p *peer) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	if p.ln != nil {
		_ = p.ln.Close()
	}
}

// remotePorts are the ports the subject client connected from, which its
// error strings may name.
func (p *peer) remotePorts() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ports []int
	for _, c := range p.conns {
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok && p.ln != nil {
			ports = append(ports, a.Port)
		}
	}
	return ports
}

func (p *peer) use(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	p.conn, p.br = c, bufio.NewReaderSize(c, 1<<20)
}

// dial connects to the subject server; it reports whether it could.
func (p *peer) dial() bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)), p.timeout)
	if err != nil {
		p.log("dial failed %v", err)
		return false
	}
	if p.tlsConf != nil {
		tc := tls.Client(c, p.tlsConf)
		_ = tc.SetDeadline(time.Now().Add(p.timeout))
		if err := tc.Handshake(); err != nil {
			p.log("tls handshake failed")
			_ = c.Close()
			return false
		}
		_ = tc.SetDeadline(time.Time{})
		c = tc
	}
	p.use(c)
	return true
}

// accept waits for the subject client's connection.
func (p *peer) accept() bool {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := p.ln.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			p.log("accept failed")
			return false
		}
		c := r.c
		if p.tlsConf != nil {
			tc := tls.Server(c, p.tlsConf)
			_ = tc.SetDeadline(time.Now().Add(p.timeout))
			if err := tc.Handshake(); err != nil {
				p.log("tls handshake failed")
				_ = c.Close()
				return false
			}
			_ = tc.SetDeadline(time.Time{})
			c = tc
		}
		p.use(c)
		return true
	case <-time.After(p.timeout):
		p.log("accept timeout")
		return false
	}
}

// send writes b; a failure is logged.
func (p *peer) send(b []byte) bool {
	_ = p.conn.SetWriteDeadline(time.Now().Add(p.timeout))
	if _, err := p.conn.Write(b); err != nil {
		p.log("write failed %s", errText(err))
		return false
	}
	return true
}

// sendString writes s.
func (p *peer) sendString(s string) bool { return p.send([]byte(s)) }

// errText names how a read or write ended.
func errText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}

// request returns a valid opening request (the raw client's), with extra
// header lines before the blank line.
func request(extra ...string) string {
	var b strings.Builder
	b.WriteString("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + clientKey + "\r\nSec-WebSocket-Version: 13\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// response is an HTTP response head as the peer read it.
type response struct {
	status  string
	headers []string // "Name: value", in order
}

// header returns the value of the first header called name.
func (r *response) header(name string) (string, bool) {
	for _, h := range r.headers {
		n, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(n, name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// readHead reads an HTTP head up to the blank line; it logs how the
// connection ended if it ends first.
func (p *peer) readHead() ([]string, bool) {
	_ = p.conn.SetReadDeadline(time.Now().Add(p.timeout))
	var lines []string
	for {
		line, err := p.br.ReadString('\n')
		if err != nil {
			if line != "" || len(lines) > 0 {
				p.log("incomplete head %q", append(lines, line))
			}
			p.log("%s", errText(err))
			return nil, false
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return lines, true
		}
		lines = append(lines, line)
	}
}

// readResponse reads the response to a request and logs its status line.
func (p *peer) readResponse() (*response, bool) {
	lines, ok := p.readHead()
	if !ok {
		return nil, false
	}
	r := &response{status: lines[0], headers: lines[1:]}
	p.log("response %s", r.status)
	return r, true
}

// logHeaders logs the named headers of r (or that they are absent).
func (p *peer) logHeaders(r *response, names ...string) {
	for _, n := range names {
		if v, ok := r.header(n); ok {
			p.log("header %s: %s", n, v)
		} else {
			p.log("header %s absent", n)
		}
	}
}

// upgrade sends a valid request with extra headers and reads the
// response; it reports whether it was a 101.
func (p *peer) upgrade(extra ...string) (*response, bool) {
	if !p.dial() || !p.sendString(request(extra...)) {
		return nil, false
	}
	r, ok := p.readResponse()
	return r, ok && strings.HasPrefix(r.status, "HTTP/1.1 101 ")
}

// Opcodes.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xa
)

// A frame is one WebSocket frame, well-formed or not.
type frame struct {
	fin     bool
	rsv     byte // the three RSV bits, 0-7
	op      byte
	masked  bool
	payload []byte
	lenForm int // 0: minimal; 16 or 64: that length form whatever the size
}

// bytes encodes f (masking it with maskKey when masked).
func (f frame) bytes() []byte {
	b0 := f.rsv<<4 | f.op&0xf
	if f.fin {
		b0 |= 0x80
	}
	var mbit byte
	if f.masked {
		mbit = 0x80
	}
	n := len(f.payload)
	out := []byte{b0}
	switch {
	case f.lenForm == 64 || (f.lenForm == 0 && n > 65535):
		out = append(out, mbit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	case f.lenForm == 16 || (f.lenForm == 0 && n > 125):
		out = append(out, mbit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, mbit|byte(n))
	}
	if !f.masked {
		return append(out, f.payload...)
	}
	out = append(out, maskKey[:]...)
	for i, c := range f.payload {
		out = append(out, c^maskKey[i%4])
	}
	return out
}

// withPayload returns f with payload p.
func (f frame) withPayload(p []byte) frame {
	f.payload = p
	return f
}

// clientFrame is a masked frame with FIN, as a client sends.
func clientFrame(op byte, payload []byte) frame {
	return frame{fin: true, op: op, masked: true, payload: payload}
}

// serverFrame is an unmasked frame with FIN, as a server sends.
func serverFrame(op byte, payload []byte) frame {
	return frame{fin: true, op: op, payload: payload}
}

// closePayload is a close frame's payload.
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// sendFrames writes the frames in one write.
func (p *peer) sendFrames(fs ...frame) bool {
	var b []byte
	for _, f := range fs {
		b = append(b, f.bytes()...)
	}
	return p.send(b)
}

var opNames = map[byte]string{opCont: "continuation", opText: "text", opBinary: "binary", opClose: "close", opPing: "ping", opPong: "pong"}

// readFrame reads one frame and logs it; on failure it logs how the
// connection ended.
func (p *peer) readFrame() (frame, bool) {
	_ = p.conn.SetReadDeadline(time.Now().Add(p.timeout))
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		p.log("%s", errText(err))
		return frame{}, false
	}
	f := frame{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: h[0] & 0xf, masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7f)
	var ext []byte
	switch n {
	case 126:
		ext = make([]byte, 2)
	case 127:
		ext = make([]byte, 8)
	}
	if ext != nil {
		if _, err := io.ReadFull(p.br, ext); err != nil {
			p.log("truncated frame header: %s", errText(err))
			return frame{}, false
		}
		if len(ext) == 2 {
			n = uint64(binary.BigEndian.Uint16(ext))
		} else {
			n = binary.BigEndian.Uint64(ext)
		}
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(p.br, key[:]); err != nil {
			p.log("truncated frame header: %s", errText(err))
			return frame{}, false
		}
	}
	if n > 64<<20 {
		p.log("frame too long (%d)", n)
		return frame{}, false
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(p.br, f.payload); err != nil {
		p.log("truncated frame payload: %s", errText(err))
		return frame{}, false
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	p.logFrame(f)
	return f, true
}

func (p *peer) logFrame(f frame) {
	name, ok := opNames[f.op]
	if !ok {
		name = "op" + strconv.Itoa(int(f.op))
	}
	line := "frame " + name + " fin=" + strconv.FormatBool(f.fin)
	if f.rsv != 0 {
		line += " rsv=" + strconv.Itoa(int(f.rsv))
	}
	if f.masked {
		line += " masked"
	}
	if f.op == opClose && len(f.payload) >= 2 {
		line += " code=" + strconv.Itoa(int(binary.BigEndian.Uint16(f.payload))) + " reason=" + common.Payload(f.payload[2:])
	} else {
		line += " " + common.Payload(f.payload)
	}
	p.log("%s", line)
}

// readUntilClose reads and logs frames until a close frame, which it
// answers with the same payload as an RFC 6455 endpoint does (masked when
// the peer is a client), or until the connection ends. It answers pings.
func (p *peer) readUntilClose() {
	for {
		f, ok := p.readFrame()
		if !ok {
			return
		}
		switch f.op {
		case opClose:
			p.sendFrames(frame{fin: true, op: opClose, masked: p.ln == nil, payload: f.payload})
			return
		case opPing:
			p.sendFrames(frame{fin: true, op: opPong, masked: p.ln == nil, payload: f.payload})
		}
	}
}

// closeNormally sends a close frame (1000, no reason) and reads until the
// answer.
func (p *peer) closeNormally() {
	if p.sendFrames(frame{fin: true, op: opClose, masked: p.ln == nil, payload: closePayload(1000, "")}) {
		p.readUntilClose()
	}
}

// waitSubject waits until the subject has printed line; it logs a timeout.
func (p *peer) waitSubject(line string) bool {
	deadline := time.Now().Add(p.timeout)
	for time.Now().Before(deadline) {
		if slices.Contains(p.subject.output(), line) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.log("runner: the subject never printed %q", line)
	return false
}

// readEnd reads until the connection ends and logs how (eof, reset,
// timeout): a response (its status line, then the length of its body) or
// frames (as readUntilClose) if something arrives first.
func (p *peer) readEnd() { p.readEndWithin(p.timeout) }

// readEndWithin is readEnd with its own bound.
func (p *peer) readEndWithin(d time.Duration) {
	_ = p.conn.SetReadDeadline(time.Now().Add(d))
	b, err := p.br.ReadByte()
	if err != nil {
		p.log("%s", errText(err))
		return
	}
	_ = p.br.UnreadByte()
	if b != 'H' {
		p.readUntilClose()
		return
	}
	if _, ok := p.readResponse(); !ok {
		return
	}
	body, err := io.ReadAll(p.br)
	if len(body) > 0 {
		p.log("body %s", common.Payload(body))
	}
	if err == nil {
		err = io.EOF
	}
	p.log("%s", errText(err))
}

// readRequest reads an opening request (client scenarios) and remembers
// its key; with logIt it logs every line of it.
func (p *peer) readRequest(logIt bool) bool {
	lines, ok := p.readHead()
	if !ok {
		return false
	}
	for _, l := range lines {
		if name, v, _ := strings.Cut(l, ":"); strings.EqualFold(name, "Sec-WebSocket-Key") {
			p.mu.Lock()
			p.key = strings.TrimSpace(v)
			p.mu.Unlock()
		}
		if logIt {
			p.log("request %s", l)
		}
	}
	if !logIt {
		p.log("request %s", lines[0])
	}
	return true
}

// accept returns the Sec-WebSocket-Accept value for key.
func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// respond101 answers the request read last with a valid 101, extra header
// lines added.
func (p *peer) respond101(extra ...string) bool {
	p.mu.Lock()
	key := p.key
	p.mu.Unlock()
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Accept: " + acceptFor(key) + "\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return p.sendString(b.String())
}

// serve accepts the subject client and completes its handshake with a
// valid 101; it reports whether it got that far.
func (p *peer) serve(extra ...string) bool {
	return p.accept() && p.readRequest(false) && p.respond101(extra...)
}

// reset ends the connection with a TCP RST (SO_LINGER 0).
func (p *peer) reset() {
	if tc, ok := p.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = p.conn.Close()
}

// closeConn ends the connection (FIN) without a close frame.
func (p *peer) closeConn() { _ = p.conn.Close() }

// pemFiles writes the test certificate and key into dir.
func pemFiles(dir string, cert, key []byte) (certFile, keyFile string, err error) {
	certFile, keyFile = dir+"/localhost.cert", dir+"/localhost.key"
	if err = os.WriteFile(certFile, cert, 0o644); err == nil {
		err = os.WriteFile(keyFile, key, 0o600)
	}
	return certFile, keyFile, err
}
