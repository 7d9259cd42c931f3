package wsserver_test

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals/signaltest"
)

// The Autobahn|Testsuite's fuzzing peer, rebuilt on rawPeer: it sends what
// a case sends (frames, chops, waits), records what the testee answers as
// Autobahn does (messages, pings, pongs, then the close frame and the end
// of TCP), and judges the outcome with Autobahn's rules (autobahn-testsuite,
// autobahntestsuite/case/case.py: Case.onConnectionLost), strictly: only
// Autobahn's OK passes; NON-STRICT, WRONG CODE, UNCLEAN, FAILED BY CLIENT,
// UNIMPLEMENTED and FAILED fail.
//
// One rule is stricter than Autobahn's: where the testee must fail the
// connection (or answer a close frame it refuses), Autobahn also accepts a
// bare TCP drop, or a close frame without a code. Qt, and so this project
// (ws §2.8), always sends a close frame with its code, so a close frame with
// one of Autobahn's codes is required. An empty close payload is accepted
// only as the answer to an empty close frame (7.3.1), which RFC 6455 §5.5.1
// lets an endpoint echo as it came.

// Bounds of the fuzzer's waits (Autobahn's killAfter/closeAfter are 0.5 to
// 10 s; these leave room for a loaded machine under -race).
const (
	abImmediate = 2 * time.Second  // for the testee to fail the connection "immediately"
	abCloseWait = 2 * time.Second  // for a close frame's answer, and for the end of TCP after the closing handshake
	abEchoWait  = 3 * time.Second  // for the echo of small messages before the fuzzer closes anyway
	abBulkWait  = 20 * time.Second // the same for the large transfers of categories 9, 12 and 13
	abWriteWait = 20 * time.Second // deadline of one write of the fuzzer
	abChopGap   = 200 * time.Microsecond
	abSyncGap   = time.Millisecond
)

// abEvent is one thing Autobahn records from the testee (Case.received).
type abEvent struct {
	kind    string // "message", "ping" or "pong"
	payload []byte
	binary  bool
	frames  []abFrameInfo // how a message came (not compared; see 10.1.1)
}

// abFrameInfo is one data frame of a message the testee sent.
type abFrameInfo struct {
	op  byte
	n   int
	fin bool
}

func abText(s string) abEvent   { return abEvent{kind: "message", payload: []byte(s)} }
func abBinary(b []byte) abEvent { return abEvent{kind: "message", payload: b, binary: true} }
func abPong(p string) abEvent   { return abEvent{kind: "pong", payload: []byte(p)} }

func (e abEvent) String() string {
	what := e.kind
	if e.kind == "message" {
		what = "text"
		if e.binary {
			what = "binary"
		}
	}
	if len(e.payload) <= 40 {
		return fmt.Sprintf("%s(%q)", what, e.payload)
	}
	return fmt.Sprintf("%s(%d bytes, sha1 %x)", what, len(e.payload), sha1.Sum(e.payload))
}

func (e abEvent) equal(o abEvent) bool {
	return e.kind == o.kind && e.binary == o.binary && bytes.Equal(e.payload, o.payload)
}

func abEventsEqual(a, b []abEvent) bool { return slices.EqualFunc(a, b, abEvent.equal) }

func abEventsString(evs []abEvent) string {
	if len(evs) > 8 {
		return fmt.Sprintf("%v … (%d events) … %v", evs[:3], len(evs), evs[len(evs)-2:])
	}
	return fmt.Sprintf("%v", evs)
}

// abExpect is a case's expected outcome: Case.expected and
// Case.expectedClose.
type abExpect struct {
	ok        []abEvent // Case.OK: the events, exactly, in wire order
	nonStrict []abEvent // Case.NON_STRICT (a failure here, named as such)
	dynamic   bool      // ok is what the case added with expectEvent while it ran

	closedByMe    bool     // the fuzzer starts the closing handshake; else the testee fails the connection
	codes         []uint16 // accepted close codes of the testee's close frame
	suppressClose bool     // the case sends its close frames itself (Case.suppressClose)
	matchWait     time.Duration

	// informational replaces the comparison of events, for Autobahn's
	// INFORMATIONAL cases (7.1.6), with the case's own check.
	informational func(f *abFuzzer, events []abEvent)
}

// abResult collects a case's failures, so that the runner can tell a
// listed known failure from a new one.
type abResult struct{ fails []string }

func (r *abResult) failf(format string, args ...any) {
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}

// abFuzzer is Autobahn's end of one connection.
type abFuzzer struct {
	t      testing.TB
	r      *abResult
	peer   *rawPeer
	mask   bool   // the fuzzer is the client (the testee is a server): its frames are masked
	testee string // "server" or "client"
	loop   *eventloop.Loop

	pmd       *abDeflate // permessage-deflate, when negotiated
	pmdFailed bool       // the negotiation failed (reported)
	autoFrag  int        // Autobahn's autoFragmentSize for sendMessage

	// afterTCP runs once the fuzzer has dropped TCP (client testee): it
	// checks that the testee saw the end.
	afterTCP func()

	// writer goroutine: a queue without bound, so that the test goroutine,
	// whose loop runs the testee, never blocks in a write.
	wmu     sync.Mutex
	wq      []abWrite
	wbusy   bool
	werr    error
	wnotify chan struct{}
	wstop   chan struct{}
	wdone   chan struct{}

	// the testee's frames, decoded on the test goroutine (poll)
	events     []abEvent
	want       []abEvent // the events a dynamic case expects
	closeFrame *wsFrame  // the testee's close frame
	closeFirst bool      // it came before the fuzzer had sent one
	after      []wsFrame // frames after it (RFC 6455 §5.5.1: none)
	violations []string
	msgOp      byte // opcode of the message being received; 0: none
	msgRsv1    bool
	msgBuf     []byte
	msgFrames  []abFrameInfo
	sentClose  []byte // payload of the fuzzer's first close frame; nil: none sent
	tcpClosed  bool
}

type abWrite struct {
	b   []byte
	gap time.Duration // pause before writing b
}

// newAbFuzzer drives peer (which reads in the background) from the test
// goroutine.
func newAbFuzzer(t testing.TB, r *abResult, peer *rawPeer, mask bool, testee string) *abFuzzer {
	f := &abFuzzer{t: t, r: r, peer: peer, mask: mask, testee: testee, loop: eventloop.Current(),
		wnotify: make(chan struct{}, 1), wstop: make(chan struct{}), wdone: make(chan struct{})}
	go f.writer()
	t.Cleanup(func() {
		close(f.wstop)
		_ = peer.conn.Close() // unblocks a write in progress
		<-f.wdone
	})
	peer.setWake(f.loop.WakeUp)
	return f
}

func (f *abFuzzer) writer() {
	defer close(f.wdone)
	for {
		f.wmu.Lock()
		if len(f.wq) == 0 {
			f.wbusy = false
			f.wmu.Unlock()
			f.loop.WakeUp()
			select {
			case <-f.wnotify:
				continue
			case <-f.wstop:
				return
			}
		}
		w := f.wq[0]
		f.wq = f.wq[1:]
		failed := f.werr != nil
		f.wmu.Unlock()
		if failed {
			continue // the testee has gone: drop the rest, as a closed socket does
		}
		if w.gap > 0 {
			time.Sleep(w.gap)
		}
		_ = f.peer.conn.SetWriteDeadline(time.Now().Add(abWriteWait))
		if _, err := f.peer.conn.Write(w.b); err != nil {
			f.wmu.Lock()
			f.werr = err
			f.wmu.Unlock()
		}
	}
}

func (f *abFuzzer) enqueue(b []byte, gap time.Duration) {
	f.wmu.Lock()
	f.wq = append(f.wq, abWrite{b: b, gap: gap})
	f.wbusy = true
	f.wmu.Unlock()
	select {
	case f.wnotify <- struct{}{}:
	default:
	}
}

// flush waits (running the loop) until everything queued is written.
func (f *abFuzzer) flush(d time.Duration) bool {
	return f.waitFor(func() bool {
		f.wmu.Lock()
		defer f.wmu.Unlock()
		return !f.wbusy && len(f.wq) == 0
	}, d)
}

// write queues the bytes of one or more frames, in chops of chop bytes
// (Autobahn's chopsize: each chop is its own write), after a pause if sync
// (Autobahn's sync: the frame is pushed onto the wire on its own).
func (f *abFuzzer) write(b []byte, chop int, sync bool) {
	var gap time.Duration
	if sync {
		gap = abSyncGap
	}
	if chop <= 0 || chop >= len(b) {
		f.enqueue(b, gap)
		return
	}
	chopGap := time.Duration(0)
	if len(b)/chop <= 1000 { // small frames in chops: let each chop arrive on its own
		chopGap = abChopGap
	}
	for i := 0; i < len(b); i += chop {
		g := chopGap
		if i == 0 {
			g = max(g, gap)
		}
		f.enqueue(b[i:min(i+chop, len(b))], g)
	}
}

// abOpts are the arguments of Autobahn's sendFrame besides opcode and
// payload (its payload_len is abRepeat).
type abOpts struct {
	noFin bool
	rsv   byte
	chop  int
	sync  bool
}

type abOpt func(*abOpts)

func abNoFin(o *abOpts)    { o.noFin = true }
func abSync(o *abOpts)     { o.sync = true }
func abRsv(r byte) abOpt   { return func(o *abOpts) { o.rsv = r } }
func abChop(n int) abOpt   { return func(o *abOpts) { o.chop = n } }
func abFin(fin bool) abOpt { return func(o *abOpts) { o.noFin = !fin } }
func abRepeat(p []byte, n int) []byte {
	return bytes.Repeat(p, n/len(p)+1)[:n]
}

// encode returns the wire bytes of one frame, masked with a fresh key when
// the fuzzer is the client.
func (f *abFuzzer) encode(fin bool, rsv, op byte, payload []byte) []byte {
	fr := wsFrame{Fin: fin, Rsv: rsv, Opcode: op, Payload: payload}
	if f.mask {
		fr.Masked, fr.Key = true, randomKey()
	}
	return encodeFrame(fr)
}

// sendFrame is Autobahn's sendFrame: raw, so a close frame sent with it
// does not start the fuzzer's closing handshake (3.7, 7.1.2).
func (f *abFuzzer) sendFrame(op byte, payload []byte, opts ...abOpt) {
	var o abOpts
	for _, fn := range opts {
		fn(&o)
	}
	f.write(f.encode(!o.noFin, o.rsv, op, payload), o.chop, o.sync)
}

// sendMessage is Autobahn's sendMessage: one frame, or frames of fragSize
// (else autoFrag) bytes; compressed when permessage-deflate is on.
func (f *abFuzzer) sendMessage(payload []byte, binary bool, fragSize int) {
	op := opText
	if binary {
		op = opBinary
	}
	var rsv byte
	if f.pmd != nil {
		payload, rsv = f.pmd.compress(payload), 4
	}
	if fragSize <= 0 {
		fragSize = f.autoFrag
	}
	if fragSize <= 0 || len(payload) <= fragSize {
		f.write(f.encode(true, rsv, op, payload), 0, false)
		return
	}
	var b []byte
	for i := 0; i < len(payload); i += fragSize {
		end := min(i+fragSize, len(payload))
		if i > 0 {
			op, rsv = opCont, 0
		}
		b = append(b, f.encode(end == len(payload), rsv, op, payload[i:end])...)
	}
	f.write(b, 0, false)
}

// frameParts returns one frame whose payload is sent in parts cut at cuts
// (Autobahn's beginMessageFrame and sendMessageFrameData): the header with
// the first part, then the others, all masked with the frame's one key.
func (f *abFuzzer) frameParts(fin bool, op byte, payload []byte, cuts ...int) [][]byte {
	b := f.encode(fin, 0, op, payload)
	head := len(b) - len(payload)
	var parts [][]byte
	from := 0
	for _, c := range cuts {
		parts = append(parts, b[from:head+c])
		from = head + c
	}
	return append(parts, b[from:])
}

// sendClose is Autobahn's sendClose (a code and a reason).
func (f *abFuzzer) sendClose(code uint16, reason string) {
	f.sendCloseRaw(closePayload(code, reason))
}

// sendCloseRaw is Autobahn's sendCloseFrame: a close frame with this
// payload, which starts the fuzzer's closing handshake.
func (f *abFuzzer) sendCloseRaw(payload []byte) {
	if f.sentClose == nil {
		f.sentClose = append([]byte{}, payload...)
	}
	f.sendFrame(opClose, payload)
}

// expectEvent adds e to what a dynamic case expects.
func (f *abFuzzer) expectEvent(e abEvent) { f.want = append(f.want, e) }

// echoed waits for the testee's answer to the last event expected, and
// reports whether it came and matched (the earlier ones were checked
// before).
func (f *abFuzzer) echoed(d time.Duration) bool {
	n := len(f.want)
	return f.waitFor(func() bool { return len(f.events) >= n || f.closed() }, d) &&
		len(f.events) == n && f.events[n-1].equal(f.want[n-1])
}

// waitFor runs the loop until cond holds (the testee's frames decoded
// before each check) or d passes.
func (f *abFuzzer) waitFor(cond func() bool, d time.Duration) bool {
	return signaltest.WaitFor(func() bool { f.poll(); return cond() }, d)
}

// closed reports whether the testee has sent its close frame or the TCP
// connection has ended.
func (f *abFuzzer) closed() bool { return f.closeFrame != nil || f.tcpClosed }

// quiet runs the loop for d (Autobahn's continueLater) and reports whether
// the connection was still open all the while.
func (f *abFuzzer) quiet(d time.Duration) bool {
	f.flush(abWriteWait)
	return !f.waitFor(f.closed, d)
}

// poll decodes the frames the reader has got so far.
func (f *abFuzzer) poll() {
	p := f.peer
	p.mu.Lock()
	frames := p.frames[p.next:]
	p.next = len(p.frames)
	ended := p.readErr != nil
	p.mu.Unlock()
	for _, fr := range frames {
		f.handle(fr)
	}
	if ended {
		f.tcpClosed = true
	}
}

func (f *abFuzzer) violatef(format string, args ...any) {
	if len(f.violations) < 10 {
		f.violations = append(f.violations, fmt.Sprintf(format, args...))
	}
}

// handle records one frame of the testee's, checking it as Autobahn's
// protocol does (a bad frame fails the case).
func (f *abFuzzer) handle(fr wsFrame) {
	if f.closeFrame != nil {
		f.after = append(f.after, fr)
		return
	}
	if fr.Masked == f.mask {
		f.violatef("frame %v is masked=%v; a %s must %smask its frames (RFC 6455 §5.1)",
			fr, fr.Masked, f.testee, map[bool]string{true: "", false: "not "}[!f.mask])
	}
	if fr.Opcode >= 3 && fr.Opcode <= 7 || fr.Opcode > opPong {
		f.violatef("frame %v has a reserved opcode", fr)
		return
	}
	if fr.Opcode >= opClose {
		if fr.Rsv != 0 || !fr.Fin || len(fr.Payload) > 125 {
			f.violatef("bad control frame %v (RSV set, no FIN or over 125 bytes)", fr)
		}
		switch fr.Opcode {
		case opPing:
			f.events = append(f.events, abEvent{kind: "ping", payload: fr.Payload})
			if f.sentClose == nil {
				f.sendFrame(opPong, fr.Payload) // Autobahn answers pings
			}
		case opPong:
			f.events = append(f.events, abEvent{kind: "pong", payload: fr.Payload})
		case opClose:
			c := fr
			f.closeFrame = &c
			f.closeFirst = f.sentClose == nil
			f.checkClosePayload(fr.Payload)
			if f.sentClose == nil { // Autobahn answers with the same code
				f.sendCloseRaw(fr.Payload[:min(2, len(fr.Payload))])
			}
		}
		return
	}
	rsv := fr.Rsv
	if fr.Opcode == opCont {
		if f.msgOp == 0 {
			f.violatef("continuation frame %v without a message to continue", fr)
			return
		}
	} else {
		if f.msgOp != 0 {
			f.violatef("data frame %v inside a fragmented message", fr)
		}
		f.msgOp, f.msgRsv1, f.msgBuf, f.msgFrames = fr.Opcode, false, nil, nil
		if rsv&4 != 0 && f.pmd != nil {
			f.msgRsv1, rsv = true, rsv&^4
		}
	}
	if rsv != 0 {
		f.violatef("frame %v has RSV bits that nothing negotiated", fr)
	}
	f.msgBuf = append(f.msgBuf, fr.Payload...)
	f.msgFrames = append(f.msgFrames, abFrameInfo{op: fr.Opcode, n: len(fr.Payload), fin: fr.Fin})
	if !fr.Fin {
		return
	}
	payload := f.msgBuf
	if f.msgRsv1 {
		var err error
		if payload, err = f.pmd.decompress(payload); err != nil {
			f.violatef("compressed message of %d bytes: %v", len(f.msgBuf), err)
		}
	}
	if f.msgOp == opText && !utf8.Valid(payload) {
		f.violatef("the %s sent a text message that is not UTF-8: %q", f.testee, payload[:min(len(payload), 40)])
	}
	f.events = append(f.events, abEvent{kind: "message", payload: payload, binary: f.msgOp == opBinary, frames: f.msgFrames})
	f.msgOp, f.msgBuf, f.msgFrames = 0, nil, nil
}

// checkClosePayload checks the testee's close frame itself.
func (f *abFuzzer) checkClosePayload(p []byte) {
	if len(p) == 1 {
		f.violatef("close frame with a 1-byte payload")
	}
	if len(p) >= 2 && !utf8.Valid(p[2:]) {
		f.violatef("close frame whose reason is not UTF-8: %q", p[2:])
	}
}

// finish ends the case as Autobahn does after its onOpen: it closes when
// the events match (closedByMe), or waits for the testee to fail the
// connection, then checks the closing handshake, the end of TCP, the
// events and the testee's frames.
func (f *abFuzzer) finish(ex abExpect) {
	r := f.r
	if !f.flush(abWriteWait) {
		r.failf("the fuzzer's writes did not finish within %v", abWriteWait)
	}
	ok := ex.ok
	if ex.dynamic {
		ok = f.want
	}
	if ex.closedByMe && !ex.suppressClose && f.sentClose == nil {
		// Case.finishWhenDone: close once the events match (or, with
		// closeAfter, when the time is up).
		wait := ex.matchWait
		if wait == 0 {
			wait = abEchoWait
		}
		f.waitFor(func() bool { return f.closed() || abEventsEqual(f.events, ok) || len(f.events) > len(ok) }, wait)
		if !f.closed() {
			f.sendClose(ex.codes[0], "")
			f.flush(abWriteWait)
		}
	}
	bound := abCloseWait
	if !ex.closedByMe {
		bound = abImmediate
	}
	f.waitFor(f.closed, bound)
	f.poll()

	// The close frame.
	switch {
	case f.closeFrame == nil && f.tcpClosed:
		r.failf("the %s closed TCP without a close frame; want a close frame with code %v", f.testee, ex.codes)
	case f.closeFrame == nil && ex.closedByMe:
		r.failf("no close frame answered the fuzzer's close (%x) within %v; want code %v", f.sentClose, bound, ex.codes)
	case f.closeFrame == nil:
		r.failf("the %s did not fail the connection within %v (no close frame); want a close frame with code %v",
			f.testee, bound, ex.codes)
	default:
		code, reason := f.closeFrame.closeCode()
		switch {
		case ex.closedByMe && f.closeFirst:
			r.failf("the %s closed the connection with %d %q where the fuzzer was to close it (the wrong endpoint closed)", f.testee, code, reason)
		case !ex.closedByMe && !f.closeFirst:
			r.failf("the fuzzer had to close (%x); the %s did not fail the connection", f.sentClose, f.testee)
		}
		switch {
		case len(f.closeFrame.Payload) == 0 && ex.closedByMe && len(f.sentClose) == 0:
			// an empty close echoed as it came (7.3.1)
		case len(f.closeFrame.Payload) == 0:
			r.failf("close frame without a code; want code %v", ex.codes)
		case !slices.Contains(ex.codes, code):
			r.failf("WRONG CODE: close frame %d %q; want code %v", code, reason, ex.codes)
		}
	}

	// The end of TCP: a server closes it (else Autobahn says "FAILED BY
	// CLIENT"); a client waits for the server (here the fuzzer) to close.
	if f.testee == "server" {
		if !f.waitFor(func() bool { return f.tcpClosed }, abCloseWait) {
			r.failf("the server did not close the TCP connection within %v after the close frames", abCloseWait)
		}
	} else {
		f.flush(abWriteWait) // the answer to its close frame
		f.peer.drop()
		if f.afterTCP != nil {
			f.afterTCP()
		}
	}
	f.poll()

	// The events.
	switch {
	case ex.informational != nil:
		ex.informational(f, f.events)
	case abEventsEqual(f.events, ok):
	case ex.nonStrict != nil && abEventsEqual(f.events, ex.nonStrict):
		r.failf("NON-STRICT: events %s; want %s (in wire order, before the close frame)",
			abEventsString(f.events), abEventsString(ok))
	default:
		r.failf("events %s; want %s", abEventsString(f.events), abEventsString(ok))
	}
	for _, v := range f.violations {
		r.failf("protocol: %s", v)
	}
	if len(f.after) > 0 {
		r.failf("frames after the close frame: %v", f.after[:min(len(f.after), 3)])
	}
}

// describe summarises what the testee did, for messages of custom checks.
func (f *abFuzzer) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "events %s", abEventsString(f.events))
	if f.closeFrame != nil {
		code, reason := f.closeFrame.closeCode()
		fmt.Fprintf(&b, ", close %d %q", code, reason)
	}
	if f.tcpClosed {
		b.WriteString(", TCP closed")
	}
	return b.String()
}
