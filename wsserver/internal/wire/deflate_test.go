package wire

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// The offers of the Autobahn testsuite (autobahn's PerMessageDeflateOffer
// always offers client_no_context_takeover and client_max_window_bits;
// cases 12.x and 13.1 add nothing, 13.2..13.6 add server_no_context_takeover
// and server_max_window_bits=9 or 15, 13.7 sends three offers at once).
const (
	autobahnBase = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
)

// params is a deflateParams, shorter to write.
func params(snct, cnct bool, sbits, cbits int) deflateParams {
	return deflateParams{serverNoContextTakeover: snct, clientNoContextTakeover: cnct,
		serverMaxWindowBits: sbits, clientMaxWindowBits: cbits}
}

// TestAcceptDeflate runs the server's negotiation on every Autobahn 13.x
// offer, browsers' offers, and malformed ones.
func TestAcceptDeflate(t *testing.T) {
	def := defaultDeflateParams()
	tests := []struct {
		name   string
		values []string
		resp   string // "" when declined
		p      deflateParams
	}{
		// Autobahn 12.x and 13.x.
		{"autobahn 12.x, 13.1", []string{autobahnBase},
			"permessage-deflate; client_no_context_takeover", params(false, true, 15, 15)},
		{"autobahn 13.2", []string{autobahnBase + "; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover", params(true, true, 15, 15)},
		{"autobahn 13.3", []string{autobahnBase + "; server_max_window_bits=9"},
			"permessage-deflate; client_no_context_takeover; server_max_window_bits=9", params(false, true, 9, 15)},
		{"autobahn 13.4", []string{autobahnBase + "; server_max_window_bits=15"},
			"permessage-deflate; client_no_context_takeover; server_max_window_bits=15", params(false, true, 15, 15)},
		{"autobahn 13.5", []string{autobahnBase + "; server_no_context_takeover; server_max_window_bits=9"},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9", params(true, true, 9, 15)},
		{"autobahn 13.6", []string{autobahnBase + "; server_no_context_takeover; server_max_window_bits=15"},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15", params(true, true, 15, 15)},
		{"autobahn 13.7", []string{autobahnBase + "; server_no_context_takeover; server_max_window_bits=9, " +
			autobahnBase + "; server_no_context_takeover, " + autobahnBase},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9", params(true, true, 9, 15)},

		// Browsers and other clients.
		{"bare", []string{"permessage-deflate"}, "permessage-deflate", def},
		{"chrome", []string{"permessage-deflate; client_max_window_bits"}, "permessage-deflate", def},
		{"client_max_window_bits hint", []string{"permessage-deflate; client_max_window_bits=10"}, "permessage-deflate", def},
		{"client_max_window_bits=8", []string{"permessage-deflate; client_max_window_bits=8"}, "permessage-deflate", def},
		{"server_max_window_bits=8", []string{"permessage-deflate; server_max_window_bits=8"},
			"permessage-deflate; server_max_window_bits=8", params(false, false, 8, 15)},
		{"server_max_window_bits=12", []string{"permessage-deflate; server_max_window_bits=12"},
			"permessage-deflate; server_max_window_bits=12", params(false, false, 12, 15)},
		{"server_max_window_bits=14", []string{"permessage-deflate; server_max_window_bits=14"},
			"permessage-deflate; server_max_window_bits=14", params(false, false, 14, 15)},
		{"quoted value", []string{`permessage-deflate; server_max_window_bits="10"`},
			"permessage-deflate; server_max_window_bits=10", params(false, false, 10, 15)},
		{"quoted escaped value", []string{`permessage-deflate; server_max_window_bits="1\1"`},
			"permessage-deflate; server_max_window_bits=11", params(false, false, 11, 15)},
		{"white space", []string{"  permessage-deflate ;server_max_window_bits = 13\t; client_no_context_takeover  "},
			"permessage-deflate; client_no_context_takeover; server_max_window_bits=13", params(false, true, 13, 15)},
		{"case", []string{"PerMessage-Deflate; Server_No_Context_Takeover"},
			"permessage-deflate; server_no_context_takeover", params(true, false, 15, 15)},
		{"after another extension", []string{"x-webkit-deflate-frame, permessage-deflate"}, "permessage-deflate", def},
		{"second header value", []string{"foo; bar=1", "permessage-deflate; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover", params(true, false, 15, 15)},
		{"empty elements", []string{", ,permessage-deflate,,"}, "permessage-deflate", def},

		// Malformed offers are declined; a later good one is taken.
		{"unknown param", []string{"permessage-deflate; foo"}, "", deflateParams{}},
		{"unknown then good", []string{"permessage-deflate; foo=1, permessage-deflate; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover", params(true, false, 15, 15)},
		{"duplicate", []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, "", deflateParams{}},
		{"duplicate in another case", []string{"permessage-deflate; client_max_window_bits; CLIENT_MAX_WINDOW_BITS=9"}, "", deflateParams{}},
		{"duplicate bits then good", []string{"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10, permessage-deflate"},
			"permessage-deflate", def},
		{"server bits without value", []string{"permessage-deflate; server_max_window_bits"}, "", deflateParams{}},
		{"server bits 7", []string{"permessage-deflate; server_max_window_bits=7"}, "", deflateParams{}},
		{"server bits 16", []string{"permessage-deflate; server_max_window_bits=16"}, "", deflateParams{}},
		{"server bits 0", []string{"permessage-deflate; server_max_window_bits=0"}, "", deflateParams{}},
		{"server bits leading zero", []string{"permessage-deflate; server_max_window_bits=09"}, "", deflateParams{}},
		{"server bits sign", []string{"permessage-deflate; server_max_window_bits=+9"}, "", deflateParams{}},
		{"server bits word", []string{"permessage-deflate; server_max_window_bits=abc"}, "", deflateParams{}},
		{"server bits empty quotes", []string{`permessage-deflate; server_max_window_bits=""`}, "", deflateParams{}},
		{"server bits quoted non-token", []string{`permessage-deflate; server_max_window_bits="1 0"`}, "", deflateParams{}},
		{"client bits 7", []string{"permessage-deflate; client_max_window_bits=7"}, "", deflateParams{}},
		{"client bits leading zero", []string{"permessage-deflate; client_max_window_bits=010"}, "", deflateParams{}},
		{"server_no_context_takeover with value", []string{"permessage-deflate; server_no_context_takeover=1"}, "", deflateParams{}},
		{"client_no_context_takeover with value", []string{`permessage-deflate; client_no_context_takeover="x"`}, "", deflateParams{}},
		{"empty param", []string{"permessage-deflate;"}, "", deflateParams{}},
		{"empty params", []string{"permessage-deflate;;"}, "", deflateParams{}},
		{"param without name", []string{"permessage-deflate; =3"}, "", deflateParams{}},
		{"value missing", []string{"permessage-deflate; server_max_window_bits="}, "", deflateParams{}},
		{"unterminated quote", []string{`permessage-deflate; server_max_window_bits="10`}, "", deflateParams{}},
		{"junk after element", []string{"permessage-deflate junk"}, "", deflateParams{}},
		{"quoted comma is not a separator", []string{`permessage-deflate; x="a,permessage-deflate", permessage-deflate; server_no_context_takeover`},
			"permessage-deflate; server_no_context_takeover", params(true, false, 15, 15)},
		{"escaped quote in a quoted string", []string{`permessage-deflate; x="a\",permessage-deflate", permessage-deflate; client_no_context_takeover`},
			"permessage-deflate; client_no_context_takeover", params(false, true, 15, 15)},
		{"backslash ends the value", []string{`permessage-deflate; server_max_window_bits="1\`}, "", deflateParams{}},
		{"other extension only", []string{"x-webkit-deflate-frame"}, "", deflateParams{}},
		{"prefix of the name", []string{"permessage-deflat"}, "", deflateParams{}},
		{"none", nil, "", deflateParams{}},
		{"empty", []string{""}, "", deflateParams{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resp != "" && !tt.p.serverNoContextTakeover {
				// The server takes server_no_context_takeover unasked.
				tt.p.serverNoContextTakeover = true
				tt.resp = strings.Replace(tt.resp, "permessage-deflate", "permessage-deflate; server_no_context_takeover", 1)
			}
			resp, p, ok := acceptDeflate(tt.values)
			if ok != (tt.resp != "") || resp != tt.resp || p != tt.p {
				t.Errorf("acceptDeflate(%q) = %q, %+v, %v; want %q, %+v", tt.values, resp, p, ok, tt.resp, tt.p)
			}
			if !ok {
				return
			}
			// The response is one a client that offered everything takes,
			// and both ends then agree on every parameter.
			cp, cok, err := parseDeflateResponse([]string{resp})
			if err != nil || !cok || cp != p {
				t.Errorf("parseDeflateResponse(%q) = %+v, %v, %v; want %+v", resp, cp, cok, err, p)
			}
		})
	}
}

// TestParseDeflateResponse runs the client's check of the server's answer.
func TestParseDeflateResponse(t *testing.T) {
	def := defaultDeflateParams()
	good := []struct {
		values []string
		p      deflateParams
	}{
		{[]string{"permessage-deflate"}, def},
		{[]string{"permessage-deflate; server_no_context_takeover"}, params(true, false, 15, 15)},
		{[]string{"permessage-deflate; client_no_context_takeover"}, params(false, true, 15, 15)},
		{[]string{"permessage-deflate; server_max_window_bits=8"}, params(false, false, 8, 15)},
		{[]string{"permessage-deflate; client_max_window_bits=9"}, params(false, false, 15, 9)},
		{[]string{`permessage-deflate;client_max_window_bits="12";server_max_window_bits=10`}, params(false, false, 10, 12)},
		{[]string{"Permessage-Deflate; Server_No_Context_Takeover; Client_No_Context_Takeover"}, params(true, true, 15, 15)},
	}
	for _, tt := range good {
		p, ok, err := parseDeflateResponse(tt.values)
		if err != nil || !ok || p != tt.p {
			t.Errorf("parseDeflateResponse(%q) = %+v, %v, %v; want %+v", tt.values, p, ok, err, tt.p)
		}
	}
	for _, values := range [][]string{nil, {""}, {" , "}} {
		if p, ok, err := parseDeflateResponse(values); err != nil || ok || p != def {
			t.Errorf("parseDeflateResponse(%q) = %+v, %v, %v; want not accepted", values, p, ok, err)
		}
	}
	bad := [][]string{
		{"permessage-deflate; client_max_window_bits"}, // a value is required in a response
		{"permessage-deflate; server_max_window_bits"},
		{"permessage-deflate; server_max_window_bits=7"},
		{"permessage-deflate; client_max_window_bits=16"},
		{"permessage-deflate; server_no_context_takeover=yes"},
		{"permessage-deflate; client_no_context_takeover=1"},
		{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"},
		{"permessage-deflate; foo"},
		{"permessage-deflate, permessage-deflate"},
		{"permessage-deflate", "permessage-deflate"},
		{"x-webkit-deflate-frame"},
		{"permessage-deflate, foo"},
		{"permessage-deflate;"},
		{`permessage-deflate; server_max_window_bits="9`},
	}
	for _, values := range bad {
		if _, ok, err := parseDeflateResponse(values); !errors.Is(err, errNegotiation) || ok {
			t.Errorf("parseDeflateResponse(%q) = %v, %v; want errNegotiation", values, ok, err)
		}
	}
	if offer := deflateOffer(); offer != "permessage-deflate; client_max_window_bits" {
		t.Errorf("deflateOffer() = %q", offer)
	}
	// A server of this package accepts this package's offer.
	if resp, _, ok := acceptDeflate([]string{deflateOffer()}); !ok || resp != "permessage-deflate; server_no_context_takeover" {
		t.Errorf("acceptDeflate(deflateOffer()) = %q, %v", resp, ok)
	}
}

// unhex decodes bytes written in hex, spaces allowed.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC7692Examples decodes the payloads of RFC 7692 §7.2.3, and checks
// that compress produces the same bytes where the encoder's choice is the
// RFC's.
func TestRFC7692Examples(t *testing.T) {
	single := [][]string{
		{"§7.2.3.1 one frame", "f2 48 cd c9 c9 07 00"},
		{"§7.2.3.1 two frames", "f2 48 cd" + "c9 c9 07 00"},
		{"§7.2.3.3 no compression", "00 05 00 fa ff 48 65 6c 6c 6f 00"},
		{"§7.2.3.4 BFINAL set", "f3 48 cd c9 c9 07 00 00"},
		{"§7.2.3.5 two blocks", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00"},
	}
	for _, ex := range single {
		for _, noCtx := range []bool{false, true} {
			d := newDecompressor(noCtx)
			got, err := d.decompress(nil, unhex(t, ex[1]), 100)
			if err != nil || string(got) != "Hello" {
				t.Errorf("%s: decompress = %q, %v; want Hello", ex[0], got, err)
			}
			// The window is right after every form: the next message
			// refers back to this one (§7.2.3.2's second message).
			if !noCtx {
				got, err = d.decompress(nil, unhex(t, "f2 00 11 00 00"), 100)
				if err != nil || string(got) != "Hello" {
					t.Errorf("%s, then §7.2.3.2: decompress = %q, %v; want Hello", ex[0], got, err)
				}
			}
			d.release()
		}
	}

	// §7.2.3.2: without context takeover the second message cannot refer
	// to the first.
	d := newDecompressor(true)
	if _, err := d.decompress(nil, unhex(t, "f2 48 cd c9 c9 07 00"), 100); err != nil {
		t.Fatal(err)
	}
	if got, err := d.decompress(nil, unhex(t, "f2 00 11 00 00"), 100); !errors.Is(err, errCorrupt) {
		t.Errorf("no context takeover: second message = %q, %v; want errCorrupt", got, err)
	}

	// §7.2.3.6: an empty message is the single byte 00.
	d = newDecompressor(false)
	if got, err := d.decompress([]byte{}, []byte{0}, 0); err != nil || len(got) != 0 {
		t.Errorf("empty message: %q, %v", got, err)
	}
	// An empty payload, taken for an empty message as zlib does; and an
	// empty message ended by a final empty stored block, less its
	// 00 00 ff ff (§7.2.1).
	for _, p := range [][]byte{nil, {0x01}} {
		if got, err := d.decompress([]byte{}, p, 0); err != nil || len(got) != 0 {
			t.Errorf("empty message % x: %q, %v", p, got, err)
		}
	}
	c := newCompressor(false, 15)
	if got := c.compress(nil, nil); !bytes.Equal(got, []byte{0}) {
		t.Errorf("compress(empty) = % x; want 00", got)
	}

	// BestSpeed stores a 5-byte message as it is: §7.2.3.3's very bytes.
	if got := c.compress(nil, []byte("Hello")); !bytes.Equal(got, unhex(t, "00 05 00 fa ff 48 65 6c 6c 6f 00")) {
		t.Errorf("compress(Hello) = % x; want §7.2.3.3", got)
	}
	c.release()

	// compress/flate's default level makes §7.2.3.1's bytes, once the
	// 00 00 ff ff of its flush is removed: the framing of compress holds
	// for any level. (Its second "Hello" is not §7.2.3.2's: another
	// choice of block; TestFlateInterop inflates such streams.)
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	fw.Write([]byte("Hello"))
	fw.Flush()
	if got := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff}); !bytes.Equal(got, unhex(t, "f2 48 cd c9 c9 07 00")) {
		t.Errorf("flate = % x; want §7.2.3.1", got)
	}
}

// testText is pseudo-English text of n bytes, the same for a seed.
func testText(n int, seed uint64) []byte {
	words := strings.Fields("the of and to in a is that for it as was with be by on not he this are or his from at which " +
		"but have an they you were her she there one all we their been has when who will more no if out so said what up " +
		"its about into than them can only other new some could time these two may then do first any my now such like " +
		"socket signal slot message frame server client window deflate compress connection handshake")
	r := rand.New(rand.NewPCG(seed, 7692))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			b.WriteString(".\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

// testRandom is n random bytes, the same for a seed.
func testRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1951))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// testMessages is a mix of sizes and kinds, including repeats (that
// context takeover turns into back-references across messages).
func testMessages() [][]byte {
	var msgs [][]byte
	for i, n := range []int{0, 1, 5, 16, 17, 127, 128, 200, 1000, 1000, 4096, 40000, 70000} {
		msgs = append(msgs, testText(n, uint64(i)))
	}
	msgs = append(msgs, testText(1000, 8), testRandom(3000, 1), bytes.Repeat([]byte{'a'}, 100000), testText(70000, 12))
	return msgs
}

// TestRoundTrip compresses a run of messages and inflates them with this
// package, compress/flate and refInflate (which checks the window), in
// every mode.
func TestRoundTrip(t *testing.T) {
	msgs := testMessages()
	for _, bits := range []int{15, 14, 9, 8} {
		for _, noCtx := range []bool{false, true} {
			t.Run(fmt.Sprintf("bits=%d,noContextTakeover=%v", bits, noCtx), func(t *testing.T) {
				c, d := newCompressor(noCtx, bits), newDecompressor(noCtx)
				defer c.release()
				defer d.release()
				var hist []byte   // what the peer's window holds
				var stream []byte // every payload + 00 00 ff ff, for compress/flate
				var plain []byte  // every message, as compress/flate should read them
				totalRefs := 0
				for i, msg := range msgs {
					payload := c.compress(nil, msg)
					got, err := d.decompress([]byte("prefix"), payload, int64(len(msg)))
					if err != nil || !bytes.Equal(got[6:], msg) || string(got[:6]) != "prefix" {
						t.Fatalf("message %d (%d bytes): round trip failed: %v", i, len(msg), err)
					}
					withTail := append(payload[:len(payload):len(payload)], 0, 0, 0xff, 0xff)
					ref, refs, err := refInflate(hist, withTail, 1<<bits)
					if err != nil || !bytes.Equal(ref, msg) {
						t.Fatalf("message %d (%d bytes): refInflate: %v", i, len(msg), err)
					}
					totalRefs += refs
					if noCtx {
						// Nothing before this message may be referred to.
						if _, _, err := refInflate(nil, withTail, 1<<bits); err != nil {
							t.Fatalf("message %d refers to an earlier one: %v", i, err)
						}
					}
					hist = append(hist, msg...)
					if len(hist) > windowSize {
						hist = hist[len(hist)-windowSize:]
					}
					if !noCtx {
						stream = append(stream, withTail...)
						plain = append(plain, msg...)
					}
				}
				if bits < 15 && totalRefs != 0 {
					t.Errorf("%d back-references in a window of %d bits", totalRefs, bits)
				}
				if bits == 15 && totalRefs == 0 {
					t.Error("no back-references at all with a full window")
				}
				if !noCtx {
					got, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(stream)), int64(len(plain))))
					if err != nil || !bytes.Equal(got, plain) {
						t.Errorf("compress/flate read the stream wrongly: %v", err)
					}
				}
			})
		}
	}
}

// TestContextTakeover checks what each mode does with a message sent twice.
func TestContextTakeover(t *testing.T) {
	msg := testText(2000, 3)
	for _, tt := range []struct {
		noCtx  bool
		bits   int
		second func(first, second int) bool
	}{
		{false, 15, func(a, b int) bool { return b < a/10 }}, // the second is a back-reference to the first
		{true, 15, func(a, b int) bool { return a == b }},
		{false, 10, func(a, b int) bool { return a == b }}, // Huffman only: no window to take over
	} {
		c := newCompressor(tt.noCtx, tt.bits)
		a, b := len(c.compress(nil, msg)), len(c.compress(nil, msg))
		if !tt.second(a, b) {
			t.Errorf("noContextTakeover=%v bits=%d: sizes %d then %d", tt.noCtx, tt.bits, a, b)
		}
		c.release()
	}
}

// TestFlateInterop inflates what compress/flate's writers make at every
// level, with context takeover (one writer, flushed per message) and
// without (one writer per message).
func TestFlateInterop(t *testing.T) {
	msgs := testMessages()
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, 2, flate.DefaultCompression, flate.BestCompression} {
		for _, noCtx := range []bool{false, true} {
			var buf bytes.Buffer
			fw, err := flate.NewWriter(&buf, level)
			if err != nil {
				t.Fatal(err)
			}
			d := newDecompressor(noCtx)
			var got []byte
			for i, msg := range msgs {
				if noCtx {
					fw.Reset(&buf)
				}
				buf.Reset()
				fw.Write(msg)
				fw.Flush()
				payload, ok := bytes.CutSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
				if !ok {
					t.Fatalf("level %d: a flush does not end with 00 00 ff ff", level)
				}
				if got, err = d.decompress(got[:0], payload, -1); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("level %d, noContextTakeover=%v, message %d: %v", level, noCtx, i, err)
				}
			}
			// A message ended by Close (BFINAL set, §7.2.3.4) and then one
			// referring back past it.
			if !noCtx {
				buf.Reset()
				fw.Write(msgs[9])
				fw.Close()
				if got, err = d.decompress(got[:0], buf.Bytes(), -1); err != nil || !bytes.Equal(got, msgs[9]) {
					t.Fatalf("level %d: message ended by Close: %v", level, err)
				}
				// The same, less the 00 00 ff ff of Close's empty stored
				// final block, as §7.2.1 removes them.
				buf.Reset()
				fw.Reset(&buf)
				fw.Write(msgs[9])
				fw.Close()
				payload, _ := bytes.CutSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
				if got, err = newDecompressor(true).decompress(got[:0], payload, -1); err != nil || !bytes.Equal(got, msgs[9]) {
					t.Fatalf("level %d: message ended by Close, less 00 00 ff ff: %v", level, err)
				}
				buf.Reset()
				fw2, _ := flate.NewWriterDict(&buf, level, msgs[9])
				fw2.Write(msgs[9])
				fw2.Flush()
				payload = bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
				if got, err = d.decompress(got[:0], payload, -1); err != nil || !bytes.Equal(got, msgs[9]) {
					t.Fatalf("level %d: message after a closed one: %v", level, err)
				}
			}
			d.release()
		}
	}
}

// TestSeveralStreams inflates messages holding DEFLATE streams one after
// the other, each ended by BFINAL, the later referring to the earlier.
func TestSeveralStreams(t *testing.T) {
	parts := [][]byte{testText(3000, 1), testText(100, 2), testText(50000, 3)}
	for _, noCtx := range []bool{false, true} {
		d := newDecompressor(noCtx)
		for range 2 { // the second time, the window holds the first message
			var payload, want []byte
			for _, p := range parts {
				var buf bytes.Buffer
				var fw *flate.Writer
				if len(want) > 0 {
					fw, _ = flate.NewWriterDict(&buf, 6, want[max(0, len(want)-windowSize):])
				} else {
					fw, _ = flate.NewWriter(&buf, 6)
				}
				fw.Write(p)
				fw.Close()
				payload = append(payload, buf.Bytes()...)
				want = append(want, p...)
			}
			got, err := d.decompress(nil, payload, -1)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("noContextTakeover=%v: %v", noCtx, err)
			}
		}
		d.release()
	}
	// More than maxStreams streams: empty final blocks, 2 bytes each.
	d := newDecompressor(false)
	if _, err := d.decompress(nil, bytes.Repeat([]byte{0x03, 0x00}, maxStreams), -1); err != nil {
		t.Errorf("%d streams: %v", maxStreams, err)
	}
	if _, err := d.decompress(nil, bytes.Repeat([]byte{0x03, 0x00}, maxStreams+1), -1); !errors.Is(err, errCorrupt) {
		t.Errorf("%d streams: %v; want errCorrupt", maxStreams+1, err)
	}
}

// TestDecompressLimit checks limits around a message's size, and a bomb.
func TestDecompressLimit(t *testing.T) {
	msg := testText(10000, 5)
	c := newCompressor(true, 15)
	payload := c.compress(nil, msg)
	for _, tt := range []struct {
		limit int64
		ok    bool
	}{{-1, true}, {10000, true}, {1 << 40, true}, {9999, false}, {0, false}, {1, false}} {
		d := newDecompressor(true)
		got, err := d.decompress(make([]byte, 3, 10), payload, tt.limit)
		if tt.ok && (err != nil || !bytes.Equal(got[3:], msg)) {
			t.Errorf("limit %d: %v", tt.limit, err)
		}
		if !tt.ok && (!errors.Is(err, errTooBig) || len(got) != 3) {
			t.Errorf("limit %d: %d bytes, %v; want errTooBig and dst as it was", tt.limit, len(got), err)
		}
	}

	// A bomb: 64 MiB of zeros in 95 KiB. With a limit of 1 MiB the
	// decompressor stops after 1 MiB + 1 bytes, allocating no more.
	bomb := zeroBomb(64 << 20)
	const limit = 1 << 20
	d := newDecompressor(true)
	var got []byte
	var err error
	allocs := testing.AllocsPerRun(1, func() { got, err = d.decompress(nil, bomb, limit) })
	if !errors.Is(err, errTooBig) || len(got) != 0 {
		t.Fatalf("bomb: %d bytes, %v; want errTooBig", len(got), err)
	}
	if c := cap(got); c > limit+limit/8 {
		t.Errorf("bomb: dst grew to %d bytes for a limit of %d", c, limit)
	}
	t.Logf("bomb of %d bytes (64 MiB inflated), limit %d: %v allocations", len(bomb), limit, allocs)
	if err := fmt.Sprint(err); !strings.Contains(err, "1048576") {
		t.Errorf("error %q does not tell the limit", err)
	}
}

// zeroBomb is a payload that inflates to n > 0 zero bytes:
// one dynamic Huffman block whose only codes are the literal 0, the end of
// block and the length 258, each of 1 or 2 bits, with distance 1: 258
// bytes per 2 bits of input.
func zeroBomb(n int) []byte {
	var bw bitWriter
	bw.bits(0, 1)       // BFINAL 0
	bw.bits(2, 2)       // BTYPE 10: dynamic codes
	bw.bits(286-257, 5) // HLIT: 286 literal/length codes
	bw.bits(0, 5)       // HDIST: 1 distance code
	bw.bits(18-4, 4)    // HCLEN: 18 code length codes, in clOrder
	for _, sym := range clOrder[:18] {
		l := 0
		switch sym {
		case 1, 2: // the code lengths used, each coded in 2 bits
			l = 2
		case 18: // runs of zeros
			l = 1
		}
		bw.bits(l, 3)
	}
	// The code length codes: 18 is "0", 1 is "10", 2 is "11" (canonical
	// order; written most significant bit first).
	zeros := func(n int) { // runs of up to 138 zero lengths
		for n > 0 {
			r := min(n, 138)
			if n-r > 0 && n-r < 11 {
				r = n - 11
			}
			bw.huff(0, 1)
			bw.bits(r-11, 7)
			n -= r
		}
	}
	bw.huff(2, 2) // literal 0: 1 bit
	zeros(255)
	bw.huff(3, 2)    // 256, end of block: 2 bits
	zeros(285 - 257) // 257..284
	bw.huff(3, 2)    // 285, length 258: 2 bits
	bw.huff(2, 2)    // the distance code 0 (distance 1): 1 bit
	// Codes: literal 0 is "0", 256 is "10", 285 is "11"; distance 0 is "0".
	bw.huff(0, 1) // the first zero
	for range (n - 1) / 258 {
		bw.huff(3, 2) // length 258
		bw.huff(0, 1) // distance 1
	}
	for range (n - 1) % 258 {
		bw.huff(0, 1) // zeros left over
	}
	bw.huff(2, 2) // end of block
	return bw.flush()
}

// bitWriter writes DEFLATE's bit stream.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes the n low bits of v, least significant first.
func (bw *bitWriter) bits(v, n int) {
	bw.acc |= uint64(v) << bw.nacc
	for bw.nacc += uint(n); bw.nacc >= 8; bw.nacc -= 8 {
		bw.out = append(bw.out, byte(bw.acc))
		bw.acc >>= 8
	}
}

// huff writes a Huffman code of n bits, most significant first.
func (bw *bitWriter) huff(code, n int) {
	for i := n - 1; i >= 0; i-- {
		bw.bits(code>>i&1, 1)
	}
}

// flush ends a non-final block as compress does: the empty stored block
// of a sync flush, less its 00 00 ff ff.
func (bw *bitWriter) flush() []byte {
	bw.bits(0, 3)
	if bw.nacc > 0 {
		bw.bits(0, 8-int(bw.nacc))
	}
	return bw.out
}

// TestZeroBomb checks the hand-made bomb decodes to what it says.
func TestZeroBomb(t *testing.T) {
	got, err := newDecompressor(true).decompress(nil, zeroBomb(258*10+5), -1)
	if err != nil || !bytes.Equal(got, make([]byte, 258*10+5)) {
		t.Errorf("zeroBomb: %d bytes, %v", len(got), err)
	}
}

// TestDecompressCorrupt feeds decompress payloads that are not DEFLATE data.
func TestDecompressCorrupt(t *testing.T) {
	payload := newCompressor(true, 15).compress(nil, testText(5000, 9))
	stored := newCompressor(true, 15).compress(nil, []byte("Hello, world"))
	cases := map[string][]byte{
		"reserved block type":      {0x07},
		"stored LEN/NLEN differ":   unhex(t, "00 05 00 fb ff 48 65 6c 6c 6f"),
		"distance before start":    unhex(t, "f2 00 11 00 00"), // §7.2.3.2's second message, alone
		"garbage":                  []byte("this is not deflate at all, not at all"),
		"truncated stored block":   stored[:8],
		"truncated, half":          payload[:len(payload)/2],
		"truncated, all but one":   payload[:len(payload)-1],
		"garbage after final":      unhex(t, "f3 48 cd c9 c9 07 00 ff ff ff"),
		"final then truncated":     unhex(t, "f3 48 cd c9 c9 07 00 f2 48"),
		"huge stored block":        unhex(t, "00 ff ff 00 00 41 41"),
		"dynamic block, bad codes": unhex(t, "04 ff ff ff ff ff ff ff"),
	}
	for name, p := range cases {
		for _, noCtx := range []bool{false, true} {
			d := newDecompressor(noCtx)
			got, err := d.decompress([]byte("x"), p, 1<<20)
			if !errors.Is(err, errCorrupt) || string(got) != "x" {
				t.Errorf("%s: %q, %v; want errCorrupt and dst as it was", name, got, err)
			}
			d.release()
		}
	}
}

// raceEnabled is set by race_test.go under the race detector, which makes
// sync.Pool drop items at random (so allocation counts mean nothing).
var raceEnabled = false

// TestAllocs checks that messages cost no allocation of this package once
// dst is big enough, the pools warm and the window allocated. compress/flate
// itself allocates when it reads a dynamic Huffman table with codes over 9
// bits (its huffmanDecoder's links, not kept by Reset): 2 for this message.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	msg := testText(4096, 1)
	for _, noCtx := range []bool{false, true} {
		for _, bits := range []int{15, 9} {
			c, d := newCompressor(noCtx, bits), newDecompressor(noCtx)
			payload := c.compress(nil, msg)
			out, _ := d.decompress(nil, payload, -1)
			n := testing.AllocsPerRun(50, func() {
				payload = c.compress(payload[:0], msg)
				var err error
				if out, err = d.decompress(out[:0], payload, int64(len(msg))); err != nil {
					t.Fatal(err)
				}
			})
			c2 := newCompressor(noCtx, bits) // its payloads go nowhere
			spare := c2.compress(nil, msg)
			nc := testing.AllocsPerRun(50, func() { spare = c2.compress(spare[:0], msg) })
			c2.release()
			if nc != 0 || n > 2 {
				t.Errorf("noContextTakeover=%v bits=%d: %v allocations per message, %v in compress", noCtx, bits, n, nc)
			}
			c.release()
			d.release()
		}
	}
	// A stored block, and fixed Huffman codes: no allocation at all.
	d := newDecompressor(false)
	for _, p := range [][]byte{unhex(t, "00 05 00 fa ff 48 65 6c 6c 6f 00"), unhex(t, "f2 48 cd c9 c9 07 00")} {
		out := make([]byte, 0, 5)
		if n := testing.AllocsPerRun(50, func() { out, _ = d.decompress(out[:0], p, 5) }); n != 0 || string(out) != "Hello" {
			t.Errorf("% x: %q, %v allocations", p, out, n)
		}
	}
}

// TestIdleMemory measures the heap an idle connection holds in each mode,
// after it sent or received one message; the figures are those in the
// comment at the top of deflate.go.
func TestIdleMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what the heap holds")
	}
	msg := testText(1000, 2)
	payload := newCompressor(true, 15).compress(nil, msg)
	const n = 32
	measure := func(name string, bound uint64, newConn func() any) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC() // a second time, to empty the pools' victim caches
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		held := make([]any, n)
		for i := range held {
			held[i] = newConn()
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		per := (ms.HeapAlloc - min(before, ms.HeapAlloc)) / n
		runtime.KeepAlive(held)
		t.Logf("%-45s %8d bytes per idle connection", name, per)
		if per > bound {
			t.Errorf("%s: %d bytes per idle connection, over %d", name, per, bound)
		}
	}
	measure("compressor, context takeover, 15 bits", 1500_000, func() any {
		c := newCompressor(false, 15)
		c.compress(nil, msg)
		return c
	})
	measure("compressor, no context takeover", 256, func() any {
		c := newCompressor(true, 15)
		c.compress(nil, msg)
		return c
	})
	measure("compressor, context takeover, 9 bits", 256, func() any {
		c := newCompressor(false, 9)
		c.compress(nil, msg)
		return c
	})
	measure("decompressor, context takeover", 40_000, func() any {
		d := newDecompressor(false)
		d.decompress(nil, payload, -1)
		return d
	})
	measure("decompressor, no context takeover", 256, func() any {
		d := newDecompressor(true)
		d.decompress(nil, payload, -1)
		return d
	})
}

// FuzzDecompress feeds decompress any payload: it must not panic nor
// exceed its limit, and what it accepts must inflate the same with a
// limit of exactly its size (and fail with one byte less).
func FuzzDecompress(f *testing.F) {
	for _, s := range []string{"f2 48 cd c9 c9 07 00", "00 05 00 fa ff 48 65 6c 6c 6f 00", "f3 48 cd c9 c9 07 00 00",
		"f2 48 05 00 00 00 ff ff ca c9 c9 07 00", "00", "03 00 03 00"} {
		f.Add(unhex(f, s), false)
	}
	f.Add(newCompressor(true, 15).compress(nil, testText(3000, 1)), true)
	f.Add(newCompressor(true, 9).compress(nil, testText(300, 1)), false)
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, payload []byte, noCtx bool) {
		d := newDecompressor(noCtx)
		defer d.release()
		got, err := d.decompress(nil, payload, limit)
		if err != nil {
			if !errors.Is(err, errCorrupt) && !errors.Is(err, errTooBig) {
				t.Fatalf("error %v is neither errCorrupt nor errTooBig", err)
			}
			if len(got) != 0 {
				t.Fatalf("%d bytes returned with an error", len(got))
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("%d bytes over the limit", len(got))
		}
		again, err := newDecompressor(true).decompress(nil, payload, int64(len(got)))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("again with limit %d: %v", len(got), err)
		}
		if len(got) > 0 {
			if _, err := newDecompressor(true).decompress(nil, payload, int64(len(got)-1)); !errors.Is(err, errTooBig) {
				t.Fatalf("limit %d: %v; want errTooBig", len(got)-1, err)
			}
		}
	})
}

// FuzzAcceptDeflate feeds acceptDeflate any header: every response it
// makes must be one parseDeflateResponse takes, with the same parameters.
func FuzzAcceptDeflate(f *testing.F) {
	for _, s := range []string{autobahnBase, autobahnBase + "; server_no_context_takeover; server_max_window_bits=9",
		`permessage-deflate; server_max_window_bits="10", x`, "permessage-deflate;;", "a, b; c=\"d,e\"; f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		resp, p, ok := acceptDeflate([]string{header})
		if !ok {
			return
		}
		cp, cok, err := parseDeflateResponse([]string{resp})
		if err != nil || !cok || cp != p {
			t.Fatalf("acceptDeflate(%q) = %q, %+v; parseDeflateResponse = %+v, %v, %v", header, resp, p, cp, cok, err)
		}
	})
}

// BenchmarkCompress compresses text messages of 32 B, 1 KiB and 64 KiB.
func BenchmarkCompress(b *testing.B) {
	for _, size := range []int{32, 1024, 64 << 10} {
		msg := testText(size, 1)
		for _, mode := range []struct {
			name  string
			noCtx bool
		}{{"takeover", false}, {"noTakeover", true}} {
			b.Run(fmt.Sprintf("%s/%d", mode.name, size), func(b *testing.B) {
				c := newCompressor(mode.noCtx, 15)
				defer c.release()
				var payload []byte
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					payload = c.compress(payload[:0], msg)
				}
				b.ReportMetric(float64(len(payload))/float64(size), "ratio")
			})
		}
	}
}

// BenchmarkDecompress inflates what BenchmarkCompress makes.
func BenchmarkDecompress(b *testing.B) {
	for _, size := range []int{32, 1024, 64 << 10} {
		msg := testText(size, 1)
		for _, mode := range []struct {
			name  string
			noCtx bool
		}{{"takeover", false}, {"noTakeover", true}} {
			b.Run(fmt.Sprintf("%s/%d", mode.name, size), func(b *testing.B) {
				// Without context takeover every message is the same
				// payload; with it, the peer's stream is replayed, so
				// each payload refers to the last message as it would.
				c := newCompressor(mode.noCtx, 15)
				const n = 64
				payloads := make([][]byte, n)
				for i := range payloads {
					payloads[i] = c.compress(nil, msg)
				}
				c.release()
				d := newDecompressor(mode.noCtx)
				defer d.release()
				out := make([]byte, 0, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if mode.noCtx || i == n {
						i = 0
						if !mode.noCtx {
							d.release() // the replay starts over with an empty window
						}
					}
					var err error
					if out, err = d.decompress(out[:0], payloads[i], int64(size)); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
