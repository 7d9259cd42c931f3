package wire

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unsafe"
)

// A ProtocolError is a fault of the peer's that fails the connection, with
// the close code and reason Qt gives it.
type ProtocolError struct {
	Code   uint16
	Reason string
}

func (e *ProtocolError) Error() string {
	return "wire: protocol error " + strconv.Itoa(int(e.Code)) + ": " + e.Reason
}

// Qt's reasons for the faults the parser finds (QWebSocketFrame,
// QWebSocketDataProcessor), and the codes that go with them.
const (
	codeProtocolError = 1002
	codeWrongDatatype = 1007
	codeTooMuchData   = 1009
	codeGoingAway     = 1001

	reasonRsv               = "Rsv field is non-zero"
	reasonReservedOpcode    = "Used reserved opcode"
	reasonControlTooLarge   = "Control frame is larger than 125 bytes"
	reasonControlFragmented = "Control frames cannot be fragmented"
	reasonLength16          = "Lengths smaller than 126 must be expressed as one byte."
	reasonLengthMSB         = "Highest bit of payload length is not 0."
	reasonLength64          = "Lengths smaller than 65536 (2^16) must be expressed as 2 bytes."
	reasonFrameTooBig       = "Maximum framesize exceeded."
	reasonNothingToContinue = "Received Continuation frame, while there is nothing to continue."
	reasonMustContinue      = "All data frames after the initial data frame must have opcode 0 (continuation)."
	reasonMessageTooBig     = "Received message is too big."
	// ReasonInvalidUTF8 is Qt's reason for text that is not UTF-8.
	ReasonInvalidUTF8 = "Invalid UTF-8 code encountered."
	// ReasonUnmasked is the reason for an unmasked frame from a client,
	// which Qt accepts and RFC 6455 refuses.
	ReasonUnmasked = "Frame from a client is not masked."
	// ReasonStalled is Qt's reason for a frame that stopped arriving.
	ReasonStalled = "Timeout when reading data from socket."
	// reasonBadCompression is the reason for a compressed message that
	// does not inflate (RFC 7692 §8: fail the connection).
	reasonBadCompression = "Invalid compressed data."
)

// An EventKind says what an Event is.
type EventKind uint8

// The kinds of events, in the order the peer's frames bring them.
const (
	// EventFrame is a data frame: Text or Data holds the frame's payload
	// (for text, the whole characters received so far in the message that
	// no earlier frame event carried), Fin whether it ends the message.
	// When it does, MessageText or MessageData holds the whole message.
	EventFrame EventKind = iota
	EventPing            // Data is the payload; the pong is the Conn's to send
	EventPong            // Data is the payload
	EventClose           // Data is the close frame's payload
	EventError           // the peer broke the protocol: Err is a *ProtocolError
	EventEnd             // the peer's stream ended or failed: Err says how
)

// An Event is one thing the peer sent, or the end of what it sends.
type Event struct {
	Kind        EventKind
	Op          byte // OpText or OpBinary for EventFrame
	Fin         bool
	Text        string
	Data        []byte
	MessageText string
	MessageData []byte
	Err         error
}

// A parser turns the bytes a peer sends into events. It is fed from the
// reader goroutine; it holds the message being received in the buffer
// that will be delivered (sized from the frame header) and reads large
// payloads straight into it (direct).
type parser struct {
	server   bool // this side is the server: frames must be masked
	deflate  bool // permessage-deflate was negotiated: RSV1 marks compression
	inflater *decompressor
	limits   *limits

	// the frame header being read
	hdr  [maxHeader]byte
	hn   int // header bytes held
	hlen int // the header's full length, once its first two bytes are in

	// the frame whose payload is being read
	inFrame bool
	op      byte
	fin     bool
	masked  bool
	key     [4]byte
	kpos    int
	length  uint64 // the frame's payload length
	got     uint64 // payload bytes received
	ctrl    [MaxControlPayload]byte

	// the message being received
	msgOp      byte // 0: none
	compressed bool
	msg        []byte // the message so far (for a compressed one, the compressed bytes)
	frameStart int    // where the current frame begins in msg
	textStart  int    // the first byte of text no frame event has carried yet
	valid      int    // msg[:valid] is whole, valid characters

	events []Event
	failed bool // a protocol error or a close frame ended parsing
}

// limits are the sizes a reader refuses (Qt's
// maxAllowedIncomingFrameSize and maxAllowedIncomingMessageSize).
type limits struct {
	frame, message func() uint64
}

// initialReserve is how much of a large payload's buffer is allocated when
// its frame header arrives; the rest grows as the bytes do, so that a peer
// announcing a huge frame costs memory only for what it sends.
const initialReserve = 64 << 10

// partial reports whether a frame, or a fragmented message, has begun and
// is not complete: where Qt's parser arms its idle timer.
func (p *parser) partial() bool { return p.hn > 0 || p.inFrame || p.msgOp != 0 }

// feed parses b, bytes just read.
func (p *parser) feed(b []byte) {
	for len(b) > 0 && !p.failed {
		if !p.inFrame {
			b = p.feedHeader(b)
			continue
		}
		rest := p.length - p.got
		n := len(b)
		if uint64(n) > rest {
			n = int(rest)
		}
		if isControl(p.op) {
			chunk := p.ctrl[p.got : p.got+uint64(n)]
			copy(chunk, b[:n])
			if p.masked {
				p.kpos = maskBytes(chunk, p.key, p.kpos)
			}
			p.got += uint64(n)
		} else {
			p.reserve(n)
			start := len(p.msg)
			p.msg = append(p.msg, b[:n]...)
			p.payloadIn(start)
		}
		b = b[n:]
		if p.got == p.length {
			p.endFrame()
		}
	}
}

// direct returns the free room of the message buffer that the next read
// may fill straight, or nil when the next bytes must go through feed: no
// data payload is being read, or too little of it is left to be worth a
// read of its own.
func (p *parser) direct(min int) []byte {
	if !p.inFrame || isControl(p.op) || p.failed {
		return nil
	}
	rest := p.length - p.got
	if rest < uint64(min) {
		return nil
	}
	p.reserve(int(rest))
	room := p.msg[len(p.msg):cap(p.msg)]
	if uint64(len(room)) > rest {
		room = room[:rest]
	}
	return room
}

// consumeDirect takes n bytes read into what direct returned.
func (p *parser) consumeDirect(n int) {
	start := len(p.msg)
	p.msg = p.msg[:start+n]
	p.payloadIn(start)
	if p.got == p.length {
		p.endFrame()
	}
}

// reserve makes room in msg for up to n more payload bytes: all of them
// for a small first frame; for a large one, initialReserve, then doubling
// as the bytes come, so that a peer announcing a huge frame costs memory
// only for what it sends; for later frames of a message, at least double,
// so that many small fragments cost linear time.
func (p *parser) reserve(n int) {
	l := len(p.msg)
	if cap(p.msg)-l >= n {
		return
	}
	want := l + min(n, max(initialReserve, l))
	if l > 0 {
		want = max(want, 2*l)
	}
	if want <= cap(p.msg) {
		return
	}
	grown := make([]byte, l, want)
	copy(grown, p.msg)
	p.msg = grown
}

// payloadIn unmasks and checks the payload bytes msg[start:] just added.
func (p *parser) payloadIn(start int) {
	added := p.msg[start:]
	p.got += uint64(len(added))
	if p.masked {
		p.kpos = maskBytes(added, p.key, p.kpos)
	}
	if p.msgOp == OpText && !p.compressed {
		n, ok := checkUTF8(p.msg[p.valid:])
		if !ok {
			p.fail(codeWrongDatatype, ReasonInvalidUTF8)
			return
		}
		p.valid += n
	}
}

// feedHeader takes header bytes from b and returns the rest of b.
func (p *parser) feedHeader(b []byte) []byte {
	need := 2
	if p.hn >= 2 {
		need = p.hlen
	}
	n := copy(p.hdr[p.hn:need], b)
	p.hn += n
	b = b[n:]
	if p.hn < need {
		return b
	}
	if need == 2 {
		if !p.checkFirstBytes() {
			return nil
		}
		if p.hn < p.hlen {
			return b
		}
	}
	p.beginFrame()
	return b
}

// checkFirstBytes applies Qt's checks of a header's first two bytes
// (QWebSocketFrame::checkValidity) and works out the header's length.
func (p *parser) checkFirstBytes() bool {
	b0, b1 := p.hdr[0], p.hdr[1]
	op, fin, rsv := b0&0x0F, b0&finBit != 0, b0&0x70
	len7 := b1 & 0x7F
	switch {
	case rsv != 0 && !(p.deflate && rsv == rsv1Bit && op != OpContinuation && !isControl(op)):
		p.fail(codeProtocolError, reasonRsv)
	case isReserved(op):
		p.fail(codeProtocolError, reasonReservedOpcode)
	case isControl(op) && len7 > MaxControlPayload:
		p.fail(codeProtocolError, reasonControlTooLarge)
	case isControl(op) && !fin:
		p.fail(codeProtocolError, reasonControlFragmented)
	case p.server && b1&maskBit == 0:
		p.fail(codeProtocolError, ReasonUnmasked)
	}
	if p.failed {
		return false
	}
	p.hlen = 2
	switch len7 {
	case 126:
		p.hlen += 2
	case 127:
		p.hlen += 8
	}
	if b1&maskBit != 0 {
		p.hlen += 4
	}
	return true
}

// beginFrame checks a complete header (the length's form, the limits, the
// frame's place in the message) and starts reading its payload.
func (p *parser) beginFrame() {
	h := p.hdr[:p.hlen]
	p.hn = 0
	b0, b1 := h[0], h[1]
	op, fin, rsv1 := b0&0x0F, b0&finBit != 0, b0&rsv1Bit != 0
	length := uint64(b1 & 0x7F)
	rest := h[2:]
	switch length {
	case 126:
		length, rest = uint64(binary.BigEndian.Uint16(rest)), rest[2:]
		if length < 126 {
			p.fail(codeProtocolError, reasonLength16)
			return
		}
	case 127:
		length, rest = binary.BigEndian.Uint64(rest), rest[8:]
		if length&(1<<63) != 0 {
			p.fail(codeProtocolError, reasonLengthMSB)
			return
		}
		if length <= 0xFFFF {
			p.fail(codeProtocolError, reasonLength64)
			return
		}
	}
	p.op, p.fin, p.length, p.got, p.kpos = op, fin, length, 0, 0
	p.masked = b1&maskBit != 0
	if p.masked {
		copy(p.key[:], rest)
	}
	if length > 0 && length > p.limits.frame() {
		p.fail(codeTooMuchData, reasonFrameTooBig)
		return
	}
	if !isControl(op) {
		switch {
		case op == OpContinuation && p.msgOp == 0:
			p.fail(codeProtocolError, reasonNothingToContinue)
			return
		case op != OpContinuation && p.msgOp != 0:
			p.fail(codeProtocolError, reasonMustContinue)
			return
		}
		if op != OpContinuation {
			p.msgOp, p.compressed = op, rsv1
			p.msg, p.textStart, p.valid = nil, 0, 0
		}
		if !p.compressed && uint64(len(p.msg))+length > p.limits.message() {
			p.fail(codeTooMuchData, reasonMessageTooBig)
			return
		}
		p.frameStart = len(p.msg)
		if length <= initialReserve {
			p.reserve(int(length))
		}
	}
	p.inFrame = true
	if length == 0 {
		p.endFrame()
	}
}

// endFrame turns a complete frame into its events.
func (p *parser) endFrame() {
	p.inFrame = false
	if isControl(p.op) {
		payload := append([]byte(nil), p.ctrl[:p.got]...)
		switch p.op {
		case OpPing:
			p.events = append(p.events, Event{Kind: EventPing, Data: payload})
		case OpPong:
			p.events = append(p.events, Event{Kind: EventPong, Data: payload})
		case OpClose:
			p.events = append(p.events, Event{Kind: EventClose, Data: payload})
			p.failed = true // nothing after a close frame is read
		}
		return
	}
	if p.compressed {
		if p.fin {
			p.endCompressed()
		}
		return
	}
	ev := Event{Kind: EventFrame, Op: p.msgOp, Fin: p.fin}
	if p.msgOp == OpText {
		if p.fin && p.valid != len(p.msg) {
			p.fail(codeWrongDatatype, ReasonInvalidUTF8) // the message ends inside a character
			return
		}
		ev.Text = bytesString(p.msg[p.textStart:p.valid])
		p.textStart = p.valid
		if p.fin {
			ev.MessageText = bytesString(p.msg)
		}
	} else {
		ev.Data = p.msg[p.frameStart:len(p.msg):len(p.msg)]
		if p.fin {
			ev.MessageData = p.msg[:len(p.msg):len(p.msg)]
		}
	}
	p.events = append(p.events, ev)
	if p.fin {
		p.msgOp, p.msg = 0, nil
	}
}

// endCompressed inflates a compressed message and delivers it as one
// frame: the frames of a compressed message carry no boundaries of the
// text inside.
func (p *parser) endCompressed() {
	out, err := p.inflater.decompress(nil, p.msg, int64(min(p.limits.message(), maxInt)))
	op := p.msgOp
	p.msgOp, p.msg = 0, nil
	switch {
	case errors.Is(err, errTooBig):
		p.fail(codeTooMuchData, reasonMessageTooBig)
		return
	case err != nil: // RFC 7692 §8: fail the connection
		p.fail(codeWrongDatatype, reasonBadCompression)
		return
	}
	ev := Event{Kind: EventFrame, Op: op, Fin: true}
	if op == OpText {
		if n, ok := checkUTF8(out); !ok || n != len(out) {
			p.fail(codeWrongDatatype, ReasonInvalidUTF8)
			return
		}
		ev.Text = bytesString(out)
		ev.MessageText = ev.Text
	} else {
		ev.Data = out[:len(out):len(out)]
		ev.MessageData = ev.Data
	}
	p.events = append(p.events, ev)
}

const maxInt = uint64(^uint(0) >> 1)

// fail ends parsing with a protocol error.
func (p *parser) fail(code uint16, reason string) {
	p.failed = true
	p.events = append(p.events, Event{Kind: EventError, Err: &ProtocolError{Code: code, Reason: reason}})
}

// bytesString returns b as a string without copying it. The parser never
// writes to bytes it has handed out: a message's buffer belongs to its
// events once they are made, and later frames only append past them.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
