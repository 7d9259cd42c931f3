package wsserver

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// decodeFrame parses one frame as RFC 6455 §5.2 lays it out.
func decodeFrame(t *testing.T, b []byte) (b0 byte, payload, rest []byte) {
	t.Helper()
	if len(b) < 2 {
		t.Fatalf("short frame: %d bytes", len(b))
	}
	b0, masked, n := b[0], b[1]&0x80 != 0, uint64(b[1]&0x7F)
	b = b[2:]
	switch n {
	case 126:
		n, b = uint64(binary.BigEndian.Uint16(b)), b[2:]
		if n < 126 {
			t.Fatalf("16-bit length %d not minimal", n)
		}
	case 127:
		n, b = binary.BigEndian.Uint64(b), b[8:]
		if n <= 0xFFFF {
			t.Fatalf("64-bit length %d not minimal", n)
		}
	}
	var key []byte
	if masked {
		key, b = b[:4], b[4:]
		if bytes.Equal(key, make([]byte, 4)) {
			t.Fatal("zero masking key")
		}
	}
	payload = append([]byte(nil), b[:n]...)
	for i := range payload {
		if masked {
			payload[i] ^= key[i%4]
		}
	}
	return b0, payload, b[n:]
}

func TestAppendFrames(t *testing.T) {
	for _, tc := range []struct {
		size, frame int
		want        []int // frame payload sizes
	}{
		{0, 100, []int{0}},
		{125, 1 << 20, []int{125}},
		{126, 1 << 20, []int{126}},
		{65535, 1 << 20, []int{65535}},
		{65536, 1 << 20, []int{65536}},
		{250, 100, []int{100, 100, 50}},
		{200, 100, []int{100, 100}},
		{7, 1, []int{1, 1, 1, 1, 1, 1, 1}},
	} {
		for _, masked := range []bool{false, true} {
			msg := make([]byte, tc.size)
			for i := range msg {
				msg[i] = byte(i*7 + 1)
			}
			b := appendFrames([]byte("prefix"), opBinary, msg, tc.frame, masked)
			if !bytes.HasPrefix(b, []byte("prefix")) {
				t.Fatal("appendFrames overwrote the buffer's bytes")
			}
			b = b[len("prefix"):]
			var got []byte
			for i, n := range tc.want {
				var b0 byte
				var p []byte
				b0, p, b = decodeFrame(t, b)
				op, fin := b0&0x0F, b0&finBit != 0
				wantOp := byte(opContinuation)
				if i == 0 {
					wantOp = opBinary
				}
				if op != wantOp || fin != (i == len(tc.want)-1) || b0&0x70 != 0 || len(p) != n {
					t.Fatalf("size %d frame %d masked %v: op %#x fin %v len %d; want op %#x fin %v len %d",
						tc.size, i, masked, op, fin, len(p), wantOp, i == len(tc.want)-1, n)
				}
				got = append(got, p...)
			}
			if len(b) != 0 {
				t.Fatalf("size %d: %d bytes after the last frame", tc.size, len(b))
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("size %d masked %v: payload differs", tc.size, masked)
			}
		}
	}
}

func TestAppendFramesText(t *testing.T) {
	b := appendFrames(nil, opText, "héllo", 512<<10, false)
	if want := append([]byte{finBit | opText, 6}, "héllo"...); !bytes.Equal(b, want) {
		t.Fatalf("frame % x; want % x", b, want)
	}
}
