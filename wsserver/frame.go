package wsserver

import (
	"crypto/rand"
	"encoding/binary"
)

// The session frames outgoing data and ping messages itself (RFC 6455
// §5.2) straight into its queue, so that a message is copied once, from
// the caller into the bytes that go to the kernel. coder/websocket still
// reads, answers control frames, compresses (when permessage-deflate was
// negotiated, the session leaves framing to it) and closes.

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opPing         = 0x9
	finBit         = 0x80
	maskBit        = 0x80
)

// appendFrames appends payload as one message of opcode op, split into
// frames of at most frameSize bytes (at least one frame, even when empty).
// Masked frames (a client's) get a fresh key each.
func appendFrames[T string | []byte](b []byte, op byte, payload T, frameSize int, masked bool) []byte {
	if frameSize <= 0 {
		frameSize = len(payload)
	}
	for first := true; first || len(payload) > 0; first = false {
		n := min(len(payload), frameSize)
		b0 := byte(opContinuation)
		if first {
			b0 = op
		}
		if n == len(payload) {
			b0 |= finBit
		}
		b = appendFrame(b, b0, payload[:n], masked)
		payload = payload[n:]
	}
	return b
}

// appendFrame appends one frame whose first byte is b0.
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
	var key [4]byte
	for key == [4]byte{} {
		_, _ = rand.Read(key[:])
	}
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	mask(b[start:], key)
	return b
}

// mask XORs p with key, eight bytes at a time where it can.
func mask(p []byte, key [4]byte) {
	k32 := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k32) | uint64(k32)<<32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k64)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= key[i%4]
	}
}
