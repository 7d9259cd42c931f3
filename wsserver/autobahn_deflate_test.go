package wsserver_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// permessage-deflate (RFC 7692) for the Autobahn fuzzer: the offers
// Autobahn's client sends, the checks it makes of the server's answer, and
// a compressor and decompressor that follow what was agreed.

// abOffer is one permessage-deflate offer as Autobahn's
// PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)
// spells it (acceptNoContextTakeover and acceptMaxWindowBits are always
// on in the testsuite).
func abOffer(serverNoCtx bool, serverBits int) string {
	s := "permessage-deflate; client_no_context_takeover; client_max_window_bits"
	if serverNoCtx {
		s += "; server_no_context_takeover"
	}
	if serverBits != 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(serverBits)
	}
	return s
}

// pmdParams are the parameters of one permessage-deflate offer or answer.
type pmdParams struct {
	serverNoCtx, clientNoCtx bool
	serverBits, clientBits   int // 0: absent; -1: present without a value
}

// parsePMD parses one extension of a Sec-WebSocket-Extensions list: its
// name and parameters, with Autobahn's rules for permessage-deflate's
// (PerMessageDeflateResponse.parse: known names only, once each, window
// bits 9 to 15).
func parsePMD(ext string, answer bool) (pmdParams, error) {
	var p pmdParams
	parts := strings.Split(ext, ";")
	if name := strings.TrimSpace(parts[0]); name != "permessage-deflate" {
		return p, fmt.Errorf("extension %q was not offered", name)
	}
	seen := map[string]bool{}
	for _, part := range parts[1:] {
		k, v, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if seen[k] {
			return p, fmt.Errorf("parameter %q given twice", k)
		}
		seen[k] = true
		bits := func() (int, error) {
			if !hasValue {
				if answer || k == "server_max_window_bits" {
					return 0, fmt.Errorf("parameter %q without a value", k)
				}
				return -1, nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 9 || n > 15 || v != strconv.Itoa(n) {
				return 0, fmt.Errorf("parameter %s=%s: want 9 to 15", k, v)
			}
			return n, nil
		}
		var err error
		switch k {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasValue {
				return p, fmt.Errorf("parameter %q with a value", k)
			}
			if k == "server_no_context_takeover" {
				p.serverNoCtx = true
			} else {
				p.clientNoCtx = true
			}
		case "server_max_window_bits":
			p.serverBits, err = bits()
		case "client_max_window_bits":
			p.clientBits, err = bits()
		default:
			err = fmt.Errorf("unknown parameter %q", k)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// answers reports whether a server's answer a accepts offer o (RFC 7692
// §7.1): what the client asked of the server is granted, and the server
// asks of the client only what the client said it can do.
func (o pmdParams) answeredBy(a pmdParams) bool {
	if o.serverNoCtx && !a.serverNoCtx {
		return false
	}
	if o.serverBits > 0 && (a.serverBits == 0 || a.serverBits > o.serverBits) {
		return false
	}
	if a.clientBits != 0 && o.clientBits == 0 {
		return false
	}
	return true
}

// negotiatePMD checks a 101's Sec-WebSocket-Extensions against the offers:
// nil and no error when the server declined permessage-deflate.
func negotiatePMD(h http.Header, offers string) (*abDeflate, error) {
	var exts []string
	for _, v := range h.Values("Sec-WebSocket-Extensions") {
		for e := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(e) != "" {
				exts = append(exts, e)
			}
		}
	}
	if len(exts) == 0 {
		return nil, nil
	}
	if len(exts) > 1 {
		return nil, fmt.Errorf("the server accepted %d extensions (%q); one was offered", len(exts), exts)
	}
	a, err := parsePMD(exts[0], true)
	if err != nil {
		return nil, fmt.Errorf("answer %q: %w", exts[0], err)
	}
	matched := false
	for o := range strings.SplitSeq(offers, ",") {
		op, err := parsePMD(o, false)
		if err != nil {
			return nil, fmt.Errorf("offer %q: %w", o, err)
		}
		matched = matched || op.answeredBy(a)
	}
	if !matched {
		// Autobahn's client does not check this; RFC 7692 §5 has the
		// client fail the connection.
		return nil, fmt.Errorf("answer %q accepts none of the offers %q: an offer with server_no_context_takeover or "+
			"server_max_window_bits=N is accepted only by an answer with server_no_context_takeover, or "+
			"server_max_window_bits<=N (RFC 7692 §7.1.1.1, §7.1.2.1)", exts[0], offers)
	}
	d := &abDeflate{answer: exts[0], sendNoCtx: a.clientNoCtx, recvNoCtx: a.serverNoCtx, sendBits: 15, recvBits: 15}
	if a.clientBits > 0 {
		d.sendBits = a.clientBits
	}
	if a.serverBits > 0 {
		d.recvBits = a.serverBits
	}
	return d, nil
}

// abDeflate is the fuzzer's (the client's) side of permessage-deflate.
type abDeflate struct {
	answer               string
	sendNoCtx, recvNoCtx bool // client_no_context_takeover, server_no_context_takeover
	sendBits, recvBits   int  // client_max_window_bits, server_max_window_bits

	w    *flate.Writer
	wbuf bytes.Buffer
	r    io.ReadCloser
	hist []byte // the last 32 KiB received, the server's window when it keeps its context
}

// compress returns a message's payload compressed, without the 00 00 ff ff
// tail (RFC 7692 §7.2.1). Go's flate cannot shrink its window: when the
// server asks for a smaller one, Huffman-only blocks (no back-references
// at all) keep to any window.
func (d *abDeflate) compress(msg []byte) []byte {
	d.wbuf.Reset()
	switch {
	case d.w == nil:
		level := flate.DefaultCompression
		if d.sendBits < 15 {
			level = flate.HuffmanOnly
		}
		d.w, _ = flate.NewWriter(&d.wbuf, level)
	case d.sendNoCtx:
		d.w.Reset(&d.wbuf)
	}
	_, _ = d.w.Write(msg)
	_ = d.w.Flush()
	out := bytes.Clone(d.wbuf.Bytes())
	return bytes.TrimSuffix(out, []byte{0, 0, 0xff, 0xff})
}

// decompress inflates one message, with the window the server may use
// (its previous messages unless server_no_context_takeover), and checks
// that its back-references stay within server_max_window_bits.
func (d *abDeflate) decompress(p []byte) ([]byte, error) {
	in := append(bytes.Clone(p), 0, 0, 0xff, 0xff)
	if d.recvBits < 15 {
		dist, err := deflateMaxDistance(in)
		if err != nil {
			return nil, fmt.Errorf("not valid DEFLATE: %w", err)
		}
		if dist > 1<<d.recvBits {
			return nil, fmt.Errorf("a back-reference %d bytes back; server_max_window_bits=%d allows %d (answer %q)",
				dist, d.recvBits, 1<<d.recvBits, d.answer)
		}
	}
	var dict []byte
	if !d.recvNoCtx {
		dict = d.hist
	}
	// A final empty stored block ends the stream for Go's reader.
	src := bytes.NewReader(append(in, 1, 0, 0, 0xff, 0xff))
	if d.r == nil {
		d.r = flate.NewReaderDict(src, dict)
	} else if err := d.r.(flate.Resetter).Reset(src, dict); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(d.r)
	if err != nil {
		if d.recvNoCtx {
			err = fmt.Errorf("%w (with server_no_context_takeover a message cannot refer to an earlier one)", err)
		}
		return nil, err
	}
	d.hist = append(d.hist, out...)
	if len(d.hist) > 32<<10 {
		d.hist = bytes.Clone(d.hist[len(d.hist)-32<<10:])
	}
	return out, nil
}

// deflateMaxDistance parses a raw DEFLATE stream (RFC 1951) and returns
// the largest back-reference distance in it. It reads up to the end of the
// input, or the block marked final.
func deflateMaxDistance(data []byte) (int, error) {
	r := &deflateBits{b: data}
	maxDist := 0
	for {
		if r.pos >= len(r.b) && r.acc == 0 {
			return maxDist, nil // the end, at most zero padding left
		}
		final, err := r.get(1)
		if err != nil {
			return 0, err
		}
		typ, err := r.get(2)
		if err != nil {
			return 0, err
		}
		switch typ {
		case 0: // stored
			r.acc, r.n = 0, 0
			if r.pos+4 > len(r.b) {
				return 0, io.ErrUnexpectedEOF
			}
			n := int(r.b[r.pos]) | int(r.b[r.pos+1])<<8
			if nn := int(r.b[r.pos+2]) | int(r.b[r.pos+3])<<8; n != nn^0xffff {
				return 0, errors.New("stored block: LEN and NLEN disagree")
			}
			r.pos += 4 + n
			if r.pos > len(r.b) {
				return 0, io.ErrUnexpectedEOF
			}
		case 1:
			if err := r.codes(fixedLit, fixedDist, &maxDist); err != nil {
				return 0, err
			}
		case 2:
			lit, dist, err := r.dynamicTables()
			if err != nil {
				return 0, err
			}
			if err := r.codes(lit, dist, &maxDist); err != nil {
				return 0, err
			}
		default:
			return 0, errors.New("reserved block type 3")
		}
		if final == 1 {
			return maxDist, nil
		}
	}
}

// deflateBits reads a DEFLATE stream's bits, least significant first.
type deflateBits struct {
	b   []byte
	pos int
	acc uint32
	n   uint
}

func (r *deflateBits) get(n uint) (uint32, error) {
	for r.n < n {
		if r.pos >= len(r.b) {
			return 0, io.ErrUnexpectedEOF
		}
		r.acc |= uint32(r.b[r.pos]) << r.n
		r.pos++
		r.n += 8
	}
	v := r.acc & (1<<n - 1)
	r.acc >>= n
	r.n -= n
	return v, nil
}

// huffman is a canonical Huffman code (RFC 1951 §3.2.2): how many codes
// of each length, and the symbols in code order.
type huffman struct {
	count [16]int
	sym   []int
}

func newHuffman(lengths []int) *huffman {
	h := &huffman{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	var offs [16]int
	for l := 1; l < 16; l++ {
		offs[l] = offs[l-1] + h.count[l-1]
	}
	h.sym = make([]int, len(lengths))
	for s, l := range lengths {
		if l > 0 {
			h.sym[offs[l]] = s
			offs[l]++
		}
	}
	return h
}

// decode reads one symbol: codes are packed from their most significant
// bit.
func (r *deflateBits) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := r.get(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		c := h.count[l]
		if code-first < c {
			return h.sym[index+code-first], nil
		}
		index += c
		first = (first + c) << 1
		code <<= 1
	}
	return 0, errors.New("invalid Huffman code")
}

var (
	lenExtra  = [...]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [...]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [...]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder   = [...]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	fixedLit, fixedDist = func() (*huffman, *huffman) {
		l := make([]int, 288)
		for i := range l {
			switch {
			case i < 144:
				l[i] = 8
			case i < 256:
				l[i] = 9
			case i < 280:
				l[i] = 7
			default:
				l[i] = 8
			}
		}
		d := make([]int, 30)
		for i := range d {
			d[i] = 5
		}
		return newHuffman(l), newHuffman(d)
	}()
)

func (r *deflateBits) dynamicTables() (lit, dist *huffman, err error) {
	hlit, err := r.get(5)
	if err != nil {
		return nil, nil, err
	}
	hdist, err := r.get(5)
	if err != nil {
		return nil, nil, err
	}
	hclen, err := r.get(4)
	if err != nil {
		return nil, nil, err
	}
	var cl [19]int
	for i := 0; i < int(hclen)+4; i++ {
		v, err := r.get(3)
		if err != nil {
			return nil, nil, err
		}
		cl[clOrder[i]] = int(v)
	}
	clh := newHuffman(cl[:])
	n := int(hlit) + 257 + int(hdist) + 1
	lengths := make([]int, 0, n)
	for len(lengths) < n {
		s, err := r.decode(clh)
		if err != nil {
			return nil, nil, err
		}
		rep, val := 1, s
		switch s {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("repeat with no previous length")
			}
			x, err := r.get(2)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 3+int(x), lengths[len(lengths)-1]
		case 17:
			x, err := r.get(3)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 3+int(x), 0
		case 18:
			x, err := r.get(7)
			if err != nil {
				return nil, nil, err
			}
			rep, val = 11+int(x), 0
		}
		if len(lengths)+rep > n {
			return nil, nil, errors.New("code lengths overflow")
		}
		for range rep {
			lengths = append(lengths, val)
		}
	}
	return newHuffman(lengths[:hlit+257]), newHuffman(lengths[hlit+257:]), nil
}

// codes reads a block's literals and length/distance pairs up to its end
// code, keeping the largest distance.
func (r *deflateBits) codes(lit, dist *huffman, maxDist *int) error {
	for {
		s, err := r.decode(lit)
		if err != nil {
			return err
		}
		switch {
		case s < 256:
			continue
		case s == 256:
			return nil
		case s > 285:
			return fmt.Errorf("invalid length symbol %d", s)
		}
		if _, err := r.get(lenExtra[s-257]); err != nil {
			return err
		}
		ds, err := r.decode(dist)
		if err != nil {
			return err
		}
		if ds >= 30 {
			return fmt.Errorf("invalid distance symbol %d", ds)
		}
		x, err := r.get(distExtra[ds])
		if err != nil {
			return err
		}
		*maxDist = max(*maxDist, distBase[ds]+int(x))
	}
}

// abDeflateData is the testsuite's 12.x data, generated: Autobahn's files
// (a JSON file, the Lena bitmap, Goethe's Faust, an HTML file and a PDF)
// are not ours to ship, so each is replaced by data of the same kind made
// from a fixed seed: text that compresses well, a smooth 8-bit image, and
// a PDF whose streams are already compressed (random bytes). Each set is
// cycled through as Autobahn cycles through its file.
type abData struct {
	name   string
	binary bool
	data   []byte
	runes  []rune // text sets are cut into messages by characters, as Autobahn does
}

var abDeflateData = sync.OnceValue(func() []abData {
	const size = 200 << 10
	rng := rand.New(rand.NewPCG(6455, 7692))
	pick := func(words []string) string { return words[rng.IntN(len(words))] }
	names := []string{"Zoë", "Jürgen", "Ana", "Łukasz", "Søren", "Chloé", "Иван", "Ahmed", "Mei 美", "Olu"}
	cities := []string{"Zürich", "Kraków", "São Paulo", "Reykjavík", "Москва", "東京", "Lyon", "Århus"}

	var json strings.Builder
	json.WriteString("[\n")
	for i := 0; json.Len() < size; i++ {
		fmt.Fprintf(&json, `  {"id": %d, "name": %q, "city": %q, "score": %.4f, "active": %v, "tags": [%q, %q]},`+"\n",
			i, pick(names), pick(cities), rng.Float64()*100, rng.IntN(2) == 0, pick(cities), pick(names))
	}

	bmp := make([]byte, 0, 54+1024+512*512)
	bmp = append(bmp, "BM"...)
	bmp = append(bmp, make([]byte, 52)...) // header fields: only their size matters here
	for i := range 256 {
		bmp = append(bmp, byte(i), byte(i), byte(i), 0)
	}
	for y := range 512 {
		for x := range 512 {
			v := (x*x+y*y)/2048 + (x^y)%7 + rng.IntN(5)
			bmp = append(bmp, byte(v))
		}
	}

	words := []string{"Habe", "nun", "ach", "Philosophie", "Juristerei", "und", "Medizin", "leider", "auch",
		"Theologie", "durchaus", "studiert", "mit", "heißem", "Bemühn", "da", "steh", "ich", "armer", "Tor",
		"bin", "so", "klug", "als", "wie", "zuvor", "Mephistopheles", "Fäuste", "Grüße", "Gretchen"}
	var faust bytes.Buffer
	for faust.Len() < size {
		n := 4 + rng.IntN(8)
		for j := range n {
			if j > 0 {
				faust.WriteByte(' ')
			}
			faust.WriteString(pick(words))
		}
		faust.WriteString(",\n")
	}

	var html strings.Builder
	html.WriteString("<!DOCTYPE html>\n<html><head><title>Daten – Übersicht</title></head><body><table>\n")
	for i := 0; html.Len() < size; i++ {
		fmt.Fprintf(&html, "<tr class=\"row%d\"><td>%d</td><td>%s</td><td><a href=\"/city/%d\">%s</a></td><td>%.2f €</td></tr>\n",
			i%2, i, pick(names), rng.IntN(1000), pick(cities), rng.Float64()*1000)
	}

	var pdf bytes.Buffer
	pdf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for i := 1; pdf.Len() < size; i++ {
		n := 2000 + rng.IntN(6000)
		fmt.Fprintf(&pdf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", i, n)
		for range n {
			pdf.WriteByte(byte(rng.Uint32()))
		}
		pdf.WriteString("\nendstream\nendobj\n")
	}

	text := func(name, s string) abData { return abData{name: name, data: []byte(s), runes: []rune(s)} }
	return []abData{ // Autobahn's order (WS_COMPRESSION_TESTDATA_KEYS)
		text("json_data1 (generated JSON, UTF-8)", json.String()),
		{name: "lena512 (generated 8-bit bitmap, binary)", binary: true, data: bmp},
		{name: "gutenberg_faust (generated German text, binary)", binary: true, data: faust.Bytes()},
		text("html_data1 (generated HTML, UTF-8)", html.String()),
		{name: "ooms (generated PDF, binary)", binary: true, data: pdf.Bytes()},
	}
})

// message returns the message of n bytes (characters for text) at *pos,
// wrapping around, and advances *pos, as Autobahn's sendOne does.
func (d abData) message(pos *int, n int) []byte {
	if d.runes != nil {
		to := (*pos + n) % len(d.runes)
		var m []rune
		if to > *pos {
			m = d.runes[*pos:to]
		} else {
			m = append(append([]rune{}, d.runes[*pos:]...), d.runes[:to]...)
		}
		*pos = to
		return []byte(string(m))
	}
	to := (*pos + n) % len(d.data)
	var m []byte
	if to > *pos {
		m = bytes.Clone(d.data[*pos:to])
	} else {
		m = append(bytes.Clone(d.data[*pos:]), d.data[:to]...)
	}
	*pos = to
	return m
}
