package wire

import "unicode/utf8"

// Text is validated as it arrives, across frame boundaries, so that an
// impossible byte fails the connection in the read that brings it (RFC
// 6455 §8.1's "fail fast"), while a character split between two frames is
// valid (Qt decodes each frame on its own and fails it; see
// docs/porting.md).

// checkUTF8 validates b, which starts at a character boundary. complete is
// the length of the prefix made of whole characters; the rest (at most
// three bytes) is the start of a character still to come. ok is false when
// b cannot be the start of valid UTF-8.
func checkUTF8(b []byte) (complete int, ok bool) {
	n := len(b)
	cut := n
	for i := n - 1; i >= 0 && i >= n-3; i-- {
		c := b[i]
		if c < 0x80 {
			break // ASCII: everything up to here is whole characters
		}
		if c >= 0xC0 { // a leading byte
			if need := seqLen(c); need == 0 {
				return i, false
			} else if n-i < need {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		return 0, false
	}
	if cut < n && !validPrefix(b[cut:]) {
		return cut, false
	}
	return cut, true
}

// seqLen is the length of the sequence a leading byte starts, or 0 for a
// byte that never starts one (C0, C1, F5–FF).
func seqLen(c byte) int {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 2
	case c >= 0xE0 && c <= 0xEF:
		return 3
	case c >= 0xF0 && c <= 0xF4:
		return 4
	}
	return 0
}

// validPrefix reports whether p, shorter than the sequence its first byte
// starts, can still become a valid character: the second byte's range
// depends on the first (no overlongs, no surrogates, nothing above
// U+10FFFF), the others are plain continuation bytes.
func validPrefix(p []byte) bool {
	lo, hi := byte(0x80), byte(0xBF)
	switch p[0] {
	case 0xE0:
		lo = 0xA0
	case 0xED:
		hi = 0x9F
	case 0xF0:
		lo = 0x90
	case 0xF4:
		hi = 0x8F
	}
	for i, c := range p[1:] {
		if i == 0 && (c < lo || c > hi) || i > 0 && (c < 0x80 || c > 0xBF) {
			return false
		}
	}
	return true
}
