package wire

// permessage-deflate (RFC 7692): the negotiation of its parameters in the
// opening handshake, and the compression and decompression of whole
// messages with compress/flate.
//
// Memory an idle connection holds, after a first message (measured by
// TestIdleMemory on amd64, Go 1.26; the heavy state of the other modes
// lives in pools shared by all connections, emptied by the GC when unused):
//
//	compressor, context takeover, window 15 bits   1,207,000 B (its flate.Writer)
//	compressor, no context takeover, or < 15 bits         24 B (the struct; no writer)
//	decompressor, context takeover                    32,830 B (the last 32 KiB of output)
//	decompressor, no context takeover                  ~40 B (the struct; no reader, no window)
//
// A server that must hold many idle connections should therefore prefer
// server_no_context_takeover (RFC 7692 §7.1.1.1 lets it answer that even
// when the client did not offer it).

import (
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// extensionName is the extension token of RFC 7692 §7.
const extensionName = "permessage-deflate"

// Names of the four extension parameters of RFC 7692 §7.1.
const (
	paramServerNoContextTakeover = "server_no_context_takeover"
	paramClientNoContextTakeover = "client_no_context_takeover"
	paramServerMaxWindowBits     = "server_max_window_bits"
	paramClientMaxWindowBits     = "client_max_window_bits"
)

// maxWindowBits is the largest LZ77 window of DEFLATE (32 KiB), the window
// assumed for a direction whose max_window_bits was not negotiated.
const maxWindowBits = 15

// windowSize is the size of the largest DEFLATE window, 1 << maxWindowBits.
const windowSize = 1 << maxWindowBits

// compressionLevel is the flate level used when the window may be 15 bits.
// BestSpeed because its Reset is cheap (levels 2..9 clear 640 KiB of hash
// tables on every Reset, that is on every message without context
// takeover), and because on 64 KiB of text it runs 7 times as fast as the
// default level (97 MB/s against 13 on this package's test text) for 25%
// more output (37% of the input against 30%).
const compressionLevel = flate.BestSpeed

// maxStreams bounds the DEFLATE streams (ended by a block with BFINAL set,
// RFC 7692 §7.2.3.4) that one message may hold: each new stream reloads up
// to 32 KiB of window, which a peer could otherwise ask for every 2 bytes.
const maxStreams = 16

var (
	// errTooBig reports a message that inflates to more than the limit
	// given to decompress.
	errTooBig = errors.New("wire: decompressed message too big")
	// errCorrupt reports a message payload that is not valid DEFLATE data.
	errCorrupt = errors.New("wire: corrupt permessage-deflate data")
	// errNegotiation reports a permessage-deflate response that a client
	// must fail the connection on (RFC 7692 §5.1, §7.1).
	errNegotiation = errors.New("wire: bad permessage-deflate response")
)

// deflateParams are the negotiated parameters of permessage-deflate.
type deflateParams struct {
	serverNoContextTakeover bool // the server resets its compression window per message
	clientNoContextTakeover bool // the client resets its compression window per message
	serverMaxWindowBits     int  // 8..15 (15 when not negotiated): the server's compression window
	clientMaxWindowBits     int  // 8..15 (15 when not negotiated): the client's compression window
}

// defaultDeflateParams are the parameters when none was negotiated.
func defaultDeflateParams() deflateParams {
	return deflateParams{serverMaxWindowBits: maxWindowBits, clientMaxWindowBits: maxWindowBits}
}

// acceptDeflate picks the first acceptable permessage-deflate offer among
// the request's Sec-WebSocket-Extensions values (each value may hold several
// comma-separated extensions, each with ;-separated params), and returns the
// response header value and the params; ok is false when no offer is
// acceptable (then the server answers without the extension). Malformed
// offers (unknown params, duplicate params, bad values, bad syntax) are
// skipped, as RFC 7692 §5.1 asks the server to decline them.
//
// The response mirrors the offer: server_no_context_takeover and
// server_max_window_bits=N when the client asked for them (§7.1.1.1,
// §7.1.2.1: a server accepting them must answer them), and
// client_no_context_takeover when the client offered it (§7.1.1.2: a hint
// that it will not use context takeover; answering it lets the server keep
// no window). client_max_window_bits is never answered: the server
// inflates with a 32 KiB window, which accepts every smaller one.
func acceptDeflate(values []string) (response string, p deflateParams, ok bool) {
	for _, e := range parseExtensions(values) {
		if e.bad || !strings.EqualFold(e.name, extensionName) {
			continue
		}
		if response, p, ok := acceptOffer(e.params); ok {
			return response, p, true
		}
	}
	return "", deflateParams{}, false
}

// acceptOffer checks one permessage-deflate offer's params (RFC 7692 §7.1)
// and returns the response that accepts it and the params it agrees; ok is
// false when the offer must be declined.
func acceptOffer(params []extParam) (response string, p deflateParams, ok bool) {
	p = defaultDeflateParams()
	var seen [numParams]bool
	askedServerBits := false
	for _, q := range params {
		i := paramIndex(q.name)
		if i < 0 || seen[i] {
			return "", p, false // §5.1: an unknown or repeated parameter
		}
		seen[i] = true
		switch i {
		case iServerNoContextTakeover:
			if q.hasValue {
				return "", p, false
			}
			p.serverNoContextTakeover = true
		case iClientNoContextTakeover:
			if q.hasValue {
				return "", p, false
			}
			p.clientNoContextTakeover = true
		case iServerMaxWindowBits: // a value is required (§7.1.2.1)
			bits, ok := parseWindowBits(q)
			if !ok {
				return "", p, false
			}
			p.serverMaxWindowBits, askedServerBits = bits, true
		case iClientMaxWindowBits:
			// No value, or a hint of 8..15 (§7.1.2.2); either way the
			// server leaves the client a full window, which it inflates.
			if q.hasValue {
				if _, ok := parseWindowBits(q); !ok {
					return "", p, false
				}
			}
		}
	}
	// The server always takes server_no_context_takeover, which RFC 7692
	// §7.1.1.1 lets it add unasked: a compressor keeping its context holds
	// about 1.2 MB per connection (flate's writer), pooled state without it.
	p.serverNoContextTakeover = true
	var b strings.Builder
	b.WriteString(extensionName)
	if p.serverNoContextTakeover {
		b.WriteString("; " + paramServerNoContextTakeover)
	}
	if p.clientNoContextTakeover {
		b.WriteString("; " + paramClientNoContextTakeover)
	}
	if askedServerBits {
		fmt.Fprintf(&b, "; %s=%d", paramServerMaxWindowBits, p.serverMaxWindowBits)
	}
	return b.String(), p, true
}

// Indexes of the parameters, for paramIndex.
const (
	iServerNoContextTakeover = iota
	iClientNoContextTakeover
	iServerMaxWindowBits
	iClientMaxWindowBits
	numParams
)

// paramIndex is the index of a permessage-deflate parameter name (one of
// the i* constants), or -1 for another name. Names are matched without
// regard to ASCII case.
func paramIndex(name string) int {
	for i, n := range [numParams]string{paramServerNoContextTakeover, paramClientNoContextTakeover,
		paramServerMaxWindowBits, paramClientMaxWindowBits} {
		if strings.EqualFold(name, n) {
			return i
		}
	}
	return -1
}

// parseWindowBits reads the value of a max_window_bits parameter: a decimal
// integer from 8 to 15 without leading zeroes (RFC 7692 §7.1.2.1).
func parseWindowBits(q extParam) (int, bool) {
	switch v := q.value; {
	case !q.hasValue:
		return 0, false
	case len(v) == 1 && (v[0] == '8' || v[0] == '9'):
		return int(v[0] - '0'), true
	case len(v) == 2 && v[0] == '1' && '0' <= v[1] && v[1] <= '5':
		return 10 + int(v[1]-'0'), true
	}
	return 0, false
}

// deflateOffer is the Sec-WebSocket-Extensions value a client sends to
// offer permessage-deflate: default parameters, and client_max_window_bits
// to say it can compress with a smaller window if the server asks (it
// then compresses without back-references, see newCompressor).
func deflateOffer() string {
	return extensionName + "; " + paramClientMaxWindowBits
}

// parseDeflateResponse checks the server's Sec-WebSocket-Extensions values
// in answer to deflateOffer. ok is false, with a nil error, when the server
// did not accept the extension. The error (wrapping errNegotiation) is for
// anything RFC 7692 §5.1 and §7.1 say the client must fail the connection
// on: bad syntax, an extension other than the one offered, the extension
// accepted twice, an unknown or repeated parameter, or a bad value.
func parseDeflateResponse(values []string) (p deflateParams, ok bool, err error) {
	p = defaultDeflateParams()
	exts := parseExtensions(values)
	if len(exts) == 0 {
		return p, false, nil
	}
	for _, e := range exts {
		switch {
		case e.bad:
			return p, false, fmt.Errorf("%w: malformed Sec-WebSocket-Extensions", errNegotiation)
		case !strings.EqualFold(e.name, extensionName):
			return p, false, fmt.Errorf("%w: the server accepted %q, which was not offered", errNegotiation, e.name)
		}
	}
	if len(exts) > 1 {
		return p, false, fmt.Errorf("%w: accepted %d times", errNegotiation, len(exts))
	}
	var seen [numParams]bool
	for _, q := range exts[0].params {
		i := paramIndex(q.name)
		if i < 0 {
			return p, false, fmt.Errorf("%w: unknown parameter %q", errNegotiation, q.name)
		}
		if seen[i] {
			return p, false, fmt.Errorf("%w: parameter %q repeated", errNegotiation, q.name)
		}
		seen[i] = true
		good := true
		switch i {
		case iServerNoContextTakeover:
			p.serverNoContextTakeover, good = true, !q.hasValue
		case iClientNoContextTakeover:
			p.clientNoContextTakeover, good = true, !q.hasValue
		case iServerMaxWindowBits:
			// Also when not offered: the server may narrow its own window.
			p.serverMaxWindowBits, good = parseWindowBits(q)
		case iClientMaxWindowBits:
			// The offer had client_max_window_bits, so the server may
			// answer it, with a value (§7.1.2.2).
			p.clientMaxWindowBits, good = parseWindowBits(q)
		}
		if !good {
			return defaultDeflateParams(), false, fmt.Errorf("%w: bad value for %s", errNegotiation, q.name)
		}
	}
	return p, true, nil
}

// extension is one element of a Sec-WebSocket-Extensions list.
type extension struct {
	name   string
	params []extParam
	bad    bool // not of the grammar of RFC 6455 §9.1
}

// extParam is one extension parameter; value is unquoted.
type extParam struct {
	name     string
	value    string
	hasValue bool
}

// parseExtensions reads header values of the grammar of RFC 6455 §9.1:
//
//	extension-list = 1#extension
//	extension      = token *( ";" extension-param )
//	extension-param = token [ "=" (token | quoted-string) ]
//
// with optional white space around the separators. Empty list elements are
// skipped (RFC 9110 §5.6.1). An element off the grammar comes back with
// bad set, and parsing resumes at the next comma outside a quoted string.
func parseExtensions(values []string) []extension {
	var exts []extension
	for _, v := range values {
		sc := extScanner{s: v}
		for {
			sc.skipSpace()
			if sc.done() {
				break
			}
			if sc.peek() == ',' {
				sc.i++
				continue
			}
			e, ok := sc.extension()
			if ok {
				sc.skipSpace()
				ok = sc.done() || sc.peek() == ','
			}
			if !ok {
				e.bad = true
				sc.skipElement()
			}
			exts = append(exts, e)
		}
	}
	return exts
}

// extScanner reads one header value.
type extScanner struct {
	s string
	i int
}

// done reports whether the whole value was read.
func (sc *extScanner) done() bool { return sc.i >= len(sc.s) }

// peek is the next byte; the scanner must not be done.
func (sc *extScanner) peek() byte { return sc.s[sc.i] }

// skipSpace skips optional white space (SP and HTAB).
func (sc *extScanner) skipSpace() {
	for !sc.done() && (sc.peek() == ' ' || sc.peek() == '\t') {
		sc.i++
	}
}

// token reads a token (RFC 9110 §5.6.2); "" when there is none.
func (sc *extScanner) token() string {
	start := sc.i
	for !sc.done() && isTokenChar(sc.peek()) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// quoted reads a quoted-string, the scanner at its opening quote, and
// returns it unescaped.
func (sc *extScanner) quoted() (string, bool) {
	var b []byte
	for sc.i++; !sc.done(); sc.i++ {
		switch c := sc.peek(); {
		case c == '"':
			sc.i++
			return string(b), true
		case c == '\\':
			sc.i++
			if sc.done() {
				return "", false
			}
			b = append(b, sc.peek())
		default:
			b = append(b, c)
		}
	}
	return "", false
}

// extension reads one list element.
func (sc *extScanner) extension() (e extension, ok bool) {
	if e.name = sc.token(); e.name == "" {
		return e, false
	}
	for {
		sc.skipSpace()
		if sc.done() || sc.peek() != ';' {
			return e, true
		}
		sc.i++
		sc.skipSpace()
		var q extParam
		if q.name = sc.token(); q.name == "" {
			return e, false
		}
		sc.skipSpace()
		if !sc.done() && sc.peek() == '=' {
			sc.i++
			sc.skipSpace()
			q.hasValue = true
			if !sc.done() && sc.peek() == '"' {
				v, ok := sc.quoted()
				// RFC 6455 §9.1: unquoted, the value must be a token.
				if !ok || v == "" || strings.IndexFunc(v, func(r rune) bool { return r > 0x7f || !isTokenChar(byte(r)) }) >= 0 {
					return e, false
				}
				q.value = v
			} else if q.value = sc.token(); q.value == "" {
				return e, false
			}
		}
		e.params = append(e.params, q)
	}
}

// skipElement moves past the rest of a list element, to the next comma
// outside a quoted string (or the end).
func (sc *extScanner) skipElement() {
	inQuote := false
	for ; !sc.done(); sc.i++ {
		switch c := sc.peek(); {
		case inQuote && c == '\\':
			sc.i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return
		}
	}
}

// isTokenChar reports whether c is a tchar of RFC 9110 §5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// pooledWriter is a flate.Writer with the buffer it writes to.
type pooledWriter struct {
	fw  *flate.Writer
	out []byte // the caller's dst while compress runs, else nil
}

// Write appends p to out; it never fails, so neither does fw.
func (w *pooledWriter) Write(p []byte) (int, error) {
	w.out = append(w.out, p...)
	return len(p), nil
}

// Idle flate writers, one pool per level used: 1.2 MB each at BestSpeed,
// 0.7 MB Huffman-only (compress/flate's hash tables are arrays in its
// struct, whatever the level). Every pooled writer has been Reset.
var (
	fastWriters    = sync.Pool{New: func() any { return newPooledWriter(compressionLevel) }}
	huffmanWriters = sync.Pool{New: func() any { return newPooledWriter(flate.HuffmanOnly) }}
)

// newPooledWriter makes a writer for a pool: a flate.Writer at level that
// writes into its own out.
func newPooledWriter(level int) *pooledWriter {
	w := &pooledWriter{}
	fw, err := flate.NewWriter(w, level)
	if err != nil {
		panic(err) // level is one of the constants above
	}
	w.fw = fw
	return w
}

// compressor compresses whole messages for one direction of a connection.
// It is not safe for concurrent use.
type compressor struct {
	pool *sync.Pool // fastWriters, or huffmanWriters for a window < 15 bits
	// keep is whether the writer stays between messages: context takeover
	// with back-references. A Huffman-only stream has no back-references,
	// so it needs no window and keeps nothing even with context takeover.
	keep bool
	w    *pooledWriter // the writer kept, when keep, after the first message
}

// newCompressor returns a compressor for a direction whose agreed
// parameters are noContextTakeover and max_window_bits = windowBits (8..15).
//
// compress/flate cannot be given a window smaller than 32 KiB, so when the
// peer limits this direction's window (max_window_bits < 15), the
// compressor uses flate.HuffmanOnly: literals only, no back-references at
// all, which holds for any window limit (RFC 7692 §7.1.2: the window bounds
// the distance of back-references). The peer inflates such a stream with
// any window, and context takeover changes nothing for it.
func newCompressor(noContextTakeover bool, windowBits int) *compressor {
	c := &compressor{pool: &fastWriters, keep: !noContextTakeover}
	if windowBits < maxWindowBits {
		c.pool, c.keep = &huffmanWriters, false
	}
	return c
}

// compress appends to dst the payload of the message msg (RFC 7692 §7.2.1):
// DEFLATE blocks ended by a sync flush, without the trailing 00 00 ff ff.
// The payload may be split across frames at any byte; the engine sets RSV1
// on the first frame only. An empty msg gives the single byte 00.
func (c *compressor) compress(dst, msg []byte) []byte {
	w := c.w
	if w == nil {
		w = c.pool.Get().(*pooledWriter)
		if c.keep {
			c.w = w
		}
	}
	w.out = dst
	_, _ = w.fw.Write(msg) // pooledWriter.Write never fails
	_ = w.fw.Flush()
	out := w.out
	w.out = nil
	if !c.keep {
		putWriter(c.pool, w)
	}
	// A sync flush ends with an empty stored block, 00 00 ff ff once
	// byte-aligned: §7.2.1 removes those 4 bytes (the receiver adds them).
	return out[:len(out)-4]
}

// putWriter resets w, so that it holds nothing of the last connection,
// and returns it to its pool.
func putWriter(pool *sync.Pool, w *pooledWriter) {
	w.fw.Reset(w)
	pool.Put(w)
}

// release returns the compressor's writer to its pool; compress may still
// be called afterwards, as on a new compressor (so the window restarts
// empty: only call release when no message will be sent).
func (c *compressor) release() {
	if c.w != nil {
		putWriter(c.pool, c.w)
		c.w = nil
	}
}

// syncTail ends every message's input to the inflater: the 00 00 ff ff that
// compress removed (RFC 7692 §7.2.2), then an empty stored block with
// BFINAL set, so that a complete message ends in io.EOF while a truncated
// one ends in io.ErrUnexpectedEOF.
var syncTail = [...]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflateSrc is a message's payload followed by syncTail, as a
// flate.Reader (an io.ByteReader, so that flate reads no byte past the
// block it decodes and adds no bufio.Reader of its own).
type inflateSrc struct {
	p []byte
	i int // bytes read, of p then syncTail
}

// Read reads from the payload, then from syncTail.
func (s *inflateSrc) Read(b []byte) (int, error) {
	n := 0
	if s.i < len(s.p) {
		n = copy(b, s.p[s.i:])
		s.i += n
	}
	if t := s.i - len(s.p); t >= 0 && n < len(b) {
		m := copy(b[n:], syncTail[t:])
		s.i += m
		n += m
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// ReadByte reads one byte from the payload, then from syncTail.
func (s *inflateSrc) ReadByte() (byte, error) {
	var c byte
	switch t := s.i - len(s.p); {
	case t < 0:
		c = s.p[s.i]
	case t < len(syncTail):
		c = syncTail[t]
	default:
		return 0, io.EOF
	}
	s.i++
	return c, nil
}

// left is the number of bytes not read yet.
func (s *inflateSrc) left() int { return len(s.p) + len(syncTail) - s.i }

// readerPool holds idle flate readers (38 KB each: Huffman tables and a
// 32 KiB window), shared by every decompressor.
var readerPool = sync.Pool{New: func() any { return flate.NewReader(&noSrc) }}

// noSrc is what idle pooled readers read: nothing.
var noSrc = inflateSrc{i: len(syncTail)}

// dictPool holds the 32 KiB windows released by decompressors.
var dictPool = sync.Pool{New: func() any { return new([windowSize]byte) }}

// decompressor inflates whole messages for one direction of a connection.
// It is not safe for concurrent use.
type decompressor struct {
	keep  bool              // context takeover: the next message may refer to this one's output
	dict  *[windowSize]byte // with keep, after the first message: the window, dict[:n]
	n     int               // bytes of dict in use
	src   inflateSrc
	probe [1]byte // see decompress
}

// newDecompressor returns a decompressor for a direction whose agreed
// parameters say noContextTakeover. It inflates with a 32 KiB window, so
// it accepts data compressed with any max_window_bits.
func newDecompressor(noContextTakeover bool) *decompressor {
	return &decompressor{keep: !noContextTakeover}
}

// decompress appends to dst the message inflated from payload, the
// message's frame payloads concatenated (RFC 7692 §7.2.2). It appends at
// most limit bytes (no limit when limit < 0): past that it stops, having
// inflated limit+1 bytes, and returns an error wrapping errTooBig. A
// payload that is not valid DEFLATE data gives an error wrapping
// errCorrupt. On error it returns dst as it was given (its capacity may
// have grown), and the connection must be failed: the decompressor's
// window is then undefined.
//
// CPU is linear in the input and the output: output stops at limit+1
// bytes, and at most maxStreams DEFLATE streams (each reloading the
// window) are read. The worst input is a run of empty dynamic blocks (13
// bytes each, a Huffman table to build for each): about 5 MB/s of input
// on this machine, against 100 MB/s for ordinary data, so the engine's
// bound on a message's compressed size bounds the time too.
func (d *decompressor) decompress(dst, payload []byte, limit int64) ([]byte, error) {
	if len(payload) == 0 {
		// Not DEFLATE data (§7.2.3.6 makes an empty message 00), but
		// what zlib-based peers accept as an empty message.
		return dst, nil
	}
	start := len(dst)
	fr := readerPool.Get().(io.ReadCloser)
	defer func() {
		_ = fr.(flate.Resetter).Reset(&noSrc, nil) // keep nothing of this message
		readerPool.Put(fr)
		d.src = inflateSrc{}
	}()
	d.src = inflateSrc{p: payload}
	_ = fr.(flate.Resetter).Reset(&d.src, d.window())
	mark := start // output before mark is in d's window already
	streams := 1
	for {
		room := dst[len(dst):cap(dst)]
		if limit >= 0 {
			room = room[:min(int64(len(room)), limit+1-int64(len(dst)-start))]
		}
		// When dst is full, read one byte aside first: a message that
		// fills dst exactly (the common case of a reused buffer) then
		// costs no allocation, nor does a message one byte over limit.
		probe := len(room) == 0
		if probe {
			room = d.probe[:]
		}
		n, err := fr.Read(room)
		if probe && n > 0 {
			if limit >= 0 && int64(len(dst)-start) >= limit {
				return dst[:start], fmt.Errorf("%w: more than %d bytes", errTooBig, limit)
			}
			// Grow by what was inflated so far (at least 512 bytes, or
			// the payload's size), so doubling, but never to more than
			// limit+1 bytes of output: a bomb costs at most that.
			grow := max(len(dst)-start, 512, len(payload))
			if limit >= 0 {
				grow = int(min(int64(grow), limit+1-int64(len(dst)-start)))
			}
			grown := make([]byte, len(dst), len(dst)+grow)
			copy(grown, dst)
			dst = append(grown, d.probe[0])
		} else {
			dst = dst[:len(dst)+n]
		}
		if limit >= 0 && int64(len(dst)-start) > limit {
			return dst[:start], fmt.Errorf("%w: more than %d bytes", errTooBig, limit)
		}
		switch {
		case err == nil:
			continue
		case err != io.EOF:
			return dst[:start], fmt.Errorf("%w: %v", errCorrupt, err)
		case d.src.left() == 0 || d.src.i == len(payload) || d.src.i == len(payload)+4:
			// The empty final block of syncTail; or a final block that
			// ends the payload; or an empty stored final block whose
			// 00 00 ff ff the sender removed (§7.2.1 removes them from
			// any empty stored block): the message is whole.
			if d.keep {
				d.remember(dst[mark:])
			}
			return dst, nil
		case d.src.i > len(payload):
			// A final block that took other bytes of syncTail: truncated.
			return dst[:start], fmt.Errorf("%w: truncated final block", errCorrupt)
		}
		// A block with BFINAL set ended a stream before the payload's end
		// (RFC 7692 §7.2.3.4): what follows is a new stream, which may
		// refer to all the output so far.
		if streams++; streams > maxStreams {
			return dst[:start], fmt.Errorf("%w: more than %d DEFLATE streams in one message", errCorrupt, maxStreams)
		}
		var dict []byte
		if d.keep {
			d.remember(dst[mark:])
			mark, dict = len(dst), d.window()
		} else {
			out := dst[start:]
			dict = out[len(out)-min(len(out), windowSize):]
		}
		_ = fr.(flate.Resetter).Reset(&d.src, dict)
	}
}

// window is the output of the last messages that the next may refer to
// (at most 32 KiB; nil without context takeover).
func (d *decompressor) window() []byte {
	if d.dict == nil {
		return nil
	}
	return d.dict[:d.n]
}

// remember appends b to the window, dropping its oldest bytes past 32 KiB.
func (d *decompressor) remember(b []byte) {
	if len(b) == 0 {
		return // and an empty first message takes no window yet
	}
	if d.dict == nil {
		d.dict, d.n = dictPool.Get().(*[windowSize]byte), 0
	}
	if len(b) >= windowSize {
		d.n = copy(d.dict[:], b[len(b)-windowSize:])
		return
	}
	if keep := windowSize - len(b); d.n > keep {
		d.n = copy(d.dict[:], d.dict[d.n-keep:d.n])
	}
	d.n += copy(d.dict[d.n:], b)
}

// release returns the decompressor's window to its pool; decompress may
// still be called afterwards, as on a new decompressor.
func (d *decompressor) release() {
	if d.dict != nil {
		dictPool.Put(d.dict)
		d.dict, d.n = nil, 0
	}
}
