package wire

import (
	"crypto/rand"
	"encoding/binary"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

const (
	finBit  = 0x80
	rsv1Bit = 0x40
	maskBit = 0x80

	// MaxControlPayload is the largest payload of a control frame.
	MaxControlPayload = 125
	// maxHeader is the longest frame header: 2 + 8 length bytes + 4 key bytes.
	maxHeader = 14
)

func isControl(op byte) bool { return op&0x8 != 0 }

// isReserved reports Qt's isOpCodeReserved: 3–7 and everything above 0xA.
func isReserved(op byte) bool { return (op > OpBinary && op < OpClose) || op > OpPong }

// appendFrames appends payload as one message of opcode op, split into
// frames of at most frameSize bytes (at least one frame, even when empty),
// FIN on the last one, as Qt splits them. rsv1 marks the first frame as
// compressed. Masked frames (a client's) get a fresh key each.
func appendFrames[T string | []byte](b []byte, op byte, payload T, frameSize int, masked, rsv1 bool) []byte {
	if frameSize <= 0 {
		frameSize = len(payload)
	}
	for first := true; first || len(payload) > 0; first = false {
		n := min(len(payload), frameSize)
		b0 := OpContinuation
		if first {
			b0 = op
			if rsv1 {
				b0 |= rsv1Bit
			}
		}
		if n == len(payload) {
			b0 |= finBit
		}
		b = appendFrame(b, b0, payload[:n], masked)
		payload = payload[n:]
	}
	return b
}

// appendFrame appends one frame whose first byte is b0, with the length in
// its shortest form.
func appendFrame[T string | []byte](b []byte, b0 byte, payload T, masked bool) []byte {
	var m byte
	if masked {
		m = maskBit
	}
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, b0, m|byte(n))
	case n <= 0xFFFF:
		b = append(b, b0, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, b0, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !masked {
		return append(b, payload...)
	}
	key := newMaskKey()
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	maskBytes(b[start:], key, 0)
	return b
}

// newMaskKey returns a random masking key other than zero, which Qt never
// uses (it means "no mask" there).
func newMaskKey() [4]byte {
	var key [4]byte
	for key == [4]byte{} {
		_, _ = rand.Read(key[:])
	}
	return key
}

// maskBytes XORs p with key, starting at byte pos of the key's cycle,
// eight bytes at a time where it can. It returns the position after p.
func maskBytes(p []byte, key [4]byte, pos int) int {
	pos &= 3
	if len(p) >= 8 {
		// Rotate the key so that p[0] meets key[pos].
		var k [4]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		k32 := binary.LittleEndian.Uint32(k[:])
		k64 := uint64(k32) | uint64(k32)<<32
		n := len(p) &^ 7
		for i := 0; i < n; i += 8 {
			binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k64)
		}
		p = p[n:] // n is a multiple of 4: pos is unchanged
	}
	for i := range p {
		p[i] ^= key[(pos+i)&3]
	}
	return (pos + len(p)) & 3
}
