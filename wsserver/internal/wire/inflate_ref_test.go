package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// refInflate is a small DEFLATE decoder (RFC 1951), written for the tests
// from the RFC, that also checks the LZ77 window: it decodes data (one
// message's payload followed by 00 00 ff ff) with hist as the output of
// the messages before, and fails on any back-reference farther than
// maxDist bytes. It returns the output and the number of back-references.
func refInflate(hist, data []byte, maxDist int) (out []byte, refs int, err error) {
	br := &bitReader{data: data}
	all := append([]byte(nil), hist...)
	for {
		final := br.bits(1)
		kind := br.bits(2)
		switch kind {
		case 0:
			br.align()
			n := br.bits(16)
			if nn := br.bits(16); nn != ^n&0xffff {
				return nil, 0, errors.New("stored block: LEN and NLEN differ")
			}
			for range n {
				all = append(all, byte(br.bits(8)))
			}
		case 1, 2:
			var lit, dist *huffman
			if kind == 1 {
				lit, dist = fixedHuffman()
			} else if lit, dist, err = br.dynamicHuffman(); err != nil {
				return nil, 0, err
			}
			for {
				sym, err := br.decode(lit)
				if err != nil {
					return nil, 0, err
				}
				if sym < 256 {
					all = append(all, byte(sym))
					continue
				}
				if sym == 256 {
					break
				}
				if sym > 285 {
					return nil, 0, fmt.Errorf("bad length symbol %d", sym)
				}
				length := lengthBase[sym-257] + br.bits(lengthExtra[sym-257])
				ds, err := br.decode(dist)
				if err != nil {
					return nil, 0, err
				}
				if ds > 29 {
					return nil, 0, fmt.Errorf("bad distance symbol %d", ds)
				}
				d := distBase[ds] + br.bits(distExtra[ds])
				if d > maxDist {
					return nil, 0, fmt.Errorf("distance %d beyond the window of %d bytes", d, maxDist)
				}
				if d > len(all) {
					return nil, 0, fmt.Errorf("distance %d before the start", d)
				}
				refs++
				for range length {
					all = append(all, all[len(all)-d])
				}
			}
		default:
			return nil, 0, errors.New("reserved block type")
		}
		if br.err != nil {
			return nil, 0, br.err
		}
		if final == 1 || br.pos >= len(data) {
			return all[len(hist):], refs, nil
		}
	}
}

var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder     = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// bitReader reads DEFLATE's bit stream, least significant bit first; past
// the end it reads zeros and sets err.
type bitReader struct {
	data []byte
	pos  int // the byte being read
	bit  uint
	err  error
}

// bits reads an n-bit number, least significant bit first.
func (br *bitReader) bits(n int) int {
	v := 0
	for i := range n {
		if br.pos >= len(br.data) {
			br.err = errors.New("unexpected end of data")
			return v
		}
		v |= int(br.data[br.pos]>>br.bit&1) << i
		if br.bit++; br.bit == 8 {
			br.bit, br.pos = 0, br.pos+1
		}
	}
	return v
}

// align skips to the next byte boundary.
func (br *bitReader) align() {
	if br.bit != 0 {
		br.bit, br.pos = 0, br.pos+1
	}
}

// huffman is a canonical Huffman code: count[n] codes of n bits, and the
// symbols in code order.
type huffman struct {
	count   [16]int
	symbols []int
}

// newHuffman builds the canonical code of the code lengths of each symbol.
func newHuffman(lengths []int) *huffman {
	h := &huffman{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	for l := 1; l < 16; l++ {
		for s, sl := range lengths {
			if sl == l {
				h.symbols = append(h.symbols, s)
			}
		}
	}
	return h
}

// decode reads one symbol, the code's bits most significant first.
func (br *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= br.bits(1)
		if br.err != nil {
			return 0, br.err
		}
		n := h.count[l]
		if code-first < n {
			return h.symbols[index+code-first], nil
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errors.New("bad Huffman code")
}

// fixedHuffman is the fixed code of RFC 1951 §3.2.6.
func fixedHuffman() (lit, dist *huffman) {
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
}

// dynamicHuffman reads the codes of a dynamic block (RFC 1951 §3.2.7).
func (br *bitReader) dynamicHuffman() (lit, dist *huffman, err error) {
	nlit, ndist, nclen := br.bits(5)+257, br.bits(5)+1, br.bits(4)+4
	var cl [19]int
	for i := range nclen {
		cl[clOrder[i]] = br.bits(3)
	}
	clh := newHuffman(cl[:])
	lengths := make([]int, 0, nlit+ndist)
	for len(lengths) < nlit+ndist {
		sym, err := br.decode(clh)
		if err != nil {
			return nil, nil, err
		}
		rep, val := 1, sym
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return nil, nil, errors.New("repeat with no previous length")
			}
			rep, val = 3+br.bits(2), lengths[len(lengths)-1]
		case 17:
			rep, val = 3+br.bits(3), 0
		case 18:
			rep, val = 11+br.bits(7), 0
		}
		for range rep {
			lengths = append(lengths, val)
		}
	}
	if len(lengths) > nlit+ndist {
		return nil, nil, errors.New("code lengths overflow")
	}
	return newHuffman(lengths[:nlit]), newHuffman(lengths[nlit:]), nil
}

// TestRefInflate checks refInflate itself: it decodes what compress/flate
// makes, and it does reject a back-reference beyond its window (so that
// TestRoundTrip's check of the window means something).
func TestRefInflate(t *testing.T) {
	msg := append(testText(3000, 4), testText(3000, 4)...) // the second half refers 3000 bytes back
	payload := newCompressor(true, 15).compress(nil, msg)
	withTail := append(payload, 0, 0, 0xff, 0xff)
	out, refs, err := refInflate(nil, withTail, windowSize)
	if err != nil || !bytes.Equal(out, msg) || refs == 0 {
		t.Fatalf("refInflate: %d bytes, %d back-references, %v", len(out), refs, err)
	}
	if _, _, err := refInflate(nil, withTail, 2048); err == nil || !strings.Contains(err.Error(), "beyond the window") {
		t.Errorf("a window of 2048 bytes: %v; want a distance beyond the window", err)
	}
}
