package wsserver_test

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The Autobahn|Testsuite's cases (autobahntestsuite/case/*.py), one entry
// per case id, with what each sends and expects. Waits that only pace the
// fuzzer are shorter than Autobahn's 1 s continueLater (abPause), and the
// sizes of category 9 and the message counts of categories 12 and 13 are
// reduced (abCat9Max, abDeflateCount): the machine has 2 shared cores and
// the suite runs under -race.

// abCase is one Autobahn case.
type abCase struct {
	id     string
	cfg    abConfig
	run    func(f *abFuzzer) // Case.onOpen and what it schedules
	expect abExpect
}

// abConfig is how the testee is set up for a case.
type abConfig struct {
	offer     string // Sec-WebSocket-Extensions offer of the fuzzer (server testee only)
	frameSize int    // the testee's SetOutgoingFrameSize
}

var (
	abNormal   = []uint16{1000}
	abProtocol = []uint16{1002}
	abInvalid  = []uint16{1007}
)

// abPause stands for Autobahn's continueLater(1) where the testee must do
// nothing meanwhile.
const abPause = 250 * time.Millisecond

// abEcho: the testee answers with ok; the fuzzer closes (1000), cleanly.
func abEcho(ok ...abEvent) abExpect { return abExpect{ok: ok, closedByMe: true, codes: abNormal} }

// abFail: the testee fails the connection with one of codes, after ok.
func abFail(codes []uint16, ok ...abEvent) abExpect { return abExpect{ok: ok, codes: codes} }

// abStrictFail is abFail for the cases whose NON-STRICT outcome is []: the
// echo of the valid message before the error must come, before the close
// frame.
func abStrictFail(codes []uint16, ok ...abEvent) abExpect {
	ex := abFail(codes, ok...)
	ex.nonStrict = []abEvent{}
	return ex
}

// abCloses: the fuzzer sends its own close frames (suppressClose); the
// testee answers with one of codes, and sends nothing else.
func abCloses(codes ...uint16) abExpect {
	return abExpect{closedByMe: true, codes: codes, suppressClose: true}
}

// abCases returns the cases of categories 1 to 10, in Autobahn's order.
func abCases() []abCase {
	var cs []abCase
	add := func(id string, ex abExpect, run func(f *abFuzzer)) {
		cs = append(cs, abCase{id: id, expect: ex, run: run})
	}
	b := func(s string) []byte { return []byte(s) }
	hello := b("Hello, world!")

	// 1 Framing: text (1.1) and binary (1.2) messages of 0 to 64 KiB; the
	// last one sent in chops of 997 bytes.
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536, 65536}
	for i, n := range lengths {
		p := b(strings.Repeat("*", n))
		add(fmt.Sprintf("1.1.%d", i+1), abEcho(abText(string(p))), func(f *abFuzzer) { f.sendFrame(opText, p, abChop(chopOf(i))) })
	}
	for i, n := range lengths {
		p := b(strings.Repeat("\xfe", n))
		add(fmt.Sprintf("1.2.%d", i+1), abEcho(abBinary(p)), func(f *abFuzzer) { f.sendFrame(opBinary, p, abChop(chopOf(i))) })
	}

	// 2 Pings and pongs.
	for i, p := range [][]byte{nil, b("Hello, world!"), b("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"), b(strings.Repeat("\xfe", 125))} {
		add(fmt.Sprintf("2.%d", i+1), abEcho(abPong(string(p))), func(f *abFuzzer) { f.sendFrame(opPing, p) })
	}
	add("2.5", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(opPing, b(strings.Repeat("\xfe", 126))) })
	add("2.6", abEcho(abPong(strings.Repeat("\xfe", 125))), func(f *abFuzzer) {
		f.sendFrame(opPing, b(strings.Repeat("\xfe", 125)), abChop(1))
	})
	add("2.7", abExpect{closedByMe: true, codes: abNormal}, func(f *abFuzzer) {
		f.sendFrame(opPong, nil)
		f.sendClose(1000, "")
	})
	add("2.8", abExpect{closedByMe: true, codes: abNormal}, func(f *abFuzzer) {
		f.sendFrame(opPong, b("unsolicited pong payload"))
		f.sendClose(1000, "")
	})
	add("2.9", abEcho(abPong("ping payload")), func(f *abFuzzer) {
		f.sendFrame(opPong, b("unsolicited pong payload"))
		f.sendFrame(opPing, b("ping payload"))
	})
	var pongs []abEvent
	for i := range 10 {
		pongs = append(pongs, abPong(fmt.Sprintf("payload-%d", i)))
	}
	for _, c := range []struct {
		id   string
		chop int
	}{{"2.10", 0}, {"2.11", 1}} {
		id, chop := c.id, c.chop
		add(id, abEcho(pongs...), func(f *abFuzzer) {
			for i := range 10 {
				f.sendFrame(opPing, b(fmt.Sprintf("payload-%d", i)), abChop(chop))
			}
		})
	}

	// 3 Reserved bits: the connection fails at the frame with RSV set,
	// after the echo of the valid message before it; no pong for the ping
	// after it.
	add("3.1", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(opText, hello, abRsv(1)) })
	add("3.2", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
		f.sendFrame(opText, hello)
		f.sendFrame(opText, hello, abRsv(2))
		f.sendFrame(opPing, nil)
	})
	add("3.3", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
		f.sendFrame(opText, hello, abSync)
		f.sendFrame(opText, hello, abRsv(3), abSync)
		f.sendFrame(opPing, nil, abSync)
	})
	add("3.4", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
		f.sendFrame(opText, hello, abChop(1))
		f.sendFrame(opText, hello, abRsv(4), abChop(1))
		f.sendFrame(opPing, nil, abChop(1))
	})
	add("3.5", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(opBinary, b("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"), abRsv(5)) })
	add("3.6", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(opBinary, hello, abRsv(6)) }) // Autobahn's 3.6 sends a binary frame
	add("3.7", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(opClose, nil, abRsv(7)) })

	// 4 Opcodes: reserved non-control (4.1) and control (4.2) opcodes.
	for _, g := range []struct {
		sub string
		ops [5]byte
	}{{"4.1", [5]byte{3, 4, 5, 6, 7}}, {"4.2", [5]byte{11, 12, 13, 14, 15}}} {
		add(g.sub+".1", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(g.ops[0], nil) })
		add(g.sub+".2", abFail(abProtocol), func(f *abFuzzer) { f.sendFrame(g.ops[1], b("reserved opcode payload")) })
		add(g.sub+".3", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
			f.sendFrame(opText, hello)
			f.sendFrame(g.ops[2], nil)
			f.sendFrame(opPing, nil)
		})
		add(g.sub+".4", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
			f.sendFrame(opText, hello)
			f.sendFrame(g.ops[3], hello)
			f.sendFrame(opPing, nil)
		})
		add(g.sub+".5", abStrictFail(abProtocol, abText("Hello, world!")), func(f *abFuzzer) {
			f.sendFrame(opText, hello, abChop(1))
			f.sendFrame(g.ops[4], hello, abChop(1))
			f.sendFrame(opPing, nil, abChop(1))
		})
	}

	// 5 Fragmentation.
	frag := func(i int) []byte { return b(fmt.Sprintf("fragment%d", i)) }
	for i, op := range []byte{opPing, opPong} {
		id := fmt.Sprintf("5.%d", i+1)
		add(id, abFail(abProtocol), func(f *abFuzzer) {
			f.sendFrame(op, frag(1), abNoFin)
			f.sendFrame(opCont, frag(2))
		})
	}
	for i, how := range []abOpt{nil, abSync, abChop(1)} { // 5.3-5.5 and 5.6-5.8: one chop, frame-wise, octet-wise
		opts := []abOpt{}
		if how != nil {
			opts = append(opts, how)
		}
		with := func(o ...abOpt) []abOpt { return append(o, opts...) }
		add(fmt.Sprintf("5.%d", 3+i), abEcho(abText("fragment1fragment2")), func(f *abFuzzer) {
			f.sendFrame(opText, frag(1), with(abNoFin)...)
			f.sendFrame(opCont, frag(2), with()...)
		})
		add(fmt.Sprintf("5.%d", 6+i), abEcho(abPong("ping payload"), abText("fragment1fragment2")), func(f *abFuzzer) {
			f.sendFrame(opText, frag(1), with(abNoFin)...)
			f.sendFrame(opPing, b("ping payload"), with()...)
			f.sendFrame(opCont, frag(2), with()...)
		})
		for j, fin := range []bool{true, false} { // 5.9-5.11: FIN set; 5.12-5.14: not
			add(fmt.Sprintf("5.%d", 9+3*j+i), abFail(abProtocol), func(f *abFuzzer) {
				f.sendFrame(opCont, b("non-continuation payload"), with(abFin(fin))...)
				f.sendFrame(opText, hello, with()...)
			})
		}
	}
	add("5.15", abStrictFail(abProtocol, abText("fragment1fragment2")), func(f *abFuzzer) {
		f.sendFrame(opText, frag(1), abNoFin)
		f.sendFrame(opCont, frag(2))
		f.sendFrame(opCont, frag(3), abNoFin)
		f.sendFrame(opText, frag(4))
	})
	for i, fin := range []bool{false, true} {
		id := fmt.Sprintf("5.%d", 16+i)
		add(id, abFail(abProtocol), func(f *abFuzzer) {
			for range 2 {
				f.sendFrame(opCont, frag(1), abFin(fin))
				f.sendFrame(opText, frag(2), abNoFin)
				f.sendFrame(opCont, frag(3))
			}
		})
	}
	add("5.18", abFail(abProtocol), func(f *abFuzzer) {
		f.sendFrame(opText, frag(1), abNoFin)
		f.sendFrame(opText, frag(2))
	})
	for i, sync := range []bool{false, true} {
		id := fmt.Sprintf("5.%d", 19+i)
		var opts []abOpt
		if sync {
			opts = append(opts, abSync)
		}
		with := func(o ...abOpt) []abOpt { return append(o, opts...) }
		add(id, abEcho(abPong("pongme 1!"), abPong("pongme 2!"), abText("fragment1fragment2fragment3fragment4fragment5")), func(f *abFuzzer) {
			f.sendFrame(opText, frag(1), with(abNoFin)...)
			f.sendFrame(opCont, frag(2), with(abNoFin)...)
			f.sendFrame(opPing, b("pongme 1!"), with()...)
			// "The peer immediately answers the first Ping before it has
			// received the last text message fragment."
			if !f.waitFor(func() bool { return len(f.events) > 0 || f.closed() }, time.Second) {
				f.r.failf("the first ping was not answered within 1s while the message was incomplete; %s", f.describe())
			}
			if !f.quiet(abPause / 2) {
				return
			}
			f.sendFrame(opCont, frag(3), with(abNoFin)...)
			f.sendFrame(opCont, frag(4), with(abNoFin)...)
			f.sendFrame(opPing, b("pongme 2!"), with()...)
			f.sendFrame(opCont, frag(5), with()...)
		})
	}

	// 6 UTF-8.
	add("6.1.1", abEcho(abText("")), func(f *abFuzzer) { f.sendFrame(opText, nil) })
	add("6.1.2", abEcho(abText("")), func(f *abFuzzer) {
		f.sendFrame(opText, nil, abNoFin)
		f.sendFrame(opCont, nil, abNoFin)
		f.sendFrame(opCont, nil)
	})
	add("6.1.3", abEcho(abText("middle frame payload")), func(f *abFuzzer) {
		f.sendFrame(opText, nil, abNoFin)
		f.sendFrame(opCont, b("middle frame payload"), abNoFin)
		f.sendFrame(opCont, nil)
	})
	const hellos = "Hello-µ@ßöäüàá-UTF-8!!"
	const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	add("6.2.1", abEcho(abText(hellos)), func(f *abFuzzer) { f.sendMessage(b(hellos), false, 0) })
	add("6.2.2", abEcho(abText(hellos)), func(f *abFuzzer) {
		f.sendFrame(opText, b("Hello-µ@ßöä"), abNoFin)
		f.sendFrame(opCont, b("üàá-UTF-8!!"))
	})
	add("6.2.3", abEcho(abText(hellos)), func(f *abFuzzer) { f.sendMessage(b(hellos), false, 1) })
	add("6.2.4", abEcho(abText(kosme)), func(f *abFuzzer) { f.sendMessage(b(kosme), false, 1) })
	const badSurrogate = kosme + "\xed\xa0\x80" + "edited" // invalid at byte 12
	for i, size := range []int{0, 1} {
		add(fmt.Sprintf("6.3.%d", i+1), abFail(abInvalid), func(f *abFuzzer) { f.sendMessage(b(badSurrogate), false, size) })
	}
	// 6.4: fail fast. The first part is valid; the connection must be
	// failed at the part (a frame in 6.4.1/6.4.2, a chop of one frame in
	// 6.4.3/6.4.4) that makes the text impossible, before the rest comes.
	const tooHigh = kosme + "\xf4\x90\x80\x80" + "edited" // U+110000: invalid at byte 12 (0x90)
	for i, cuts := range [][2]int{{11, 15}, {12, 13}, {11, 15}, {12, 13}} {
		oneFrame := i >= 2
		add(fmt.Sprintf("6.4.%d", i+1), abFail(abInvalid), func(f *abFuzzer) {
			var parts [][]byte
			if oneFrame {
				parts = f.frameParts(false, opText, b(tooHigh), cuts[0], cuts[1])
			} else {
				parts = [][]byte{
					f.encode(false, 0, opText, b(tooHigh[:cuts[0]])),
					f.encode(false, 0, opCont, b(tooHigh[cuts[0]:cuts[1]])),
					f.encode(true, 0, opCont, b(tooHigh[cuts[1]:])),
				}
			}
			f.write(parts[0], 0, false)
			if !f.quiet(abPause) {
				f.r.failf("the connection was failed before the invalid part was sent (after %x); %s", tooHigh[:cuts[0]], f.describe())
				return
			}
			f.write(parts[1], 0, false)
			if f.quiet(time.Second) { // Autobahn waits 1 s ("timeout B")
				f.r.failf("NON-STRICT: not failed within 1s of the part %x that made the text invalid (fail fast); sending the rest", tooHigh[cuts[0]:cuts[1]])
				f.write(parts[2], 0, false)
				if oneFrame {
					f.write(f.encode(true, 0, opCont, nil), 0, false) // endMessage
				}
			}
		})
	}
	for _, g := range abUTF8Groups() {
		for j, s := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", g.sub, j+1)
			ex := abFail(abInvalid)
			if s.valid {
				ex = abEcho(abText(s.b))
			}
			add(id, ex, func(f *abFuzzer) { f.sendMessage(b(s.b), false, 0) })
		}
	}

	// 7 Close handling.
	add("7.1.1", abEcho(abText("Hello World!")), func(f *abFuzzer) { f.sendFrame(opText, b("Hello World!")) })
	add("7.1.2", abCloses(1000), func(f *abFuzzer) {
		f.sendClose(1000, "")
		f.sendFrame(opClose, nil)
	})
	add("7.1.3", abCloses(1000), func(f *abFuzzer) {
		f.sendClose(1000, "")
		f.sendFrame(opPing, nil)
	})
	add("7.1.4", abCloses(1000), func(f *abFuzzer) {
		f.sendClose(1000, "")
		f.sendFrame(opText, b("Hello World!"))
	})
	add("7.1.5", abCloses(1000), func(f *abFuzzer) {
		f.sendFrame(opText, frag(1), abNoFin)
		f.sendClose(1000, "")
		f.sendFrame(opCont, frag(2))
	})
	big := abRepeat(b("BAsd7&jh23"), 256<<10)
	ex := abCloses(1000)
	ex.informational = func(f *abFuzzer, evs []abEvent) {
		// INFORMATIONAL in Autobahn: the echoes may or may not come (the
		// close may be handled first), but only whole, in order, and no
		// pong for the ping after the close.
		want := []abEvent{abText(string(big)), abText("Hello World!")}
		if len(evs) > len(want) || !abEventsEqual(evs, want[:len(evs)]) {
			f.r.failf("events %s; want a prefix of %s", abEventsString(evs), abEventsString(want))
		}
	}
	add("7.1.6", ex, func(f *abFuzzer) {
		f.sendFrame(opText, big)
		f.sendFrame(opText, b("Hello World!"))
		f.sendClose(1000, "")
		f.sendFrame(opPing, nil)
	})
	add("7.3.1", abCloses(1000), func(f *abFuzzer) { f.sendCloseRaw(nil) })
	add("7.3.2", abCloses(1002), func(f *abFuzzer) { f.sendCloseRaw(b("a")) })
	add("7.3.3", abCloses(1000), func(f *abFuzzer) { f.sendClose(1000, "") })
	add("7.3.4", abCloses(1000), func(f *abFuzzer) { f.sendClose(1000, "Hello World!") })
	add("7.3.5", abCloses(1000), func(f *abFuzzer) { f.sendClose(1000, strings.Repeat("*", 123)) })
	add("7.3.6", abCloses(1002), func(f *abFuzzer) { f.sendClose(1000, strings.Repeat("*", 124)) })
	// 7.5.1: a close reason that is not UTF-8 is answered with 1002 or 1007.
	add("7.5.1", abCloses(1002, 1007), func(f *abFuzzer) { f.sendClose(1000, badSurrogate) })
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		add(fmt.Sprintf("7.7.%d", i+1), abCloses(1000, code), func(f *abFuzzer) { f.sendClose(code, "") })
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		add(fmt.Sprintf("7.9.%d", i+1), abCloses(1002), func(f *abFuzzer) { f.sendClose(code, "") })
	}
	// 7.13: INFORMATIONAL in Autobahn; what it accepts is checked.
	for i, code := range []uint16{5000, 65535} {
		add(fmt.Sprintf("7.13.%d", i+1), abCloses(1000, code, 1002), func(f *abFuzzer) { f.sendClose(code, "") })
	}

	// 9 Limits and performance. The payloads are made when a case runs
	// (dynamic expectations): there are 100 MB of them.
	bulk := abExpect{dynamic: true, closedByMe: true, codes: abNormal, matchWait: abBulkWait}
	textP, binP := b("BAsd7&jh23"), b("\x00\xfe\x23\xfa\xf0")
	// one sends a message of n bytes made of pattern, with send.
	one := func(binary bool, pattern []byte, n int, send func(f *abFuzzer, m []byte)) func(f *abFuzzer) {
		return func(f *abFuzzer) {
			m := abRepeat(pattern, n)
			f.expectEvent(abEvent{kind: "message", payload: m, binary: binary})
			send(f, m)
		}
	}
	frame := func(op byte, opts ...abOpt) func(f *abFuzzer, m []byte) {
		return func(f *abFuzzer, m []byte) { f.sendFrame(op, m, opts...) }
	}
	message := func(binary bool, fragSize int) func(f *abFuzzer, m []byte) {
		return func(f *abFuzzer, m []byte) { f.sendMessage(m, binary, fragSize) }
	}
	for i, n := range abCat9Sizes {
		add(fmt.Sprintf("9.1.%d", i+1), bulk, one(false, textP, n, frame(opText)))
	}
	for i, n := range abCat9Sizes {
		add(fmt.Sprintf("9.2.%d", i+1), bulk, one(true, binP, n, frame(opBinary)))
	}
	fragSizes := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, fs := range fragSizes {
		add(fmt.Sprintf("9.3.%d", i+1), bulk, one(false, b("*"), abCat9Frag, message(false, fs)))
	}
	for i, fs := range fragSizes {
		add(fmt.Sprintf("9.4.%d", i+1), bulk, one(true, b("\xfe"), abCat9Frag, message(true, fs)))
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for i, chop := range chops {
		add(fmt.Sprintf("9.5.%d", i+1), bulk, one(false, textP, abCat9Chop, frame(opText, abChop(chop))))
	}
	for i, chop := range chops {
		add(fmt.Sprintf("9.6.%d", i+1), bulk, one(true, binP, abCat9Chop, frame(opBinary, abChop(chop))))
	}
	// 9.7 (text) and 9.8 (binary): 1000 round trips each, one message at a
	// time.
	for j, binary := range []bool{false, true} {
		sub := fmt.Sprintf("9.%d", 7+j)
		for i, n := range []int{0, 16, 64, 256, 1024, 4096} {
			add(fmt.Sprintf("%s.%d", sub, i+1), bulk, func(f *abFuzzer) {
				op, e := opText, abText(strings.Repeat("*", n))
				if binary {
					op, e = opBinary, abBinary(abRepeat(b("\xfe"), n))
				}
				for range 1000 {
					f.sendFrame(op, e.payload)
					f.expectEvent(e)
					if !f.echoed(abEchoWait) {
						return
					}
				}
			})
		}
	}

	// 10 Auto-fragmentation: Autobahn sends 64 KiB in frames of 1300
	// bytes. The testee is set to frames of 1300 bytes too (its Qt-style
	// OutgoingFrameSize, this project's auto-fragmentation): its echo must
	// come in the same 51 frames.
	p := b(strings.Repeat("*", 65536))
	ex = abEcho(abText(string(p)))
	ex.informational = func(f *abFuzzer, evs []abEvent) {
		if !abEventsEqual(evs, ex.ok) {
			f.r.failf("events %s; want %s", abEventsString(evs), abEventsString(ex.ok))
			return
		}
		fr := evs[0].frames
		bad := len(fr) != 51
		for k, x := range fr {
			wantOp, wantN := opCont, 1300
			if k == 0 {
				wantOp = opText
			}
			if k == len(fr)-1 {
				wantN = 65536 - 50*1300
			}
			bad = bad || x.op != wantOp || x.n != wantN || x.fin != (k == len(fr)-1)
		}
		if bad {
			f.r.failf("the echo came in %d frames %v; want 51 (text then continuations, 50 of 1300 bytes, one of 536, FIN on the last)", len(fr), abFramesString(fr))
		}
	}
	cs = append(cs, abCase{id: "10.1.1", cfg: abConfig{frameSize: 1300}, expect: ex, run: func(f *abFuzzer) {
		f.autoFrag = 1300
		f.sendMessage(p, false, 0)
	}})
	return cs
}

func chopOf(i int) int {
	if i == 7 {
		return 997
	}
	return 0
}

func abFramesString(fr []abFrameInfo) string {
	var b strings.Builder
	for k, x := range fr {
		if k >= 3 && k < len(fr)-2 {
			if k == 3 {
				b.WriteString(" …")
			}
			continue
		}
		fmt.Fprintf(&b, " {op %d, %d bytes, fin %v}", x.op, x.n, x.fin)
	}
	return b.String()
}

// Category 9 sizes, reduced for 2 shared cores under -race (Autobahn's
// in brackets): 9.1.x/9.2.x send one message of 64 KiB, 256 KiB, 1 MiB and
// then abCat9Max three times (4, 8 and 16 MiB); 9.3.x/9.4.x send abCat9Frag
// (4 MiB) in fragments of 64 B up to the whole; 9.5.x/9.6.x send
// abCat9Chop (1 MiB) in chops of 64 B to 2 KiB.
const (
	abCat9Max  = 2 << 20
	abCat9Frag = 512 << 10
	abCat9Chop = 512 << 10
)

var abCat9Sizes = []int{64 << 10, 256 << 10, 1 << 20, min(4<<20, abCat9Max), min(8<<20, abCat9Max), min(16<<20, abCat9Max)}

// abUTF8Group is one of Autobahn's 6.5 to 6.23 subcategories
// (case6_x_x.py, from Markus Kuhn's UTF-8 decoder stress test).
type abUTF8Group struct {
	sub  int
	name string
	seqs []abUTF8Seq
}

type abUTF8Seq struct {
	valid bool
	b     string
}

func abUTF8Groups() []abUTF8Group {
	valid := func(ss ...string) []abUTF8Seq {
		var out []abUTF8Seq
		for _, s := range ss {
			out = append(out, abUTF8Seq{true, s})
		}
		return out
	}
	invalid := func(ss ...string) []abUTF8Seq {
		var out []abUTF8Seq
		for _, s := range ss {
			out = append(out, abUTF8Seq{false, s})
		}
		return out
	}
	const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
	var prefixes []abUTF8Seq
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, abUTF8Seq{utf8.ValidString(kosme[:i]), kosme[:i]})
	}
	var contRun []byte
	for c := 0x80; c < 0xbf; c++ {
		contRun = append(contRun, byte(c))
	}
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for c := r[0]; c < r[1]; c++ {
			s = append(s, byte(c), ' ')
		}
		lonely = append(lonely, string(s))
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	var pairs []string
	for _, hi := range []string{"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf"} {
		for _, lo := range []string{"\xed\xb0\x80", "\xed\xbf\xbf"} {
			pairs = append(pairs, hi+lo)
		}
	}
	nonChars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f { // above U+10FFFF
				continue
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				if z1 == 0xf0 && z2 == 0x8f { // overlong
					continue
				}
				nonChars = append(nonChars, string([]byte{z1, z2, 0xbf, z3}))
			}
		}
	}
	groups := []abUTF8Group{
		{name: "Some valid UTF-8 sequences", seqs: valid("hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme)},
		{name: "All prefixes of a valid UTF-8 string that contains multi-byte code points", seqs: prefixes},
		{name: "First possible sequence of a certain length", seqs: valid("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{name: "First possible sequence length 5/6 (invalid codepoints)", seqs: invalid("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{name: "Last possible sequence of a certain length", seqs: valid("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{name: "Last possible sequence length 4/5/6 (invalid codepoints)", seqs: invalid("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{name: "Other boundary conditions", seqs: append(valid("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), invalid("\xf4\x90\x80\x80")...)},
		{name: "Unexpected continuation bytes", seqs: invalid("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", string(contRun))},
		{name: "Lonely start characters", seqs: invalid(lonely...)},
		{name: "Sequences with last continuation byte missing", seqs: invalid(missing...)},
		{name: "Concatenation of incomplete sequences", seqs: invalid(strings.Join(missing, ""))},
		{name: "Impossible bytes", seqs: invalid("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{name: "Examples of an overlong ASCII character", seqs: invalid("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{name: "Maximum overlong sequences", seqs: invalid("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{name: "Overlong representation of the NUL character", seqs: invalid("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{name: "Single UTF-16 surrogates", seqs: invalid("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")},
		{name: "Paired UTF-16 surrogates", seqs: invalid(pairs...)},
		{name: "Non-character code points (valid UTF-8)", seqs: valid(nonChars...)},
		{name: "Unicode specials (i.e. replacement char)", seqs: valid("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
	for i := range groups {
		groups[i].sub = 5 + i
	}
	return groups
}

// abDeflateSizes are Autobahn's MSG_SIZES for 12.x and 13.x: message size
// and auto-fragment size (0: one frame).
var abDeflateSizes = [][2]int{
	{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
	{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
}

// abDeflateCount is how many messages a 12.x/13.x case sends: Autobahn
// sends 1000 of each size; here about 64 KiB of them, at least 2 (so that
// a second message tests the context kept from the first), at most 100.
func abDeflateCount(n int) int { return min(max(64<<10/n, 2), 100) }

// abDeflateCases returns categories 12 (Autobahn's default offer, five
// kinds of data) and 13 (seven offers, the JSON data).
func abDeflateCases() []abCase {
	var cs []abCase
	add := func(id, offer string, d abData, size [2]int) {
		cs = append(cs, abCase{id: id, cfg: abConfig{offer: offer},
			expect: abExpect{dynamic: true, closedByMe: true, codes: abNormal, matchWait: abBulkWait},
			run:    func(f *abFuzzer) { abDeflateRun(f, offer, d, size[0], size[1]) }})
	}
	data := abDeflateData()
	for j, d := range data {
		for i, s := range abDeflateSizes {
			add(fmt.Sprintf("12.%d.%d", j+1, i+1), abOffer(false, 0), d, s)
		}
	}
	offers := []string{
		abOffer(false, 0), abOffer(true, 0), abOffer(false, 9), abOffer(false, 15), abOffer(true, 9), abOffer(true, 15),
		abOffer(true, 9) + ", " + abOffer(true, 0) + ", " + abOffer(false, 0),
	}
	for j, o := range offers {
		for i, s := range abDeflateSizes {
			add(fmt.Sprintf("13.%d.%d", j+1, i+1), o, data[0], s)
		}
	}
	return cs
}

// abDeflateRun is the 12.x/13.x case: messages of size bytes from d, one
// at a time, each compressed and split into frames of frag bytes; each
// echo must be the message sent.
func abDeflateRun(f *abFuzzer, offer string, d abData, size, frag int) {
	if f.pmd == nil {
		if !f.pmdFailed {
			f.r.failf("UNIMPLEMENTED: the server declined permessage-deflate (offer %q)", offer)
		}
		return
	}
	f.autoFrag = frag
	pos := 0
	for range abDeflateCount(size) {
		m := d.message(&pos, size)
		f.sendMessage(m, d.binary, 0)
		f.expectEvent(abEvent{kind: "message", payload: m, binary: d.binary})
		if !f.echoed(abBulkWait) {
			return
		}
	}
}
