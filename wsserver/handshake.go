package wsserver

import (
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is QWebSocketHandshakeRequest: Qt's validation of an opening
// handshake (RFC 6455 §4.2.1), applied to a request that net/http's
// parser (http.ReadRequest) has read from the head (at most 819 204 bytes,
// Qt's limit). net/http therefore decides what Qt's own header parser
// decided, and differs from it as follows (a request either refuses is
// closed without an answer, as in Qt):
//
//   - The request line must be exactly "METHOD SP target SP HTTP/d.d". Qt
//     splits it on runs of spaces, ignores extra tokens and parses the
//     version as a float (so "HTTP/1.10" passes there as 1.1).
//   - The target must be an absolute path or an absolute URI; Qt also takes
//     relative references such as ".".
//   - Qt's limits on the lines (a request line or a header field over
//     8192 bytes, more than 100 fields) are checked here, on the request
//     as net/http hands it over (checkHeaderLimits).
//   - Several Host lines are refused by net/http; Qt uses the first.
//   - Obsolete line folding is joined with one space by both.
//
// Header values are raw bytes here and Latin-1 in Qt. Qt's case-insensitive
// comparisons are done on ASCII only, which is equivalent, since no Latin-1
// letter folds to an ASCII one.

// errBadHandshake is wrapped by every error of parseHandshake. Qt answers
// such a request by closing the connection, with no response and no
// signal, and so does the server.
var errBadHandshake = errors.New("wsserver: invalid WebSocket handshake request")

// websocketGUID is RFC 6455's key suffix for Sec-WebSocket-Accept.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeRequest is a valid opening handshake, as parseHandshake found it.
type handshakeRequest struct {
	origin     string    // first Origin value, "" if none
	key        string    // first Sec-WebSocket-Key value, used as is
	host       string    // the URL's host, without IPv6 brackets
	versions   []Version // every Sec-WebSocket-Version token, descending
	protocols  []string  // every Sec-WebSocket-Protocol token, client order
	extensions []string  // every Sec-WebSocket-Extensions token
	url        *url.URL  // the absolute request URL (ws/wss for origin-form)
}

func badHandshake(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadHandshake, fmt.Sprintf(format, args...))
}

// parseHandshake validates r as Qt does and extracts what the server needs.
// secure selects the scheme of the rebuilt URL: wss or ws.
func parseHandshake(r *http.Request, secure bool) (handshakeRequest, error) {
	if r.Method != http.MethodGet { // case-sensitive, as in Qt
		return handshakeRequest{}, badHandshake("method %q is not GET", r.Method)
	}
	if r.ProtoMajor < 1 || r.ProtoMajor == 1 && r.ProtoMinor < 1 {
		return handshakeRequest{}, badHandshake("protocol %q is older than HTTP/1.1", r.Proto)
	}
	if err := checkHeaderLimits(r); err != nil {
		return handshakeRequest{}, err
	}
	u, host, err := requestURL(r, secure)
	if err != nil {
		return handshakeRequest{}, err
	}
	h := r.Header
	if up := h.Get("Upgrade"); !asciiEqualFold(up, "websocket") { // the whole value
		return handshakeRequest{}, badHandshake("Upgrade header %q is not \"websocket\"", up)
	}
	if c := h.Get("Connection"); !slices.ContainsFunc(splitList([]string{c}), isUpgradeToken) {
		return handshakeRequest{}, badHandshake("Connection header %q has no \"upgrade\" token", c)
	}
	key := h.Get("Sec-WebSocket-Key")
	if key == "" { // any non-empty key will do: Qt does not check its length
		return handshakeRequest{}, badHandshake("no Sec-WebSocket-Key")
	}
	versions, err := parseVersions(h.Values("Sec-WebSocket-Version"))
	if err != nil {
		return handshakeRequest{}, err
	}
	return handshakeRequest{
		origin:     h.Get("Origin"),
		key:        key,
		host:       host,
		versions:   versions,
		protocols:  splitList(h.Values("Sec-WebSocket-Protocol")),
		extensions: splitList(h.Values("Sec-WebSocket-Extensions")),
		url:        u,
	}, nil
}

// Qt's limits on the handshake's lines (QHttpHeaderParser, ws §1.9).
const (
	maxRequestLine  = 8192 // bytes of the request line, without CRLF
	maxHeaderField  = 8192 // bytes of "Name: value"
	maxHeaderFields = 100
)

// checkHeaderLimits refuses a request whose request line or one of whose
// header fields is longer than 8192 bytes, or that has more than 100
// header fields, as Qt's parser does. Without it a single handshake could
// carry up to MaxHeaderBytes in thousands of fields. net/http has joined
// folded lines, trimmed the values and taken Host out of r.Header (it
// counts here as one field), so a field is measured as "Name: value".
func checkHeaderLimits(r *http.Request) error {
	if n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 2; r.RequestURI != "" && n > maxRequestLine {
		return badHandshake("request line of %d bytes (Qt's limit is %d)", n, maxRequestLine)
	}
	fields := 0
	field := func(name, value string) error {
		fields++
		if fields > maxHeaderFields {
			return badHandshake("more than %d header fields", maxHeaderFields)
		}
		if n := len(name) + 2 + len(value); n > maxHeaderField {
			return badHandshake("header field %.64q of %d bytes (Qt's limit is %d)", name, n, maxHeaderField)
		}
		return nil
	}
	if r.Host != "" {
		if err := field("Host", r.Host); err != nil {
			return err
		}
	}
	for name, values := range r.Header {
		for _, v := range values {
			if err := field(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// requestURL rebuilds the request URL as Qt does: an origin-form target
// takes its authority from the Host header and the scheme ws or wss; an
// absolute-form target keeps its own scheme and authority. It returns the
// host without brackets.
func requestURL(r *http.Request, secure bool) (*url.URL, string, error) {
	if r.URL == nil || r.URL.String() == "" {
		return nil, "", badHandshake("empty request target")
	}
	if r.URL.User != nil {
		return nil, "", badHandshake("user info in request target %q", r.URL.Redacted())
	}
	u := *r.URL
	if u.Scheme == "" {
		u.Host = r.Host
		u.Scheme = "ws"
		if secure {
			u.Scheme = "wss"
		}
	}
	host, hostport, err := parseAuthority(u.Host)
	if err != nil {
		return nil, "", err
	}
	u.Host = hostport
	return &u, host, nil
}

// parseAuthority checks a Host value the way QUrl::setAuthority does: no
// user info; a bracketed IPv6 or IPvFuture literal, or a host name that
// passes Qt's STD3 check (letters, digits, '-' and '_' in dot-separated
// labels of 1–63 bytes, no label starting or ending with '-', no leading
// dot); then an optional decimal port up to 65535. Host names are
// lower-cased as QUrl does. Unlike Qt, non-ASCII (IDNA) and percent-encoded
// host names are refused. It returns the host without brackets and the
// normalised host[:port].
func parseAuthority(a string) (host, hostport string, err error) {
	if a == "" {
		return "", "", badHandshake("no Host")
	}
	if strings.Contains(a, "@") {
		return "", "", badHandshake("user info in Host %q", a)
	}
	var port string
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", badHandshake("unbalanced '[' in Host %q", a)
		}
		var ok bool
		if host, ok = ipLiteral(a[1:end]); !ok {
			return "", "", badHandshake("invalid IP literal in Host %q", a)
		}
		hostport = "[" + host + "]"
		if rest := a[end+1:]; rest != "" {
			if rest[0] != ':' {
				return "", "", badHandshake("junk after ']' in Host %q", a)
			}
			port = rest[1:]
		}
	} else {
		host = a
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i+1:]
		}
		if !validHostName(host) {
			return "", "", badHandshake("invalid host name in Host %q", a)
		}
		host = strings.ToLower(host) // ASCII only, checked above
		hostport = host
	}
	if port != "" { // an empty port is no port, as in QUrl
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return "", "", badHandshake("invalid port in Host %q", a)
		}
		hostport += ":" + strconv.FormatUint(n, 10)
	}
	return host, hostport, nil
}

// ipLiteral accepts the inside of "[...]": an IPv6 address without zone,
// returned in canonical form, or an IPvFuture ("v" 1*HEXDIG "." 1*(unreserved
// / sub-delims / ":")), returned as is.
func ipLiteral(s string) (string, bool) {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		dot := strings.IndexByte(s, '.')
		if dot < 2 || dot == len(s)-1 {
			return "", false
		}
		for i := 1; i < dot; i++ {
			if !isHex(s[i]) {
				return "", false
			}
		}
		for i := dot + 1; i < len(s); i++ {
			if c := s[i]; !isUnreserved(c) && !isSubDelim(c) && c != ':' {
				return "", false
			}
		}
		return s, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}

// validHostName is Qt's STD3 host-name check (see parseAuthority). One
// trailing dot is allowed.
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// parseVersions turns the Sec-WebSocket-Version lines into versions sorted
// in descending order. Each comma-separated token must be an unsigned
// integer (QString::toUInt); empty tokens are skipped; at least one must be
// present. Unknown numbers become VersionUnknown.
func parseVersions(lines []string) ([]Version, error) {
	var vs []Version
	for _, line := range lines {
		for tok := range strings.SplitSeq(line, ",") {
			if tok == "" {
				continue
			}
			if _, ok := qtParseInt(tok, false); !ok {
				return nil, badHandshake("Sec-WebSocket-Version token %q is not an unsigned integer", tok)
			}
			vs = append(vs, versionFromString(tok))
		}
	}
	if len(vs) == 0 {
		return nil, badHandshake("no Sec-WebSocket-Version")
	}
	slices.SortFunc(vs, func(a, b Version) int { return cmp.Compare(b, a) })
	return vs, nil
}

// splitList splits header lines on commas and trims each token, as Qt
// does: empty tokens are skipped, but a blank one (" ") becomes "".
func splitList(lines []string) []string {
	var out []string
	for _, line := range lines {
		for tok := range strings.SplitSeq(line, ",") {
			if tok != "" {
				out = append(out, qtTrim(tok))
			}
		}
	}
	return out
}

func isUpgradeToken(s string) bool { return asciiEqualFold(s, "upgrade") }

// chooseSubprotocol is Qt's subprotocol negotiation: the first protocol in
// the client's order that the server supports, compared case-sensitively;
// "" if there is none (the connection is still accepted, without the
// header).
func chooseSubprotocol(clientOrder, supported []string) string {
	for _, p := range clientOrder {
		if slices.Contains(supported, p) {
			return p
		}
	}
	return ""
}

// validSubprotocolName is the filter QWebSocket applies to the names it
// requests (RFC 6455 §4.1 item 10): every byte in 0x21–0x7E and none of the
// separators ()<>@,;:\"/[]?={}. Like Qt, it accepts "" (RFC 6455 requires
// non-empty names, but Qt checks only the characters).
func validSubprotocolName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x21 || c > 0x7E || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// acceptKey is the Sec-WebSocket-Accept value for key:
// base64(SHA-1(key + GUID)).
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(t[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= lower(c) && lower(c) <= 'z'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= lower(c) && lower(c) <= 'f'
}

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

// prettyURL is QUrl::toString()'s default form of u (PrettyDecoded), which
// Qt's server-side resourceName() reports: percent-escapes of characters
// that may appear as they are (unreserved ones, space, non-ASCII UTF-8)
// are decoded; escapes of delimiters and controls stay, in upper case.
func prettyURL(u *url.URL) string {
	s := u.String()
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			if b != nil {
				b = append(b, s[i])
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i]...)
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		switch {
		case c == ' ' || c < 0x80 && isUnreserved(c):
			b = append(b, c)
		case c >= 0x80:
			// a UTF-8 sequence of escapes decodes as a whole, if valid
			seq, n := decodeEscapes(s[i:])
			if utf8.Valid(seq) && len(seq) > 0 && utf8.FullRune(seq) {
				b = append(b, seq...)
				i += n - 1
				continue
			}
			b = append(b, '%', upperHex(c>>4), upperHex(c&15))
		default:
			b = append(b, '%', upperHex(c>>4), upperHex(c&15))
		}
		i += 2
	}
	if b == nil {
		return s
	}
	return string(b)
}

// decodeEscapes decodes the run of %XX escapes of one UTF-8 character at
// the start of s and returns its bytes and the length of s it spans.
func decodeEscapes(s string) ([]byte, int) {
	var seq []byte
	n := 0
	for n+2 < len(s) && s[n] == '%' && isHex(s[n+1]) && isHex(s[n+2]) {
		c := unhex(s[n+1])<<4 | unhex(s[n+2])
		if len(seq) > 0 && (c < 0x80 || c >= 0xC0) {
			break // the next character starts
		}
		seq = append(seq, c)
		n += 3
		if utf8.FullRune(seq) {
			break
		}
	}
	return seq, n
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func upperHex(c byte) byte { return "0123456789ABCDEF"[c] }
