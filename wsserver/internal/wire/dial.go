package wire

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DialConfig describes a client's opening handshake, as QWebSocket::open
// makes it.
type DialConfig struct {
	Secure     bool          // wss: TLS first, with TLS
	Addr       string        // host:port to connect to
	HostHeader string        // the Host line: host[:port] as the URL has it
	Resource   string        // the request target: path and query, encoded
	Origin     string        // the Origin line, if not empty
	Protocols  []string      // the subprotocols to request (already filtered)
	Header     []HeaderField // the request's own lines, in order
	TLS        *tls.Config   // for Secure
	Proxy      *url.URL      // an HTTP proxy to tunnel through (CONNECT), or nil
	Deflate    bool          // offer permessage-deflate
	// Written, if set, is called on the dialling goroutine once the
	// request is out, with the bytes written to the TCP connection so far
	// (the TLS handshake's included: Qt counts encrypted bytes).
	Written func(n int64)
}

// A HeaderField is one header line.
type HeaderField struct{ Name, Value string }

// A Handshake is what a successful opening handshake agreed on.
type Handshake struct {
	Status   int
	Header   http.Header // the answer's header lines
	Protocol string      // the subprotocol the server chose, or ""
	TLS      *tls.ConnectionState
}

// A HandshakeError is an answer Qt refuses, with Qt's text for it
// (QWebSocketPrivate::processHandshake). PeerClosed says the server ended
// its stream after the answer (Qt's TCP socket then reports
// RemoteHostClosedError too).
type HandshakeError struct {
	Reason     string
	PeerClosed bool
}

func (e *HandshakeError) Error() string { return e.Reason }

// A TLSError is a failed TLS handshake.
type TLSError struct{ Err error }

func (e *TLSError) Error() string { return "wire: TLS handshake: " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// ErrNoAnswer is returned by Dial when the server closed the connection
// before its answer was complete.
var ErrNoAnswer = errors.New("wire: the server closed the connection without answering the handshake")

// MaxHeadSize is Qt's limit on a handshake's head without its blank line
// (MAX_HEADERLINE_LENGTH × MAX_HEADERLINES + 4).
const MaxHeadSize = 8192*100 + 4

// Dial connects and runs the opening handshake; on success the returned
// Conn, made with cfg, has not started reading. Cancelling ctx stops it.
func Dial(ctx context.Context, dc DialConfig, cfg Config) (*Conn, *Handshake, error) {
	target := dc.Addr
	if dc.Proxy != nil {
		target = dc.Proxy.Host
		if dc.Proxy.Port() == "" {
			target = net.JoinHostPort(dc.Proxy.Hostname(), "80")
		}
	}
	var d net.Dialer
	tcp, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, nil, err
	}
	bc := newBatchConn(tcp)
	var nc net.Conn = bc
	stop := context.AfterFunc(ctx, func() { _ = bc.Close() })
	defer stop()
	fail := func(err error) (*Conn, *Handshake, error) {
		_ = bc.Close()
		if ctx.Err() != nil && !errors.As(err, new(*TLSError)) {
			err = ctx.Err()
		}
		return nil, nil, err
	}
	var rest []byte
	if dc.Proxy != nil {
		if rest, err = connectProxy(bc, dc.Proxy, dc.Addr); err != nil {
			return fail(err)
		}
		if len(rest) > 0 {
			return fail(errors.New("wire: proxy sent bytes after its answer"))
		}
	}
	hs := &Handshake{}
	if dc.Secure {
		tc := tls.Client(bc, dc.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(&TLSError{Err: err})
		}
		st := tc.ConnectionState()
		hs.TLS = &st
		nc = tc
	}
	key := newKey()
	if _, err := io.WriteString(nc, requestText(dc, key)); err != nil {
		return fail(err)
	}
	if dc.Written != nil {
		dc.Written(bc.count())
	}
	head, rest, err := readHead(nc, nil)
	if errors.Is(err, ErrHeadTooLarge) {
		err = &HandshakeError{Reason: "Header is too large"}
	}
	if err == nil {
		var status statusLine
		var header http.Header
		status, header, err = parseResponseHead(head)
		if err == nil {
			hs.Status, hs.Header = status.code, header
			err = checkAnswer(status, header, key, dc.Protocols)
		}
	}
	var he *HandshakeError
	if errors.As(err, &he) {
		he.PeerClosed = len(rest) == 0 && peerClosed(nc)
	}
	if err != nil {
		return fail(err)
	}
	hs.Protocol = headerValue(hs.Header, "Sec-WebSocket-Protocol")
	if dc.Deflate {
		if exts := hs.Header.Values("Sec-WebSocket-Extensions"); len(exts) > 0 {
			p, ok, err := parseDeflateResponse(exts)
			if err != nil {
				return fail(&HandshakeError{Reason: "The server's Sec-WebSocket-Extensions answer is invalid: " + err.Error()})
			}
			if ok {
				cfg.Deflate = &Deflate{params: p}
			}
		}
	}
	if !stop() {
		return fail(ctx.Err())
	}
	return NewConn(nc, rest, cfg), hs, nil
}

// peerClosed reports whether the peer ends its stream now (within a short
// wait) rather than sending more.
func peerClosed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	var one [1]byte
	n, err := c.Read(one[:])
	return n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET))
}

// newKey is a Sec-WebSocket-Key: 16 random bytes, base64.
func newKey() string {
	var k [16]byte
	_, _ = rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}

// AcceptKey is the Sec-WebSocket-Accept value for key.
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// requestText is Qt's opening request (createHandShakeRequest): its lines
// in Qt's order and spelling.
func requestText(dc DialConfig, key string) string {
	var b strings.Builder
	b.WriteString("GET " + dc.Resource + " HTTP/1.1\r\n")
	b.WriteString("Host: " + dc.HostHeader + "\r\n")
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + key + "\r\n")
	if dc.Origin != "" {
		b.WriteString("Origin: " + dc.Origin + "\r\n")
	}
	b.WriteString("Sec-WebSocket-Version: 13\r\n")
	if dc.Deflate {
		b.WriteString("Sec-WebSocket-Extensions: " + deflateOffer() + "\r\n")
	}
	if len(dc.Protocols) > 0 {
		b.WriteString("Sec-WebSocket-Protocol: " + strings.Join(dc.Protocols, ", ") + "\r\n")
	}
	for _, f := range dc.Header {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// ErrHeadTooLarge is returned by readHead for a head over MaxHeadSize.
var ErrHeadTooLarge = errors.New("wire: handshake head too large")

// ReadRequestHead reads an opening request's head from c: everything up to
// and including its blank line, at most MaxHeadSize bytes (else
// ErrHeadTooLarge). rest holds what came after it. An end of stream
// before the blank line is io.EOF (io.ErrUnexpectedEOF when some of the
// head came).
func ReadRequestHead(c io.Reader) (head, rest []byte, err error) {
	head, rest, err = readHead(c, nil)
	if errors.Is(err, ErrNoAnswer) {
		err = io.ErrUnexpectedEOF
		if len(head) == 0 {
			err = io.EOF
		}
	}
	return head, rest, err
}

// readHead reads until a blank line ends the head.
func readHead(c io.Reader, buf []byte) (head, rest []byte, err error) {
	if buf == nil {
		buf = make([]byte, 0, 4096)
	}
	scanned := 0
	for {
		if i := bytes.Index(buf[max(0, scanned-3):], []byte("\r\n\r\n")); i >= 0 {
			end := max(0, scanned-3) + i + 4
			return buf[:end:end], bytes.Clone(buf[end:]), nil
		}
		scanned = len(buf)
		if len(buf) > MaxHeadSize {
			return nil, nil, ErrHeadTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, rerr := c.Read(buf[len(buf):min(cap(buf), MaxHeadSize+1)])
		buf = buf[:len(buf)+n]
		if rerr != nil && n == 0 {
			if errors.Is(rerr, io.EOF) {
				return buf, nil, ErrNoAnswer
			}
			return nil, nil, rerr
		}
	}
}

// statusLine is a parsed HTTP status line.
type statusLine struct {
	major, minor int
	code         int
	reason       string
}

// parseResponseHead parses a response head the way Qt's QHttpHeaderParser
// does, with Qt's texts for what it refuses.
func parseResponseHead(head []byte) (statusLine, http.Header, error) {
	text := string(head[:len(head)-4])
	line, fields, _ := strings.Cut(text, "\r\n")
	st, ok := parseStatusLine(line)
	if !ok {
		return st, nil, &HandshakeError{Reason: "Read handshake request status failed"}
	}
	h, ok := ParseHeaderLines(fields)
	if !ok {
		return st, nil, &HandshakeError{Reason: "Parsing handshake request header failed"}
	}
	return st, h, nil
}

// parseStatusLine parses "HTTP/d.d ddd reason" as QHttpHeaderParser does:
// one digit each for the version, a three-digit code.
func parseStatusLine(s string) (statusLine, bool) {
	var st statusLine
	const dot, space = 6, 8
	if len(s) < 11 || !strings.HasPrefix(s, "HTTP/") || s[dot] != '.' || s[space] != ' ' ||
		!isDigit(s[dot-1]) || !isDigit(s[dot+1]) {
		return st, false
	}
	st.major, st.minor = int(s[dot-1]-'0'), int(s[dot+1]-'0')
	j := strings.IndexByte(s[space+1:], ' ')
	if j < 0 {
		j = len(s) - space - 1
	}
	if j != 3 {
		return st, false
	}
	code, err := strconv.Atoi(s[space+1 : space+4])
	if err != nil {
		return st, false
	}
	st.code = code
	st.reason = strings.TrimSpace(s[space+4:])
	return st, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Qt's limits on header lines (QHttpHeaderParser).
const (
	maxHeaderField  = 8192
	maxHeaderFields = 100
)

// ParseHeaderLines parses CRLF-separated header lines as QHttpHeaderParser
// does: "name: value" with the value trimmed, a line starting with a space
// or tab continues the previous one (joined with one space), at most 100
// fields of at most 8192 bytes. ok is false for a malformed block.
func ParseHeaderLines(s string) (h http.Header, ok bool) {
	h = http.Header{}
	if s == "" {
		return h, true
	}
	var names []string
	var values []string
	for line := range strings.SplitSeq(s, "\r\n") {
		if len(line) > maxHeaderField {
			return nil, false
		}
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if len(values) == 0 {
				return nil, false
			}
			values[len(values)-1] += " " + strings.Trim(line, " \t")
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if !found {
			return nil, false
		}
		names = append(names, strings.Trim(name, " \t"))
		values = append(values, strings.Trim(value, " \t"))
		if len(names) > maxHeaderFields {
			return nil, false
		}
	}
	for i, n := range names {
		h[http.CanonicalHeaderKey(n)] = append(h[http.CanonicalHeaderKey(n)], values[i])
	}
	return h, true
}

// headerValue is Qt's combinedHeaderValue: every line of the header,
// joined with ", ".
func headerValue(h http.Header, name string) string {
	return strings.Join(h.Values(name), ", ")
}

// checkAnswer applies Qt's checks to the server's answer, in Qt's order,
// with Qt's texts.
func checkAnswer(st statusLine, h http.Header, key string, requested []string) error {
	if p := headerValue(h, "Sec-WebSocket-Protocol"); p != "" && !contains(requested, p) {
		return &HandshakeError{Reason: "WebSocket server has chosen protocol " + p + " which has not been requested"}
	}
	switch st.code {
	case http.StatusSwitchingProtocols:
		accept := headerValue(h, "Sec-WebSocket-Accept")
		upgrade, connection := headerValue(h, "Upgrade"), headerValue(h, "Connection")
		if accept == "" || st.major <= 0 || st.minor <= 0 ||
			!strings.EqualFold(upgrade, "websocket") || !strings.EqualFold(connection, "upgrade") {
			return &HandshakeError{Reason: fmt.Sprintf(
				"Invalid parameter encountered during protocol upgrade: Accept-key size: %d, version: %d.%d, upgrade: %s, connection: %s",
				len(accept), st.major, st.minor, upgrade, connection)}
		}
		if want := AcceptKey(key); accept != want {
			return &HandshakeError{Reason: "Accept-Key received from server " + accept + " does not match the client key " + want + "."}
		}
		return nil
	case http.StatusBadRequest:
		if v := headerValue(h, "Sec-WebSocket-Version"); v != "" {
			var versions []string
			for p := range strings.SplitSeq(v, ", ") {
				if p != "" {
					versions = append(versions, p)
				}
			}
			if !contains(versions, "13") {
				return &HandshakeError{Reason: "Handshake: Server requests a version that we don't support: " + strings.Join(versions, ", ") + "."}
			}
		}
		return &HandshakeError{Reason: "QWebSocketPrivate::processHandshake: Unknown error condition encountered. Aborting connection."}
	}
	return &HandshakeError{Reason: fmt.Sprintf("QWebSocketPrivate::processHandshake: Unhandled http status code: %d (%s).", st.code, st.reason)}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// connectProxy opens a tunnel to addr through an HTTP proxy (CONNECT),
// with basic credentials from the proxy URL.
func connectProxy(c net.Conn, proxy *url.URL, addr string) ([]byte, error) {
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return nil, err
	}
	head, rest, err := readHead(c, nil)
	if err != nil {
		return nil, err
	}
	st, _, err := parseResponseHead(head)
	if err != nil {
		return nil, err
	}
	if st.code != http.StatusOK {
		return nil, fmt.Errorf("wire: proxy answered %d %s", st.code, st.reason)
	}
	return rest, nil
}
